package io.vkernel.kernel.tcp;

import io.vkernel.kernel.wire.TcpOption;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sender's SACK scoreboard (RFC 6675 §3): which bytes of [SND.UNA, SND.NXT) the peer reports holding, as the
 * recovery code asks about them. Sequence numbers start just below 2^32 so every range below crosses the wrap.
 */
class SackScoreboardTest {

    /** SND.UNA; SND.NXT is UNA + 10 000. */
    private static final int UNA = -4_000;
    private static final int NXT = UNA + 10_000;

    private final SackScoreboard board = new SackScoreboard();

    /** A SACK option (kind 5) with the given {start, end} pairs, relative to UNA. */
    private static TcpOption sack(int... edges) {
        byte[] value = new byte[edges.length * 4];
        for (int i = 0; i < edges.length; i++) {
            int seq = UNA + edges[i];
            value[i * 4] = (byte) (seq >>> 24);
            value[i * 4 + 1] = (byte) (seq >>> 16);
            value[i * 4 + 2] = (byte) (seq >>> 8);
            value[i * 4 + 3] = (byte) seq;
        }
        return new TcpOption.Unknown(ReceiverSack.KIND_SACK, value);
    }

    private int update(TcpOption option) {
        return board.update(option, UNA, UNA, NXT);
    }

    /** The ranges relative to UNA, as "start-end". */
    private String ranges() {
        StringBuilder out = new StringBuilder();
        for (int[] r : board.ranges()) {
            out.append(out.isEmpty() ? "" : " ").append(r[0] - UNA).append('-').append(r[1] - UNA);
        }
        return out.toString();
    }

    @Test
    void optionsOtherThanSack_markNothing() {
        assertThat(update(new TcpOption.Timestamps(1, 2))).isZero();
        assertThat(update(new TcpOption.Unknown(30, new byte[8]))).isZero();
        assertThat(board.isEmpty()).isTrue();
        assertThat(board.sackedBytes()).isZero();
    }

    @Test
    void oneBlock_isHeld_andCountsAsNewlySacked_onlyTheFirstTime() {
        assertThat(update(sack(1000, 2500))).isEqualTo(1500);
        assertThat(board.isEmpty()).isFalse();
        assertThat(ranges()).isEqualTo("1000-2500");
        assertThat(update(sack(1000, 2500))).as("the same block again tells nothing new").isZero();
        assertThat(update(sack(2000, 3000))).as("only the part beyond what was known").isEqualTo(500);
        assertThat(ranges()).isEqualTo("1000-3000");
        assertThat(board.sackedBytes()).isEqualTo(2000);
    }

    @Test
    void dsackBlocks_atOrBelowTheAck_andEmptyOrReversedBlocks_markNothing() {
        assertThat(board.update(sack(0, 1000), UNA + 1000, UNA, NXT)).as("end == ack: a D-SACK").isZero();
        assertThat(board.update(sack(0, 999), UNA + 1000, UNA, NXT)).as("end below ack").isZero();
        assertThat(update(sack(3000, 3000))).as("empty").isZero();
        assertThat(update(sack(3000, 2000))).as("reversed").isZero();
        assertThat(board.isEmpty()).isTrue();
        assertThat(board.update(sack(0, 1001), UNA + 1000, UNA, NXT)).as("one byte above the ack counts").isEqualTo(1001);
    }

    @Test
    void blocksReachingOutsideUnaAndNxt_areClippedToThem() {
        assertThat(update(sack(-500, 700))).isEqualTo(700);
        assertThat(update(sack(9_000, 12_000))).isEqualTo(1000);
        assertThat(ranges()).isEqualTo("0-700 9000-10000");
        assertThat(update(sack(10_000, 11_000))).as("wholly beyond SND.NXT").isZero();
        assertThat(ranges()).isEqualTo("0-700 9000-10000");
    }

    @Test
    void blocks_arriveInAnyOrder_andAreKeptSortedAndMerged() {
        update(sack(5000, 6000, 1000, 2000));
        update(sack(3000, 4000));
        assertThat(ranges()).isEqualTo("1000-2000 3000-4000 5000-6000");
        assertThat(update(sack(2000, 3000))).as("touching both neighbours").isEqualTo(1000);
        assertThat(ranges()).isEqualTo("1000-4000 5000-6000");
        assertThat(update(sack(500, 5500))).isEqualTo(500 + 1000);
        assertThat(ranges()).isEqualTo("500-6000");
        assertThat(update(sack(6000, 6001))).as("adjacent above").isEqualTo(1);
        assertThat(update(sack(499, 500))).as("adjacent below").isEqualTo(1);
        assertThat(ranges()).isEqualTo("499-6001");
    }

