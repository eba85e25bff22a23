package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.syscall.Syscalls.PollFd;
import io.vkernel.kernel.trace.EventType;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.pending;
import static io.vkernel.kernel.syscall.Syscalls.POLLERR;
import static io.vkernel.kernel.syscall.Syscalls.POLLHUP;
import static io.vkernel.kernel.syscall.Syscalls.POLLIN;
import static io.vkernel.kernel.syscall.Syscalls.POLLNVAL;
import static io.vkernel.kernel.syscall.Syscalls.POLLOUT;
import static io.vkernel.kernel.syscall.Syscalls.POLLRDHUP;
import static io.vkernel.kernel.syscall.Syscalls.POLLRDNORM;
import static io.vkernel.kernel.syscall.Syscalls.POLLWRNORM;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The descriptor calls as a process sees them: fcntl()'s flags and their strace, dup() and dup2() at their edges
 * (the same number, beyond RLIMIT_NOFILE, a closed source), poll()'s revents for the terminal, a closed number, a
 * socket never connected, a listener and a connection in each phase, and ioctl() where tcp_ioctl() refuses.
 */
class FdCallsTest {

    private final TcpFixture t = new TcpFixture();

    private List<String> events(EventType type) {
        return t.kernel.inspect(k -> k.events().after(0, 100_000)).stream().filter(e -> e.type() == type)
                .map(e -> e.subject() + ": " + e.detail()).toList();
    }

    private SyscallResult poll(int timeoutMs, PollFd... fds) {
        return done(t.kernel.poll(t.pid, List.of(fds), timeoutMs));
    }

    @Test
    void fcntl_getflShowsTheFlagsInHexAndByName_setflNamesWhatItSets() {
        int fd = t.listenFd;
        SyscallResult get = done(t.kernel.fcntl(t.pid, fd, "F_GETFL", 0));
        assertThat(get.ret()).isEqualTo(02);
        assertThat(get.strace()).isEqualTo("fcntl(" + fd + ", F_GETFL) = 0x2 (flags O_RDWR)");
        SyscallResult set = done(t.kernel.fcntl(t.pid, fd, "F_SETFL", 04000));
        assertThat(set.ret()).isZero();
        assertThat(set.strace()).isEqualTo("fcntl(" + fd + ", F_SETFL, O_RDONLY|O_NONBLOCK) = 0");
        assertThat(done(t.kernel.fcntl(t.pid, fd, "F_GETFL", 0)).strace())
                .isEqualTo("fcntl(" + fd + ", F_GETFL) = 0x802 (flags O_RDWR|O_NONBLOCK)");

        SyscallResult pipe = done(t.kernel.pipe(t.pid, 0));
        assertThat(pipe.ret()).isZero();
        int writeEnd = t.listenFd + 2; // pipe() takes the two lowest free numbers, read end first
        assertThat(done(t.kernel.fcntl(t.pid, writeEnd, "F_GETFL", 0)).strace())
                .isEqualTo("fcntl(" + writeEnd + ", F_GETFL) = 0x1 (flags O_WRONLY)");
        assertThat(done(t.kernel.fcntl(t.pid, writeEnd - 1, "F_GETFL", 0)).strace())
                .isEqualTo("fcntl(" + (writeEnd - 1) + ", F_GETFL) = 0x0 (flags O_RDONLY)");
    }

    @Test
    void fcntl_unknownCommandIsEinval_andAClosedNumberEbadf() {
        SyscallResult unknown = done(t.kernel.fcntl(t.pid, t.listenFd, "F_DUPFD", 0));
        assertThat(unknown.errno()).isEqualTo(Errno.EINVAL);
        assertThat(unknown.strace()).isEqualTo("fcntl(" + t.listenFd + ", F_DUPFD) = -1 EINVAL (Invalid argument)");
        assertThat(done(t.kernel.fcntl(t.pid, 99, "F_GETFL", 0)).errno()).isEqualTo(Errno.EBADF);
    }

    @Test
    void dup_takesTheLowestFreeNumber_sharesTheFile_andLogsTheReferenceCount() {
        SyscallResult dup = done(t.kernel.dup(t.pid, t.listenFd));
        int copy = (int) dup.ret();
        assertThat(copy).isEqualTo(t.listenFd + 1);
        assertThat(dup.strace()).isEqualTo("dup(" + t.listenFd + ") = " + copy);
        assertThat(events(EventType.FD_ALLOC)).last().asString()
                .endsWith("fd " + copy + " -> socket:[" + t.kernel.inspect(k -> k.process(t.pid).fds().get(t.listenFd).socket().inode())
                        + "] (dup of fd " + t.listenFd + ", 2 references)");
        // the flags are the shared file's: F_SETFL on one number shows on the other
        done(t.kernel.fcntl(t.pid, copy, "F_SETFL", 04000));
        assertThat(done(t.kernel.fcntl(t.pid, t.listenFd, "F_GETFL", 0)).ret()).isEqualTo(04002);
        assertThat(done(t.kernel.dup(t.pid, 50)).errno()).isEqualTo(Errno.EBADF);
    }

