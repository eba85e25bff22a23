package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.tcp.TcpInfo;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.EventType;
import io.vkernel.kernel.trace.KernelEvent;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.Step;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The exact times of the probe timer while a qdisc that holds nothing (pfifo limit 0) drops every packet:
 * tcp_check_probe_timer() arms it at max(RTO, 200 ms), tcp_probe_timer() retries every TCP_RESOURCE_PROBE_INTERVAL
 * (500 ms) without backing off, clamps the interval to what is left of TCP_USER_TIMEOUT (at least TCP_TIMEOUT_MIN,
 * tcp_clamp_probe0_to_user_timeout()), and gives up after tcp_retries2 probes or the user timeout.
 */
class QdiscDropTest {

    private final TcpFixture t = new TcpFixture();

    private List<String> events(EventType type) {
        return t.kernel.inspect(k -> k.events().after(0, 10_000)).stream()
                .filter(e -> e.type() == type).map(KernelEvent::detail).toList();
    }

    private long probes() {
        return TcpInfo.of(t.tcb()).get("tcpi_probes");
    }

    private void dropEverything(int userTimeoutMs) {
        t.established();
        if (userTimeoutMs > 0) {
            done(t.kernel.setsockopt(t.pid, t.fd, "TCP_USER_TIMEOUT", userTimeoutMs, true));
        }
        t.kernel.sysctl(Sysctls.VKERNEL_QDISC_LIMIT, 0);
    }

    @Test
    void userTimeout_endsTheConnectionExactlyWhenItHasPassedSinceTheFirstProbe() {
        dropEverything(1200);
        PacketReport report = new PacketReport(null);
        done(t.kernel.write(t.pid, t.fd, "lost at the qdisc".getBytes(StandardCharsets.UTF_8), report));
        assertThat(report.steps()).filteredOn(step -> step.step().equals("tcp.qdisc")).extracting(Step::detail)
                .singleElement().asString().startsWith("17 bytes not sent: the device's qdisc holds no packets (limit 0)");
        assertThat(events(EventType.CONGESTION)).first().isEqualTo(
                "the qdisc dropped a 17-byte packet (NET_XMIT_DROP): not sent, cwnd reduced (tcp_enter_cwr())");
        t.kernel.advance(199);
        assertThat(probes()).isZero();
        t.kernel.advance(1);
        assertThat(probes()).as("the first probe at max(RTO, 200 ms)").isEqualTo(1);
        t.kernel.advance(499);
        assertThat(probes()).isEqualTo(1);
        t.kernel.advance(1);
        assertThat(probes()).as("500 ms later, no backoff").isEqualTo(2);
        t.kernel.advance(500);
        assertThat(probes()).isEqualTo(3);
        // 1000 ms since the first probe: the next interval is clamped to the 200 ms left
        t.kernel.advance(199);
        assertThat(t.state()).isEqualTo(TcpState.ESTABLISHED);
        t.kernel.advance(1);
        assertThat(t.state()).as("at 1400 ms: 1200 ms after the first probe").isEqualTo(TcpState.CLOSE);
        assertThat(events(EventType.TIMER_FIRED)).containsExactly(
                "TCP_USER_TIMEOUT (1200 ms) passed while the qdisc dropped every probe: the connection fails with ETIMEDOUT");
        TcpFixture.assertErrno(t.write("late"), Errno.ETIMEDOUT);
    }

    @Test
    void userTimeout_theLastIntervalIsAtLeastTcpTimeoutMin() {
        dropEverything(1001);
        t.write("x");
        t.kernel.advance(1200);
        assertThat(probes()).isEqualTo(3);
        // 1 ms of the user timeout is left at 1200: the timer waits TCP_TIMEOUT_MIN (2 ms) all the same
        t.kernel.advance(1);
        assertThat(t.state()).isEqualTo(TcpState.ESTABLISHED);
        t.kernel.advance(1);
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
    }

    @Test
    void tcpRetries2_endsTheConnectionAtTheProbeAfterTheLastOneAllowed() {
        t.kernel.sysctl(Sysctls.TCP_RETRIES2, 3);
        dropEverything(0);
        t.write("lost at the qdisc");
        t.kernel.advance(1200);
        assertThat(probes()).isEqualTo(3);
        t.kernel.advance(499);
        assertThat(t.state()).isEqualTo(TcpState.ESTABLISHED);
        t.kernel.advance(1);
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
        assertThat(events(EventType.TIMER_FIRED)).containsExactly(
                "3 probes could not leave (tcp_retries2): the connection fails with ETIMEDOUT");
    }

    @Test
    void aDroppedFastRetransmission_isNamedSo_andNotSent() {
        int una = t.establishedOneSegmentPerMss(true);
        t.write("a".repeat(5000));
        int sent = t.peer.received().size();
        t.kernel.sysctl(Sysctls.VKERNEL_QDISC_LIMIT, 0);
        // three SACKs above a lost first segment: RFC 6675 fast retransmit, which the qdisc refuses
        t.peer.sendSack(una, una + 1000, una + 2000);
        t.peer.sendSack(una, una + 1000, una + 3000);
        t.peer.sendSack(una, una + 1000, una + 4000);
        assertThat(events(EventType.CONGESTION)).contains(
                "the qdisc dropped a 1000-byte retransmission (NET_XMIT_DROP): not sent, cwnd reduced (tcp_enter_cwr())");
        assertThat(t.peer.received()).hasSize(sent);
    }

    @Test
    void aSecondWriteWhileTheProbeTimerRuns_doesNotArmAnother() {
        dropEverything(0);
        t.write("first");
        t.kernel.advance(100);
        t.write("second");
        t.kernel.advance(100);
        assertThat(probes()).isEqualTo(1);
        t.kernel.advance(100);
        assertThat(probes()).as("the next probe is 500 ms after the first, at 700 ms").isEqualTo(1);
        t.kernel.advance(400);
        assertThat(probes()).isEqualTo(2);
    }

    @Test
    void aSecondLocalDropInCwr_doesNotEnterCwrAgain() {
        dropEverything(0);
        t.write("first");
        t.write("second");
        // tcp_enter_cwr() acts only below TCP_CA_CWR: one reduction for both drops
        assertThat(events(EventType.CONGESTION)).containsExactly(
                "the qdisc dropped a 5-byte packet (NET_XMIT_DROP): not sent, cwnd reduced (tcp_enter_cwr())",
                "OPEN -> CWR: the local qdisc dropped a packet (NET_XMIT_DROP): ssthresh = 7 (cubic), cwnd comes down by PRR (cwnd 10, ssthresh 7)",
                "the qdisc dropped a 11-byte packet (NET_XMIT_DROP): not sent, cwnd reduced (tcp_enter_cwr())");
        assertThat(t.tcb().caState()).isEqualTo(io.vkernel.kernel.tcp.CaState.CWR);
    }
}
