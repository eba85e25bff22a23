package io.vkernel.kernel.tcp;

import io.vkernel.kernel.wire.TcpOption;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The receiver's SACK blocks (tcp_sack_new_ofo_skb(), tcp_sack_extend(), tcp_sack_maybe_coalesce(), tcp_sack_remove(),
 * tcp_dsack_set()/tcp_dsack_extend()) and the option they make (tcp_options_write()): the newest block first, a
 * block that grows moves to the front and swallows the blocks it now touches, at most four kept (three beside
 * timestamps), a D-SACK first and sent once. Sequence numbers sit just below 2^32 so every byte of the option is used.
 */
class ReceiverSackTest {

    private static final int B = -100_000; // 0xfffe7960

    private final ReceiverSack sack = new ReceiverSack();

    private static int[][] blocks(TcpOption option) {
        TcpOption.Unknown u = (TcpOption.Unknown) option;
        assertThat(u.kind()).isEqualTo(5);
        ByteBuffer v = ByteBuffer.wrap(u.value());
        int[][] out = new int[u.value().length / 8][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new int[] {v.getInt(), v.getInt()};
        }
        return out;
    }

    private static int[][] rows(int[]... rows) {
        return rows;
    }

    private static int[] b(int start, int end) {
        return new int[] {B + start, B + end};
    }

    @Test
    void newBlocks_goFirst_andAFifthForgetsTheOldest() {
        assertThat(sack.isEmpty()).isTrue();
        sack.outOfOrder(B + 100, B + 200);
        assertThat(sack.isEmpty()).isFalse();
        sack.outOfOrder(B + 300, B + 400);
        sack.outOfOrder(B + 500, B + 600);
        sack.outOfOrder(B + 700, B + 800);
        assertThat(sack.blocks()).isEqualTo(4);
        assertThat(sack.current()).isDeepEqualTo(rows(b(700, 800), b(500, 600), b(300, 400), b(100, 200)));
        sack.outOfOrder(B + 900, B + 1000);
        assertThat(sack.blocks()).isEqualTo(4);
        assertThat(sack.current()).isDeepEqualTo(rows(b(900, 1000), b(700, 800), b(500, 600), b(300, 400)));
    }

    @Test
    void aSegmentTouchingABlock_extendsIt_andMovesItToTheFront() {
        sack.outOfOrder(B + 100, B + 200);
        sack.outOfOrder(B + 300, B + 400);
        sack.outOfOrder(B + 500, B + 600);
        sack.outOfOrder(B + 200, B + 250); // starts exactly at the oldest block's end
        assertThat(sack.current()).isDeepEqualTo(rows(b(100, 250), b(500, 600), b(300, 400)));
        sack.outOfOrder(B + 450, B + 500); // ends exactly at a block's start
        assertThat(sack.current()).isDeepEqualTo(rows(b(450, 600), b(100, 250), b(300, 400)));
        sack.outOfOrder(B + 401, B + 449); // one byte clear of both neighbours: a block of its own
        assertThat(sack.current()).isDeepEqualTo(rows(b(401, 449), b(450, 600), b(100, 250), b(300, 400)));
    }

    @Test
    void aSegmentInsideABlock_changesNothingButTheOrder() {
        sack.outOfOrder(B + 100, B + 200);
        sack.outOfOrder(B + 300, B + 400);
        sack.outOfOrder(B + 120, B + 180);
        assertThat(sack.current()).isDeepEqualTo(rows(b(100, 200), b(300, 400)));
    }

    @Test
    void aSegmentBridgingBlocks_coalescesThemIntoOne() {
        sack.outOfOrder(B + 100, B + 200);
        sack.outOfOrder(B + 300, B + 400);
        sack.outOfOrder(B + 500, B + 600);
        sack.outOfOrder(B + 700, B + 800);
        sack.outOfOrder(B + 200, B + 300); // joins [100,200) and [300,400)
        assertThat(sack.blocks()).isEqualTo(3);
        assertThat(sack.current()).isDeepEqualTo(rows(b(100, 400), b(700, 800), b(500, 600)));
        sack.outOfOrder(B + 400, B + 700); // joins all three
        assertThat(sack.blocks()).isEqualTo(1);
        assertThat(sack.current()).isDeepEqualTo(rows(b(100, 800)));
        sack.outOfOrder(B + 50, B + 900); // covers it: the block grows both ways
        assertThat(sack.current()).isDeepEqualTo(rows(b(50, 900)));
    }

    @Test
    void aMergeInTheMiddle_movesTheBlocksBehindItUp() {
        sack.outOfOrder(B + 900, B + 1000);
        sack.outOfOrder(B + 300, B + 400);
        sack.outOfOrder(B + 100, B + 200);
        sack.outOfOrder(B + 200, B + 300); // the front block reaches the second; the third stays
        assertThat(sack.blocks()).isEqualTo(2);
        assertThat(sack.current()).isDeepEqualTo(rows(b(100, 400), b(900, 1000)));
    }

    @Test
    void rcvNxtAdvancing_dropsTheBlocksItReached_andEverythingWhenNothingIsHeld() {
        sack.outOfOrder(B + 100, B + 200);
        sack.outOfOrder(B + 300, B + 400);
        sack.outOfOrder(B + 500, B + 600);
        sack.advanced(B + 300, true); // the block starting exactly at RCV.NXT is in order now
        assertThat(sack.current()).isDeepEqualTo(rows(b(500, 600)));
        sack.advanced(B + 499, true);
        assertThat(sack.current()).isDeepEqualTo(rows(b(500, 600)));
        sack.advanced(B + 499, false);
        assertThat(sack.blocks()).isZero();
        assertThat(sack.isEmpty()).isTrue();
    }