    @Test
    void dup2_ontoItself_changesNothing_andOutsideTheTableIsEbadf() {
        SyscallResult same = done(t.kernel.dup2(t.pid, t.listenFd, t.listenFd, new PacketReport(null)));
        assertThat(same.ret()).isEqualTo(t.listenFd);
        assertThat(same.strace()).isEqualTo("dup2(" + t.listenFd + ", " + t.listenFd + ") = " + t.listenFd);
        // still one reference: close() of the only number releases the listener
        int refs = t.kernel.<Integer>inspect(k -> k.process(t.pid).fds().get(t.listenFd).refCount());
        assertThat(refs).isEqualTo(1);

        int limit = t.kernel.<Integer>inspect(k -> k.process(t.pid).fds().limit());
        assertThat(done(t.kernel.dup2(t.pid, t.listenFd, limit, new PacketReport(null))).errno()).isEqualTo(Errno.EBADF);
        assertThat(done(t.kernel.dup2(t.pid, t.listenFd, -1, new PacketReport(null))).errno()).isEqualTo(Errno.EBADF);
        SyscallResult last = done(t.kernel.dup2(t.pid, t.listenFd, limit - 1, new PacketReport(null)));
        assertThat(last.ret()).isEqualTo(limit - 1);
        assertThat(events(EventType.FD_ALLOC)).last().asString().endsWith("(dup2 of fd " + t.listenFd + ")");
        assertThat(done(t.kernel.dup2(t.pid, 60, 61, new PacketReport(null))).errno()).isEqualTo(Errno.EBADF);
    }

    @Test
    void close_logsTheFreedNumber_andASecondCloseIsEbadf() {
        SyscallResult close = done(t.kernel.close(t.pid, t.listenFd, new PacketReport(null)));
        assertThat(close.strace()).isEqualTo("close(" + t.listenFd + ") = 0");
        assertThat(events(EventType.FD_FREE)).last().asString()
                .contains("fd " + t.listenFd + " (socket:[").endsWith("]) freed; the number is free for reuse");
        SyscallResult again = done(t.kernel.close(t.pid, t.listenFd, new PacketReport(null)));
        assertThat(again.errno()).isEqualTo(Errno.EBADF);
        assertThat(again.strace()).isEqualTo("close(" + t.listenFd + ") = -1 EBADF (Bad file descriptor)");
    }

    @Test
    void poll_theTerminalIsReadableAndWritable_aClosedNumberIsPollnval_bothCountedReady() {
        SyscallResult both = poll(1000, new PollFd(0, POLLIN), new PollFd(1, POLLOUT), new PollFd(40, POLLIN));
        assertThat(both.ret()).isEqualTo(3);
        assertThat(both.revents()).containsExactly(POLLIN, POLLOUT, POLLNVAL);
        assertThat(both.strace()).isEqualTo("poll([{fd=0, events=POLLIN}, {fd=1, events=POLLOUT}, {fd=40, events=POLLIN}], 3, 1000) = 3 "
                + "([{fd=0, revents=POLLIN}, {fd=1, revents=POLLOUT}, {fd=40, revents=POLLNVAL}])");
        // asking for nothing on the terminal: no revents, and nothing to wait on, so the timeout's answer at once
        SyscallResult none = poll(0, new PollFd(2, 0));
        assertThat(none.ret()).isZero();
        assertThat(none.revents()).containsExactly(0);
        assertThat(none.strace()).isEqualTo("poll([{fd=2, events=0}], 1, 0) = 0 (Timeout)");
        SyscallResult later = poll(500, new PollFd(2, 0));
        assertThat(later.ret()).isZero();
        assertThat(later.strace()).endsWith("= 0 (Timeout)");
    }

    @Test
    void poll_aSocketNeverConnected_isHupAndWritable_andPollhupComesUnasked() {
        int fd = (int) done(t.kernel.socket(t.pid)).ret();
        SyscallResult r = poll(0, new PollFd(fd, POLLIN | POLLOUT));
        assertThat(r.revents()).containsExactly(POLLHUP | POLLOUT);
        SyscallResult onlyIn = poll(0, new PollFd(fd, POLLIN));
        assertThat(onlyIn.revents()).containsExactly(POLLHUP);
    }

