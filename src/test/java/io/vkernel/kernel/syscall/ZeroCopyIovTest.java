package io.vkernel.kernel.syscall;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A send(MSG_ZEROCOPY) or sendmsg() that blocks part way resumes with the iovecs it has not copied yet: whole ones
 * already queued dropped, a partly queued one shortened by what went (what msg_iter's advance leaves).
 */
class ZeroCopyIovTest {

    @Test
    void nothingWritten_leavesEveryIovec() {
        assertThat(ZeroCopySend.iovAfter(new int[] {3, 4, 5}, 0)).containsExactly(3, 4, 5);
    }

    @Test
    void aWholeIovecWritten_isDropped_exactlyAtItsEnd() {
        assertThat(ZeroCopySend.iovAfter(new int[] {3, 4, 5}, 3)).containsExactly(4, 5);
        assertThat(ZeroCopySend.iovAfter(new int[] {3, 4, 5}, 7)).containsExactly(5);
    }

    @Test
    void aPartlyWrittenIovec_isShortenedByWhatWent() {
        assertThat(ZeroCopySend.iovAfter(new int[] {3, 4, 5}, 2)).containsExactly(1, 4, 5);
        assertThat(ZeroCopySend.iovAfter(new int[] {3, 4, 5}, 4)).containsExactly(3, 5);
        assertThat(ZeroCopySend.iovAfter(new int[] {3, 4, 5}, 11)).containsExactly(1);
    }

    @Test
    void everythingWritten_leavesNone() {
        assertThat(ZeroCopySend.iovAfter(new int[] {3, 4, 5}, 12)).isEmpty();
        assertThat(ZeroCopySend.iovAfter(new int[0], 0)).isEmpty();
    }

    @Test
    void emptyIovecs_beforeTheCut_areDroppedWithTheWrittenOnes() {
        assertThat(ZeroCopySend.iovAfter(new int[] {0, 2, 0, 3}, 2)).containsExactly(3);
    }
}
