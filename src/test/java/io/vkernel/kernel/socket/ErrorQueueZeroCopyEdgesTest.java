package io.vkernel.kernel.socket;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * msg_zerocopy_realloc()'s rule for extending the previous send's range, at its edges: only into an unsent tail,
 * only up to 512 KiB of bytes in one range; and a range notifying exactly when SND.UNA reaches its end (from the
 * socket run's ErrorQueue survivors in startZeroCopy and acked).
 */
class ErrorQueueZeroCopyEdgesTest {

    @Test
    void aTailAlreadySent_startsANewRange() {
        ErrorQueue q = new ErrorQueue();
        ErrorQueue.Uarg first = q.startZeroCopy(300, 1000, 1000);
        q.queued(first, 1300);
        q.finish(first, true);
        ErrorQueue.Uarg second = q.startZeroCopy(300, 1300, 1300); // SND.NXT = the tail's end: all of it left
        assertThat(second).isNotSameAs(first);
        q.queued(second, 1600);
        q.finish(second, true);
        assertThat(q.acked(1299)).as("one byte short of the first range's end").isFalse();
        assertThat(q.acked(1300)).as("exactly at its end").isTrue();
        ErrorQueue.ExtendedErr note = q.dequeue();
        assertThat(note.info()).isZero();
        assertThat(note.data()).as("only id 0").isZero();
        assertThat(q.acked(1600)).isTrue();
        assertThat(q.dequeue().info()).isEqualTo(1);
    }

    @Test
    void aRange_takesBytesUpToExactly512KiB_andTheNextByteStartsAnother() {
        ErrorQueue q = new ErrorQueue();
        int big = (int) ErrorQueue.BYTE_LIMIT - 100;
        ErrorQueue.Uarg first = q.startZeroCopy(big, 1000, 1000);
        q.queued(first, 1000 + big);
        q.finish(first, true);
        ErrorQueue.Uarg filling = q.startZeroCopy(100, 1000 + big, 1000);
        assertThat(filling).as("bytelen reaches the limit exactly").isSameAs(first);
        q.queued(filling, 1000 + big + 100);
        q.finish(filling, true);
        ErrorQueue.Uarg over = q.startZeroCopy(1, 1000 + big + 100, 1000);
        assertThat(over).as("one byte more does not fit").isNotSameAs(first);
    }
}
