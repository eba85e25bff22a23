package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.socket.WaitQueue;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.syscall.Syscalls.PollFd;
import io.vkernel.kernel.trace.EventType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.vkernel.kernel.TcpFixture.pending;
import static io.vkernel.kernel.TcpFixture.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A blocked call from sleep to its one result: the thread and wait channel ps shows, its place on the socket's wait
 * queue and off it again, SO_RCVTIMEO cancelled when data comes first, listeners hearing the result exactly once
 * (also when added late), a poll() leaving every queue it slept on, and exit() ending it with "? <process exited>".
 */
class PendingCallLifecycleTest {

    private final TcpFixture t = new TcpFixture().established();

    private List<WaitQueue.Waiter> waiters() {
        return t.kernel.inspect(k -> k.process(t.pid).fds().get(t.fd).socket().waitQueue().waiters());
    }

    @Test
    void aBlockedRead_showsItsThreadAndWaitChannel_andLeavesTheQueueWhenDataComes() {
        t.kernel.advance(250);
        PendingCall read = pending(t.kernel.read(t.pid, t.fd, 10));
        assertThat(read.pid()).isEqualTo(t.pid);
        assertThat(read.tid()).as("the idle main thread takes the call: tid = pid").isEqualTo(t.pid);
        assertThat(read.call()).isEqualTo("read(" + t.fd + ", ..., 10)");
        assertThat(read.waitChannel()).isEqualTo("sk_wait_data");
        assertThat(read.startedAt()).isEqualTo(250);
        assertThat(read.isDone()).isFalse();
        assertThat(read.result()).isNull();
        assertThat(waiters()).containsExactly(read);
        assertThat(read.describe()).isEqualTo("pid " + t.pid + " tid " + read.tid() + " read(" + t.fd + ", ..., 10)");

        List<SyscallResult> heard = new ArrayList<>();
        read.onDone(heard::add);
        t.peer.data("data");
        assertThat(read.isDone()).isTrue();
        assertThat(text(read.result())).isEqualTo("data");
        assertThat(heard).containsExactly(read.result());
        assertThat(waiters()).isEmpty();
        assertThat(read.wake()).as("a finished call asked again says it is done").isTrue();
        List<SyscallResult> late = new ArrayList<>();
        read.onDone(late::add);
        assertThat(late).as("a listener added afterwards hears the result at once").containsExactly(read.result());
        assertThat(heard).hasSize(1);
    }

    @Test
    void soRcvtimeo_isCancelledWhenDataComesFirst() {
        TcpFixture.done(t.kernel.setsockopt(t.pid, t.fd, "SO_RCVTIMEO", 500, true));
        PendingCall read = pending(t.kernel.read(t.pid, t.fd, 10));
        t.kernel.advance(100);
        t.peer.data("x");
        t.kernel.advance(1000);
        assertThat(read.result().ret()).isEqualTo(1);
        assertThat(t.kernel.inspect(k -> k.events().after(0, 100_000)).stream()
                .filter(e -> e.type() == EventType.TIMER_FIRED).map(e -> e.detail()).toList())
                .noneMatch(d -> d.contains("SO_RCVTIMEO"));

        PendingCall timed = pending(t.kernel.read(t.pid, t.fd, 10));
        t.kernel.advance(499);
        assertThat(timed.isDone()).isFalse();
        t.kernel.advance(1);
        assertThat(timed.result().errno()).isEqualTo(Errno.EAGAIN);
        assertThat(waiters()).as("the timeout takes it off the queue").isEmpty();
        assertThat(t.kernel.inspect(k -> k.events().after(0, 100_000)).stream()
                .filter(e -> e.type() == EventType.TIMER_FIRED).map(e -> e.detail()).toList())
                .contains("SO_RCVTIMEO expired for read(" + t.fd + ", ..., 10)");
    }

    @Test
    void aPollOnTwoSockets_leavesBothQueues_whenOneWakesIt() {
        int other = (int) TcpFixture.done(t.kernel.socket(t.pid)).ret();
        TcpFixture.done(t.kernel.bind(t.pid, other, io.vkernel.kernel.wire.Endpoint.parse("0.0.0.0:9999")));
        TcpFixture.done(t.kernel.listen(t.pid, other, 4));
        PendingCall poll = pending(t.kernel.poll(t.pid, List.of(new PollFd(t.fd, 1), new PollFd(other, 1)), -1));
        assertThat(poll.waitChannel()).isEqualTo("do_sys_poll");
        List<WaitQueue.Waiter> otherQueue = t.kernel.inspect(k -> k.process(t.pid).fds().get(other).socket().waitQueue().waiters());
        assertThat(otherQueue).containsExactly(poll);
        t.peer.data("hi");
        assertThat(poll.isDone()).isTrue();
        assertThat(poll.result().ret()).isEqualTo(1);
        assertThat(waiters()).isEmpty();
        List<WaitQueue.Waiter> after = t.kernel.inspect(k -> k.process(t.pid).fds().get(other).socket().waitQueue().waiters());
        assertThat(after).isEmpty();
        t.kernel.advance(60_000);
        assertThat(poll.result().ret()).as("a poll without timeout has no timer to fire later").isEqualTo(1);
    }

    @Test
    void exit_endsABlockedCall_withEbadfAndQuestionMark() {
        PendingCall read = pending(t.kernel.read(t.pid, t.fd, 10));
        List<SyscallResult> heard = new ArrayList<>();
        read.onDone(heard::add);
        t.kernel.exit(t.pid);
        assertThat(read.isDone()).isTrue();
        assertThat(read.result().errno()).isEqualTo(Errno.EBADF);
        assertThat(read.result().strace()).isEqualTo("read(" + t.fd + ", ..., 10) = ? <process exited>");
        assertThat(heard).hasSize(1);
    }
}
