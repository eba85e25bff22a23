package io.vkernel.api;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The kernel counters an operator scrapes: packets in and out, drops by reason, connections by state, open FDs. */
class MetricsHttpTest extends HttpKernelTest {

    @Test
    void actuatorMetrics_countPacketsConnectionsDropsAndFds_perKernel() {
        connect("192.168.1.100", 54321);
        syscall("accept", "{\"fd\":3}");
        inject("192.168.1.100", 9, "S", 1, 0, null); // a second SYN: a request in SYN_RECV
        http.post(base + "/packets", "{\"src\":\"192.168.1.100:1\",\"dst\":\"10.0.0.50:9999\",\"flags\":\"S\"}");
        String kernel = base.substring(base.lastIndexOf('/') + 1);

        assertThat(metric("vkernel.packets.in", "kernel:" + kernel)).isEqualTo(4.0);
        assertThat(metric("vkernel.packets.out", "kernel:" + kernel)).as("two SYN-ACKs and a RST").isEqualTo(3.0);
        assertThat(metric("vkernel.packets.dropped", "kernel:" + kernel, "reason:NO_SOCKET")).isEqualTo(1.0);
        assertThat(metric("vkernel.connections", "kernel:" + kernel, "state:ESTABLISHED")).isEqualTo(1.0);
        assertThat(metric("vkernel.connections", "kernel:" + kernel, "state:SYN_RECV")).isEqualTo(1.0);
        assertThat(metric("vkernel.fds.open", "kernel:" + kernel)).as("0, 1, 2, the listener and the connection").isEqualTo(5.0);

        String prometheus = http.get("/actuator/prometheus").body();
        assertThat(prometheus).contains("vkernel_packets_in_total{kernel=\"" + kernel + "\"} 4.0");
        assertThat(http.get("/actuator/health").body()).contains("UP");
    }

    @Test
    void actuatorMetrics_countRetransmissionsAndTimeouts_asNstatNamesThem() {
        connect("192.168.1.100", 54321);
        syscall("accept", "{\"fd\":3}");
        syscall("write", "{\"fd\":4,\"data\":\"never acknowledged\"}");
        advance(250); // the handshake took no time: RTO 200 ms, then 400 ms
        String kernel = base.substring(base.lastIndexOf('/') + 1);

        assertThat(metric("vkernel.nstat", "kernel:" + kernel, "counter:TcpExtTCPTimeouts")).isEqualTo(1.0);
        assertThat(metric("vkernel.nstat", "kernel:" + kernel, "counter:TcpRetransSegs")).isEqualTo(1.0);
        assertThat(metric("vkernel.nstat", "kernel:" + kernel, "counter:TcpExtTCPLossProbes"))
                .as("no SACK on this connection: no tail loss probe").isEqualTo(0.0);
        advance(400);
        assertThat(metric("vkernel.nstat", "kernel:" + kernel, "counter:TcpRetransSegs")).isEqualTo(2.0);
    }

    private double metric(String name, String... tags) {
        StringBuilder url = new StringBuilder("/actuator/metrics/" + name + "?");
        for (String tag : tags) {
            url.append("tag=").append(tag).append('&');
        }
        Http.Reply reply = http.get(url.toString());
        assertThat(reply.status()).as(url + " " + reply.body()).isEqualTo(200);
        return ((Number) reply.at("$.measurements[0].value")).doubleValue();
    }
}
