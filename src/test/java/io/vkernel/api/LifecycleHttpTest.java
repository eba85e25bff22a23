package io.vkernel.api;

import org.junit.jupiter.api.Test;
import org.springframework.test.web.servlet.MvcResult;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The seed's lifecycle over HTTP, on a fresh kernel per test, checking what a learner reads in each answer. */
class LifecycleHttpTest extends HttpKernelTest {

    @Test
    void fdTimeline_acceptAssignsLowestFree_andCloseFreesItForReuse() {
        connect("192.168.1.100", 54321);
        assertThat(syscall("accept", "{\"fd\":3}").<Integer>at("$.ret")).isEqualTo(4);
        connect("192.168.1.200", 48000);
        assertThat(syscall("accept", "{\"fd\":3}").<Integer>at("$.ret")).isEqualTo(5);

        assertThat(syscall("close", "{\"fd\":4}").<String>at("$.strace")).isEqualTo("close(4) = 0");
        connect("192.168.1.150", 55555);
        Http.Reply accepted = syscall("accept", "{\"fd\":3}");
        assertThat(accepted.<Integer>at("$.ret")).isEqualTo(4);
        assertThat(accepted.<String>at("$.peer")).isEqualTo("192.168.1.150:55555");

        String lsof = http.get(base + "/processes/" + pid + "/fds?format=text").body();
        assertThat(lsof).contains("4u  IPv4").contains("TCP 10.0.0.50:8080->192.168.1.150:55555 (ESTABLISHED)")
                .contains("3u  IPv4").contains("TCP *:8080 (LISTEN)");
    }

    @Test
    void ioctlAndBufferOptions_answerAsLinux_withTheirStraceLines() {
        connect("192.168.1.100", 54321);
        syscall("accept", "{\"fd\":3}");
        inject("192.168.1.100", 54321, "P.", 1001, ack("192.168.1.100", 54321), "hello");
        assertThat(syscall("ioctl", "{\"fd\":4,\"request\":\"SIOCINQ\"}").<String>at("$.strace"))
                .isEqualTo("ioctl(4, SIOCINQ, [5]) = 0");
        assertThat(syscall("ioctl", "{\"fd\":3,\"request\":\"SIOCINQ\"}").<String>at("$.errno")).isEqualTo("EINVAL");
        assertThat(syscall("ioctl", "{\"fd\":4,\"request\":\"SIOCGIFADDR\"}").status()).isEqualTo(400);

        assertThat(syscall("setsockopt", "{\"fd\":4,\"option\":\"SO_RCVBUF\",\"value\":8192}").<Integer>at("$.ret")).isZero();
        assertThat(syscall("getsockopt", "{\"fd\":4,\"option\":\"SO_RCVBUF\"}").<String>at("$.strace"))
                .isEqualTo("getsockopt(4, SOL_SOCKET, SO_RCVBUF, [16384], [4]) = 0");
        assertThat(syscall("getsockopt", "{\"fd\":4,\"option\":\"TCP_MAXSEG\"}").<String>at("$.strace"))
                .startsWith("getsockopt(4, SOL_TCP, TCP_MAXSEG, [");
    }

    @Test
    void scenario1_packetForPort54322_isRoutedByTupleToFd5() {
        for (int port = 54321; port <= 54323; port++) {
            connect("192.168.1.100", port);
            syscall("accept", "{\"fd\":3}");
        }
        List<Map<String, Object>> connections = http.get(base + "/connections").at("$");
        assertThat(connections).hasSize(3);
        assertThat(http.get(base + "/demux").<Integer>at("$.entries")).isEqualTo(3);

        Http.Reply injected = inject("192.168.1.100", 54322, "P.", 1001, ack("192.168.1.100", 54322), "hello 54322");
        assertThat(injected.<String>at("$.results[0].connection")).isEqualTo("192.168.1.100:54322-10.0.0.50:8080");
        List<String> details = injected.at("$.results[0].steps[*].detail");
        assertThat(details).anyMatch(d -> d.contains("bucket")).anyMatch(d -> d.contains("fd 5"));
        assertThat(syscall("read", "{\"fd\":5}").<String>at("$.data")).isEqualTo("hello 54322");
    }

