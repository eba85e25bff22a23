package io.vkernel.kernel;

import io.vkernel.kernel.tcp.TcpInfo;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * tcp_write_wakeup() from the probe timer (PIT survivors in TcpSender.sendProbeSegment() and hasUnsent()): what waits
 * leaves as one segment of at most the MSS and the peer's window, with PSH, and is then an ordinary segment in flight:
 * it splits its skb, is RTT-timed to its own end, runs the retransmission timer, counts for Nagle when small, and
 * carries a FIN queued on its skb when the window has room for the FIN too. The probe timer of data the qdisc dropped
 * stops once nothing waits.
 */
class ProbeSegmentMutantsTest {

    private final TcpFixture t = new TcpFixture();

    /**
     * Established 40 s after boot, so the ISS (secure_tcp_seq()'s 64 ns clock) is 2250134959: above 2^31, where
     * the sum of two sequence numbers is a positive int and an in-flight count mistaken for it shows; the peer then
     * offers {@code window} bytes. Answers SND.UNA.
     */
    private int establishedWithWindow(int window) {
        t.kernel.advance(40_000);
        t.established();
        assertThat(Integer.toUnsignedLong(t.tcb().iss())).isEqualTo(2_250_134_959L);
        t.peer.window = window;
        t.peer.ack();
        return t.tcb().sndUna();
    }

    private List<Tuple> dataSince(int index, int base) {
        List<Segment> all = t.peer.received();
        return all.subList(index, all.size()).stream()
                .map(s -> tuple(TcpFlags.format(s.flags()), s.seq() - base, s.length())).toList();
    }

    private void cork() {
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_CORK", 1, true));
    }

    private PacketReport write(int bytes) {
        PacketReport report = new PacketReport(null);
        done(t.kernel.write(t.pid, t.fd, new byte[bytes], report));
        return report;
    }

    @Test
    void aProbeCutByTheWindow_splitsItsSkb_andIsTimedToItsOwnEnd() {
        int base = establishedWithWindow(600);
        long srtt = t.tcb().srttMs();
        int index = t.peer.received().size();
        cork();
        write(1000);
        assertThat(t.peer.received()).hasSize(index);
        t.kernel.advance(200);
        assertThat(dataSince(index, base)).as("the probe: what the window takes, PSH").containsExactly(tuple("P.", 0, 600));
        assertThat(t.tcb().sndNxt() - base).isEqualTo(600);
        assertThat(t.tcb().sendBuffer().skbCount(t.tcb())).as("tso_fragment() at the window's end").isEqualTo(2);
        t.kernel.advance(30);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 300, "");
        assertThat(t.tcb().sendBuffer().skbCount(t.tcb())).as("the probe's skb trimmed, not freed").isEqualTo(2);
        assertThat(t.tcb().srttMs()).as("Karn: the timed byte is the probe's last").isEqualTo(srtt);
        t.kernel.advance(20);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 600, "");
        assertThat(t.tcb().sendBuffer().skbCount(t.tcb())).isEqualTo(1);
        assertThat(t.tcb().srttMs()).as("a 50 ms sample").isNotEqualTo(srtt);
        assertThat(TcpInfo.of(t.tcb()).get("tcpi_rtt")).isEqualTo(t.tcb().srttMs() * 1000);
    }

    @Test
    void anUnansweredProbe_isRetransmittedAfterTheRto() {
        int base = establishedWithWindow(65535);
        long rto = t.tcb().rtoMs();
        cork();
        write(100);
        t.kernel.advance(200);
        int index = t.peer.received().size() - 1;
        assertThat(dataSince(index, base)).containsExactly(tuple("P.", 0, 100));
        t.kernel.advance(rto - 1);
        assertThat(t.peer.received()).hasSize(index + 1);
        t.kernel.advance(1);
        assertThat(dataSince(index + 1, base)).as("tcp_write_wakeup() -> tcp_event_new_data_sent() armed the RTO")
                .containsExactly(tuple("P.", 0, 100));
    }

    @Test
    void aSmallProbe_isTheSegmentNagleWaitsFor() {
        int base = establishedWithWindow(65535);
        cork();
        write(100);
        t.kernel.advance(200);
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_CORK", 0, true));
        int index = t.peer.received().size();
        PacketReport report = write(50);
        assertThat(report.sentSegments()).as("SND.SML is the probe's end, still unacknowledged").isEmpty();
        assertThat(TcpFixture.steps(report, "tcp.nagle")).containsExactly("50 bytes wait: a smaller-than-MSS segment is "
                + "still unacknowledged (Nagle's algorithm, tcp_nagle_check(); TCP_NODELAY turns it off)");
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 100, "");
        assertThat(dataSince(index, base)).containsExactly(tuple("P.", 100, 50));
    }

    /** Data the qdisc dropped, then close(): the FIN is set on the unsent tail (tcp_send_fin()). */
    private int droppedThenClosed(int window, int bytes) {
        int base = establishedWithWindow(window);
        t.kernel.sysctl(Sysctls.VKERNEL_QDISC_LIMIT, 0);
        write(bytes);
        t.close();
        assertThat(t.state()).isEqualTo(TcpState.FIN_WAIT1);
        t.kernel.sysctl(Sysctls.VKERNEL_QDISC_LIMIT, 500);
        return base;
    }

    @Test
    void theProbe_carriesTheFinQueuedOnItsSkb_whenTheWindowHasRoomForIt() {
        int base = droppedThenClosed(65535, 100);
        int index = t.peer.received().size();
        t.kernel.advance(200);
        assertThat(dataSince(index, base)).as("100 bytes and the FIN").containsExactly(tuple("FP.", 0, 101));
        assertThat(t.tcb().sndNxt() - base).isEqualTo(101);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 101, "");
        assertThat(t.state()).isEqualTo(TcpState.FIN_WAIT2);
    }

    @Test
    void theProbe_leavesTheFinBehind_whenTheWindowEndsWithTheData() {
        // tcp_write_wakeup(): seg_size = min(window end - seq, mss) is below the skb's end_seq (data + FIN): fragment
        int base = droppedThenClosed(100, 100);
        int index = t.peer.received().size();
        t.kernel.advance(200);
        assertThat(dataSince(index, base)).containsExactly(tuple("P.", 0, 100));
        assertThat(t.tcb().sndNxt() - base).isEqualTo(100);
    }

    @Test
    void theQdiscProbeTimer_stopsCountingOnceEverythingLeftAndWasAcknowledged() {
        int base = establishedWithWindow(65535);
        t.kernel.sysctl(Sysctls.VKERNEL_QDISC_LIMIT, 0);
        write(100);
        t.kernel.advance(200);
        assertThat(TcpInfo.of(t.tcb()).get("tcpi_probes")).isEqualTo(1);
        t.kernel.sysctl(Sysctls.VKERNEL_QDISC_LIMIT, 500);
        int index = t.peer.received().size();
        t.peer.window = 60000;
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base, ""); // a window update: tcp_ack() -> tcp_data_snd_check()
        assertThat(dataSince(index, base)).containsExactly(tuple("P.", 0, 100));
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 100, "");
        assertThat(t.tcb().sndUna() - base).isEqualTo(100);
        t.kernel.advance(30_000);
        assertThat(TcpInfo.of(t.tcb()).get("tcpi_probes")).isZero();
        assertThat(t.peer.received()).hasSize(index + 1);
    }
}
