package io.vkernel.kernel.tcp;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Where the send queue carries PSH (tcp_push(), forced_push()): marks in ascending order, dropped once acknowledged,
 * and the next mark bounds the segment being built. Sequence numbers cross 2^32.
 */
class PushMarksTest {

    private static final int BASE = -50;

    private final PushMarks marks = new PushMarks();

    @Test
    void nextAfter_isTheFirstMarkStrictlyBeyond_orTheFallback() {
        assertThat(marks.nextAfter(BASE, 999)).as("no marks").isEqualTo(999);
        marks.add(BASE + 10);
        marks.add(BASE + 100);
        assertThat(marks.nextAfter(BASE, 999)).isEqualTo(BASE + 10);
        assertThat(marks.nextAfter(BASE + 10, 999)).as("a mark at seq itself is behind us").isEqualTo(BASE + 100);
        assertThat(marks.nextAfter(BASE + 99, 999)).isEqualTo(BASE + 100);
        assertThat(marks.nextAfter(BASE + 100, 999)).isEqualTo(999);
        assertThat(marks.isMark(BASE + 10)).isTrue();
        assertThat(marks.isMark(BASE + 100)).isTrue();
        assertThat(marks.isMark(BASE + 11)).isFalse();
    }

    @Test
    void acked_dropsMarksAtOrBelowSndUna_only() {
        marks.add(BASE + 10);
        marks.add(BASE + 20);
        marks.add(BASE + 30);
        marks.acked(BASE + 9);
        assertThat(marks.isMark(BASE + 10)).isTrue();
        marks.acked(BASE + 20);
        assertThat(marks.isMark(BASE + 10)).isFalse();
        assertThat(marks.isMark(BASE + 20)).as("a mark equal to SND.UNA is acknowledged").isFalse();
        assertThat(marks.isMark(BASE + 30)).isTrue();
        assertThat(marks.nextAfter(BASE, -1)).isEqualTo(BASE + 30);
        marks.acked(BASE + 1000);
        assertThat(marks.nextAfter(BASE, -1)).isEqualTo(-1);
        marks.acked(BASE + 2000);
        assertThat(marks.nextAfter(BASE, -1)).as("acking an empty ring is harmless").isEqualTo(-1);
    }

    @Test
    void removeLastIf_movesOnlyTheNewestMark_whenItIsExactlyThatSeq() {
        marks.add(BASE + 10);
        marks.add(BASE + 20);
        marks.removeLastIf(BASE + 10);
        assertThat(marks.isMark(BASE + 10)).as("not the newest").isTrue();
        assertThat(marks.isMark(BASE + 20)).isTrue();
        marks.removeLastIf(BASE + 20);
        assertThat(marks.isMark(BASE + 20)).isFalse();
        assertThat(marks.isMark(BASE + 10)).isTrue();
        marks.removeLastIf(BASE + 10);
        marks.removeLastIf(BASE + 10);
        assertThat(marks.nextAfter(BASE, -1)).as("removing from an empty ring is harmless").isEqualTo(-1);
        marks.add(BASE + 5);
        assertThat(marks.nextAfter(BASE, -1)).isEqualTo(BASE + 5);
    }

    @Test
    void theRing_growsPastEightMarks_andKeepsTheirOrder_afterWrappingAround() {
        for (int i = 1; i <= 6; i++) {
            marks.add(BASE + i * 10);
        }
        marks.acked(BASE + 50); // head moves to the sixth slot
        for (int i = 7; i <= 30; i++) {
            marks.add(BASE + i * 10); // wraps the ring, then grows it twice
        }
        int seq = BASE;
        for (int i = 6; i <= 30; i++) {
            seq = marks.nextAfter(seq, -1);
            assertThat(seq).isEqualTo(BASE + i * 10);
            assertThat(marks.isMark(seq)).isTrue();
        }
        assertThat(marks.nextAfter(seq, -1)).isEqualTo(-1);
        assertThat(marks.isMark(BASE + 50)).isFalse();
        marks.acked(BASE + 150);
        assertThat(marks.nextAfter(BASE, -1)).isEqualTo(BASE + 160);
        marks.removeLastIf(BASE + 300);
        assertThat(marks.nextAfter(BASE + 290, -1)).isEqualTo(-1);
        marks.clear();
        assertThat(marks.nextAfter(BASE, -1)).isEqualTo(-1);
        assertThat(marks.isMark(BASE + 160)).isFalse();
    }
}
