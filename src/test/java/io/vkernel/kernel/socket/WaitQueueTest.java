package io.vkernel.kernel.socket;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A socket's wait queue: every sleeper is woken once per wake-up, in arrival order; those that finished leave it. */
class WaitQueueTest {

    private static final class Sleeper implements WaitQueue.Waiter {
        final String name;
        final int finishOn;
        int wakeUps;

        Sleeper(String name, int finishOn) {
            this.name = name;
            this.finishOn = finishOn;
        }

        @Override
        public boolean wake() {
            wakeUps++;
            return wakeUps >= finishOn;
        }

        @Override
        public String describe() {
            return name;
        }
    }

    @Test
    void wakeAll_wakesEverySleeperInOrder_andOnlyThoseThatFinishedLeave() {
        WaitQueue queue = new WaitQueue();
        assertThat(queue.isEmpty()).isTrue();
        assertThat(queue.wakeAll()).isEmpty();
        assertThat(queue.waiters()).isEmpty();
        Sleeper read = new Sleeper("read", 1);
        Sleeper accept = new Sleeper("accept", 2);
        Sleeper write = new Sleeper("write", 1);
        queue.add(read);
        queue.add(accept);
        queue.add(write);
        queue.add(read);
        assertThat(queue.isEmpty()).isFalse();
        assertThat(queue.waiters()).containsExactly(read, accept, write);
        assertThat(queue.wakeAll()).containsExactly(read, write);
        assertThat(queue.waiters()).containsExactly(accept);
        assertThat(accept.wakeUps).isEqualTo(1);
        assertThat(queue.wakeAll()).containsExactly(accept);
        assertThat(queue.isEmpty()).isTrue();
        assertThat(List.of(read.wakeUps, accept.wakeUps, write.wakeUps)).containsExactly(1, 2, 1);
    }

    @Test
    void remove_takesOneSleeperOff_andAQueueNeverUsedStaysEmpty() {
        WaitQueue queue = new WaitQueue();
        Sleeper a = new Sleeper("a", 1);
        queue.remove(a);
        assertThat(queue.isEmpty()).isTrue();
        Sleeper b = new Sleeper("b", 1);
        queue.add(a);
        queue.add(b);
        queue.remove(a);
        assertThat(queue.waiters()).containsExactly(b);
        assertThat(queue.wakeAll()).containsExactly(b);
        assertThat(a.wakeUps).isZero();
        queue.remove(b);
        assertThat(queue.isEmpty()).isTrue();
    }

    @Test
    void errnoNumbersAndMessages_areLinuxs_andAnUnknownNumberIsRefused() {
        assertThat(Errno.EBADF.number()).isEqualTo(9);
        assertThat(Errno.byNumber(9)).isEqualTo(Errno.EBADF);
        assertThat(Errno.byNumber(Errno.EMFILE.number())).isEqualTo(Errno.EMFILE);
        assertThat(Errno.EMFILE.number()).isEqualTo(24);
        assertThat(Errno.ECONNREFUSED.message()).isEqualTo("Connection refused");
        assertThatThrownBy(() -> Errno.byNumber(12345)).hasMessage("no errno 12345");
    }
}
