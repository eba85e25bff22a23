package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.socket.EventPoll;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.trace.PacketReport;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.vkernel.kernel.TcpFixture.assertErrno;
import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.pending;
import static io.vkernel.kernel.socket.EventPoll.CTL_ADD;
import static io.vkernel.kernel.socket.EventPoll.CTL_DEL;
import static io.vkernel.kernel.socket.EventPoll.CTL_MOD;
import static io.vkernel.kernel.socket.EventPoll.EPOLLERR;
import static io.vkernel.kernel.socket.EventPoll.EPOLLET;
import static io.vkernel.kernel.socket.EventPoll.EPOLLEXCLUSIVE;
import static io.vkernel.kernel.socket.EventPoll.EPOLLHUP;
import static io.vkernel.kernel.socket.EventPoll.EPOLLIN;
import static io.vkernel.kernel.socket.EventPoll.EPOLLONESHOT;
import static io.vkernel.kernel.socket.EventPoll.EPOLLOUT;
import static io.vkernel.kernel.socket.EventPoll.EPOLLRDNORM;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * epoll_create(), epoll_ctl() and epoll_wait() as fs/eventpoll.c answers them: each refusal's errno, level-triggered
 * items reported on every call, EPOLLET only after a new wake-up, EPOLLONESHOT until EPOLL_CTL_MOD re-arms it,
 * maxevents honoured in ready-list order, and a blocking wait woken by data or ended by its timeout.
 */
class EpollCallsTest {

    private final TcpFixture t = new TcpFixture();

    private int epoll() {
        SyscallResult r = done(t.kernel.epollCreate(t.pid, 1));
        assertThat(r.errno()).isNull();
        return (int) r.ret();
    }

    private SyscallResult ctl(int epfd, int op, int fd, int events, long data) {
        return done(t.kernel.epollCtl(t.pid, epfd, op, fd, events, data));
    }

    private SyscallResult waitNow(int epfd, int max) {
        return done(t.kernel.epollWait(t.pid, epfd, max, 0));
    }

    @Test
    void epollCreate_needsAPositiveSize_andIsAnEventpollFile() {
        SyscallResult zero = done(t.kernel.epollCreate(t.pid, 0));
        assertErrno(zero, Errno.EINVAL);
        assertThat(zero.strace()).isEqualTo("epoll_create(0) = -1 EINVAL (Invalid argument)");
        SyscallResult one = done(t.kernel.epollCreate(t.pid, 1));
        assertThat(one.ret()).isEqualTo(t.listenFd + 1);
        assertThat(one.strace()).isEqualTo("epoll_create(1) = " + one.ret());
        String type = t.kernel.inspect(k -> k.process(t.pid).fds().get((int) one.ret()).type());
        assertThat(type).isEqualTo("a_inode");
    }

    @Test
    void epollCtl_refusals() {
        int ep = epoll();
        assertErrno(ctl(t.listenFd, CTL_ADD, t.listenFd, EPOLLIN, 0), Errno.EINVAL); // not an epoll file
        assertErrno(ctl(ep, CTL_ADD, ep, EPOLLIN, 0), Errno.EINVAL); // itself
        SyscallResult terminal = ctl(ep, CTL_ADD, 0, EPOLLIN, 0);
        assertErrno(terminal, Errno.EPERM);
        assertThat(terminal.strace()).isEqualTo("epoll_ctl(" + ep + ", EPOLL_CTL_ADD, 0, {events=EPOLLIN, data={u32=0, u64=0}}) = -1 EPERM ("
                + Errno.EPERM.message() + ")");
        assertErrno(ctl(ep, CTL_ADD, 60, EPOLLIN, 0), Errno.EBADF);
        assertErrno(ctl(61, CTL_ADD, t.listenFd, EPOLLIN, 0), Errno.EBADF);
        assertErrno(ctl(ep, CTL_MOD, t.listenFd, EPOLLIN, 0), Errno.ENOENT);
        SyscallResult del = ctl(ep, CTL_DEL, t.listenFd, 0, 0);
        assertErrno(del, Errno.ENOENT);
        assertThat(del.strace()).startsWith("epoll_ctl(" + ep + ", EPOLL_CTL_DEL, " + t.listenFd + ", NULL)");
        SyscallResult bogus = ctl(ep, 9, t.listenFd, EPOLLIN, 0);
        assertErrno(bogus, Errno.EINVAL);
        assertThat(bogus.strace()).startsWith("epoll_ctl(" + ep + ", 9, ");

        SyscallResult add = ctl(ep, CTL_ADD, t.listenFd, EPOLLIN | EPOLLET, 0x1_0000_0007L);
        assertThat(add.ret()).isZero();
        assertThat(add.strace()).isEqualTo("epoll_ctl(" + ep + ", EPOLL_CTL_ADD, " + t.listenFd
                + ", {events=EPOLLIN|EPOLLET, data={u32=7, u64=4294967303}}) = 0");
        assertErrno(ctl(ep, CTL_ADD, t.listenFd, EPOLLIN, 0), Errno.EEXIST);
        assertErrno(ctl(ep, CTL_MOD, t.listenFd, EPOLLIN | EPOLLEXCLUSIVE, 0), Errno.EINVAL);
        assertThat(ctl(ep, CTL_MOD, t.listenFd, EPOLLIN, 0).ret()).isZero();
        assertThat(ctl(ep, CTL_DEL, t.listenFd, 0, 0).ret()).isZero();
        assertErrno(ctl(ep, CTL_DEL, t.listenFd, 0, 0), Errno.ENOENT);

        assertThat(ctl(ep, CTL_ADD, t.listenFd, EPOLLIN | EPOLLEXCLUSIVE, 0).ret()).isZero();
        assertErrno(ctl(ep, CTL_MOD, t.listenFd, EPOLLIN, 0), Errno.EINVAL); // an EPOLLEXCLUSIVE item cannot be modified
    }

