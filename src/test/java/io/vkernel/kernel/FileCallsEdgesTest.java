package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.trace.PacketReport;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static io.vkernel.kernel.TcpFixture.assertErrno;
import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.fd.OpenFile.O_APPEND;
import static io.vkernel.kernel.fd.OpenFile.O_CREAT;
import static io.vkernel.kernel.fd.OpenFile.O_EXCL;
import static io.vkernel.kernel.fd.OpenFile.O_NONBLOCK;
import static io.vkernel.kernel.fd.OpenFile.O_RDONLY;
import static io.vkernel.kernel.fd.OpenFile.O_RDWR;
import static io.vkernel.kernel.fd.OpenFile.O_TRUNC;
import static io.vkernel.kernel.fd.OpenFile.O_WRONLY;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * open(), lseek(), read()/write() on regular files and pipes, pipe(), sendfile() and splice() at their refusals and
 * edges, as fs/open.c, fs/read_write.c, fs/pipe.c and fs/splice.c answer them: the errno each wrong use gets, the
 * bytes and positions each right one leaves.
 */
class FileCallsEdgesTest {

    private final Kernel kernel = new Kernel(KernelConfig.defaults("file-edges", 5));
    private final int pid = kernel.spawn("shell").pid();

    private SyscallResult open(String path, int flags) {
        return done(kernel.open(pid, path, flags));
    }

    private SyscallResult write(int fd, String text) {
        return done(kernel.write(pid, fd, text.getBytes(StandardCharsets.UTF_8), new PacketReport(null)));
    }

    private String read(int fd, int count) {
        SyscallResult r = done(kernel.read(pid, fd, count));
        assertThat(r.errno()).isNull();
        return new String(r.data(), StandardCharsets.UTF_8);
    }

    private long seek(int fd, long offset, int whence) {
        return done(kernel.lseek(pid, fd, offset, whence)).ret();
    }

    /** A file holding {@code text}, open O_RDWR. */
    private int fileWith(String path, String text) {
        int fd = (int) open(path, O_RDWR | O_CREAT).ret();
        write(fd, text);
        seek(fd, 0, 0);
        return fd;
    }

    @Test
    void open_refusesUnknownFlagsAndAccessMode3_aDirectory_andAMissingFile() {
        SyscallResult bad = open("/tmp/f", O_RDONLY | 0x10000);
        assertErrno(bad, Errno.EINVAL);
        assertThat(bad.strace()).isEqualTo("open(\"/tmp/f\", O_RDONLY|0x10000) = -1 EINVAL (Invalid argument)");
        SyscallResult mode3 = open("/tmp/f", 3 | O_CREAT);
        assertErrno(mode3, Errno.EINVAL);
        assertThat(mode3.strace()).startsWith("open(\"/tmp/f\", 0x3|O_CREAT)");
        assertErrno(open("/tmp", O_RDONLY), Errno.EISDIR);
        assertErrno(open("/tmp/", O_RDONLY), Errno.EISDIR);
        assertErrno(open("/tmp/missing", O_RDWR), Errno.ENOENT);
        SyscallResult made = open("/tmp/f", O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NONBLOCK);
        assertThat(made.ret()).isEqualTo(3);
        assertThat(made.strace()).isEqualTo("open(\"/tmp/f\", O_WRONLY|O_CREAT|O_EXCL|O_APPEND|O_NONBLOCK) = 3");
        assertErrno(open("/tmp/f", O_WRONLY | O_CREAT | O_EXCL), Errno.EEXIST);
        assertThat(open("/tmp/f", O_WRONLY | O_CREAT).ret()).as("O_CREAT alone opens the existing file").isEqualTo(4);
    }

    @Test
    void oTrunc_emptiesTheFileOnlyWhenOpenedForWriting() {
        int fd = fileWith("/tmp/t", "hello");
        int ro = (int) open("/tmp/t", O_RDONLY | O_TRUNC).ret();
        assertThat(read(ro, 100)).isEqualTo("hello");
        int rw = (int) open("/tmp/t", O_RDWR | O_TRUNC).ret();
        assertThat(read(rw, 100)).isEmpty();
        assertThat(read(fd, 100)).as("the same inode, through the first descriptor").isEmpty();
    }

