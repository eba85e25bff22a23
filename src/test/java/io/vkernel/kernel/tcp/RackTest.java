package io.vkernel.kernel.tcp;

import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.TcpOption;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * RACK-TLP's bookkeeping (RFC 8985, Linux tcp_recovery.c): segments per MSS with their transmit times,
 * tcp_rack_advance() keeping the newest delivery, tcp_rack_reo_wnd(), tcp_rack_detect_loss()'s deadlines to the ms,
 * and the reordering degree tcp_check_sack_reordering() raises (capped by tcp_max_reordering).
 */
class RackTest {

    private static final int MSS = 1000;
    private final Rack rack = new Rack();
    private final SackScoreboard scoreboard = new SackScoreboard();
    private final Tcb tcb = new Tcb(new FourTuple(Endpoint.parse("192.168.1.100:54321"), Endpoint.parse("10.0.0.50:8080")),
            TcpState.ESTABLISHED, 0);

    private static TcpOption sack(int start, int end) {
        return new TcpOption.Unknown(ReceiverSack.KIND_SACK, ByteBuffer.allocate(8).putInt(start).putInt(end).array());
    }

    /** The peer SACKs [start, end) while SND.UNA is {@code una} and SND.NXT {@code nxt}, at {@code now}. */
    private void sacked(int una, int nxt, int start, int end, long now) {
        scoreboard.update(sack(start, end), una, una, nxt, rack);
        rack.onDelivered(una, scoreboard, now, true, MSS);
    }

    @Test
    void onSent_splitsAtTheMss_marksTheSkbEnd_andARetransmissionRestampsOnlyWhatItCovers() {
        assertThat(rack.headSentAt()).isEqualTo(-1);
        rack.onSent(0, 2500, MSS, 10, false);
        rack.onSent(2500, 3000, MSS, 20, false);
        assertThat(rack.sent).extracting(p -> p.start + "-" + p.end + "@" + p.sentAt + (p.skbEnd ? "|" : ""))
                .containsExactly("0-1000@10", "1000-2000@10", "2000-2500@10|", "2500-3000@20|");
        assertThat(rack.headSentAt()).isEqualTo(10);
        rack.onSent(1000, 2000, MSS, 30, true);
        assertThat(rack.sent).extracting(p -> p.sentAt + (p.retransmitted ? "R" : "") + (p.retransPending ? "P" : ""))
                .containsExactly("10", "30RP", "10", "20");
        rack.onSent(500, 2001, MSS, 40, true);
        assertThat(rack.sent).extracting(p -> p.sentAt).containsExactly(40L, 40L, 40L, 20L);
    }

    @Test
    void onRtt_keepsTheSmallest() {
        rack.onRtt(50);
        rack.onRtt(60);
        assertThat(rack.minRttMs).isEqualTo(50);
        rack.onRtt(40);
        assertThat(rack.minRttMs).isEqualTo(40);
    }

    @Test
    void reorderWindow_aQuarterOfTheMinRtt_atMostSrtt_zeroWhenRecoveringOrDupthreshIsMet_unlessReorderingWasSeen() {
        rack.onRtt(100);
        assertThat(rack.reorderWindow(tcb, 2, 200)).isEqualTo(25);
        assertThat(rack.reorderWindow(tcb, 3, 200)).as("three SACKed: dupthresh").isZero();
        assertThat(rack.reorderWindow(tcb, 2, 10)).isEqualTo(10);
        assertThat(rack.reorderWindow(tcb, 2, 0)).isZero();
        assertThat(rack.reorderWindow(tcb, 2, -1)).as("no SRTT").isEqualTo(25);
        tcb.caState = CaState.DISORDER;
        assertThat(rack.reorderWindow(tcb, 2, 200)).isEqualTo(25);
        tcb.caState = CaState.RECOVERY;
        assertThat(rack.reorderWindow(tcb, 0, 200)).isZero();
        tcb.caState = CaState.LOSS;
        assertThat(rack.reorderWindow(tcb, 0, 200)).isZero();
        rack.reordSeen = 1;
        assertThat(rack.reorderWindow(tcb, 5, 200)).isEqualTo(25);
        tcb.caState = CaState.OPEN;
        assertThat(rack.reorderWindow(tcb, 5, 200)).isEqualTo(25);
        Rack fresh = new Rack();
        assertThat(fresh.reorderWindow(tcb, 0, 200)).as("no RTT yet").isZero();
    }

