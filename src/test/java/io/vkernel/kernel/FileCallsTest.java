package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static io.vkernel.kernel.TcpFixture.assertErrno;
import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Regular files, pipes, sendfile() and splice() at the kernel's API, and the socket options and urgent data the
 * public splice script needs (IP_FREEBIND: inet_bind(); SO_OOBINLINE: tcp_recvmsg_locked()).
 */
class FileCallsTest {

    private static final int O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0100, O_TRUNC = 01000;

    @Test
    void ipFreebind_letsBindTakeAnAddressThatIsNotLocal() {
        Kernel kernel = new Kernel(KernelConfig.defaults("freebind", 42));
        int pid = kernel.spawn("server").pid();
        int fd = (int) done(kernel.socket(pid)).ret();
        assertErrno(done(kernel.bind(pid, fd, Endpoint.parse("192.0.2.7:80"))), Errno.EADDRNOTAVAIL);
        done(kernel.setsockopt(pid, fd, "IP_FREEBIND", 1, true));
        assertThat(done(kernel.getsockopt(pid, fd, "IP_FREEBIND")).value()).isEqualTo(1L);
        assertThat(done(kernel.bind(pid, fd, Endpoint.parse("192.0.2.7:80"))).ret()).isZero();
    }

    @Test
    void aBlockingPipeRead_sleepsUntilAWrite_andSeesEndOfFileWhenTheWriterCloses() {
        Kernel kernel = new Kernel(KernelConfig.defaults("pipe", 42));
        int pid = kernel.spawn("shell").pid();
        SyscallResult pipe = done(kernel.pipe(pid, 0));
        int r = pipe.revents().get(0);
        int w = pipe.revents().get(1);
        assertThat(r).isEqualTo(3);
        assertThat(w).isEqualTo(4);

        Syscalls.Outcome read = kernel.read(pid, r, 100);
        assertThat(read).isInstanceOf(Syscalls.Pending.class);
        PendingCall call = ((Syscalls.Pending) read).call();
        assertThat(call.isDone()).isFalse();
        assertThat(done(kernel.write(pid, w, "hello".getBytes(StandardCharsets.UTF_8), new PacketReport(null))).ret()).isEqualTo(5);
        assertThat(call.isDone()).as("the write wakes the sleeping reader").isTrue();
        assertThat(new String(call.result().data(), StandardCharsets.UTF_8)).isEqualTo("hello");

        PendingCall second = ((Syscalls.Pending) kernel.read(pid, r, 100)).call();
        done(kernel.close(pid, w, new PacketReport(null)));
        assertThat(second.isDone()).isTrue();
        assertThat(second.result().ret()).as("end of file: no writer is left").isZero();
    }

    @Test
    void aFullPipe_takesWhatFits_andANonBlockingWriteThenAnswersEagain() {
        Kernel kernel = new Kernel(KernelConfig.defaults("pipe-full", 42));
        int pid = kernel.spawn("shell").pid();
        SyscallResult pipe = done(kernel.pipe(pid, io.vkernel.kernel.fd.OpenFile.O_NONBLOCK));
        int w = pipe.revents().get(1);
        byte[] big = new byte[70_000];
        assertThat(done(kernel.write(pid, w, big, new PacketReport(null))).ret()).isEqualTo(io.vkernel.kernel.fs.Pipe.CAPACITY);
        assertErrno(done(kernel.write(pid, w, new byte[1], new PacketReport(null))), Errno.EAGAIN);
    }