    @Test
    void scenario3_dataAfterCloseGetsRst() {
        connect("192.168.1.100", 54321);
        syscall("accept", "{\"fd\":3}");
        long ack = ack("192.168.1.100", 54321);
        inject("192.168.1.100", 54321, "F.", 1001, ack, null);
        Http.Reply closed = syscall("close", "{\"fd\":4}");
        assertThat(closed.<String>at("$.sent[0].flags")).isEqualTo("F.");
        inject("192.168.1.100", 54321, ".", 1002, ack + 1, null);
        assertThat(http.get(base + "/connections").<List<?>>at("$")).isEmpty();

        Http.Reply late = inject("192.168.1.100", 54321, "P.", 1002, ack + 1, "still there?");
        assertThat(late.<String>at("$.results[0].verdict")).isEqualTo("reset");
        assertThat(late.<String>at("$.results[0].sent[0].flags")).isEqualTo("R");
        assertThat(late.<Number>at("$.results[0].sent[0].seq").longValue()).isEqualTo(ack + 1);
    }

    @Test
    void blockedRead_returnsWhenAnotherRequestInjectsData() {
        connect("192.168.1.100", 54321);
        syscall("accept", "{\"fd\":3}");
        MvcResult reading = http.start(base + "/processes/" + pid + "/read", "{\"fd\":4}");
        assertThat(reading.getRequest().isAsyncStarted()).isTrue();
        Map<String, Object> thread = http.get(base + "/processes/" + pid).<List<Map<String, Object>>>at("$.threads").get(0);
        assertThat(thread).containsEntry("state", "SLEEPING").containsEntry("waitChannel", "sk_wait_data");

        Http.Reply injected = inject("192.168.1.100", 54321, "P.", 1001, ack("192.168.1.100", 54321), "GET /hello");
        assertThat(injected.<List<String>>at("$.results[0].woke")).hasSize(1);

        Http.Reply read = http.finish(reading);
        assertThat(read.status()).isEqualTo(200);
        assertThat(read.<String>at("$.data")).isEqualTo("GET /hello");
        assertThat(read.<String>at("$.strace")).isEqualTo("read(4, \"GET /hello\", 4096) = 10");
    }

    @Test
    void blockedCallPastItsWaitLimit_answers202WithLink_thenTheResult() {
        connect("192.168.1.100", 54321);
        syscall("accept", "{\"fd\":3}");
        Http.Reply pending = http.post(base + "/processes/" + pid + "/read?wait=0", "{\"fd\":4}");
        assertThat(pending.status()).isEqualTo(202);
        String href = pending.at("$.pending.href");
        assertThat(pending.location()).isEqualTo(href);
        assertThat(http.get(href + "?wait=0").status()).isEqualTo(202);

        inject("192.168.1.100", 54321, "P.", 1001, ack("192.168.1.100", 54321), "late data");
        Http.Reply done = http.get(href);
        assertThat(done.status()).isEqualTo(200);
        assertThat(done.<String>at("$.data")).isEqualTo("late data");
    }

    @Test
    void connection1021_getsEmfile_whileItStaysInTheAcceptQueue() {
        syscall("listen", "{\"fd\":3,\"backlog\":2048}");
        for (int first = 0; first < 1021; first += 1000) {
            int count = Math.min(1000, 1021 - first);
            StringBuilder syns = new StringBuilder("[");
            for (int i = 0; i < count; i++) {
                syns.append(i == 0 ? "" : ",").append(packet("192.168.1.100", 20000 + first + i, "S", 1000, 0, null));
            }
            List<Number> synAckSeqs = http.post(base + "/packets", syns.append(']').toString()).at("$.results[*].sent[0].seq");
            StringBuilder acks = new StringBuilder("[");
            for (int i = 0; i < count; i++) {
                long ack = synAckSeqs.get(i).longValue() + 1;
                acks.append(i == 0 ? "" : ",").append(packet("192.168.1.100", 20000 + first + i, ".", 1001, ack, null));
            }
            List<String> states = http.post(base + "/packets", acks.append(']').toString()).at("$.results[*].state");
            assertThat(states).hasSize(count).containsOnly("ESTABLISHED");
        }
        for (int i = 0; i < 1020; i++) {
            syscall("accept", "{\"fd\":3}");
        }
        Http.Reply refused = syscall("accept", "{\"fd\":3}");
        assertThat(refused.status()).isEqualTo(200);
        assertThat(refused.<Integer>at("$.ret")).isEqualTo(-1);
        assertThat(refused.<String>at("$.errno")).isEqualTo("EMFILE");
        assertThat(refused.<String>at("$.message")).isEqualTo("Too many open files");
        assertThat(http.get(base + "/listeners").<Integer>at("$[0].recvQ")).isEqualTo(1);
    }

