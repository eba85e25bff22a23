package io.vkernel.api;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.test.web.servlet.MockMvc;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The seed's scenarios over HTTP, as a learner reads them: the FD numbers, states, packets and errnos each run
 * shows, and the narration saying what Linux does where the seed differs. Every run's kernel is deleted after the
 * test, as a tidy learner would.
 */
@SpringBootTest
@AutoConfigureMockMvc
class ScenariosHttpTest {

    @Autowired
    MockMvc mvc;

    private Http http;
    private final List<String> kernels = new ArrayList<>();

    @BeforeEach
    void client() {
        http = new Http(mvc);
    }

    @AfterEach
    void deleteKernels() {
        for (String k : kernels) {
            http.send(org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete("/api/v1/kernels/" + k));
        }
    }

    /** One run's body with paths into its steps (0-based, as the array is). */
    record Run(Http.Reply reply) {
        <T> T at(String path) {
            return reply.at(path);
        }

        String narration(int step) {
            return at("$.steps[" + step + "].narration");
        }

        String title(int step) {
            return at("$.steps[" + step + "].title");
        }

        List<String> actions(int step) {
            return at("$.steps[" + step + "].actions[*].text");
        }

        List<String> kinds(int step) {
            return at("$.steps[" + step + "].actions[*].kind");
        }

        List<String> sentFlags(int step) {
            return at("$.steps[" + step + "].sent[*].flags");
        }

        List<String> states(int step) {
            return at("$.steps[" + step + "].state.connections[*].state");
        }

        List<String> owners(int step) {
            return at("$.steps[" + step + "].state.connections[*].owner");
        }

        List<String> fds(int step) {
            return at("$.steps[" + step + "].state.server.fds[*].file");
        }

        int steps() {
            return at("$.steps.length()");
        }
    }

    private Run run(String id) {
        Http.Reply reply = http.post("/api/v1/scenarios/" + id + "/runs", null);
        assertThat(reply.status()).as(reply.body()).isEqualTo(201);
        String kernel = reply.at("$.kernel");
        kernels.add(kernel);
        assertThat(reply.location()).isEqualTo("/api/v1/kernels/" + kernel);
        return new Run(reply);
    }

