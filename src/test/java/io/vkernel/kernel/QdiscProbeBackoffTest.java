package io.vkernel.kernel;

import io.vkernel.kernel.tcp.TcpInfo;
import io.vkernel.kernel.tcp.TcpState;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * tcp_send_probe0() once the qdisc takes packets again while the peer's window is closed: the probe sends nothing
 * that moves SND.NXT, so icsk_probes_out counts on and the timer backs off like the RTO (tcp_probe0_when(): max(RTO,
 * 200 ms) << backoff), so a peer that keeps its window closed for seconds is probed a few times, far from the
 * tcp_retries2 (15) probes that would end the connection.
 */
class QdiscProbeBackoffTest {

    private final TcpFixture t = new TcpFixture();

    @Test
    void probesWhileTheWindowStaysClosed_backOff_andTheConnectionLivesUntilItOpens() {
        t.established(); // a 0 ms handshake: RTO 200 ms
        t.kernel.sysctl(Sysctls.VKERNEL_QDISC_LIMIT, 0);
        t.write("x"); // dropped at the qdisc: the probe timer at max(RTO, 200 ms)
        t.peer.window = 0;
        t.peer.ack(); // the peer's window closes
        t.kernel.sysctl(Sysctls.VKERNEL_QDISC_LIMIT, 500);
        t.kernel.advance(3000);
        assertThat(t.state()).isEqualTo(TcpState.ESTABLISHED);
        assertThat(TcpInfo.of(t.tcb()).get("tcpi_probes")).as("backed off: a few probes in 3 s").isBetween(2L, 6L);

        t.peer.window = 65535;
        t.peer.ack(); // the window opens: the byte leaves, and the probes stop counting
        assertThat(t.peer.lastReceived().payload()).containsExactly('x');
        assertThat(TcpInfo.of(t.tcb()).get("tcpi_probes")).isZero();
    }
}
