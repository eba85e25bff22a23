package io.vkernel.kernel.socket;

import org.junit.jupiter.api.Test;

import static io.vkernel.kernel.socket.ErrorQueueTest.send;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * msg_zerocopy_realloc()'s limits on one id range and the tail it may extend: at most USHRT_MAX - 1 sends, the bytes
 * of every send counted, never a range given back by an aborted send, and still the unsent tail after an older range
 * completed (from the ErrorQueue survivors in startZeroCopy, finish and acked).
 */
class ErrorQueueRangeBoundsTest {

    @Test
    void aRangeHoldsAtMostUshrtMaxMinusOneSends_theNextStartsAnother() {
        ErrorQueue q = new ErrorQueue();
        ErrorQueue.Uarg first = send(q, 1, 1000, 1000); // nothing leaves: each send extends the unsent tail
        for (int i = 1; i < ErrorQueue.MAX_LEN; i++) {
            assertThat(send(q, 1, 1000 + i, 1000)).isSameAs(first);
        }
        ErrorQueue.Uarg next = send(q, 1, 1000 + ErrorQueue.MAX_LEN, 1000);
        assertThat(next).as("send number 65535").isNotSameAs(first);
        assertThat(q.acked(1000 + ErrorQueue.MAX_LEN)).isTrue();
        ErrorQueue.ExtendedErr full = q.dequeue();
        assertThat(full.info()).isZero();
        assertThat(full.data()).isEqualTo(ErrorQueue.MAX_LEN - 1);
        assertThat(q.dequeue()).as("the next range's bytes are not acknowledged").isNull();
    }

    @Test
    void everySendsBytesCount_towardTheRangesByteLimit() {
        ErrorQueue q = new ErrorQueue();
        ErrorQueue.Uarg first = send(q, 300_000, 1000, 1000);
        assertThat(send(q, 200_000, 301_000, 1000)).as("500 000 bytes fit in 512 KiB").isSameAs(first);
        assertThat(send(q, 100_000, 501_000, 1000)).as("600 000 do not").isNotSameAs(first);
    }

    @Test
    void aRangeGivenBackByASendThatQueuedNothing_isNeverExtended() {
        ErrorQueue q = new ErrorQueue();
        ErrorQueue.Uarg aborted = q.startZeroCopy(100, 1000, 900); // bytes 900..1000 of plain writes still unsent
        q.finish(aborted, false);
        ErrorQueue.Uarg next = q.startZeroCopy(100, 1000, 900);
        assertThat(next).isNotSameAs(aborted);
        q.queued(next, 1100);
        q.finish(next, true);
        assertThat(q.acked(1100)).isTrue();
        ErrorQueue.ExtendedErr note = q.dequeue();
        assertThat(note.info()).as("id 0, given back and taken again").isZero();
        assertThat(note.data()).isZero();
    }

    @Test
    void anOlderRangeCompleting_leavesTheUnsentTailExtendable() {
        ErrorQueue q = new ErrorQueue();
        send(q, 1000, 1000, 1000); // id 0, sent
        ErrorQueue.Uarg tail = send(q, 300, 2000, 2000); // id 1: 2000 is SND.NXT, so a new range, unsent
        assertThat(q.acked(2000)).as("id 0 done").isTrue();
        assertThat(q.dequeue().data()).isZero();
        assertThat(send(q, 300, 2300, 2000)).as("id 2 joins the unsent tail's range").isSameAs(tail);
        assertThat(q.acked(2300)).as("the range ends at 2600 now").isFalse();
        assertThat(q.acked(2600)).isTrue();
        ErrorQueue.ExtendedErr note = q.dequeue();
        assertThat(note.info()).isEqualTo(1);
        assertThat(note.data()).isEqualTo(2);
    }
}
