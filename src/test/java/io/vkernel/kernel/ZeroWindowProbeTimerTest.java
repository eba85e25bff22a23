package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.tcp.TcpInfo;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.EventType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A socket has one probe timer (ICSK_TIME_PROBE0): tcp_check_probe_timer() arms it only when none is pending, so a
 * zero window that shuts while the timer of a qdisc drop or of TCP_CORK runs is probed by that timer, and
 * tcp_write_wakeup() sends SND.UNA - 1 when nothing fits the window. A probe the qdisc drops is tried again after
 * TCP_RESOURCE_PROBE_INTERVAL (500 ms) without backing off (tcp_send_probe0()).
 */
class ZeroWindowProbeTimerTest {

    private final TcpFixture t = new TcpFixture().established();

    private List<String> probeTimers() {
        return t.timers().stream().filter(name -> name.equals("probe0") || name.equals("zero-window-probe")).toList();
    }

    private List<String> sentSince(int index) {
        return TcpFixture.summary(t.sentSince(index), t.tcb().sndUna());
    }

    private long probes() {
        return TcpInfo.of(t.tcb()).get("tcpi_probes");
    }

    private void peerShutsItsWindow() {
        t.peer.window = 0;
        t.peer.ack();
    }

    @Test
    void aWindowShutWhileTheQdiscDropTimerRuns_isProbedByThatTimer_onceTheQdiscTakesPacketsAgain() {
        t.sysctl(Sysctls.VKERNEL_QDISC_LIMIT, 0);
        t.write("dropped at the qdisc");
        t.kernel.advance(100);
        peerShutsItsWindow();
        assertThat(probeTimers()).as("one probe timer").containsExactly("probe0");
        t.sysctl(Sysctls.VKERNEL_QDISC_LIMIT, 500);
        int index = t.peer.received().size();
        t.kernel.advance(99);
        assertThat(sentSince(index)).isEmpty();
        t.kernel.advance(1);
        assertThat(sentSince(index)).as("tcp_write_wakeup(): SND.UNA - 1 at 200 ms").containsExactly(". -1:-1");
        assertThat(probes()).isEqualTo(1);
        assertThat(probeTimers()).containsExactly("zero-window-probe");
    }

    @Test
    void aZeroWindowProbeTheQdiscDrops_isTriedAgainAfter500ms_withoutBackingOff() {
        peerShutsItsWindow();
        t.write("waits for the window");
        assertThat(probeTimers()).containsExactly("zero-window-probe");
        long rtoMs = TcpInfo.of(t.tcb()).get("tcpi_rto") / 1000;
        t.sysctl(Sysctls.VKERNEL_QDISC_LIMIT, 0);
        int index = t.peer.received().size();
        t.kernel.advance(rtoMs);
        assertThat(probes()).isEqualTo(1);
        assertThat(t.events(EventType.PACKET_DROP)).last().asString().startsWith("qdisc limit 0 dropped");
        t.kernel.advance(499);
        assertThat(probes()).isEqualTo(1);
        t.kernel.advance(1);
        assertThat(probes()).as("TCP_RESOURCE_PROBE_INTERVAL, no backoff").isEqualTo(2);
        t.sysctl(Sysctls.VKERNEL_QDISC_LIMIT, 500);
        t.kernel.advance(500);
        assertThat(probes()).isEqualTo(3);
        assertThat(sentSince(index)).as("the first probe the qdisc takes").containsExactly(". -1:-1");
        t.kernel.advance(2 * rtoMs - 1);
        assertThat(probes()).isEqualTo(3);
        t.kernel.advance(1);
        assertThat(probes()).as("a probe that left backs off: 2 x RTO").isEqualTo(4);
    }

    @Test
    void aWindowShutWhileCorkedDataWaits_isProbedWhenTheCorkTimerFires() {
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_CORK", 1, true));
        t.write("held");
        t.kernel.advance(100);
        peerShutsItsWindow();
        assertThat(probeTimers()).as("one probe timer").containsExactly("probe0");
        int index = t.peer.received().size();
        t.kernel.advance(100);
        assertThat(sentSince(index)).as("nothing fits: SND.UNA - 1 instead of the held bytes").containsExactly(". -1:-1");
        assertThat(probes()).isEqualTo(1);
        assertThat(probeTimers()).containsExactly("zero-window-probe");
    }

    /**
     * While the qdisc drops every packet, a window shut behind the first drop changes nothing: tcp_probe_timer() still
     * ends the connection once TCP_USER_TIMEOUT has passed since the first probe (at 200 ms, so at 1400 ms).
     */
    @Test
    void aWindowShutWhileTheQdiscStillDrops_stillEndsAtTheUserTimeout() {
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_USER_TIMEOUT", 1200, true));
        t.sysctl(Sysctls.VKERNEL_QDISC_LIMIT, 0);
        t.write("dropped at the qdisc");
        t.kernel.advance(100);
        peerShutsItsWindow();
        t.kernel.advance(1299);
        assertThat(t.state()).isEqualTo(TcpState.ESTABLISHED);
        assertThat(probes()).isEqualTo(3);
        t.kernel.advance(1);
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
        TcpFixture.assertErrno(t.write("late"), Errno.ETIMEDOUT);
    }
}