    @Test
    void detectLoss_marksWhatWasSentBeforeTheNewestDelivery_onceRttPlusReoWndHasPassed() {
        tcb.srttMs = 100;
        rack.onRtt(100);
        rack.onSent(0, 2000, MSS, 0, false);
        rack.onSent(2000, 3000, MSS, 10, false);
        assertThat(rack.detectLoss(tcb, 1, 50)).as("nothing delivered yet").isZero();
        sacked(0, 3000, 2000, 3000, 110);
        assertThat(rack.mstamp).isEqualTo(10);
        assertThat(rack.rttMs).isEqualTo(100);
        assertThat(rack.advanced).isTrue();
        // 100 ms RTT + 25 ms reordering window after they left at 0
        assertThat(rack.detectLoss(tcb, 1, 110)).isEqualTo(15);
        assertThat(rack.lostNotResent()).isZero();
        assertThat(rack.detectLoss(tcb, 1, 124)).isEqualTo(1);
        assertThat(rack.detectLoss(tcb, 1, 125)).isZero();
        assertThat(rack.lostNotResent()).isEqualTo(2);
        assertThat(rack.lostLine(0)).isEqualTo(2000);
        assertThat(rack.lostLine(2500)).isEqualTo(2500);
        // the head resent: no longer counted as waiting, and not lost again behind a delivery sent before it
        rack.onSent(0, 1000, MSS, 130, true);
        assertThat(rack.lostNotResent()).isEqualTo(1);
        assertThat(rack.detectLoss(tcb, 1, 1_000)).isZero();
        assertThat(rack.sent.get(0).retransPending).isTrue();
        rack.clearLost();
        assertThat(rack.lostLine(0)).isZero();
        assertThat(rack.sent).noneMatch(p -> p.lost || p.retransPending);
    }

    @Test
    void detectLoss_aRetransmissionIsLostAgainOnlyBehindADeliverySentAfterIt() {
        tcb.srttMs = 100;
        rack.onRtt(100);
        rack.onSent(0, 3000, MSS, 0, false);
        rack.onTimeout();
        assertThat(rack.lostNotResent()).isEqualTo(3);
        rack.onSent(0, 1000, MSS, 200, true);
        rack.onSent(1000, 2000, MSS, 210, true);
        // the second retransmission is SACKed at 310: the first, sent 10 ms before it, is lost again 125 ms after
        // it left, at 325
        sacked(0, 3000, 1000, 2000, 310);
        assertThat(rack.detectLoss(tcb, 1, 324)).isEqualTo(1);
        assertThat(rack.sent.get(0).lost && !rack.sent.get(0).retransPending).isFalse();
        assertThat(rack.detectLoss(tcb, 1, 325)).isZero();
        assertThat(rack.sent.get(0).lost && !rack.sent.get(0).retransPending).isTrue();
        assertThat(rack.sent.get(2).retransPending).as("never resent: stays lost, waiting").isFalse();
    }

    @Test
    void onTimeout_marksEverythingUndeliveredLost() {
        rack.onSent(0, 3000, MSS, 0, false);
        sacked(0, 3000, 1000, 2000, 50);
        rack.onSent(0, 1000, MSS, 60, true);
        rack.onTimeout();
        assertThat(rack.sent).extracting(p -> (p.lost ? "L" : "") + (p.delivered ? "D" : "") + (p.retransPending ? "P" : ""))
                .containsExactly("L", "D", "L");
        assertThat(rack.lostLine(0)).isEqualTo(3000);
        assertThat(rack.lostNotResent()).isEqualTo(2);
    }

    @Test
    void advance_ignoresAnAmbiguousRetransmissionFasterThanTheMinRtt() {
        rack.onRtt(100);
        rack.onSent(0, 1000, MSS, 0, false);
        rack.onSent(1000, 2000, MSS, 0, false);
        rack.onSent(0, 1000, MSS, 200, true);
        rack.onDelivered(1000, scoreboard, 250); // 50 ms after the retransmission: the original may have arrived
        assertThat(rack.mstamp).isEqualTo(-1);
        assertThat(rack.advanced).isFalse();
        rack.onSent(1000, 2000, MSS, 200, true);
        rack.onDelivered(2000, scoreboard, 300); // exactly the min RTT: taken
        assertThat(rack.mstamp).isEqualTo(200);
        assertThat(rack.rttMs).isEqualTo(100);
        assertThat(rack.sent).isEmpty();
    }

