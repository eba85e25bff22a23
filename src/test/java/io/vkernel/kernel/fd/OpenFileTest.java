package io.vkernel.kernel.fd;

import io.vkernel.kernel.fs.FileNode;
import io.vkernel.kernel.fs.Pipe;
import io.vkernel.kernel.fs.VirtualFs;
import io.vkernel.kernel.socket.EventPoll;
import io.vkernel.kernel.socket.Socket;
import org.junit.jupiter.api.Test;

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
 * What a process sees of an open file description: the lsof TYPE and /proc/PID/fd name of each kind of file, the
 * access mode read() and write() check (EBADF on the wrong one), the flags F_GETFL returns, and the reference count
 * dup() and close() move.
 */
class OpenFileTest {

    private static FileNode file(String path) {
        return new VirtualFs().create(path, false);
    }

    @Test
    void eachKindOfFile_hasLsofsTypeAndItsProcFdName() {
        Socket socket = new Socket(4711);
        OpenFile sock = OpenFile.socket(socket);
        assertThat(sock.type()).isEqualTo("sock");
        assertThat(sock.path()).isEqualTo("socket:[4711]");
        assertThat(sock.socket()).isSameAs(socket);
        assertThat(socket.file()).isSameAs(sock);

        EventPoll poll = new EventPoll(12);
        OpenFile ep = OpenFile.epoll(poll);
        assertThat(ep.type()).isEqualTo("a_inode");
        assertThat(ep.path()).isEqualTo("anon_inode:[eventpoll]");
        assertThat(ep.epoll()).isSameAs(poll);
        assertThat(ep.socket()).isNull();

        OpenFile reg = OpenFile.regular(file("/tmp/data"), O_RDWR);
        assertThat(reg.type()).isEqualTo("REG");
        assertThat(reg.path()).isEqualTo("/tmp/data");

        Pipe pipe = new Pipe(99);
        OpenFile readEnd = OpenFile.pipeEnd(pipe, false);
        OpenFile writeEnd = OpenFile.pipeEnd(pipe, true);
        assertThat(readEnd.type()).isEqualTo("FIFO");
        assertThat(writeEnd.type()).isEqualTo("FIFO");
        assertThat(readEnd.path()).isEqualTo("pipe:[99]");
        assertThat(readEnd.pipe()).isSameAs(pipe);
        assertThat(readEnd.pipeWriteEnd()).isFalse();
        assertThat(writeEnd.pipeWriteEnd()).isTrue();

        OpenFile tty = OpenFile.terminal("/dev/pts/0");
        assertThat(tty.type()).isEqualTo("CHR");
        assertThat(tty.path()).isEqualTo("/dev/pts/0");
        assertThat(tty.socket()).isNull();
        assertThat(tty.epoll()).isNull();
        assertThat(tty.node()).isNull();
        assertThat(tty.pipe()).isNull();
    }

    @Test
    void pipeEnds_readOnlyOneWay_theReadEndORdonly_theWriteEndOWronly() {
        Pipe pipe = new Pipe(7);
        OpenFile readEnd = OpenFile.pipeEnd(pipe, false);
        OpenFile writeEnd = OpenFile.pipeEnd(pipe, true);
        assertThat(readEnd.flags()).isEqualTo(O_RDONLY);
        assertThat(readEnd.readable()).isTrue();
        assertThat(readEnd.writable()).isFalse();
        assertThat(writeEnd.flags()).isEqualTo(O_WRONLY);
        assertThat(writeEnd.readable()).isFalse();
        assertThat(writeEnd.writable()).isTrue();
    }

    @Test
    void regularFile_keepsTheAccessModeAppendAndNonblock_butNotTheOpenTimeFlags() {
        FileNode node = file("/tmp/log");
        OpenFile rw = OpenFile.regular(node, O_RDWR | O_CREAT | O_EXCL | O_TRUNC | O_APPEND | O_NONBLOCK);
        // F_GETFL after open(O_CREAT|O_EXCL|O_TRUNC) does not show the creation flags (do_dentry_open() clears them).
        assertThat(rw.flags()).isEqualTo(O_RDWR | O_APPEND | O_NONBLOCK);
        assertThat(rw.readable()).isTrue();
        assertThat(rw.writable()).isTrue();
        assertThat(rw.nonBlocking()).isTrue();
        assertThat(rw.node()).isSameAs(node);

        OpenFile ro = OpenFile.regular(node, O_RDONLY | O_CREAT);
        assertThat(ro.flags()).isZero();
        assertThat(ro.readable()).isTrue();
        assertThat(ro.writable()).isFalse();
        assertThat(ro.nonBlocking()).isFalse();

        OpenFile wo = OpenFile.regular(node, O_WRONLY | O_TRUNC);
        assertThat(wo.flags()).isEqualTo(O_WRONLY);
        assertThat(wo.readable()).isFalse();
        assertThat(wo.writable()).isTrue();
    }

    @Test
    void socketsAndTerminals_areOpenedReadWrite() {
        assertThat(OpenFile.socket(new Socket(1)).flags()).isEqualTo(O_RDWR);
        assertThat(OpenFile.terminal("/dev/pts/1").flags()).isEqualTo(O_RDWR);
        assertThat(OpenFile.epoll(new EventPoll(2)).flags()).isEqualTo(O_RDWR);
    }

    @Test
    void theFileOffset_startsAtZero_andMovesWhereItIsSet() {
        OpenFile reg = OpenFile.regular(file("/tmp/pos"), O_RDWR);
        assertThat(reg.position()).isZero();
        reg.position(4097);
        assertThat(reg.position()).isEqualTo(4097);
    }

    @Test
    void fSetfl_setsAndClearsONonblock_keepingTheAccessModeAndAppend() {
        OpenFile reg = OpenFile.regular(file("/tmp/fl"), O_WRONLY | O_APPEND);
        reg.setStatusFlags(O_NONBLOCK | O_RDWR);
        assertThat(reg.flags()).isEqualTo(O_WRONLY | O_APPEND | O_NONBLOCK);
        assertThat(reg.nonBlocking()).isTrue();
        reg.setStatusFlags(0);
        assertThat(reg.flags()).isEqualTo(O_WRONLY | O_APPEND);
        assertThat(reg.nonBlocking()).isFalse();
    }

    @Test
    void release_isTheLastOnlyWhenEveryDupIsClosed() {
        OpenFile tty = OpenFile.terminal("/dev/pts/2");
        assertThat(tty.refCount()).isEqualTo(1);
        tty.retain();
        tty.retain();
        assertThat(tty.refCount()).isEqualTo(3);
        assertThat(tty.release()).isFalse();
        assertThat(tty.release()).isFalse();
        assertThat(tty.refCount()).isEqualTo(1);
        assertThat(tty.release()).isTrue();
        assertThat(tty.refCount()).isZero();
    }
}
