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

    /**
     * tcp_probe_timer(): a probe timer that fires when nothing is in flight and nothing waits (the bytes it was armed
     * for left with a later write and were acknowledged) resets the probe count and stops, even while the qdisc drops
     * again: it neither re-arms nor counts towards tcp_retries2.
     */
    @Test
    void aProbeTimerFiringWithNothingLeftToSend_stops_evenWhileTheQdiscDropsAgain() {
        t.established();
        t.kernel.sysctl(Sysctls.VKERNEL_QDISC_LIMIT, 0);
        t.write("x"); // dropped at the qdisc: the probe timer at max(RTO, 200 ms)
        t.kernel.sysctl(Sysctls.VKERNEL_QDISC_LIMIT, 500);
        t.write("y"); // the qdisc takes packets again: "x" and "y" leave
        t.peer.consumeSent();
        t.peer.ack();
        assertThat(TcpInfo.of(t.tcb()).get("tcpi_unacked")).isZero();
        t.kernel.sysctl(Sysctls.VKERNEL_QDISC_LIMIT, 0);

        t.kernel.advance(10_000); // the timer fires at 200 ms with nothing to send; 15 probes 500 ms apart would abort
        assertThat(t.state()).isEqualTo(TcpState.ESTABLISHED);
        assertThat(TcpInfo.of(t.tcb()).get("tcpi_probes")).isZero();
    }
}