    @Test
    void advance_twoDeliveriesSentTogether_theHigherSequenceIsTheNewest() {
        rack.onSent(0, 2000, MSS, 5, false);
        rack.onDelivered(2000, scoreboard, 45);
        assertThat(rack.mstamp).isEqualTo(5);
        assertThat(rack.endSeq).isEqualTo(2000);
        assertThat(Rack.sentAfter(6, 5, 0, 1000)).isTrue();
        assertThat(Rack.sentAfter(5, 6, 2000, 1000)).isFalse();
        assertThat(Rack.sentAfter(5, 5, 2000, 1000)).isTrue();
        assertThat(Rack.sentAfter(5, 5, 1000, 1000)).isFalse();
        assertThat(Rack.sentAfter(5, 5, 1000, 2000)).isFalse();
    }

    @Test
    void sackBelowTheHighestSack_ofANeverResentSegment_raisesReorderingInSegments() {
        rack.onSent(0, 6000, MSS, 0, false);
        sacked(0, 6000, 5000, 6000, 50);
        assertThat(rack.reordSeen).isZero();
        assertThat(rack.highestSacked).isEqualTo(6000);
        sacked(0, 6000, 1000, 2000, 60);
        assertThat(rack.reordSeen).isEqualTo(1);
        assertThat(rack.reordering).as("5000 bytes below the highest SACK").isEqualTo(5);
        assertThat(rack.highestSacked).isEqualTo(6000);
    }

    @Test
    void reordering_ofExactlyTheCurrentDegree_isSeenButNotRaised_andTheCeilingHolds() {
        rack.onSent(0, 4000, MSS, 0, false);
        sacked(0, 4000, 3000, 4000, 50);
        sacked(0, 4000, 1000, 2000, 60);
        assertThat(rack.reordSeen).isEqualTo(1);
        assertThat(rack.reordering).isEqualTo(3);

        Rack capped = new Rack();
        capped.maxReordering = 4;
        SackScoreboard board = new SackScoreboard();
        capped.onSent(0, 8000, MSS, 0, false);
        board.update(sack(7000, 8000), 0, 0, 8000, capped);
        capped.onDelivered(0, board, 50, true, MSS);
        board.update(sack(1000, 2000), 0, 0, 8000, capped);
        capped.onDelivered(0, board, 60, true, MSS);
        assertThat(capped.reordering).isEqualTo(4);
    }

    @Test
    void sackReordering_notCountedWhenTheCallerSaysSo_norForAResentSegment() {
        rack.onSent(0, 6000, MSS, 0, false);
        sacked(0, 6000, 5000, 6000, 50);
        scoreboard.update(sack(1000, 2000), 0, 0, 6000, rack);
        rack.onDelivered(0, scoreboard, 60, false, MSS);
        assertThat(rack.reordSeen).isZero();
        rack.onSent(2000, 3000, MSS, 70, true);
        sacked(0, 6000, 2000, 3000, 80);
        assertThat(rack.reordSeen).isZero();
        assertThat(rack.reordering).isEqualTo(3);
    }

    @Test
    void cumulativeAckFillingAHoleBelowTheSacks_raisesReordering() {
        rack.onSent(0, 6000, MSS, 0, false);
        sacked(0, 6000, 5000, 6000, 50);
        // the head arrives late: ACK 1000 below the SACKed 6000
        rack.onDelivered(1000, scoreboard, 60, true, MSS);
        assertThat(rack.reordSeen).isEqualTo(1);
        assertThat(rack.reordering).isEqualTo(6);
    }

    @Test
    void cumulativeAckOfEverything_measuresAgainstSndUna_andForgetsTheSacks() {
        rack.onSent(0, 6000, MSS, 0, false);
        sacked(0, 6000, 5000, 6000, 50);
        rack.onDelivered(6000, scoreboard, 60, true, MSS);
        assertThat(rack.reordSeen).isEqualTo(1);
        assertThat(rack.reordering).as("0 to 6000: nothing SACKed is left").isEqualTo(6);
        assertThat(rack.anySacked).isFalse();
        assertThat(rack.sent).isEmpty();
    }

    @Test
    void cumulativeAck_withoutSacksBefore_isNoReordering() {
        rack.onSent(0, 3000, MSS, 0, false);
        rack.onDelivered(2000, scoreboard, 60, true, MSS);
        assertThat(rack.reordSeen).isZero();
        assertThat(rack.sent).hasSize(1);
        assertThat(rack.headSentAt()).isZero();
    }