    @Test
    void epollWait_refusesNonEpollFilesAndMaxeventsBelowOne() {
        int ep = epoll();
        SyscallResult zero = done(t.kernel.epollWait(t.pid, ep, 0, 0));
        assertErrno(zero, Errno.EINVAL);
        assertThat(zero.strace()).isEqualTo("epoll_wait(" + ep + ", ..., 0, 0) = -1 EINVAL (Invalid argument)");
        assertErrno(done(t.kernel.epollWait(t.pid, t.listenFd, 1, 0)), Errno.EINVAL);
        assertErrno(done(t.kernel.epollWait(t.pid, 70, 1, 0)), Errno.EBADF);
        SyscallResult empty = done(t.kernel.epollWait(t.pid, ep, 1, 1000));
        assertThat(empty.ret()).as("nothing watched: nothing can wake it").isZero();
        assertThat(empty.strace()).isEqualTo("epoll_wait(" + ep + ", [], 1, 1000) = 0");
    }

    @Test
    void levelTriggered_reportsOnEveryCall_edgeTriggeredOnlyAfterAWakeup() {
        t.established();
        int ep = epoll();
        ctl(ep, CTL_ADD, t.fd, EPOLLIN, 1);
        SyscallResult idle = waitNow(ep, 4);
        assertThat(idle.ret()).isZero();
        t.peer.data("x");
        SyscallResult first = waitNow(ep, 4);
        assertThat(first.ret()).isEqualTo(1);
        assertThat(first.revents()).containsExactly(EPOLLIN, 1);
        assertThat(first.strace()).isEqualTo("epoll_wait(" + ep + ", [{events=EPOLLIN, data={u32=1, u64=1}}], 4, 0) = 1");
        assertThat(waitNow(ep, 4).ret()).as("level-triggered: still readable, reported again").isEqualTo(1);

        int ep2 = epoll();
        ctl(ep2, CTL_ADD, t.fd, EPOLLIN | EPOLLET, 2);
        assertThat(waitNow(ep2, 4).revents()).as("added while readable: ready at once").containsExactly(EPOLLIN, 2);
        assertThat(waitNow(ep2, 4).ret()).as("edge-triggered: not again without a new wake-up").isZero();
        t.peer.data("y");
        assertThat(waitNow(ep2, 4).revents()).containsExactly(EPOLLIN, 2);
        t.read();
        assertThat(waitNow(ep, 4).ret()).as("read to empty: the level item has nothing to say").isZero();
    }

    @Test
    void oneshot_reportsOnce_untilEpollCtlModRearmsIt() {
        t.established();
        int ep = epoll();
        ctl(ep, CTL_ADD, t.fd, EPOLLIN | EPOLLONESHOT, 3);
        t.peer.data("a");
        assertThat(waitNow(ep, 4).ret()).isEqualTo(1);
        t.peer.data("b");
        assertThat(waitNow(ep, 4).ret()).as("disabled after firing, even with new data").isZero();
        ctl(ep, CTL_MOD, t.fd, EPOLLIN | EPOLLONESHOT, 4);
        assertThat(waitNow(ep, 4).revents()).containsExactly(EPOLLIN, 4);
    }