    @Test
    void filesAreBoundedAndLiveOnlyUnderTmp() {
        Kernel kernel = new Kernel(KernelConfig.defaults("files", 42));
        int pid = kernel.spawn("shell").pid();
        assertErrno(done(kernel.open(pid, "/etc/passwd", 0)), Errno.ENOENT);
        assertErrno(done(kernel.open(pid, "/var/x", O_WRONLY | O_CREAT)), Errno.EACCES);
        assertErrno(done(kernel.open(pid, "/tmp/a/b", O_WRONLY | O_CREAT)), Errno.ENOENT);
        int fd = (int) done(kernel.open(pid, "/tmp/big", O_RDWR | O_CREAT | O_TRUNC)).ret();
        done(kernel.lseek(pid, fd, io.vkernel.kernel.fs.VirtualFs.MAX_FILE_BYTES, 0));
        assertErrno(done(kernel.write(pid, fd, new byte[1], new PacketReport(null))), Errno.EFBIG);
        assertThatThrownBy(() -> kernel.makeFile("/etc/x", 5)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("/tmp/");
        assertThatThrownBy(() -> kernel.makeFile("/tmp/x", (1 << 20) + 1)).isInstanceOf(IllegalArgumentException.class);

        kernel.makeFile("/tmp/x", 3);
        int x = (int) done(kernel.open(pid, "/tmp/x", 0)).ret();
        assertThat(kernel.removeFile("/tmp/x")).isTrue();
        assertThat(kernel.removeFile("/tmp/x")).as("rm -f of a missing file is no error").isFalse();
        assertThat(done(kernel.read(pid, x, 10)).ret()).as("an unlinked file stays readable while open").isEqualTo(3);
        assertErrno(done(kernel.open(pid, "/tmp/x", 0)), Errno.ENOENT);
    }

    @Test
    void sendfile_sendsTheFileOnTheConnection_andMovesThePositionOnlyWithoutAnOffset() {
        TcpFixture f = new TcpFixture().established();
        f.peer.consumeSent();
        f.kernel.makeFile("/tmp/data", 8);
        int in = (int) done(f.kernel.open(f.pid, "/tmp/data", 0)).ret();
        SyscallResult withOffset = done(f.kernel.sendfile(f.pid, f.fd, in, 6L, 100, new PacketReport(null)));
        assertThat(withOffset.ret()).isEqualTo(2);
        assertThat(withOffset.value()).as("the offset after the call").isEqualTo(8L);
        assertThat(done(f.kernel.lseek(f.pid, in, 0, 1)).ret()).as("the position stayed").isZero();
        assertThat(done(f.kernel.sendfile(f.pid, f.fd, in, null, 100, new PacketReport(null))).ret()).isEqualTo(8);
        assertThat(done(f.kernel.lseek(f.pid, in, 0, 1)).ret()).isEqualTo(8);
        assertThat(done(f.kernel.ioctl(f.pid, f.fd, "SIOCOUTQ")).value()).as("both sends are queued (Nagle holds the second)")
                .isEqualTo(10L);
        assertErrno(done(f.kernel.sendfile(f.pid, f.fd, f.fd, null, 100, new PacketReport(null))), Errno.EINVAL);
        assertErrno(done(f.kernel.sendfile(f.pid, in, in, null, 100, new PacketReport(null))), Errno.EBADF);
    }

    @Test
    void urgentData_isSkippedByRead_unlessSoOobinline_keepsItInTheStream() {
        assertThat(readsAfterUrgent(false)).containsExactly("ab", "def");
        assertThat(readsAfterUrgent(true)).containsExactly("ab", "cdef");
    }

    private static java.util.List<String> readsAfterUrgent(boolean inline) {
        TcpFixture f = new TcpFixture().established();
        if (inline) {
            done(f.kernel.setsockopt(f.pid, f.fd, "SO_OOBINLINE", 1, true));
        }
        // urg 3 with tcp_stdurg=0: the urgent byte is the third, 'c'
        f.kernel.receive(new Segment(f.peer.endpoint(), Endpoint.parse(TcpFixture.SERVER), TcpFlags.ACK | TcpFlags.PSH | TcpFlags.URG,
                f.peer.sndNxt(), f.peer.rcvNxt(), 1000, 0, "abcdef".getBytes(StandardCharsets.UTF_8), null, 0, 3));
        String first = new String(f.read().data(), StandardCharsets.UTF_8);
        String second = new String(f.read().data(), StandardCharsets.UTF_8);
        return java.util.List.of(first, second);
    }
}