    @Test
    void optionsAsTcpdumpPrintsThem_areAccepted_andTheSynAckAnswersInKind() {
        Http.Reply reply = http.post(base + "/packets", "{\"src\":\"192.168.1.100:5000\",\"dst\":\"10.0.0.50:8080\",\"flags\":\"S\",\"seq\":1,"
                + "\"options\":\"mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7\"}");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.<String>at("$.results[0].packet.options")).isEqualTo("mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7");
        assertThat(reply.<String>at("$.results[0].sent[0].summary")).contains("options [mss 1460,sackOK,TS val").contains("ecr 100,nop,wscale 7]");
        Http.Reply tcb = http.get(base + "/connections/192.168.1.100:5000-10.0.0.50:8080");
        assertThat(tcb.<String>at("$.tcb.options")).isEqualTo("ts sack wscale:7,7");
        assertThat(tcb.<Integer>at("$.tcb.rtoMs")).as("no RTT sample before the handshake completes").isEqualTo(1000);
        assertThat(tcb.<String>at("$.tcb.congestionControl")).isEqualTo("cubic");
        assertThat(tcb.<Integer>at("$.tcb.cwnd")).as("RFC 6928 initial window").isEqualTo(10);
        assertThat(tcb.body()).as("ssthresh is infinite, so absent, until the first loss").doesNotContain("\"ssthresh\"");
        assertThat(tcb.<String>at("$.tcb.caState")).isEqualTo("OPEN");
    }

    @Test
    void closeWait_theUnreadFinCountsInRecvQ_untilReadReturnsEof() {
        connect("192.168.1.100", 54321);
        syscall("accept", "{\"fd\":3}");
        inject("192.168.1.100", 54321, "F.", 1001, ack("192.168.1.100", 54321), null);
        assertThat(http.get(base + "/connections?format=text").body()).containsPattern("CLOSE-WAIT\\s+1\\s+0\\s");
        assertThat(syscall("read", "{\"fd\":4}").<Integer>at("$.ret")).isZero();
        assertThat(http.get(base + "/connections?format=text").body()).containsPattern("CLOSE-WAIT\\s+0\\s+0\\s");
    }

    @Test
    void realtimeClock_firesSoRcvtimeoOnItsOwn_andManualIsTheDefault() {
        assertThat(http.get(base + "/clock").<String>at("$.mode")).isEqualTo("manual");
        connect("192.168.1.100", 54321);
        syscall("accept", "{\"fd\":3}");
        syscall("setsockopt", "{\"fd\":4,\"option\":\"SO_RCVTIMEO\",\"value\":300}");
        assertThat(http.send(org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put(base + "/clock")
                .contentType("application/json").content("{\"mode\":\"realtime\"}")).<String>at("$.mode")).isEqualTo("realtime");

        MvcResult reading = http.start(base + "/processes/" + pid + "/read", "{\"fd\":4}");
        Http.Reply timedOut = http.finish(reading); // nobody advances the clock: wall time does
        assertThat(timedOut.<String>at("$.errno")).isEqualTo("EAGAIN");
        assertThat(http.get(base + "/clock").<Integer>at("$.nowMs")).isGreaterThanOrEqualTo(300);
    }

    @Test
    void wireEventsAndListeners_readAsTerminalToolsPrintThem() {
        connect("192.168.1.100", 54321);
        String tcpdump = http.get(base + "/packets?format=text").body();
        assertThat(tcpdump.lines().findFirst().orElseThrow())
                .isEqualTo("0.000000 IP 192.168.1.100.54321 > 10.0.0.50.8080: Flags [S], seq 1000, win 65535, length 0");
        assertThat(tcpdump).contains("IP 10.0.0.50.8080 > 192.168.1.100.54321: Flags [S.], seq ")
                .contains(", ack 1001, win 64240, options [mss 1460], length 0");
        assertThat(http.get(base + "/events?format=text").body()).contains("STATE_CHANGE").contains("SYN_RECV -> ESTABLISHED");
        assertThat(http.get(base + "/listeners?format=text").body())
                .containsPattern("LISTEN\\s+1\\s+128\\s+0\\.0\\.0\\.0:8080\\s+0\\.0\\.0\\.0:\\*");
    }
}