    @Test
    void list_namesEveryWalkThroughWithItsSeedSectionAndHowToRunIt() {
        Http.Reply reply = http.get("/api/v1/scenarios");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.<List<String>>at("$[*].id")).containsExactly("big-picture", "fd-timeline",
                "scenario-1-same-client", "scenario-2-fd-reuse", "scenario-3-packet-after-close",
                "scenario-4-simultaneous-close", "rst-on-timeout", "fd-limit", "misconception-1-fd-routes-packets",
                "misconception-2-same-client-same-fd", "misconception-3-close-is-instantaneous",
                "misconception-4-fd-identifies-client");
        assertThat(reply.<List<String>>at("$[*].seedSection")).allMatch(s -> !s.isBlank())
                .contains("Example Scenarios: Scenario 4: Simultaneous Close", "Performance Implications: FD Limit Impact");
        assertThat(reply.<List<String>>at("$[*].summary")).allMatch(s -> s.length() > 100);
        assertThat(reply.<String>at("$[7].run")).isEqualTo("/api/v1/scenarios/fd-limit/runs");
        assertThat(http.get("/api/v1/scenarios/rst-on-timeout").<String>at("$.title")).contains("RST");
    }

    @Test
    void unknownScenario_isA404ProblemListingTheIds() {
        for (Http.Reply reply : List.of(http.post("/api/v1/scenarios/scenario-5/runs", null), http.get("/api/v1/scenarios/scenario-5"))) {
            assertThat(reply.status()).isEqualTo(404);
            assertThat(reply.contentType()).isEqualTo("application/problem+json");
            assertThat(reply.<String>at("$.type")).isEqualTo("https://vkernel.dev/problems/scenario-not-found");
            assertThat(reply.<String>at("$.detail")).contains("'scenario-5'").contains("big-picture").contains("fd-limit")
                    .contains("misconception-4-fd-identifies-client");
        }
    }

    @Test
    void badFormat_isA400Problem() {
        Http.Reply reply = http.post("/api/v1/scenarios/big-picture/runs?format=yaml", null);
        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.<String>at("$.field")).isEqualTo("format");
    }

    @Test
    void body_namesAndSeedsTheKernel_andATakenOrBadIdIsAProblem() {
        Http.Reply named = http.post("/api/v1/scenarios/scenario-3-packet-after-close/runs", "{\"kernel\":\"alice-s3\",\"seed\":7}");
        assertThat(named.status()).isEqualTo(201);
        kernels.add("alice-s3");
        assertThat(named.<String>at("$.kernel")).isEqualTo("alice-s3");
        assertThat(named.<Integer>at("$.seed")).isEqualTo(7);
        assertThat(named.<String>at("$.links.connections")).isEqualTo("/api/v1/kernels/alice-s3/connections");
        Run seeded = new Run(named);
        Run defaultSeed = run("scenario-3-packet-after-close");
        assertThat(seeded.<Number>at("$.steps[2].sent[0].seq")).as("another seed, another ISN")
                .isNotEqualTo(defaultSeed.<Number>at("$.steps[2].sent[0].seq"));

        Http.Reply taken = http.post("/api/v1/scenarios/scenario-3-packet-after-close/runs", "{\"kernel\":\"alice-s3\"}");
        assertThat(taken.status()).isEqualTo(409);
        assertThat(taken.<String>at("$.field")).isEqualTo("kernel");

        Http.Reply bad = http.post("/api/v1/scenarios/scenario-3-packet-after-close/runs", "{\"kernel\":\"Alice S3!\"}");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.contentType()).isEqualTo("application/problem+json");
        assertThat(bad.<String>at("$.field")).isEqualTo("kernel");
        assertThat(bad.<String>at("$.detail")).contains("lowercase letters");

        Http.Reply unknownField = http.post("/api/v1/scenarios/scenario-3-packet-after-close/runs", "{\"speed\":2}");
        assertThat(unknownField.status()).isEqualTo(400);
        assertThat(unknownField.<String>at("$.detail")).contains("'speed'").contains("kernel, seed");
    }

    @Test
    void bigPicture_requestWakesTheBlockedRead_andTheKernelStaysToExplore() {
        Run run = run("big-picture");
        assertThat(run.<Integer>at("$.serverPid")).isEqualTo(12345);
        assertThat(run.actions(0)).contains("socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 3", "listen(3, 128) = 0");

        assertThat(run.actions(1)).anyMatch(a -> a.startsWith("accept(3, ") && a.endsWith("= 4"));
        assertThat(run.sentFlags(1)).containsExactly("S.");
        assertThat(run.narration(1)).contains("FD #7").contains("lowest free").contains("bucket");

        assertThat(run.kinds(2)).containsExactly("syscall-blocked");
        assertThat(run.actions(2)).containsExactly("read(4, <unfinished ...>");
        assertThat(run.<String>at("$.steps[2].state.server.threads[0].state")).isEqualTo("SLEEPING");
        assertThat(run.<String>at("$.steps[2].state.server.threads[0].waitChannel")).isEqualTo("sk_wait_data");

        assertThat(run.kinds(3)).containsExactly("packet-in", "syscall-resumed");
        assertThat(run.actions(3).get(1)).startsWith("read(4, \"GET /hello HTTP/1.1\\r\\n").endsWith(" = 245");
        assertThat(run.<List<String>>at("$.steps[3].actions[0].kernelPath")).anyMatch(p -> p.startsWith("demux.hash: jhash("))
                .anyMatch(p -> p.startsWith("wake: "));
        assertThat(run.sentFlags(3)).containsExactly(".");
        assertThat(run.<Integer>at("$.steps[3].sent[0].ack")).isEqualTo(1246);
        String arrival = run.narration(3);
        assertThat(arrival).contains("285-byte packet").contains("RCV.NXT becomes 1246").contains("held by pid 12345 fd 4")
                .contains("131072 bytes").contains("~131 KB");
        String bucket = String.valueOf(run.<Integer>at("$.steps[3].state.connections[0].bucket"));
        assertThat(arrival).contains("= " + bucket + ";");
        assertThat(run.<String>at("$.steps[3].state.server.threads[0].state")).isEqualTo("RUNNING");
        assertThat(run.sentFlags(4)).containsExactly("P.");

        String links = run.<String>at("$.links.connections");
        Http.Reply connections = http.get(links);
        assertThat(connections.status()).isEqualTo(200);
        assertThat(connections.<List<String>>at("$[*].state")).containsExactly("ESTABLISHED");
        assertThat(http.get(run.<String>at("$.links.fds")).<List<Integer>>at("$[*].fd")).containsExactly(0, 1, 2, 3, 4);
    }

    @Test
    void fdTimeline_acceptWakesWithFd4ThenFd5_andFd4IsReusedForClientC() {
        Run run = run("fd-timeline");
        assertThat(run.actions(0)).last().isEqualTo("accept(3, <unfinished ...>");
        assertThat(run.<String>at("$.steps[0].state.server.threads[0].waitChannel")).isEqualTo("inet_csk_accept");

        assertThat(run.<String>at("$.steps[1].time")).isEqualTo("t=1 - t=1.1");
        assertThat(run.kinds(1)).containsExactly("packet-in", "packet-in", "syscall-resumed");
        assertThat(run.actions(1).get(2)).contains("192.168.1.100").endsWith("= 4");
        assertThat(run.narration(1)).contains("says FD 7").contains("Linux gives 4");
        assertThat(run.actions(2)).last().asString().contains("192.168.1.200").endsWith("= 5");

        assertThat(run.actions(5)).contains("read(4, \"\", 4096) = 0", "close(4) = 0");
        assertThat(run.states(5)).containsExactly("LAST_ACK", "ESTABLISHED");
        assertThat(run.owners(5).get(0)).startsWith("orphan");
        assertThat(run.states(6)).containsExactly("ESTABLISHED");

        assertThat(run.<String>at("$.steps[7].time")).isEqualTo("t=6");
        assertThat(run.actions(7)).last().asString().contains("55555").endsWith("= 4");
        assertThat(run.fds(7)).anyMatch(f -> f.contains("->192.168.1.150:55555 (ESTABLISHED)"));
        assertThat(run.<Number>at("$.steps[7].clockMs").longValue()).isEqualTo(6000L);
    }

    @Test
    void scenario1_threeConnectionsThreeFdsThreeBuckets_packetReachesOnlyItsOwn() {
        Run run = run("scenario-1-same-client");
        for (int i = 0; i < 3; i++) {
            assertThat(run.title(1 + i)).isEqualTo("Connection " + (i + 1) + ": 192.168.1.100:" + (54321 + i) + " gets FD " + (4 + i));
        }
        List<Integer> buckets = run.at("$.steps[3].state.connections[*].bucket");
        assertThat(buckets).doesNotHaveDuplicates().hasSize(3);
        assertThat(run.narration(3)).contains("0x1A2B, 0x1A2C, 0x1A2D").contains("same bucket, 7878")
                .contains("buckets " + buckets.get(0) + ", " + buckets.get(1) + " and " + buckets.get(2));

        assertThat(run.actions(4)).contains("read(5, \"GET /from-54322 HTTP/1.1\\r\\n\\r\\n\", 4096) = 28");
        assertThat(run.<List<Integer>>at("$.steps[4].state.connections[*].recvQ")).containsExactly(0, 0, 0);
        assertThat(run.narration(4)).contains("bucket " + buckets.get(1) + " chain").contains("Recv-Q 0 on FD 4 and 0 on FD 6");
    }

    @Test
    void scenario2_serverClosesFirst_fdReusedAtOnce_whileTimeWaitHoldsTheOldTupleFor60s() {
        Run run = run("scenario-2-fd-reuse");
        assertThat(run.actions(3)).containsExactly("close(4) = 0");
        assertThat(run.sentFlags(3)).containsExactly("F.");
        assertThat(run.states(3)).containsExactly("FIN_WAIT1");
        assertThat(run.fds(3)).noneMatch(f -> f.contains("192.168.1.100"));

        assertThat(run.states(4)).containsExactly("TIME_WAIT");
        assertThat(run.<String>at("$.steps[4].state.connections[0].timer")).isEqualTo("time-wait in 60000 ms");
        assertThat(run.narration(4)).contains("Removed from hash table").contains("stays in the established hash table in TIME_WAIT for 60 s");

        assertThat(run.actions(5)).last().asString().contains("192.168.1.200").endsWith("= 4");
        assertThat(run.states(5)).containsExactly("TIME_WAIT", "ESTABLISHED");
        assertThat(run.owners(5)).containsExactly("orphan: no FD (closed by the application)", "pid 12345 (server) fd 4");
        assertThat(run.<String>at("$.steps[5].state.connections[0].timer")).isEqualTo("time-wait in 59100 ms");

        assertThat(run.<String>at("$.steps[6].time")).isEqualTo("t=62.1");
        assertThat(run.kinds(6)).containsExactly("clock");
        assertThat(run.<List<String>>at("$.steps[6].actions[0].kernelPath")).anyMatch(p -> p.contains("TIME_WAIT expired after 60 s"));
        assertThat(run.<List<String>>at("$.steps[6].state.connections[*].tuple")).containsExactly("192.168.1.200:48000-10.0.0.50:8080");
        assertThat(run.narration(6)).contains("TCP_TIMEWAIT_LEN");
    }

    @Test
    void scenario3_dataAfterCloseGetsRst_firstFromTheOrphanThenFromTheListener() {
        Run run = run("scenario-3-packet-after-close");
        assertThat(run.states(2)).containsExactly("FIN_WAIT1");
        assertThat(run.narration(2)).contains("The seed says the socket is removed").contains("Linux keeps it");

        long ourFin = run.<Number>at("$.steps[2].sent[0].seq").longValue();
        assertThat(run.<String>at("$.steps[3].actions[0].text")).contains("ack " + ourFin).contains("\"more data\"");
        assertThat(run.<String>at("$.steps[3].actions[0].verdict")).isEqualTo("reset");
        assertThat(run.sentFlags(3)).as("tcp_v4_send_reset(): <SEQ=SEG.ACK>, no ACK flag").containsExactly("R");
        assertThat(run.<Number>at("$.steps[3].sent[0].seq").longValue()).isEqualTo(ourFin);
        assertThat(run.states(3)).isEmpty();
        assertThat(run.narration(3)).contains("the lookup succeeds").contains("ECONNRESET");

        assertThat(run.sentFlags(4)).containsExactly("R");
        assertThat(run.<Number>at("$.steps[4].sent[0].seq").longValue()).as("<SEQ=SEG.ACK>").isEqualTo(ourFin);
        assertThat(run.<List<String>>at("$.steps[4].actions[0].kernelPath")).anyMatch(p -> p.startsWith("demux.listener"));
    }

    @Test
    void scenario4_finsCross_closingThenTimeWait_untilExactly60sLater() {
        Run run = run("scenario-4-simultaneous-close");
        assertThat(run.sentFlags(2)).containsExactly("F.", ".");
        assertThat(run.states(2)).containsExactly("CLOSING");
        assertThat(run.states(3)).containsExactly("TIME_WAIT");
        assertThat(run.narration(3)).contains("both sides enter TIME_WAIT").contains("because the close was simultaneous")
                .contains("only that side waits in TIME_WAIT");
        assertThat(run.sentFlags(4)).as("an old SYN in TIME_WAIT gets an ACK, not a SYN-ACK").containsExactly(".");
        assertThat(run.states(4)).containsExactly("TIME_WAIT");
        assertThat(run.narration(5)).contains("At t=60.999 the entry was still TIME_WAIT (time-wait in 1 ms)");
        assertThat(run.states(5)).isEmpty();
        assertThat(run.<Number>at("$.steps[5].clockMs").longValue()).isEqualTo(61_000L);
    }

    @Test
    void rstOnTimeout_linuxGivesEagain_closeSendsFin_andRstOnlyWhenUnreadDataIsDiscarded() {
        Run run = run("rst-on-timeout");
        assertThat(run.actions(3)).containsExactly("read(4, \"GET /hello\", 4096) = 10",
                "setsockopt(4, SOL_SOCKET, SO_RCVTIMEO, {tv_sec=30, tv_usec=0}, 16) = 0", "read(4, <unfinished ...>");

        assertThat(run.<String>at("$.steps[4].time")).isEqualTo("t=32");
        assertThat(run.actions(4)).last().isEqualTo("read(4, ..., 4096) = -1 EAGAIN (Resource temporarily unavailable)");
        assertThat(run.<List<String>>at("$.steps[4].actions[0].kernelPath")).anyMatch(p -> p.contains("SO_RCVTIMEO expired"));
        assertThat(run.title(4)).endsWith("returns EAGAIN");
        assertThat(run.narration(4)).contains("The seed says conn.Read() returns ETIMEDOUT; Linux returns EAGAIN");
        assertThat(run.sentFlags(4)).isEmpty();
        assertThat(run.states(4)).containsExactly("ESTABLISHED");

        assertThat(run.sentFlags(5)).containsExactly("F.");
        assertThat(run.narration(5)).contains("The seed has the server send RST here").contains("FIN");
        assertThat(run.states(6)).containsExactly("TIME_WAIT");

        assertThat(run.<List<Integer>>at("$.steps[7].state.connections[*].recvQ")).containsExactly(0, 11);
        assertThat(run.sentFlags(8)).containsExactly("R.");
        assertThat(run.<List<String>>at("$.steps[8].actions[0].kernelPath")).contains(
                "tcp.close: 11 unread bytes discarded: RST instead of FIN (RFC 2525 §2.17)");
        assertThat(run.states(8)).containsExactly("TIME_WAIT");
    }

    @Test
    void fdLimit_connection1021GetsEmfile_staysQueued_andTakesTheFirstFreedFd() {
        Run run = run("fd-limit");
        assertThat(run.title(1)).isEqualTo("1020 connections accepted: FDs 4 to 1023");
        assertThat(run.<Integer>at("$.steps[1].state.server.openFds")).isEqualTo(1024);
        assertThat(run.<Integer>at("$.steps[1].state.server.fdLimit")).isEqualTo(1024);
        assertThat(run.<Integer>at("$.steps[1].state.connectionCount")).isEqualTo(1020);
        assertThat(run.<Integer>at("$.steps[1].sentOmitted")).isEqualTo(1008);
        assertThat(run.<List<Integer>>at("$.steps[1].state.server.fds[*].fd")).containsExactly(0, 1, 2, 3, 4, 1019, 1020, 1021, 1022, 1023);

        assertThat(run.<List<String>>at("$.steps[2].state.listeners[0].acceptQueue")).containsExactly("192.168.1.150:55555");
        assertThat(run.actions(3)).containsExactly("accept(3, ...) = -1 EMFILE (Too many open files)");
        assertThat(run.sentFlags(3)).isEmpty();
        assertThat(run.<Integer>at("$.steps[3].state.listeners[0].acceptQueueLength")).isEqualTo(1);
        assertThat(run.narration(3)).contains("Connection #1021: FAILS!").contains("not lost").contains("stays readable");

        assertThat(run.owners(4)).last().asString().isEqualTo("accept queue of 0.0.0.0:8080: no FD until accept()");
        assertThat(run.<List<Integer>>at("$.steps[4].state.connections[*].recvQ")).last().isEqualTo(18);

        assertThat(run.actions(5)).containsExactly("close(4) = 0",
                "accept(3, {sa_family=AF_INET, sin_port=htons(55555), sin_addr=inet_addr(\"192.168.1.150\")}, [16]) = 4",
                "read(4, \"GET / HTTP/1.1\\r\\n\\r\\n\", 4096) = 18");
        assertThat(run.<Integer>at("$.steps[5].state.listeners[0].acceptQueueLength")).isZero();
    }

    @Test
    void misconception1_dataReachesAConnectionWithNoFd_andOneSocketWithTwoFds() {
        Run run = run("misconception-1-fd-routes-packets");
        assertThat(run.owners(2)).containsExactly("accept queue of 0.0.0.0:8080: no FD until accept()");
        assertThat(run.<List<Integer>>at("$.steps[2].state.connections[*].recvQ")).containsExactly(10);
        assertThat(run.sentFlags(2)).containsExactly(".");
        assertThat(run.actions(3)).contains("read(4, \"GET /early\", 4096) = 10");
        assertThat(run.actions(4)).contains("dup(4) = 5", "read(5, \"GET /more\", 4096) = 9");
        assertThat(run.owners(4)).containsExactly("pid 12345 (server) fds 4, 5");
        assertThat(run.fds(4)).filteredOn(f -> f.contains("shared by 2 FDs")).hasSize(2);
    }

    @Test
    void misconception2_oneClientThreeFds_andItsFreedNumberGoesToAnotherClient() {
        Run run = run("misconception-2-same-client-same-fd");
        assertThat(run.actions(1)).filteredOn(a -> a.startsWith("accept")).extracting(a -> a.substring(a.lastIndexOf(' ') + 1))
                .containsExactly("4", "5", "6");
        assertThat(run.states(2)).hasSize(2);
        assertThat(run.actions(3)).last().asString().contains("192.168.1.200").endsWith("= 5");
        assertThat(run.actions(4)).last().asString().contains("54324").endsWith("= 7");
        assertThat(run.narration(4)).contains("FD 5, which it had a moment ago, belongs to Client B");
    }

    @Test
    void misconception3_closeReturnsAtOnce_butTheConnectionLingers64s() {
        Run run = run("misconception-3-close-is-instantaneous");
        assertThat(run.actions(2)).containsExactly("close(4) = 0");
        assertThat(run.<List<String>>at("$.steps[2].actions[0].kernelPath")).anyMatch(p -> p.contains("fd 4 (socket:["))
                .anyMatch(p -> p.contains("ESTABLISHED -> FIN_WAIT1"));
        assertThat(run.fds(2)).noneMatch(f -> f.contains("192.168.1.100"));
        assertThat(run.states(2)).containsExactly("FIN_WAIT1");
        assertThat(run.states(3)).containsExactly("FIN_WAIT2");
        assertThat(run.<String>at("$.steps[3].state.connections[0].timer")).isEqualTo("fin-wait-2 in 60000 ms");
        assertThat(run.states(4)).containsExactly("TIME_WAIT");
        assertThat(run.narration(4)).contains("exactly 60 s (not '60-120 s')");
        assertThat(run.states(5)).isEmpty();
        assertThat(run.<Number>at("$.steps[5].clockMs").longValue()).isEqualTo(65_000L);
        assertThat(run.states(6)).containsExactly("FIN_WAIT2");
        assertThat(run.states(7)).isEmpty();
        assertThat(run.<List<String>>at("$.steps[7].actions[0].kernelPath")).anyMatch(p -> p.contains("tcp_fin_timeout"));
    }

    @Test
    void misconception4_fd4NamesAnotherHostAfterClose_andDupGivesOneConnectionTwoFds() {
        Run run = run("misconception-4-fd-identifies-client");
        assertThat(run.fds(1)).anyMatch(f -> f.contains("->192.168.1.100:54321 (ESTABLISHED)"));
        assertThat(run.actions(2)).last().asString().contains("54322").endsWith("= 5");
        assertThat(run.actions(4)).last().asString().contains("192.168.1.150").endsWith("= 4");
        assertThat(run.states(4)).containsExactly("TIME_WAIT", "ESTABLISHED", "ESTABLISHED");
        assertThat(run.owners(5)).containsExactly("orphan: no FD (closed by the application)", "pid 12345 (server) fds 5, 6",
                "pid 12345 (server) fd 4");
    }

    @Test
    void textFormat_printsATranscript() {
        Http.Reply reply = http.post("/api/v1/scenarios/scenario-3-packet-after-close/runs?format=text", null);
        assertThat(reply.status()).isEqualTo(201);
        kernels.add(reply.location().substring("/api/v1/kernels/".length()));
        assertThat(reply.contentType()).isEqualTo("text/plain;charset=UTF-8");
        assertThat(reply.body()).contains("Scenario 3: a packet after close gets RST").contains("$ close(4) = 0")
                .contains("Flags [R]").contains("| ");
    }

    @Test
    void transcript_marksInboundWithLessThan_outboundWithGreaterThan_eachReplyRightAfterWhatCausedIt() {
        Http.Reply reply = http.post("/api/v1/scenarios/scenario-3-packet-after-close/runs?format=text", null);
        kernels.add(reply.location().substring("/api/v1/kernels/".length()));
        java.util.List<String> lines = reply.body().lines().toList();
        // packetdrill's convention: '<' a packet the kernel receives, '>' one it sends.
        int syn = indexOf(lines, "  < 192.168.1.100:54321 > 10.0.0.50:8080: Flags [S],");
        int synAck = indexOf(lines, "  > 10.0.0.50:8080 > 192.168.1.100:54321: Flags [S.],");
        int ack = indexOf(lines, "  < 192.168.1.100:54321 > 10.0.0.50:8080: Flags [.],");
        assertThat(synAck).as("the SYN-ACK follows the SYN, before the client's ACK:\n" + reply.body()).isEqualTo(syn + 1);
        assertThat(ack).isGreaterThan(synAck);
        int close = indexOf(lines, "  $ close(4) = 0");
        assertThat(lines.get(close + 1)).startsWith("  > 10.0.0.50:8080 > 192.168.1.100:54321: Flags [F.],");
        int lateData = indexOf(lines, "  < 192.168.1.100:54321 > 10.0.0.50:8080: Flags [P.],");
        assertThat(lines.get(lateData + 1)).startsWith("  > 10.0.0.50:8080 > 192.168.1.100:54321: Flags [R],");
    }

    private static int indexOf(java.util.List<String> lines, String prefix) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(prefix)) {
                return i;
            }
        }
        throw new AssertionError("no line starting with '" + prefix + "' in\n" + String.join("\n", lines));
    }

    @Test
    void everyScenario_narratesEveryStep_andLeavesASoundKernel() {
        for (String id : http.get("/api/v1/scenarios").<List<String>>at("$[*].id")) {
            Run run = run(id);
            assertThat(run.steps()).as(id).isGreaterThanOrEqualTo(4);
            assertThat(run.<List<String>>at("$.steps[*].narration")).as(id).allMatch(n -> n.length() > 60);
            assertThat(run.<List<String>>at("$.steps[*].time")).as(id).allMatch(t -> t.equals("setup") || t.startsWith("t="));
            Http.Reply check = http.get(run.<String>at("$.links.kernel") + "/check");
            assertThat(check.<Boolean>at("$.ok")).as(id + ": " + check.body()).isTrue();
        }
    }

    @Test
    void runsAreRepeatable_sameSeedSameNumbers() {
        Run first = run("scenario-4-simultaneous-close");
        Run second = run("scenario-4-simultaneous-close");
        assertThat(first.<String>at("$.kernel")).isNotEqualTo(second.<String>at("$.kernel"));
        assertThat(first.<List<Map<String, Object>>>at("$.steps[*].sent")).isEqualTo(second.<List<Map<String, Object>>>at("$.steps[*].sent"));
        assertThat(first.narration(2)).isEqualTo(second.narration(2));
    }
}