    @Test
    void readAndWrite_checkTheAccessMode_andOAppendWritesAtTheEnd() {
        fileWith("/tmp/a", "abc");
        int wo = (int) open("/tmp/a", O_WRONLY | O_APPEND).ret();
        SyscallResult readWo = done(kernel.read(pid, wo, 10));
        assertErrno(readWo, Errno.EBADF);
        assertThat(readWo.strace()).isEqualTo("read(" + wo + ", ..., 10) = -1 EBADF (Bad file descriptor)");
        assertThat(write(wo, "de").ret()).isEqualTo(2);
        int ro = (int) open("/tmp/a", O_RDONLY).ret();
        assertErrno(write(ro, "x"), Errno.EBADF);
        SyscallResult all = done(kernel.read(pid, ro, 4));
        assertThat(all.ret()).isEqualTo(4);
        assertThat(all.strace()).isEqualTo("read(" + ro + ", \"abcd\", 4) = 4");
        assertThat(read(ro, 10)).isEqualTo("e");
        assertThat(done(kernel.read(pid, ro, 10)).ret()).as("end of file").isZero();
        // a write at the position (no O_APPEND) overwrites in place
        int rw = (int) open("/tmp/a", O_RDWR).ret();
        seek(rw, 1, 0);
        write(rw, "XY");
        assertThat(seek(rw, 0, 1)).isEqualTo(3);
        seek(rw, 0, 0);
        assertThat(read(rw, 10)).isEqualTo("aXYde");
    }

    @Test
    void lseek_fromTheStartTheCurrentPositionAndTheEnd_andItsRefusals() {
        int fd = fileWith("/tmp/s", "0123456789");
        assertThat(seek(fd, 4, 0)).isEqualTo(4);
        assertThat(seek(fd, 3, 1)).isEqualTo(7);
        assertThat(seek(fd, -2, 1)).isEqualTo(5);
        assertThat(seek(fd, -1, 2)).isEqualTo(9);
        assertThat(read(fd, 5)).isEqualTo("9");
        assertThat(seek(fd, 5, 2)).as("past the end is allowed").isEqualTo(15);
        SyscallResult before = done(kernel.lseek(pid, fd, -11, 2));
        assertErrno(before, Errno.EINVAL);
        assertThat(seek(fd, 0, 1)).as("a refused seek leaves the position").isEqualTo(15);
        assertThat(seek(fd, -15, 1)).as("exactly 0 is allowed").isZero();
        SyscallResult whence = done(kernel.lseek(pid, fd, 0, 3));
        assertErrno(whence, Errno.EINVAL);
        assertThat(whence.strace()).isEqualTo("lseek(" + fd + ", 0, 3) = -1 EINVAL (Invalid argument)");
        assertThat(done(kernel.lseek(pid, fd, 2, 0)).strace()).isEqualTo("lseek(" + fd + ", 2, SEEK_SET) = 2");
        assertThat(done(kernel.lseek(pid, fd, 0, 1)).strace()).isEqualTo("lseek(" + fd + ", 0, SEEK_CUR) = 2");
        assertThat(done(kernel.lseek(pid, fd, 0, 2)).strace()).isEqualTo("lseek(" + fd + ", 0, SEEK_END) = 10");
        // an offset that overflows the position is EINVAL, not a negative position
        assertErrno(done(kernel.lseek(pid, fd, Long.MAX_VALUE, 2)), Errno.EINVAL);
        assertThat(seek(fd, Long.MAX_VALUE, 0)).isEqualTo(Long.MAX_VALUE);
        int[] ends = pipe(0);
        assertErrno(done(kernel.lseek(pid, ends[0], 0, 0)), Errno.ESPIPE);
        assertErrno(done(kernel.lseek(pid, 0, 0, 0)), Errno.ESPIPE);
        assertErrno(done(kernel.lseek(pid, 77, 0, 0)), Errno.EBADF);
    }

    private int[] pipe(int flags) {
        SyscallResult p = done(kernel.pipe(pid, flags));
        assertThat(p.ret()).isZero();
        return new int[] {p.revents().get(0), p.revents().get(1)};
    }

    @Test
    void pipe_takesTheTwoLowestNumbers_pipe2OnlyONonblock_andNeedsRoomForBoth() {
        SyscallResult p = done(kernel.pipe(pid, 0));
        assertThat(p.revents()).containsExactly(3, 4);
        assertThat(p.strace()).isEqualTo("pipe([3, 4]) = 0");
        SyscallResult nb = done(kernel.pipe(pid, O_NONBLOCK));
        assertThat(nb.strace()).isEqualTo("pipe2([5, 6], O_NONBLOCK) = 0");
        assertThat(done(kernel.fcntl(pid, 5, "F_GETFL", 0)).ret()).isEqualTo(O_RDONLY | O_NONBLOCK);
        assertThat(done(kernel.fcntl(pid, 6, "F_GETFL", 0)).ret()).isEqualTo(O_WRONLY | O_NONBLOCK);
        SyscallResult bad = done(kernel.pipe(pid, O_APPEND));
        assertErrno(bad, Errno.EINVAL);
        assertThat(bad.strace()).isEqualTo("pipe2([?, ?], " + O_APPEND + ") = -1 EINVAL (Invalid argument)");

        kernel.inspect(k -> {
            k.process(pid).fds().setLimit(8); // 7 open (0 to 6): room for one more number, not two
            return null;
        });
        assertErrno(done(kernel.pipe(pid, 0)), Errno.EMFILE);
        kernel.inspect(k -> {
            k.process(pid).fds().setLimit(9); // exactly two: 7 and 8
            return null;
        });
        assertThat(done(kernel.pipe(pid, 0)).revents()).containsExactly(7, 8);
    }

