package io.vkernel.kernel.socket;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The error queue's bookkeeping on its own: zero-copy id ranges, their merging, aborted sends, the queue's bound. */
class ErrorQueueTest {

    /** One send() of {@code size} bytes appended at {@code writeEnd}, SND.NXT at {@code sndNxt}; it returns at once. */
    static ErrorQueue.Uarg send(ErrorQueue q, int size, int writeEnd, int sndNxt) {
        ErrorQueue.Uarg uarg = q.startZeroCopy(size, writeEnd, sndNxt);
        q.queued(uarg, writeEnd + size);
        q.finish(uarg, true);
        return uarg;
    }

    @Test
    void rangesThatFollowEachOtherMerge_aGapDoesNot() {
        ErrorQueue q = new ErrorQueue();
        send(q, 100, 1000, 1000);
        send(q, 100, 1100, 1100);
        send(q, 100, 1200, 1200);
        assertThat(q.acked(1200)).isTrue(); // ids 0 and 1 done, one notification [0, 1]
        assertThat(q.acked(1300)).isTrue(); // id 2 widens it to [0, 2]
        assertThat(q.messages()).singleElement().satisfies(m -> {
            assertThat(m.info()).isZero();
            assertThat(m.data()).isEqualTo(2);
            assertThat(m.code()).isEqualTo(ErrorQueue.SO_EE_CODE_ZEROCOPY_COPIED);
        });
        assertThat(q.dequeue().data()).isEqualTo(2);
        assertThat(q.dequeue()).isNull();
    }

    @Test
    void aSendThatQueuedNothing_givesItsIdBack_andNeverNotifies() {
        ErrorQueue q = new ErrorQueue();
        ErrorQueue.Uarg failed = q.startZeroCopy(100, 1000, 1000);
        assertThat(q.pendingRanges()).as("the range is open while its send runs").isEqualTo(1);
        q.finish(failed, false);
        assertThat(q.pendingRanges()).isZero();
        send(q, 100, 1000, 1000);
        q.acked(1100);
        assertThat(q.dequeue().info()).isZero(); // id 0 again
    }

    @Test
    void aSendIntoTheUnsentTailOfThePreviousOne_extendsItsRange_untilTheCallReturns() {
        ErrorQueue q = new ErrorQueue();
        ErrorQueue.Uarg first = send(q, 300, 1000, 1000); // nothing sent: bytes 1000..1300 are the unsent tail
        ErrorQueue.Uarg second = q.startZeroCopy(300, 1300, 1000);
        assertThat(second).isSameAs(first);
        q.queued(second, 1600);
        assertThat(q.acked(1600)).as("the second send has not returned yet").isFalse();
        q.finish(second, true);
        assertThat(q.acked(1600)).isTrue();
        ErrorQueue.ExtendedErr note = q.dequeue();
        assertThat(note.info()).isZero();
        assertThat(note.data()).isEqualTo(1);
    }

    @Test
    void anApplicationThatNeverReadsItsErrorQueue_cannotGrowItPastItsBound() {
        ErrorQueue q = new ErrorQueue();
        q.timestamping(ErrorQueue.SOF_TX_SOFTWARE | ErrorQueue.SOF_TX_SCHED | ErrorQueue.SOF_TX_ACK, 0, 0);
        for (int i = 0; i < 3 * ErrorQueue.MAX_QUEUED; i++) {
            q.requestTx(i + 1);
            q.transmitted(i, 1, i);
            q.ackedThrough(i + 1, i);
        }
        assertThat(q.size()).isEqualTo(ErrorQueue.MAX_QUEUED);
        ErrorQueue.ExtendedErr first = q.dequeue();
        assertThat(first.info()).isEqualTo(ErrorQueue.SCM_TSTAMP_SCHED);
        assertThat(first.data()).as("no OPT_ID: the key is 0").isZero();
    }

    @Test
    void atMost1024TimestampRequestsWait_theNextIsNeverStamped() {
        ErrorQueue q = new ErrorQueue();
        q.timestamping(ErrorQueue.SOF_TX_ACK, 0, 0);
        for (int end = 1; end <= ErrorQueue.MAX_QUEUED + 1; end++) {
            q.requestTx(end); // one write of one byte each: keys 0 to 1024
        }
        q.ackedThrough(513, 0);
        int stamped = 0;
        while (q.dequeue() != null) {
            stamped++;
        }
        assertThat(stamped).as("keys 0 to 512").isEqualTo(513);
        q.ackedThrough(ErrorQueue.MAX_QUEUED + 2, 0);
        while (q.dequeue() != null) {
            stamped++;
        }
        assertThat(stamped).as("the request for key 1024 found 1024 waiting and was dropped").isEqualTo(ErrorQueue.MAX_QUEUED);
    }
}