    @Test
    void threeRangesMergedIntoOne_leaveTheRangesAfterThemInPlace() {
        update(sack(100, 200, 300, 400, 500, 600));
        update(sack(700, 800, 900, 1000));
        assertThat(update(sack(150, 550))).isEqualTo(200);
        assertThat(ranges()).isEqualTo("100-600 700-800 900-1000");
        assertThat(board.sackedBytes()).isEqualTo(700);
    }

    @Test
    void manyDisjointRanges_growTheBoard() {
        for (int i = 5; i >= 0; i--) {
            update(sack(i * 1000, i * 1000 + 10));
        }
        assertThat(ranges()).isEqualTo("0-10 1000-1010 2000-2010 3000-3010 4000-4010 5000-5010");
        update(sack(2500, 2600));
        assertThat(ranges()).isEqualTo("0-10 1000-1010 2000-2010 2500-2600 3000-3010 4000-4010 5000-5010");
        assertThat(board.sackedBytes()).isEqualTo(160);
    }

    @Test
    void theCumulativeAck_dropsRangesBelowIt_andTrimsTheOneItCuts() {
        update(sack(1000, 2000, 3000, 4000, 5000, 6000));
        board.acked(UNA + 2000);
        assertThat(ranges()).as("a range ending at the ACK goes").isEqualTo("3000-4000 5000-6000");
        board.acked(UNA + 3500);
        assertThat(ranges()).isEqualTo("3500-4000 5000-6000");
        board.acked(UNA + 3000);
        assertThat(ranges()).as("an older ACK trims nothing").isEqualTo("3500-4000 5000-6000");
    }

    @Test
    void skipSacked_jumpsOverTheRangeHoldingTheSequence() {
        update(sack(1000, 2000, 3000, 4000));
        assertThat(board.skipSacked(UNA + 999) - UNA).isEqualTo(999);
        assertThat(board.skipSacked(UNA + 1000) - UNA).isEqualTo(2000);
        assertThat(board.skipSacked(UNA + 1999) - UNA).isEqualTo(2000);
        assertThat(board.skipSacked(UNA + 2000) - UNA).as("the range's end is not held").isEqualTo(2000);
        assertThat(board.skipSacked(UNA + 3500) - UNA).isEqualTo(4000);
    }

    @Test
    void nextSackedAfter_findsTheFirstRangeStartingBeyond() {
        update(sack(1000, 2000, 3000, 4000));
        assertThat(board.nextSackedAfter(UNA, -1) - UNA).isEqualTo(1000);
        assertThat(board.nextSackedAfter(UNA + 1000, -1) - UNA).as("strictly after").isEqualTo(3000);
        assertThat(board.nextSackedAfter(UNA + 2999, -1) - UNA).isEqualTo(3000);
        assertThat(board.nextSackedAfter(UNA + 3000, 77)).isEqualTo(77);
    }

    @Test
    void lossLine_bytesAreLostOnceMoreThanTwoMssAboveThemAreSacked() {
        int mss = 100;
        assertThat(board.lossLine(UNA, mss)).as("nothing SACKed: nothing lost").isEqualTo(UNA);
        update(sack(1000, 1100, 1200, 1250));
        assertThat(board.lossLine(UNA, mss)).as("150 bytes SACKed are not enough").isEqualTo(UNA);
        update(sack(1300, 1350));
        assertThat(board.lossLine(UNA, mss)).as("exactly 2 x MSS is not more than").isEqualTo(UNA);
        update(sack(1350, 1400));
        // from the top: 100 (1300-1400), 50 (1200-1250), then 50 more of 1000-1100 make 200
        assertThat(board.lossLine(UNA, mss) - UNA).isEqualTo(1050);
        update(sack(2000, 2300));
        assertThat(board.lossLine(UNA, mss) - UNA).as("one big range above").isEqualTo(2100);
    }

    @Test
    void unsackedIn_countsTheBytesThePeerLacks() {
        update(sack(1000, 2000, 3000, 4000));
        assertThat(board.unsackedIn(UNA, UNA + 5000)).isEqualTo(3000);
        assertThat(board.unsackedIn(UNA + 1500, UNA + 3500)).isEqualTo(1000);
        assertThat(board.unsackedIn(UNA + 1000, UNA + 2000)).isZero();
        assertThat(board.unsackedIn(UNA + 2000, UNA + 3000)).isEqualTo(1000);
        assertThat(board.unsackedIn(UNA + 500, UNA + 500)).isZero();
        assertThat(board.unsackedIn(UNA + 600, UNA + 500)).isZero();
    }
}