    @Test
    void aDisabledOneshotWatch_staysOnTheSocketsWaitQueue_soARearmSeesLaterData() {
        t.established();
        int ep = epoll();
        ctl(ep, CTL_ADD, t.fd, EPOLLIN | EPOLLONESHOT, 3);
        t.peer.data("a");
        assertThat(waitNow(ep, 4).ret()).isEqualTo(1);
        int wakes = t.events(io.vkernel.kernel.trace.EventType.THREAD_WAKE).size();
        t.peer.data("b");
        assertThat(t.events(io.vkernel.kernel.trace.EventType.THREAD_WAKE)).as("ep_poll_callback() on a disabled item: nobody woken")
                .hasSize(wakes);
        t.read();
        ctl(ep, CTL_MOD, t.fd, EPOLLIN | EPOLLONESHOT, 4);
        assertThat(waitNow(ep, 4).ret()).as("re-armed on an empty socket: nothing yet").isZero();
        t.peer.data("c");
        assertThat(waitNow(ep, 4).revents()).as("the epitem never left the wait queue").containsExactly(EPOLLIN, 4);
    }

    @Test
    void maxevents_limitsOneCall_theRestComeNext() {
        t.established();
        int second = (int) done(t.kernel.socket(t.pid)).ret();
        int ep = epoll();
        ctl(ep, CTL_ADD, t.fd, EPOLLOUT, 10);
        ctl(ep, CTL_ADD, second, EPOLLOUT, 20);
        SyscallResult one = waitNow(ep, 1);
        assertThat(one.revents()).containsExactly(EPOLLOUT, 10);
        SyscallResult next = waitNow(ep, 1);
        assertThat(next.revents()).as("the never-connected socket: writable and hung up")
                .containsExactly(EPOLLOUT | EPOLLHUP, 20);
        assertThat(waitNow(ep, 8).ret()).isEqualTo(2);
        ctl(ep, CTL_DEL, second, 0, 0);
        assertThat(waitNow(ep, 8).revents()).containsExactly(EPOLLOUT, 10);
    }

    @Test
    void blockingWait_wokenByData_orEndedByItsTimeout() {
        t.established();
        int ep = epoll();
        ctl(ep, CTL_ADD, t.fd, EPOLLIN | EPOLLRDNORM, 5);
        PendingCall sleeping = pending(t.kernel.epollWait(t.pid, ep, 2, 5000));
        t.kernel.advance(1000);
        assertThat(sleeping.isDone()).isFalse();
        t.peer.data("wake");
        assertThat(sleeping.isDone()).isTrue();
        assertThat(sleeping.result().revents()).containsExactly(EPOLLIN | EPOLLRDNORM, 5);
        t.read();

        PendingCall timing = pending(t.kernel.epollWait(t.pid, ep, 2, 300));
        t.kernel.advance(299);
        assertThat(timing.isDone()).isFalse();
        t.kernel.advance(1);
        assertThat(timing.isDone()).isTrue();
        assertThat(timing.result().ret()).isZero();
        assertThat(timing.result().strace()).isEqualTo("epoll_wait(" + ep + ", [], 2, 300) = 0");
    }

    @Test
    void aResetConnection_reportsErrAndHup_evenUnasked() {
        t.established();
        int ep = epoll();
        ctl(ep, CTL_ADD, t.fd, EPOLLOUT, 6);
        waitNow(ep, 4);
        t.peer.send(io.vkernel.kernel.wire.TcpFlags.RST | io.vkernel.kernel.wire.TcpFlags.ACK, "");
        assertThat(waitNow(ep, 4).revents()).containsExactly(EPOLLOUT | EPOLLERR | EPOLLHUP, 6);
        List<Integer> fds = t.kernel.inspect(k -> k.process(t.pid).fds().get(ep).epoll().items().stream().map(EventPoll.Item::fd).toList());
        assertThat(fds).containsExactly(t.fd);
        done(t.kernel.close(t.pid, t.fd, new PacketReport(null)));
        List<Integer> after = t.kernel.inspect(k -> k.process(t.pid).fds().get(ep).epoll().items().stream().map(EventPoll.Item::fd).toList());
        assertThat(after).as("closing the socket's last descriptor removes its item").isEmpty();
    }
}