    @Test
    void poll_aListenerIsReadableOnlyWithAConnectionToAccept() {
        SyscallResult empty = poll(0, new PollFd(t.listenFd, POLLIN | POLLOUT));
        assertThat(empty.ret()).isZero();
        assertThat(empty.strace()).endsWith("= 0 (Timeout)");
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER).connect();
        SyscallResult ready = poll(0, new PollFd(t.listenFd, POLLIN | POLLOUT));
        assertThat(ready.ret()).isEqualTo(1);
        assertThat(ready.revents()).containsExactly(POLLIN); // POLLIN|POLLRDNORM, masked by what was asked
    }

    @Test
    void poll_aConnection_writableWhenIdle_readableWithData_rdhupAfterFin_errAndHupAfterRst() {
        t.established();
        int all = POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLRDHUP;
        assertThat(poll(0, new PollFd(t.fd, all)).revents()).containsExactly(POLLOUT | POLLWRNORM);
        t.peer.data("hello");
        assertThat(poll(0, new PollFd(t.fd, all)).revents()).containsExactly(POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM);
        t.peer.fin();
        assertThat(poll(0, new PollFd(t.fd, all)).revents()).containsExactly(POLLIN | POLLRDNORM | POLLRDHUP | POLLOUT | POLLWRNORM);
        t.peer.send(TcpFlags.RST | TcpFlags.ACK, "");
        // tcp_done() after a reset: shut both ways, the error pending; POLLERR and POLLHUP come even unasked
        assertThat(poll(0, new PollFd(t.fd, POLLOUT)).revents()).containsExactly(POLLOUT | POLLERR | POLLHUP);
    }

    @Test
    void poll_aConnectInProgress_hasNoEvents_andABlockingPollWakesWhenItCompletes() {
        int fd = (int) done(t.kernel.socket(t.pid)).ret();
        PendingCall connect = pending(t.kernel.connect(t.pid, fd, Endpoint.parse("10.0.0.9:80"), new PacketReport(null)));
        SyscallResult now = poll(0, new PollFd(fd, POLLIN | POLLOUT));
        assertThat(now.revents()).containsExactly(0);
        PendingCall waiting = pending(t.kernel.poll(t.pid, List.of(new PollFd(fd, POLLOUT)), 3000));
        t.kernel.advance(3000);
        assertThat(waiting.isDone()).isTrue();
        assertThat(waiting.result().ret()).isZero();
        assertThat(waiting.result().strace()).isEqualTo("poll([{fd=" + fd + ", events=POLLOUT}], 1, 3000) = 0 (Timeout)");
        assertThat(connect.isDone()).isFalse();
    }

    @Test
    void ioctl_aListenerIsEinval_aSocketWithoutConnectionHasEmptyQueues_anUnknownRequestIsEinval() {
        SyscallResult listener = done(t.kernel.ioctl(t.pid, t.listenFd, "SIOCOUTQ"));
        assertThat(listener.errno()).isEqualTo(Errno.EINVAL);
        assertThat(listener.strace()).isEqualTo("ioctl(" + t.listenFd + ", SIOCOUTQ) = -1 EINVAL (Invalid argument)");
        int fd = (int) done(t.kernel.socket(t.pid)).ret();
        for (String request : Syscalls.IOCTLS) {
            SyscallResult r = done(t.kernel.ioctl(t.pid, fd, request));
            assertThat(r.ret()).as(request).isZero();
            assertThat(r.value()).as(request).isZero();
            assertThat(r.strace()).isEqualTo("ioctl(" + fd + ", " + request + ", [0]) = 0");
        }
        assertThat(done(t.kernel.ioctl(t.pid, fd, "SIOCGSTAMP")).errno()).isEqualTo(Errno.EINVAL);
        assertThat(done(t.kernel.ioctl(t.pid, 0, "SIOCINQ")).errno()).isEqualTo(Errno.ENOTSOCK);
    }

    @Test
    void ioctl_siocoutqnsd_countsCorkedBytesNotYetSent() {
        t.established();
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_CORK", 1, true));
        t.write("abc");
        assertThat(done(t.kernel.ioctl(t.pid, t.fd, "SIOCOUTQ")).value()).isEqualTo(3);
        assertThat(done(t.kernel.ioctl(t.pid, t.fd, "SIOCOUTQNSD")).value()).isEqualTo(3);
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_CORK", 0, true));
        assertThat(done(t.kernel.ioctl(t.pid, t.fd, "SIOCOUTQ")).value()).isEqualTo(3);
        assertThat(done(t.kernel.ioctl(t.pid, t.fd, "SIOCOUTQNSD")).value()).isZero();
    }
}