    @Test
    void theOption_carriesFourBlocks_orThreeBesideTimestamps() {
        sack.outOfOrder(B + 100, B + 200);
        sack.outOfOrder(B + 300, B + 400);
        sack.outOfOrder(B + 500, B + 600);
        sack.outOfOrder(B + 700, B + 800);
        assertThat(blocks(sack.option(false))).isDeepEqualTo(rows(b(700, 800), b(500, 600), b(300, 400), b(100, 200)));
        assertThat(blocks(sack.option(true))).isDeepEqualTo(rows(b(700, 800), b(500, 600), b(300, 400)));
        assertThat(sack.blocks()).as("writing the option keeps the blocks").isEqualTo(4);
    }

    @Test
    void aDuplicate_goesFirstInTheNextOptionOnly() {
        sack.outOfOrder(B + 500, B + 600);
        sack.duplicate(B + 100, B + 200);
        assertThat(sack.duplicatePending()).isTrue();
        assertThat(sack.duplicateStart()).isEqualTo(B + 100);
        assertThat(blocks(sack.option(false))).isDeepEqualTo(rows(b(100, 200), b(500, 600)));
        assertThat(sack.duplicatePending()).isFalse();
        assertThat(blocks(sack.option(false))).isDeepEqualTo(rows(b(500, 600)));
    }

    @Test
    void aDuplicateAlone_isNotEmpty_andTakesOneOfTheFourPlaces() {
        sack.duplicate(B + 100, B + 200);
        assertThat(sack.isEmpty()).isFalse();
        assertThat(blocks(sack.option(true))).isDeepEqualTo(rows(b(100, 200)));
        assertThat(sack.isEmpty()).isTrue();

        sack.outOfOrder(B + 300, B + 400);
        sack.outOfOrder(B + 500, B + 600);
        sack.outOfOrder(B + 700, B + 800);
        sack.outOfOrder(B + 900, B + 1000);
        sack.duplicate(B + 100, B + 200);
        assertThat(blocks(sack.option(false))).isDeepEqualTo(rows(b(100, 200), b(900, 1000), b(700, 800), b(500, 600)));
        sack.duplicate(B + 100, B + 200);
        assertThat(blocks(sack.option(true))).isDeepEqualTo(rows(b(100, 200), b(900, 1000), b(700, 800)));
    }

    @Test
    void aSecondDuplicate_touchingTheFirst_widensIt_elseReplacesIt() {
        sack.duplicate(B + 100, B + 200);
        sack.duplicate(B + 200, B + 300); // touches at the end
        assertThat(blocks(sack.option(false))).isDeepEqualTo(rows(b(100, 300)));
        sack.duplicate(B + 100, B + 200);
        sack.duplicate(B + 50, B + 100); // touches at the start
        assertThat(blocks(sack.option(false))).isDeepEqualTo(rows(b(50, 200)));
        sack.duplicate(B + 100, B + 200);
        sack.duplicate(B + 201, B + 300); // one byte apart: the new one replaces it
        assertThat(blocks(sack.option(false))).isDeepEqualTo(rows(b(201, 300)));
        sack.duplicate(B + 100, B + 200);
        sack.duplicate(B + 120, B + 150); // inside
        assertThat(blocks(sack.option(false))).isDeepEqualTo(rows(b(100, 200)));
    }

    @Test
    void extendDuplicate_startsOne_widensATouchingOne_andIgnoresADisjointOne() {
        sack.extendDuplicate(B + 100, B + 200);
        assertThat(sack.duplicatePending()).isTrue();
        sack.extendDuplicate(B + 200, B + 300);
        sack.extendDuplicate(B + 50, B + 100);
        sack.extendDuplicate(B + 400, B + 500); // disjoint: tcp_dsack_extend() keeps the first
        sack.extendDuplicate(B + 20, B + 49);
        assertThat(blocks(sack.option(false))).isDeepEqualTo(rows(b(50, 300)));
    }

    @Test
    void clear_forgetsBlocksAndTheDuplicate() {
        sack.outOfOrder(B + 100, B + 200);
        sack.duplicate(B + 10, B + 20);
        sack.clear();
        assertThat(sack.isEmpty()).isTrue();
        assertThat(sack.duplicatePending()).isFalse();
        assertThat(sack.blocks()).isZero();
        sack.outOfOrder(B + 300, B + 400);
        assertThat(blocks(sack.option(false))).isDeepEqualTo(rows(b(300, 400)));
    }

    @Test
    void blocksAcrossTheWrap_mergeAndCompareBySequenceNotBySign() {
        int top = -60; // 0xffffffc4
        sack.outOfOrder(top, top + 50);       // ends at 0xfffffff6
        sack.outOfOrder(top + 50, top + 120); // crosses 2^32
        assertThat(sack.current()).isDeepEqualTo(rows(new int[] {top, top + 120}));
        sack.advanced(top - 1, true);
        assertThat(sack.blocks()).isEqualTo(1);
        sack.advanced(top + 10, true);
        assertThat(sack.blocks()).isZero();
    }
}
