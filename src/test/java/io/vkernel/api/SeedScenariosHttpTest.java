package io.vkernel.api;

import org.junit.jupiter.api.Test;
import org.springframework.test.web.servlet.MvcResult;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The seed's Scenarios 2, 3 and 4 and its "RST on timeout" timeline, over HTTP, with Linux's outcome. */
class SeedScenariosHttpTest extends HttpKernelTest {

    @Test
    void scenario2_fdIsReusedAtOnce_whileTheServersTimeWaitStillHoldsTheOldTuple() {
        connect("192.168.1.100", 54321);
        assertThat(syscall("accept", "{\"fd\":3}").<Integer>at("$.ret")).isEqualTo(4);
        long ackA = ack("192.168.1.100", 54321);

        // the server closes first: FIN_WAIT1, then the client's ACK and FIN put it in TIME_WAIT
        assertThat(syscall("close", "{\"fd\":4}").<String>at("$.sent[0].flags")).isEqualTo("F.");
        inject("192.168.1.100", 54321, ".", 1001, ackA + 1, null);
        inject("192.168.1.100", 54321, "F.", 1001, ackA + 1, null);
        assertThat(connectionStates()).containsExactly("TIME_WAIT");

        connect("192.168.1.200", 48000);
        Http.Reply b = syscall("accept", "{\"fd\":3}");
        assertThat(b.<Integer>at("$.ret")).as("FD 4 reused by client B").isEqualTo(4);
        assertThat(connectionStates()).containsExactlyInAnyOrder("TIME_WAIT", "ESTABLISHED");
        String tw = http.get(base + "/connections/192.168.1.100:54321-10.0.0.50:8080").at("$.timer");
        assertThat(tw).startsWith("time-wait in 60000 ms");

        advance(60_000);
        assertThat(connectionStates()).containsExactly("ESTABLISHED");
    }

    @Test
    void scenario3_afterTheServersCloseTheClientsLateDataGetsRst() {
        connect("192.168.1.100", 54321);
        syscall("accept", "{\"fd\":3}");
        long ack = ack("192.168.1.100", 54321);
        syscall("close", "{\"fd\":4}");
        // the client has not seen the FIN yet and sends data: the orphaned connection answers with RST
        Http.Reply late = inject("192.168.1.100", 54321, "P.", 1001, ack, "more data");
        assertThat(late.<String>at("$.results[0].sent[0].flags")).as("answered from the segment: <SEQ=SEG.ACK><CTL=RST>").isEqualTo("R");
        assertThat(late.<Number>at("$.results[0].sent[0].seq").longValue()).isEqualTo(ack);
        assertThat(late.<List<String>>at("$.results[0].steps[*].detail")).anyMatch(d -> d.contains("already closed"));
        assertThat(connectionStates()).isEmpty();
    }

    @Test
    void scenario4_simultaneousClose_goesThroughClosingToTimeWait() {
        connect("192.168.1.100", 54321);
        syscall("accept", "{\"fd\":3}");
        long ack = ack("192.168.1.100", 54321);
        syscall("close", "{\"fd\":4}");
        // the client's FIN crosses ours: it does not acknowledge our FIN yet
        Http.Reply crossing = inject("192.168.1.100", 54321, "F.", 1001, ack, null);
        assertThat(crossing.<String>at("$.results[0].state")).isEqualTo("CLOSING");
        Http.Reply ackOfOurFin = inject("192.168.1.100", 54321, ".", 1002, ack + 1, null);
        assertThat(ackOfOurFin.<String>at("$.results[0].state")).isEqualTo("TIME_WAIT");
        advance(59_999);
        assertThat(connectionStates()).containsExactly("TIME_WAIT");
        advance(1);
        assertThat(connectionStates()).isEmpty();
    }

    @Test
    void rstOnTimeout_timeline_linuxGivesEagain_andCloseSendsFin() {
        connect("192.168.1.100", 54321);
        syscall("accept", "{\"fd\":3}");
        long ack = ack("192.168.1.100", 54321);
        inject("192.168.1.100", 54321, "P.", 1001, ack, "GET /hello");
        assertThat(syscall("read", "{\"fd\":4}").<String>at("$.data")).isEqualTo("GET /hello");
        syscall("setsockopt", "{\"fd\":4,\"option\":\"SO_RCVTIMEO\",\"value\":30000}");

        MvcResult reading = http.start(base + "/processes/" + pid + "/read", "{\"fd\":4}");
        advance(30_000);
        Http.Reply timedOut = http.finish(reading);
        assertThat(timedOut.<String>at("$.errno")).as("the seed says ETIMEDOUT; Linux says EAGAIN").isEqualTo("EAGAIN");

        Http.Reply closed = syscall("close", "{\"fd\":4}");
        assertThat(closed.<String>at("$.sent[0].flags")).as("no unread data, so FIN, not RST").isEqualTo("F.");
    }
}
