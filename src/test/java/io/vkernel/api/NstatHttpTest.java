package io.vkernel.api;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Accept-queue drops as an operator sees them: nstat's counters (text and JSON), the drop metric and a drop event;
 * and fcntl's strace line keeping the access mode it was given.
 */
class NstatHttpTest extends HttpKernelTest {

    /** listen(3, 0): the queue holds one connection; client A fills it and client B's SYN is dropped. */
    private void overflowOnce() {
        assertThat(syscall("listen", "{\"fd\":3,\"backlog\":0}").<Integer>at("$.ret")).isZero();
        connect("192.168.1.100", 40001);
        Http.Reply dropped = inject("192.168.1.100", 40002, "S", 5000, 0, null);
        assertThat(dropped.<String>at("$.results[0].drop")).isEqualTo("ACCEPT_QUEUE_FULL");
    }

    @Test
    void nstatText_showsListenOverflowsAndListenDrops_asNstatPrintsThem_zerosLeftOut() {
        overflowOnce();
        String text = http.get(base + "/nstat?format=text").body();
        List<String> lines = text.lines().toList();
        assertThat(lines.get(0)).isEqualTo("#kernel");
        assertThat(lines).contains(
                "TcpPassiveOpens                 1                  0.0",
                "TcpExtListenOverflows           1                  0.0",
                "TcpExtListenDrops               1                  0.0");
        assertThat(text).doesNotContain("TcpExtTCPAbortOnData");
        assertThat(http.get(base + "/nstat?format=text&zeros=true").body()).contains("TcpExtTCPAbortOnData            0 ");
    }

    @Test
    void nstatJson_isKeyedLikeNstatJ() {
        overflowOnce();
        Map<String, Object> counters = http.get(base + "/nstat").at("$.kernel");
        assertThat(counters).containsEntry("TcpExtListenOverflows", 1).containsEntry("TcpExtListenDrops", 1)
                .containsEntry("TcpCurrEstab", 1).doesNotContainKey("TcpExtTCPAbortOnData");
    }

    @Test
    void acceptQueueDrop_isInTheDropMetricAndTheEventLog() {
        overflowOnce();
        String kernel = base.substring(base.lastIndexOf('/') + 1);
        Http.Reply metric = http.get("/actuator/metrics/vkernel.packets.dropped?tag=kernel:" + kernel + "&tag=reason:ACCEPT_QUEUE_FULL");
        assertThat(((Number) metric.at("$.measurements[0].value")).doubleValue()).isEqualTo(1.0);
        Http.Reply overflows = http.get("/actuator/metrics/vkernel.nstat?tag=kernel:" + kernel + "&tag=counter:TcpExtListenOverflows");
        assertThat(((Number) overflows.at("$.measurements[0].value")).doubleValue()).isEqualTo(1.0);
        assertThat(http.get(base + "/events?format=text&limit=10000").body()).contains("PACKET_DROP").contains("ACCEPT_QUEUE_FULL");
    }

    @Test
    void nstat_badFormat_isAProblemNamingTheField() {
        Http.Reply reply = http.get(base + "/nstat?format=xml");
        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.body()).contains("format");
    }

    @Test
    void fcntlSetfl_tracesTheAccessModeItWasGiven_andGetflShowsORdwrOnANonBlockingFile() {
        Http.Reply set = syscall("fcntl", "{\"fd\":3,\"cmd\":\"F_SETFL\",\"flags\":[\"O_RDWR\",\"O_NONBLOCK\"]}");
        assertThat(set.<String>at("$.strace")).isEqualTo("fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0");
        Http.Reply get = syscall("fcntl", "{\"fd\":3,\"cmd\":\"F_GETFL\"}");
        assertThat(get.<String>at("$.strace")).isEqualTo("fcntl(3, F_GETFL) = 0x802 (flags O_RDWR|O_NONBLOCK)");
        Http.Reply only = syscall("fcntl", "{\"fd\":3,\"cmd\":\"F_SETFL\",\"flags\":[\"O_NONBLOCK\"]}");
        assertThat(only.<String>at("$.strace")).isEqualTo("fcntl(3, F_SETFL, O_RDONLY|O_NONBLOCK) = 0");
        Http.Reply two = syscall("fcntl", "{\"fd\":3,\"cmd\":\"F_SETFL\",\"flags\":[\"O_RDWR\",\"O_WRONLY\"]}");
        assertThat(two.status()).isEqualTo(400);
        assertThat(two.body()).contains("flags").contains("one access mode");
    }
}
