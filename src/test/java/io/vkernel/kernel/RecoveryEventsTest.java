package io.vkernel.kernel;

import io.vkernel.kernel.tcp.CaState;
import io.vkernel.kernel.trace.EventType;
import io.vkernel.kernel.trace.KernelEvent;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.Seq;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What loss recovery writes to the kernel's event log and to a packet's trace (tcp_set_ca_state()'s moves as
 * {@code ss -ti} would show them): entering Recovery and why, leaving it, the RTO's Loss, undo of a spurious
 * reduction, RACK's reordering timer; Disorder comes and goes without an event. Connections here have MSS 1000, a
 * 100 ms handshake RTT and GSO off, so every segment is one MSS.
 */
class RecoveryEventsTest {

    private final TcpFixture t = new TcpFixture();

    private List<String> events(EventType type) {
        return t.kernel.inspect(k -> k.events().after(0, 10_000)).stream()
                .filter(e -> e.type() == type).map(KernelEvent::detail).toList();
    }

    private PacketReport ackAll(int ack) {
        return t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), ack, "");
    }

    /** Ten segments out; SACKs of the second, third and fourth: the first is lost. Answers SND.UNA. */
    private int tenOutThreeSacked(boolean sack) {
        int base = t.establishedOneSegmentPerMss(sack);
        t.write(10_000);
        t.advanceSeconds(0.1);
        return base;
    }

    @Test
    void sackRecovery_isLoggedWhenItStartsAndEnds_disorderOnlyInTheTrace() {
        int base = tenOutThreeSacked(true);
        PacketReport first = t.peer.sendSack(base, base + 1000, base + 2000);
        assertThat(TcpFixture.steps(first, "tcp.ca_state")).containsExactly(
                "DISORDER: SACK or duplicate ACK: a segment may be lost (cwnd 10, ssthresh infinite)");
        assertThat(events(EventType.CONGESTION)).as("Disorder is quiet in the event log").isEmpty();
        t.peer.sendSack(base, base + 1000, base + 3000);
        PacketReport third = t.peer.sendSack(base, base + 1000, base + 4000);
        String entered = "DISORDER -> RECOVERY: RACK marked a segment lost: fast retransmit, ssthresh = 7 (cubic), "
                + "recovery point " + Seq.unsigned(base + 10_000) + " (cwnd 10, ssthresh 7)";
        assertThat(events(EventType.CONGESTION)).containsExactly(entered);
        assertThat(third.sentSegments()).extracting(Segment::seq).containsExactly(base);
        assertThat(t.counter(SnmpCounter.TCP_SACK_RECOVERY)).isEqualTo(1);
        assertThat(t.counter(SnmpCounter.TCP_RENO_RECOVERY)).isZero();

        t.advanceSeconds(0.1);
        PacketReport end = ackAll(base + 10_000);
        assertThat(TcpFixture.steps(end, "tcp.ca_state")).containsExactly(
                "OPEN: recovery point acknowledged: cwnd = ssthresh = 7 (cwnd 7, ssthresh 7)");
        assertThat(events(EventType.CONGESTION)).containsExactly(entered,
                "RECOVERY -> OPEN: recovery point acknowledged: cwnd = ssthresh = 7 (cwnd 7, ssthresh 7)");
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
    }

    @Test
    void rackOff_threeSackedSegmentsStartRecovery_andTheEventSaysSo() {
        t.sysctl(Sysctls.TCP_RECOVERY, 0);
        int base = tenOutThreeSacked(true);
        t.peer.sendSack(base, base + 1000, base + 2000);
        t.peer.sendSack(base, base + 1000, base + 3000);
        assertThat(t.tcb().caState()).as("two SACKed segments are below dupthresh").isEqualTo(CaState.DISORDER);
        PacketReport third = t.peer.sendSack(base, base + 1000, base + 4000);
        assertThat(third.sentSegments()).extracting(Segment::seq).containsExactly(base);
        assertThat(events(EventType.CONGESTION)).containsExactly("DISORDER -> RECOVERY: three segments SACKed: fast "
                + "retransmit, ssthresh = 7 (cubic), recovery point " + Seq.unsigned(base + 10_000) + " (cwnd 10, ssthresh 7)");
        assertThat(t.counter(SnmpCounter.TCP_SACK_RECOVERY)).isEqualTo(1);
    }

    @Test
    void renoRecovery_threeDuplicateAcks_countedAsRenoRecovery() {
        int base = tenOutThreeSacked(false);
        ackAll(base);
        ackAll(base);
        assertThat(t.tcb().caState()).isEqualTo(CaState.DISORDER);
        PacketReport third = ackAll(base);
        assertThat(third.sentSegments()).extracting(Segment::seq).containsExactly(base);
        assertThat(TcpFixture.steps(third, "tcp.ca_state")).containsExactly("RECOVERY: three duplicate ACKs: fast retransmit, "
                + "ssthresh = 7 (cubic), recovery point " + Seq.unsigned(base + 10_000) + " (cwnd 10, ssthresh 7)");
        assertThat(t.counter(SnmpCounter.TCP_RENO_RECOVERY)).isEqualTo(1);
        assertThat(t.counter(SnmpCounter.TCP_SACK_RECOVERY)).isZero();
    }

    @Test
    void dsackOfTheOnlyRetransmission_logsTheUndo_andTheReturnToOpen() {
        int base = tenOutThreeSacked(true);
        t.peer.sendSack(base, base + 1000, base + 2000);
        t.peer.sendSack(base, base + 1000, base + 3000);
        t.peer.sendSack(base, base + 1000, base + 4000);
        t.advanceSeconds(0.1);
        PacketReport dsack = t.peer.sendSack(base + 10_000, base, base + 1000);
        assertThat(TcpFixture.steps(dsack, "tcp.undo")).containsExactly("undo: the fast retransmit was spurious (cwnd back to 10)");
        assertThat(events(EventType.CONGESTION)).hasSize(3).endsWith(
                "undo: the fast retransmit was spurious; cwnd 10, ssthresh infinite",
                "RECOVERY -> OPEN: recovery point acknowledged and every retransmission was spurious: cwnd back to 10 "
                        + "(tcp_try_undo_recovery()) (cwnd 10, ssthresh infinite)");
    }

    @Test
    void lateDsackAfterRecovery_logsTheDsackUndo() {
        int base = tenOutThreeSacked(true);
        t.peer.sendSack(base, base + 1000, base + 2000);
        t.peer.sendSack(base, base + 1000, base + 3000);
        t.peer.sendSack(base, base + 1000, base + 4000);
        t.advanceSeconds(0.1);
        ackAll(base + 10_000);
        PacketReport late = t.peer.sendSack(base + 9000, base, base + 1000);
        assertThat(TcpFixture.steps(late, "tcp.undo")).containsExactly(
                "undo: D-SACKs show every retransmission arrived twice (cwnd back to 10)");
        assertThat(events(EventType.CONGESTION)).last()
                .isEqualTo("undo: D-SACKs show every retransmission arrived twice; cwnd 10, ssthresh infinite");
        assertThat(t.counter(SnmpCounter.TCP_DSACK_UNDO)).isEqualTo(1);
        assertThat(t.tcb().ssthresh()).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void retransmissionTimeout_logsLoss_andItsEndWhenEverythingIsAcknowledged() {
        t.sysctl(Sysctls.TCP_EARLY_RETRANS, 2); // no tail loss probe: the RTO fires first
        int base = t.establishedOneSegmentPerMss(true);
        t.write(5000);
        t.kernel.advance(299);
        assertThat(t.counter(SnmpCounter.TCP_TIMEOUTS)).isZero();
        t.kernel.advance(1); // RTO = SRTT + 4 x RTTVAR = 300 ms
        assertThat(t.tcb().caState()).isEqualTo(CaState.LOSS);
        assertThat(events(EventType.CONGESTION)).containsExactly(
                "OPEN -> LOSS: retransmission timeout (tcp_enter_loss()), cwnd 1, ssthresh 7");
        assertThat(t.counter(SnmpCounter.TCP_TIMEOUTS)).isEqualTo(1);
        assertThat(t.counter(SnmpCounter.TCP_RETRANS_SEGS)).isEqualTo(1);
        assertThat(t.tcb().totalRetransmits()).isEqualTo(1);

        PacketReport all = ackAll(base + 5000);
        assertThat(TcpFixture.steps(all, "tcp.ca_state")).containsExactly(
                "OPEN: everything outstanding at the timeout is acknowledged (cwnd 1, ssthresh 7)");
        assertThat(events(EventType.CONGESTION)).hasSize(2).last().isEqualTo(
                "LOSS -> OPEN: everything outstanding at the timeout is acknowledged (cwnd 1, ssthresh 7)");
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
    }

    @Test
    void rackReorderingTimer_logsItsWait_thenTheLossItFinds() {
        int base = t.establishedOneSegmentPerMss(true);
        t.write(4000);
        PacketReport sack = t.peer.sendSack(base, base + 3000, base + 4000);
        assertThat(TcpFixture.steps(sack, "tcp.rack")).containsExactly("a segment sent earlier than the one just delivered is "
                + "still missing: RACK waits 27 ms more (RTT + reordering window 25 ms) before calling it lost");
        assertThat(t.tcb().retransmitTimer().name()).isEqualTo("rack-reorder");
        t.kernel.advance(26);
        assertThat(events(EventType.TIMER_FIRED)).isEmpty();
        t.kernel.advance(1);
        assertThat(events(EventType.TIMER_FIRED)).containsExactly("RACK reordering timer: segments sent before the last "
                + "one delivered are now lost (tcp_rack_reo_timeout())");
        assertThat(events(EventType.CONGESTION)).containsExactly("DISORDER -> RECOVERY: RACK reordering timer: fast "
                + "retransmit, ssthresh = 7 (cubic), recovery point " + Seq.unsigned(base + 4000) + " (cwnd 10, ssthresh 7)");
        assertThat(t.tcb().cwnd()).as("PRR: nothing in flight, one segment delivered, one sent").isEqualTo(1);
        assertThat(t.tcb().retransmitTimer().name()).as("the RTO is armed again").isNotEqualTo("rack-reorder");
    }
}
