package io.vkernel.kernel;

import io.vkernel.kernel.fs.Pipe;
import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.trace.PacketReport;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static io.vkernel.kernel.TcpFixture.assertErrno;
import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.pending;
import static io.vkernel.kernel.fd.OpenFile.O_CREAT;
import static io.vkernel.kernel.fd.OpenFile.O_RDONLY;
import static io.vkernel.kernel.fd.OpenFile.O_RDWR;
import static io.vkernel.kernel.fd.OpenFile.O_WRONLY;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Who wakes whom through a pipe (pipe_read() and pipe_write() waking the other side, splice and sendfile doing the
 * same), a woken call's own wake-up reaching a third sleeper, and the strace text of open() and splice() flags (from
 * the FileCalls survivors of the whole-kernel PIT run).
 */
class PipeWakeupsTest {

    private final TcpFixture t = new TcpFixture();
    private final Kernel kernel = t.kernel;
    private final int pid = t.pid;

    private int[] pipe() {
        SyscallResult p = done(kernel.pipe(pid, 0));
        return new int[] {p.revents().get(0), p.revents().get(1)};
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private int fileWith(String path, String text) {
        int fd = (int) done(kernel.open(pid, path, O_RDWR | O_CREAT)).ret();
        done(kernel.write(pid, fd, bytes(text), new PacketReport(null)));
        done(kernel.lseek(pid, fd, 0, 0));
        return fd;
    }

    /** A writer asleep on a full pipe: 65536 bytes in it, {@code extra} more to go. */
    private PendingCall blockedWriter(int w, int extra) {
        return pending(kernel.write(pid, w, new byte[Pipe.CAPACITY + extra], new PacketReport(null)));
    }

    @Test
    void aRead_wakesTheWriterSleepingOnAFullPipe() {
        int[] p = pipe();
        PendingCall writer = blockedWriter(p[1], 100);
        assertThat(done(kernel.read(pid, p[0], 4096)).ret()).isEqualTo(4096);
        assertThat(writer.isDone()).as("pipe_read() made room and woke it").isTrue();
        assertThat(writer.result().ret()).isEqualTo(Pipe.CAPACITY + 100);
    }

    @Test
    void sendfileIntoAPipe_wakesItsReader() {
        int file = fileWith("/tmp/f", "hello");
        int[] p = pipe();
        PendingCall reader = pending(kernel.read(pid, p[0], 100));
        assertThat(done(kernel.sendfile(pid, p[1], file, 0L, 5, new PacketReport(null))).ret()).isEqualTo(5);
        assertThat(reader.isDone()).isTrue();
        assertThat(new String(reader.result().data(), StandardCharsets.UTF_8)).isEqualTo("hello");
    }

    @Test
    void sendfileAtOffsetZero_isTaken_andACountOfZeroMovesNothing() {
        int file = fileWith("/tmp/z", "abc");
        int sink = fileWith("/tmp/zz", "");
        SyscallResult r = done(kernel.sendfile(pid, sink, file, 0L, 3, new PacketReport(null)));
        assertThat(r.ret()).isEqualTo(3);
        assertThat(r.strace()).isEqualTo("sendfile(" + sink + ", " + file + ", [0] => [3], 3) = 3");
        SyscallResult none = done(kernel.sendfile(pid, sink, file, null, 0, new PacketReport(null)));
        assertThat(none.ret()).isZero();
        assertThat(none.strace()).isEqualTo("sendfile(" + sink + ", " + file + ", NULL, 0) = 0");
    }

    @Test
    void spliceFromAFileIntoAPipe_wakesItsReader_andFromAPipeIntoAFile_wakesItsWriter() {
        int file = fileWith("/tmp/s", "0123456789");
        int sink = fileWith("/tmp/t", "");
        int[] p = pipe();
        PendingCall reader = pending(kernel.read(pid, p[0], 100));
        SyscallResult in = done(kernel.splice(pid, file, p[1], 4, 0, new PacketReport(null)));
        assertThat(in.strace()).isEqualTo("splice(" + file + ", NULL, " + p[1] + ", NULL, 4, 0) = 4");
        assertThat(reader.isDone()).isTrue();
        assertThat(new String(reader.result().data(), StandardCharsets.UTF_8)).isEqualTo("0123");

        PendingCall writer = blockedWriter(p[1], 10);
        assertThat(done(kernel.splice(pid, p[0], sink, 4096, 0, new PacketReport(null))).ret()).isEqualTo(4096);
        assertThat(writer.isDone()).as("the splice drained the pipe and woke the writer").isTrue();
        assertThat(writer.result().ret()).isEqualTo(Pipe.CAPACITY + 10);
    }

    @Test
    void aBlockingSplice_sleepsOnAnEmptyPipe_andItsRetryWakesTheReaderOfTheNextPipe() {
        int[] a = pipe();
        int[] b = pipe();
        PendingCall reader = pending(kernel.read(pid, b[0], 100));
        PendingCall splice = pending(kernel.splice(pid, a[0], b[1], 100, 0, new PacketReport(null)));
        done(kernel.write(pid, a[1], bytes("relay"), new PacketReport(null)));
        assertThat(splice.isDone()).as("woken by the write into a").isTrue();
        assertThat(splice.result().ret()).isEqualTo(5);
        assertThat(reader.isDone()).as("the splice's own write into b wakes b's reader once the first wake-up ends").isTrue();
        assertThat(new String(reader.result().data(), StandardCharsets.UTF_8)).isEqualTo("relay");
    }

    @Test
    void aBlockingSplice_intoAFullPipe_sleepsUntilTheReaderMakesRoom() {
        int file = fileWith("/tmp/u", "xyz");
        int[] p = pipe();
        done(kernel.write(pid, p[1], new byte[Pipe.CAPACITY], new PacketReport(null)));
        PendingCall splice = pending(kernel.splice(pid, file, p[1], 3, 0, new PacketReport(null)));
        assertThat(done(kernel.read(pid, p[0], 10)).ret()).isEqualTo(10);
        assertThat(splice.isDone()).isTrue();
        assertThat(splice.result().ret()).isEqualTo(3);
    }

    @Test
    void spliceFromASocketIntoAPipe_wakesThePipesReader() {
        t.established();
        int[] p = pipe();
        PendingCall reader = pending(kernel.read(pid, p[0], 100));
        t.peer.data("tcp bytes");
        assertThat(done(kernel.splice(pid, t.fd, p[1], 100, 0, new PacketReport(null))).ret()).isEqualTo(9);
        assertThat(reader.isDone()).isTrue();
        assertThat(new String(reader.result().data(), StandardCharsets.UTF_8)).isEqualTo("tcp bytes");
    }

    @Test
    void spliceFromAPipeIntoASocket_wakesTheWriterSleepingOnThePipe() {
        t.established();
        int[] p = pipe();
        PendingCall writer = blockedWriter(p[1], 10);
        long n = done(kernel.splice(pid, p[0], t.fd, 1000, 0, new PacketReport(null))).ret();
        assertThat(n).isEqualTo(1000);
        assertThat(writer.isDone()).isTrue();
        assertThat(writer.result().ret()).isEqualTo(Pipe.CAPACITY + 10);
    }

    @Test
    void spliceFromAPipeIntoASocketWithoutAConnection_isEpipe() {
        int fd = (int) done(kernel.socket(pid)).ret();
        int[] p = pipe();
        done(kernel.write(pid, p[1], bytes("data"), new PacketReport(null)));
        SyscallResult r = done(kernel.splice(pid, p[0], fd, 4, 0, new PacketReport(null)));
        assertErrno(r, Errno.EPIPE);
        assertThat(r.strace()).isEqualTo("splice(" + p[0] + ", NULL, " + fd + ", NULL, 4, 0) = -1 EPIPE (Broken pipe)");
        assertThat(done(kernel.read(pid, p[0], 10)).ret()).as("the bytes stay in the pipe").isEqualTo(4);
    }

    @Test
    void openShowsItsAccessModeByName() {
        SyscallResult w = done(kernel.open(pid, "/tmp/o", O_WRONLY | O_CREAT));
        assertThat(w.strace()).isEqualTo("open(\"/tmp/o\", O_WRONLY|O_CREAT) = " + w.ret());
        SyscallResult rw = done(kernel.open(pid, "/tmp/o", O_RDWR));
        assertThat(rw.strace()).isEqualTo("open(\"/tmp/o\", O_RDWR) = " + rw.ret());
        SyscallResult r = done(kernel.open(pid, "/tmp/o", O_RDONLY));
        assertThat(r.strace()).isEqualTo("open(\"/tmp/o\", O_RDONLY) = " + r.ret());
    }

    @Test
    void lseekToTheStart_isPositionZero() {
        int file = fileWith("/tmp/l", "abcdef");
        done(kernel.lseek(pid, file, 4, 0));
        SyscallResult r = done(kernel.lseek(pid, file, 0, 0));
        assertThat(r.ret()).isZero();
        assertThat(r.strace()).isEqualTo("lseek(" + file + ", 0, SEEK_SET) = 0");
    }
}