    @Test
    void pipes_readOfZeroReturnsAtOnce_andAWriteWithoutReadersIsEpipe() {
        int[] ends = pipe(0);
        SyscallResult zero = done(kernel.read(pid, ends[0], 0));
        assertThat(zero.ret()).isZero();
        assertThat(zero.strace()).isEqualTo("read(" + ends[0] + ", \"\", 0) = 0");
        assertErrno(write(ends[0], "x"), Errno.EBADF);
        assertErrno(done(kernel.read(pid, ends[1], 1)), Errno.EBADF);
        done(kernel.close(pid, ends[0], new PacketReport(null)));
        SyscallResult broken = write(ends[1], "x");
        assertErrno(broken, Errno.EPIPE);
        assertThat(broken.strace()).isEqualTo("write(" + ends[1] + ", \"x\", 1) = -1 EPIPE (Broken pipe)");
    }

    @Test
    void sendfile_refusesWhatDoSendfileRefuses() {
        int in = fileWith("/tmp/in", "0123456789");
        int out = (int) open("/tmp/out", O_RDWR | O_CREAT).ret();
        int appending = (int) open("/tmp/out", O_WRONLY | O_APPEND).ret();
        int[] ends = pipe(0);
        int wo = (int) open("/tmp/in", O_WRONLY).ret();
        assertErrno(done(kernel.sendfile(pid, out, wo, null, 5, new PacketReport(null))), Errno.EBADF);
        assertErrno(done(kernel.sendfile(pid, ends[0], in, null, 5, new PacketReport(null))), Errno.EBADF);
        assertErrno(done(kernel.sendfile(pid, out, ends[0], 0L, 5, new PacketReport(null))), Errno.ESPIPE);
        assertErrno(done(kernel.sendfile(pid, out, ends[0], null, 5, new PacketReport(null))), Errno.EINVAL);
        assertErrno(done(kernel.sendfile(pid, appending, in, null, 5, new PacketReport(null))), Errno.EINVAL);
        assertErrno(done(kernel.sendfile(pid, out, in, -1L, 5, new PacketReport(null))), Errno.EINVAL);
        assertErrno(done(kernel.sendfile(pid, out, in, null, -1, new PacketReport(null))), Errno.EINVAL);
        SyscallResult refused = done(kernel.sendfile(pid, out, in, 3L, -1, new PacketReport(null)));
        assertThat(refused.strace()).isEqualTo("sendfile(" + out + ", " + in + ", [3], -1) = -1 EINVAL (Invalid argument)");
        int epfd = (int) done(kernel.epollCreate(pid, 1)).ret();
        assertErrno(done(kernel.sendfile(pid, epfd, in, null, 5, new PacketReport(null))), Errno.EINVAL);
    }

    @Test
    void sendfile_betweenFiles_copiesFromTheOffsetOrThePosition() {
        int in = fileWith("/tmp/src", "0123456789");
        int out = (int) open("/tmp/dst", O_RDWR | O_CREAT).ret();
        SyscallResult withOffset = done(kernel.sendfile(pid, out, in, 6L, 3, new PacketReport(null)));
        assertThat(withOffset.ret()).isEqualTo(3);
        assertThat(withOffset.value()).isEqualTo(9);
        assertThat(withOffset.strace()).isEqualTo("sendfile(" + out + ", " + in + ", [6] => [9], 3) = 3");
        assertThat(seek(in, 0, 1)).isZero();
        SyscallResult fromPosition = done(kernel.sendfile(pid, out, in, null, 2, new PacketReport(null)));
        assertThat(fromPosition.ret()).isEqualTo(2);
        assertThat(fromPosition.strace()).isEqualTo("sendfile(" + out + ", " + in + ", NULL, 2) = 2");
        assertThat(seek(in, 0, 1)).isEqualTo(2);
        SyscallResult atEnd = done(kernel.sendfile(pid, out, in, 10L, 5, new PacketReport(null)));
        assertThat(atEnd.ret()).isZero();
        assertThat(atEnd.value()).isEqualTo(10);
        seek(out, 0, 0);
        assertThat(read(out, 100)).isEqualTo("67801");
    }

