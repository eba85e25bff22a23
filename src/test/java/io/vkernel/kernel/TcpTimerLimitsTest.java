package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.vkernel.kernel.TcpFixture.assertErrno;
import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Where the timers give up: zero-window probes after tcp_retries2 (tcp_probe_timer()), an orphan's retransmissions
 * after tcp_orphan_retries (0 meaning 8, tcp_orphan_retries()), each at the exact virtual time Linux's backoff gives.
 */
class TcpTimerLimitsTest {

    private final TcpFixture t = new TcpFixture();

    /** The peer connects advertising a zero window; the server writes {@code text} into it (nothing leaves). */
    private void establishedIntoAZeroWindow(String text) {
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.peer.window = 0;
        t.peer.connect();
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        PacketReport report = new PacketReport(null);
        done(t.kernel.write(t.pid, t.fd, text.getBytes(), report));
        assertThat(report.sentSegments()).as("nothing fits a zero window").isEmpty();
    }

    /** Virtual times (ms) at which the peer received something, advancing 100 ms at a time up to {@code untilMs}. */
    private List<Long> arrivalsUntil(long untilMs) {
        List<Long> times = new ArrayList<>();
        while (t.kernel.inspect(k -> k.clock().now()) < untilMs) {
            int before = t.peer.received().size();
            t.kernel.advance(100);
            if (t.peer.received().size() > before) {
                times.add(t.kernel.inspect(k -> k.clock().now()));
            }
        }
        return times;
    }

    @Test
    void zeroWindowProbes_unansweredTcpRetries2Times_failTheConnectionWithEtimedout_withoutRst() {
        t.kernel.sysctl(Sysctls.TCP_RETRIES2, 3);
        establishedIntoAZeroWindow("stuck");
        assertThat(arrivalsUntil(2900)).as("three probes, 200 ms apart and doubling").containsExactly(200L, 600L, 1400L);
        assertThat(t.state()).as("the fourth probe would be due at 3000 ms").isEqualTo(TcpState.ESTABLISHED);
        t.kernel.advance(100);
        assertThat(t.state()).as("after tcp_retries2 = 3 unanswered probes the connection fails").isEqualTo(TcpState.CLOSE);
        assertThat(t.peer.received()).as("no fourth probe, and no RST").hasSize(4);
        assertErrno(t.read(), Errno.ETIMEDOUT);
    }

    @Test
    void zeroWindowProbes_aWindowUpdateResetsTheProbeCount_soTheNextStallProbesFrom200msAgain() {
        t.kernel.sysctl(Sysctls.TCP_RETRIES2, 3);
        establishedIntoAZeroWindow("first");
        assertThat(arrivalsUntil(1500)).containsExactly(200L, 600L, 1400L);
        t.peer.window = 65535;
        PacketReport update = t.peer.ack();
        assertThat(update.sentSegments()).extracting(Segment::payloadText).containsExactly("first");
        t.peer.consumeSent();
        t.peer.window = 0;
        t.peer.ack();
        t.write("second");
        long start = t.kernel.inspect(k -> k.clock().now());
        List<Long> probes = arrivalsUntil(start + 2900).stream().map(ms -> ms - start).toList();
        assertThat(probes).as("the count starts over: 200 ms, then 400, then 800 after the first probe")
                .containsExactly(200L, 600L, 1400L);
        assertThat(t.state()).isEqualTo(TcpState.ESTABLISHED);
    }

