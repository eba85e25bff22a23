package io.vkernel.kernel;

import io.vkernel.kernel.tcp.CaState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.Seq;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Where a recovery undone by D-SACK leaves the connection, and which undo state a retransmission timeout starts from
 * (tcp_try_undo_dsack() then tcp_try_keep_open(); tcp_enter_loss()'s "new episode" test before tcp_init_undo()), as
 * the event log, the undo counters and cwnd/ssthresh show them. SACK connection, MSS 1000, 100 ms handshake RTT, GSO
 * off, no tail loss probe (tcp_early_retrans 2) so only the RTO fires; ten segments out, the first lost, the next
 * three SACKed: recovery resends the first. Offsets are from the first data byte.
 */
class RecoveryUndoMutantsTest {

    private final TcpFixture t = new TcpFixture();
    private int base;

    private PacketReport ack(int ack, int... edges) {
        return t.peer.sendSackBlocksFrom(base, ack, edges);
    }

    private List<Integer> sentSince(int skip) {
        return t.sentSince(skip).stream().map(s -> s.seq() - base).toList();
    }

    /** Ten segments out and the first two duplicate ACKs that SACK above the head (tcp_early_retrans 2). */
    private void twoSackedAboveTheHead() {
        t.sysctl(Sysctls.TCP_EARLY_RETRANS, 2);
        base = t.establishedOneSegmentPerMss(true);
        t.write(10_000);
        t.advanceSeconds(0.1);
        ack(0, 1000, 2000);
        ack(0, 1000, 3000);
    }

    private void headResentInRecovery() {
        twoSackedAboveTheHead();
        int before = t.peer.received().size();
        ack(0, 1000, 4000);
        assertThat(sentSince(before)).containsExactly(0);
        assertThat(t.tcb().caState()).isEqualTo(CaState.RECOVERY);
        assertThat(t.tcb().ssthresh()).isEqualTo(7);
    }

    private String entered() {
        return "DISORDER -> RECOVERY: RACK marked a segment lost: fast retransmit, ssthresh = 7 (cubic), recovery point "
                + Seq.unsigned(base + 10_000) + " (cwnd 10, ssthresh 7)";
    }

    @Test
    void aDsackUndo_withNothingLeftOut_returnsToOpen_andSaysSo() {
        headResentInRecovery();
        // the original head was only late: everything up to 4000 arrived, and the resent head a second time
        ack(4000, 0, 1000);
        assertThat(t.counter(SnmpCounter.TCP_DSACK_UNDO)).isEqualTo(1);
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
        assertThat(t.tcb().ssthresh()).isEqualTo(Integer.MAX_VALUE);
        assertThat(t.congestionEvents()).containsExactly(entered(),
                "undo: D-SACKs show every retransmission arrived twice; cwnd 10, ssthresh infinite",
                "RECOVERY -> OPEN: cwnd reduction undone (cwnd 10, ssthresh infinite)");
    }

    @Test
    void aDsackUndo_withASackedSegmentStillAboveTheAck_goesToDisorder_quietly() {
        headResentInRecovery();
        ack(4000, 0, 1000, 5000, 6000); // [4000, 5000) is missing: tcp_left_out() keeps Disorder
        assertThat(t.counter(SnmpCounter.TCP_DSACK_UNDO)).isEqualTo(1);
        assertThat(t.tcb().caState()).isEqualTo(CaState.DISORDER);
        assertThat(t.congestionEvents()).containsExactly(entered(),
                "undo: D-SACKs show every retransmission arrived twice; cwnd 10, ssthresh infinite");
    }

    @Test
    void aTimeoutAfterAnUndoneRecovery_isANewEpisode_soADsackOfItsRetransmissionUndoesIt() {
        headResentInRecovery();
        ack(4000, 0, 1000);
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
        int before = t.peer.received().size();
        t.advanceSeconds(0.5); // nothing more is acknowledged: the RTO (300 ms) resends the new head, from Open; the next would come 600 ms later
        assertThat(sentSince(before)).containsExactly(4000);
        assertThat(t.tcb().caState()).isEqualTo(CaState.LOSS);
        assertThat(t.counter(SnmpCounter.TCP_TIMEOUTS)).isEqualTo(1);
        ack(10_000, 4000, 5000); // everything arrived; the resent head twice
        assertThat(t.counter(SnmpCounter.TCP_LOSS_UNDO)).isEqualTo(1);
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
        assertThat(t.tcb().ssthresh()).isEqualTo(Integer.MAX_VALUE);
        // cwnd 11 before the timeout (10, plus the one segment the undoing ACK delivered), then slow start by this
        // ACK's six: the undo restored it from 1
        assertThat(t.tcb().cwnd()).isEqualTo(17);
    }

    @Test
    void aTimeoutDuringRecovery_continuesItsEpisode_soADsackOfOnlyOneOfTwoResendsUndoesNothing() {
        headResentInRecovery();
        t.advanceSeconds(0.5); // the RTO (300 ms after the fast retransmit) resends the head a second time
        assertThat(t.tcb().caState()).isEqualTo(CaState.LOSS);
        assertThat(t.tcb().totalRetransmits()).isEqualTo(2);
        // tcp_enter_loss() does not start a new undo episode inside Recovery: undo_retrans counts both resends
        ack(10_000, 0, 1000);
        assertThat(t.counter(SnmpCounter.TCP_LOSS_UNDO)).isZero();
        assertThat(t.counter(SnmpCounter.TCP_DSACK_UNDO)).isZero();
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
        assertThat(t.tcb().ssthresh()).isEqualTo(7);
        assertThat(t.congestionEvents()).containsExactly(entered(),
                "RECOVERY -> LOSS: retransmission timeout (tcp_enter_loss()), cwnd 1, ssthresh 7",
                "LOSS -> OPEN: everything outstanding at the timeout is acknowledged (cwnd 1, ssthresh 7)");
    }

    @Test
    void aDsackArrivingAfterTheAckThatCoveredTheResend_stillUndoesTheRecovery() {
        headResentInRecovery();
        ack(4000); // the head (its original or its resend) and the SACKed three: no D-SACK yet
        assertThat(t.tcb().caState()).isEqualTo(CaState.RECOVERY);
        // the next ACK reports the head's second copy: below the prior SND.UNA, counted without looking for the skb
        // (tcp_sacktag_write_queue()'s "dumb counting" of a D-SACK for already forgotten data)
        ack(4000, 0, 1000);
        assertThat(t.counter(SnmpCounter.TCP_DSACK_UNDO)).isEqualTo(1);
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
        assertThat(t.tcb().ssthresh()).isEqualTo(Integer.MAX_VALUE);
        assertThat(t.congestionEvents()).hasSize(3).startsWith(entered()).endsWith(
                "RECOVERY -> OPEN: cwnd reduction undone (cwnd 10, ssthresh infinite)");
    }

    @Test
    void aSpuriousTimeoutUndoneOnAPartialAck_leavesNothingMarkedLost_soTheNextAckStartsNoRecovery() {
        t.sysctl(Sysctls.TCP_EARLY_RETRANS, 2);
        base = t.establishedOneSegmentPerMss(true);
        t.write(5000);
        t.advanceSeconds(0.3); // the RTO: everything outstanding is presumed lost, the head resent
        assertThat(t.tcb().caState()).isEqualTo(CaState.LOSS);
        t.advanceSeconds(0.01);
        ack(3000, 0, 1000); // the originals up to 3000 arrived, the resent head twice: tcp_try_undo_loss()
        assertThat(t.counter(SnmpCounter.TCP_LOSS_UNDO)).isEqualTo(1);
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
        int before = t.peer.received().size();
        // tcp_undo_cwnd_reduction(sk, true) cleared every lost mark: [4000, 5000) is only in flight, not lost
        ack(4000);
        assertThat(sentSince(before)).isEmpty();
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
        assertThat(t.counter(SnmpCounter.TCP_SACK_RECOVERY)).isZero();
        assertThat(t.tcb().totalRetransmits()).isEqualTo(1);
    }

    @Test
    void aDsackArrivingAfterRecoveryEnded_undoesItFromOpen() {
        headResentInRecovery();
        ack(10_000); // the recovery point, no D-SACK: Open with the reduced window
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
        assertThat(t.tcb().cwnd()).as("ssthresh 7, then CUBIC's first step (tcp_cong_control() in Open)").isEqualTo(8);
        t.write(2000);
        // a duplicate ACK reporting the head's second copy: tcp_fastretrans_alert() in Open calls tcp_try_undo_dsack()
        ack(10_000, 0, 1000);
        assertThat(t.counter(SnmpCounter.TCP_DSACK_UNDO)).isEqualTo(1);
        assertThat(t.tcb().cwnd()).as("back to the 10 before the recovery").isEqualTo(10);
        assertThat(t.tcb().ssthresh()).isEqualTo(Integer.MAX_VALUE);
        assertThat(t.congestionEvents()).last().isEqualTo("undo: D-SACKs show every retransmission arrived twice; cwnd 10, ssthresh infinite");
    }

    @Test
    void aRecoveryWhoseFastRetransmitTheQdiscDropped_hasNothingToUndo() {
        twoSackedAboveTheHead();
        t.sysctl(Sysctls.VKERNEL_QDISC_LIMIT, 0); // tc qdisc replace dev tun0 root pfifo limit 0
        int before = t.peer.received().size();
        ack(0, 1000, 4000);
        assertThat(t.tcb().caState()).isEqualTo(CaState.RECOVERY);
        assertThat(t.tcb().totalRetransmits()).as("the resend never left").isZero();
        // tcp_init_undo(): undo_retrans = retrans_out ? : -1, so no ACK can prove a retransmission spurious
        ack(0, 1000, 5000);
        assertThat(sentSince(before)).isEmpty();
        assertThat(t.counter(SnmpCounter.TCP_DSACK_UNDO)).isZero();
        assertThat(t.tcb().caState()).isEqualTo(CaState.RECOVERY);
        assertThat(t.congestionEvents()).containsExactly(entered(),
                "the qdisc dropped a 1000-byte retransmission (NET_XMIT_DROP): not sent, cwnd reduced (tcp_enter_cwr())",
                "the qdisc dropped a 1000-byte retransmission (NET_XMIT_DROP): not sent, cwnd reduced (tcp_enter_cwr())");
    }
}