    @Test
    void sendfile_toThePipe_theTerminal_andSocketsWithoutAConnection() {
        int in = fileWith("/tmp/p", "abcdef");
        int[] ends = pipe(0);
        assertThat(done(kernel.sendfile(pid, ends[1], in, null, 4, new PacketReport(null))).ret()).isEqualTo(4);
        assertThat(read(ends[0], 10)).isEqualTo("abcd");
        SyscallResult toTerminal = done(kernel.sendfile(pid, 1, in, null, 10, new PacketReport(null)));
        assertThat(toTerminal.ret()).isEqualTo(2);
        assertThat(kernel.inspect(k -> k.events().after(0, 100_000)).stream().map(e -> e.detail()))
                .contains("fd 1 (the terminal) printed \"ef\"");
        int unconnected = (int) done(kernel.socket(pid)).ret();
        assertErrno(done(kernel.sendfile(pid, unconnected, in, 0L, 1, new PacketReport(null))), Errno.EPIPE);
        done(kernel.bind(pid, unconnected, io.vkernel.kernel.wire.Endpoint.parse("0.0.0.0:9000")));
        done(kernel.listen(pid, unconnected, 4));
        assertErrno(done(kernel.sendfile(pid, unconnected, in, 0L, 1, new PacketReport(null))), Errno.ENOTCONN);
        done(kernel.close(pid, ends[0], new PacketReport(null)));
        assertErrno(done(kernel.sendfile(pid, ends[1], in, 0L, 1, new PacketReport(null))), Errno.EPIPE);
    }

    @Test
    void splice_needsAPipeOnOneSide_knownFlags_andNotThePipeIntoItself() {
        int file = fileWith("/tmp/sp", "0123456789");
        int other = fileWith("/tmp/sq", "");
        int[] ends = pipe(0);
        SyscallResult badFlag = done(kernel.splice(pid, ends[0], file, 5, 0x10, new PacketReport(null)));
        assertErrno(badFlag, Errno.EINVAL);
        assertThat(badFlag.strace()).isEqualTo("splice(" + ends[0] + ", NULL, " + file + ", NULL, 5, 0x10) = -1 EINVAL (Invalid argument)");
        assertErrno(done(kernel.splice(pid, file, other, 5, 0, new PacketReport(null))), Errno.EINVAL);
        assertErrno(done(kernel.splice(pid, file, ends[1], -1, 0, new PacketReport(null))), Errno.EINVAL);
        assertErrno(done(kernel.splice(pid, ends[0], ends[1], 5, 0, new PacketReport(null))), Errno.EINVAL);
        assertErrno(done(kernel.splice(pid, ends[1], file, 5, 0, new PacketReport(null))), Errno.EBADF);
        int appending = (int) open("/tmp/sq", O_WRONLY | O_APPEND).ret();
        assertErrno(done(kernel.splice(pid, ends[0], appending, 5, 0, new PacketReport(null))), Errno.EINVAL);
        SyscallResult none = done(kernel.splice(pid, file, ends[1], 0, 1 | 4 | 8, new PacketReport(null)));
        assertThat(none.ret()).isZero();
        assertThat(none.strace()).isEqualTo("splice(" + file + ", NULL, " + ends[1] + ", NULL, 0, SPLICE_F_MOVE|SPLICE_F_MORE|SPLICE_F_GIFT) = 0");
    }

    @Test
    void splice_copiesFileToPipeToFile_andPipeToPipe_movingPositions() {
        int file = fileWith("/tmp/sa", "0123456789");
        int sink = (int) open("/tmp/sb", O_RDWR | O_CREAT).ret();
        int[] a = pipe(0);
        int[] b = pipe(0);
        seek(file, 2, 0);
        assertThat(done(kernel.splice(pid, file, a[1], 5, 0, new PacketReport(null))).ret()).isEqualTo(5);
        assertThat(seek(file, 0, 1)).isEqualTo(7);
        assertThat(done(kernel.splice(pid, a[0], b[1], 3, 0, new PacketReport(null))).ret()).isEqualTo(3);
        assertThat(done(kernel.splice(pid, b[0], sink, 10, 0, new PacketReport(null))).ret()).isEqualTo(3);
        assertThat(done(kernel.splice(pid, a[0], sink, 10, 0, new PacketReport(null))).ret()).isEqualTo(2);
        seek(sink, 0, 0);
        assertThat(read(sink, 100)).isEqualTo("23456");
        // an empty pipe whose writer is gone: end of file; with the writer there, SPLICE_F_NONBLOCK is EAGAIN
        assertErrno(done(kernel.splice(pid, a[0], sink, 10, 2, new PacketReport(null))), Errno.EAGAIN);
        done(kernel.close(pid, a[1], new PacketReport(null)));
        assertThat(done(kernel.splice(pid, a[0], sink, 10, 0, new PacketReport(null))).ret()).isZero();
        // into a pipe whose reader is gone: EPIPE
        done(kernel.close(pid, b[0], new PacketReport(null)));
        assertErrno(done(kernel.splice(pid, file, b[1], 2, 0, new PacketReport(null))), Errno.EPIPE);
    }
}