    @Test
    void zeroWindowProbes_answeredEachTime_keepTheConnectionOpenPastTcpRetries2_whileTheIntervalKeepsBackingOff() {
        t.kernel.sysctl(Sysctls.TCP_RETRIES2, 3);
        establishedIntoAZeroWindow("stuck");
        List<Long> probes = new ArrayList<>();
        while (t.kernel.inspect(k -> k.clock().now()) < 13_000) {
            int before = t.peer.received().size();
            t.kernel.advance(100);
            if (t.peer.received().size() > before) {
                probes.add(t.kernel.inspect(k -> k.clock().now()));
                t.peer.ack(); // the peer answers: its window is still 0
                assertThat(t.kernel.inspect(k -> io.vkernel.kernel.tcp.TcpInfo.of(t.tcb(), k.clock().now())).get("tcpi_probes")).as("an answered probe resets icsk_probes_out").isZero();
            }
        }
        // RFC 1122 4.2.2.17: stay open as long as the receiver answers (tcp_ack() resets icsk_probes_out); the
        // interval's backoff (icsk_backoff) is not reset by the answers, only by the window opening
        assertThat(probes).as("five answered probes, more than tcp_retries2 = 3").containsExactly(200L, 600L, 1400L, 3000L, 6200L, 12600L);
        assertThat(t.state()).isEqualTo(TcpState.ESTABLISHED);
    }

    @Test
    void orphanRetransmissions_stopAfterTcpOrphanRetries_notTcpRetries2() {
        t.kernel.sysctl(Sysctls.TCP_ORPHAN_RETRIES, 2);
        t.established();
        t.write("bye");
        t.close();
        assertThat(t.state()).isEqualTo(TcpState.FIN_WAIT1);
        int sent = t.peer.received().size();
        assertThat(arrivalsUntil(1300)).as("two retransmissions of the data").containsExactly(200L, 600L);
        assertThat(t.peer.lastReceived().payloadText()).isEqualTo("bye");
        t.kernel.advance(100);
        assertThat(t.state()).as("the third timeout (1400 ms) ends the orphan").isEqualTo(TcpState.CLOSE);
        assertThat(t.peer.received()).as("no RST when it gives up").hasSize(sent + 2);
    }

    @Test
    void orphanRetransmissions_withTcpOrphanRetriesZero_meanEight() {
        t.established();
        t.write("bye");
        t.close();
        List<Long> retransmissions = arrivalsUntil(102_100);
        assertThat(retransmissions).as("eight, the RTO doubling from 200 ms")
                .containsExactly(200L, 600L, 1400L, 3000L, 6200L, 12600L, 25400L, 51000L);
        assertThat(t.state()).isEqualTo(TcpState.FIN_WAIT1);
        t.kernel.advance(100);
        assertThat(t.state()).as("the ninth timeout, at 102.2 s, gives up").isEqualTo(TcpState.CLOSE);
    }

    @Test
    void nonOrphanRetransmissions_followTcpRetries2_evenWithTcpOrphanRetriesSmaller() {
        t.kernel.sysctl(Sysctls.TCP_ORPHAN_RETRIES, 1);
        t.kernel.sysctl(Sysctls.TCP_RETRIES2, 3);
        t.established();
        t.write("still here");
        assertThat(arrivalsUntil(2900)).containsExactly(200L, 600L, 1400L);
        t.kernel.advance(100);
        assertThat(t.state()).as("tcp_retries2 = 3: the fourth timeout at 3000 ms gives up").isEqualTo(TcpState.CLOSE);
        assertErrno(t.read(), Errno.ETIMEDOUT);
    }

    /**
     * TCP_SYNCNT 62: the SYN's retransmission timer doubles up to TCP_RTO_MAX (120 s) and stays there, so connect()
     * gives up at the first expiry after tcp_model_timeout(62, 1 s) = 127 s + 56 x 120 s = 6847 s, not earlier.
     */
    @Test
    void aConnectWithSixtyTwoSynRetries_waitsPastTheModelTimeout_withTheRtoCappedAt120s() {
        int fd = (int) done(t.kernel.socket(t.pid)).ret();
        done(t.kernel.setsockopt(t.pid, fd, "TCP_SYNCNT", 62, true));
        PendingCall call = TcpFixture.pending(t.kernel.connect(t.pid, fd,
                Endpoint.parse("192.0.2.1:80"), new PacketReport(null)));
        t.kernel.advance(6_846_000);
        assertThat(call.isDone()).as("still retrying at 6846 s").isFalse();
        t.kernel.advance(125_000);
        assertThat(call.isDone()).isTrue();
        assertThat(call.result().errno()).isEqualTo(Errno.ETIMEDOUT);
    }
}