    @Test
    void align_roundsToWholePieces() {
        rack.onSent(0, 2000, MSS, 0, false);
        assertThat(rack.alignUp(500)).isEqualTo(1000);
        assertThat(rack.alignUp(1000)).isEqualTo(1000);
        assertThat(rack.alignUp(0)).isZero();
        assertThat(rack.alignUp(2500)).isEqualTo(2500);
        assertThat(rack.alignDown(1500)).isEqualTo(1000);
        assertThat(rack.alignDown(1000)).isEqualTo(1000);
        assertThat(rack.alignDown(1999)).isEqualTo(1000);
        assertThat(rack.alignDown(2500)).isEqualTo(2500);
    }

    @Test
    void aDeliverySentAtTime0_stillTimesTheLosses_andAnOlderOneDeliveredLaterDoesNotReplaceIt() {
        tcb.srttMs = 100;
        rack.onRtt(0);
        rack.onRtt(100);
        assertThat(rack.minRttMs).as("a min RTT of 0 stays").isZero();
        rack.minRttMs = 100;
        rack.onSent(0, 2000, MSS, 0, false);
        sacked(0, 2000, 1000, 2000, 100);
        assertThat(rack.mstamp).isZero();
        assertThat(rack.endSeq).isEqualTo(2000);
        // the head, sent at the same instant with a lower sequence, is lost 125 ms after it left
        assertThat(rack.detectLoss(tcb, 1, 110)).isEqualTo(15);
        assertThat(rack.detectLoss(tcb, 1, 125)).isZero();
        assertThat(rack.lostNotResent()).isEqualTo(1);
        rack.onDelivered(1000, scoreboard, 130, true, MSS);
        assertThat(rack.endSeq).as("the head was sent no later: the newest delivery stays").isEqualTo(2000);
    }

    @Test
    void retransmissionsSentTogether_theOneBelowADeliveredOneIsLostAgainWhenItsTimeIsUp() {
        // tcp_rack_sent_after(): at the same timestamp the higher end_seq was sent after, so the SACK of the
        // resent 1000:2000 times the resent 0:1000 of the same transmission, as an older one
        tcb.srttMs = 100;
        rack.onRtt(100);
        rack.onSent(0, 2000, MSS, 0, false);
        rack.onTimeout();
        rack.onSent(0, 2000, MSS, 200, true);
        sacked(0, 2000, 1000, 2000, 300);
        assertThat(rack.detectLoss(tcb, 1, 300)).as("waits the reordering window past its RTT").isPositive();
        assertThat(rack.sent.get(0).retransPending).as("its resend still counts as in flight").isTrue();
        assertThat(rack.detectLoss(tcb, 1, 1_000)).isZero();
        assertThat(rack.sent.get(0).lost).isTrue();
        assertThat(rack.sent.get(0).retransPending).as("marked lost again: to be resent").isFalse();
    }

    @Test
    void reordering_lessThanTheDegree_leavesIt_andWithoutAnMssOnlyCounts() {
        rack.onSent(0, 4000, MSS, 0, false);
        sacked(0, 4000, 3000, 4000, 50);
        sacked(0, 4000, 2000, 3000, 60);
        assertThat(rack.reordSeen).isEqualTo(1);
        assertThat(rack.reordering).as("2000 bytes: below 3 segments").isEqualTo(3);

        Rack noMss = new Rack();
        SackScoreboard board = new SackScoreboard();
        noMss.onSent(0, 8000, MSS, 0, false);
        board.update(sack(7000, 8000), 0, 0, 8000, noMss);
        noMss.onDelivered(0, board, 50);
        board.update(sack(1000, 2000), 0, 0, 8000, noMss);
        noMss.onDelivered(0, board, 60);
        assertThat(noMss.reordSeen).isEqualTo(1);
        assertThat(noMss.reordering).isEqualTo(3);
    }

    @Test
    void severalSegmentsSackedBelowTheHighest_theLowestCounts() {
        rack.onSent(0, 6000, MSS, 0, false);
        sacked(0, 6000, 5000, 6000, 50);
        sacked(0, 6000, 1000, 3000, 60);
        assertThat(rack.reordSeen).isEqualTo(1);
        assertThat(rack.reordering).isEqualTo(5);
    }
}
