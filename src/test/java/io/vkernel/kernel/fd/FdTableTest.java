package io.vkernel.kernel.fd;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.socket.SyscallException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The numbers a process sees from its FD table: the lowest free one (alloc_fd()), EMFILE at RLIMIT_NOFILE, EBADF
 * for a number that holds nothing, dup2() onto any number below the limit, and the table growing past 64 slots.
 */
class FdTableTest {

    private static OpenFile tty() {
        return OpenFile.terminal("/dev/pts/0");
    }

    private static void assertErrno(Runnable call, Errno errno) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(SyscallException.class,
                e -> assertThat(e.errno()).isEqualTo(errno));
    }

    @Test
    void allocate_givesTheLowestFreeNumber_andReusesAClosedOneFirst() {
        FdTable table = new FdTable(1024);
        assertThat(table.allocate(tty())).isZero();
        assertThat(table.allocate(tty())).isEqualTo(1);
        assertThat(table.allocate(tty())).isEqualTo(2);
        assertThat(table.allocate(tty())).isEqualTo(3);
        assertThat(table.openCount()).isEqualTo(4);
        table.remove(1);
        table.remove(2);
        assertThat(table.openCount()).isEqualTo(2);
        assertThat(table.isOpen(1)).isFalse();
        assertThat(table.peekFree()).isEqualTo(1);
        assertThat(table.allocate(tty())).isEqualTo(1);
        assertThat(table.allocate(tty())).isEqualTo(2);
        assertThat(table.allocate(tty())).isEqualTo(4);
        // closing a number above the next free one does not move the hint down past a lower gap
        table.remove(3);
        table.remove(4);
        assertThat(table.allocate(tty())).isEqualTo(3);
        assertThat(table.entries().keySet()).containsExactly(0, 1, 2, 3);
    }

    @Test
    void allocate_failsWithEmfile_atTheLimit_andSucceedsAgainOnceOneIsClosed() {
        FdTable table = new FdTable(3);
        table.allocate(tty());
        table.allocate(tty());
        table.allocate(tty());
        assertErrno(table::peekFree, Errno.EMFILE);
        assertErrno(() -> table.allocate(tty()), Errno.EMFILE);
        assertThat(table.openCount()).isEqualTo(3);
        table.remove(2);
        assertThat(table.allocate(tty())).isEqualTo(2);
        table.setLimit(4);
        assertThat(table.limit()).isEqualTo(4);
        assertThat(table.allocate(tty())).isEqualTo(3);
    }

    @Test
    void theTableGrowsPast64_andKeepsEveryEarlierFile() {
        FdTable table = new FdTable(1024);
        OpenFile[] files = new OpenFile[200];
        for (int i = 0; i < files.length; i++) {
            files[i] = tty();
            assertThat(table.allocate(files[i])).isEqualTo(i);
        }
        for (int i = 0; i < files.length; i++) {
            assertThat(table.get(i)).isSameAs(files[i]);
        }
        assertThat(table.openCount()).isEqualTo(200);
        assertThat(table.isOpen(199)).isTrue();
        assertThat(table.isOpen(200)).isFalse();
        assertErrno(() -> table.get(200), Errno.EBADF);
    }

    @Test
    void get_andRemove_ofANumberHoldingNothing_failWithEbadf() {
        FdTable table = new FdTable(1024);
        table.allocate(tty());
        assertErrno(() -> table.get(-1), Errno.EBADF);
        assertErrno(() -> table.get(1), Errno.EBADF);
        assertErrno(() -> table.get(64), Errno.EBADF);
        assertErrno(() -> table.remove(1), Errno.EBADF);
        assertThat(table.isOpen(-1)).isFalse();
        assertThat(table.isOpen(64)).isFalse();
        assertThat(table.openCount()).isEqualTo(1);
    }

    @Test
    void dup2_installsAtExactlyTheNumber_evenFarAbove64_andCountsItOnce() {
        FdTable table = new FdTable(1024);
        OpenFile file = tty();
        table.allocate(file);
        file.retain();
        table.installAt(500, file);
        assertThat(table.get(500)).isSameAs(file);
        assertThat(table.openCount()).isEqualTo(2);
        OpenFile other = tty();
        table.installAt(500, other);
        assertThat(table.get(500)).isSameAs(other);
        assertThat(table.openCount()).isEqualTo(2);
        table.installAt(1023, tty());
        assertThat(table.openCount()).isEqualTo(3);
        // the lowest free number is still 1, below the dup2 targets
        assertThat(table.allocate(tty())).isEqualTo(1);
        assertErrno(() -> table.installAt(1024, tty()), Errno.EBADF);
        assertErrno(() -> table.installAt(-1, tty()), Errno.EBADF);
        assertThat(table.entries().keySet()).containsExactly(0, 1, 500, 1023);
    }

    @Test
    void soleFd_findsAFileWithOneReference_andRefusesAShared_orMovedOne() {
        FdTable table = new FdTable(1024);
        FdTable otherTable = new FdTable(1024);
        table.allocate(tty());
        OpenFile file = tty();
        assertThat(table.allocate(file)).isEqualTo(1);
        assertThat(table.soleFd(file)).isEqualTo(1);
        assertThat(otherTable.soleFd(file)).isEqualTo(-1);
        file.retain();
        assertThat(table.soleFd(file)).isEqualTo(-1);
        assertThat(file.release()).isFalse();
        assertThat(table.soleFd(file)).isEqualTo(1);
        table.remove(1);
        assertThat(table.soleFd(file)).isEqualTo(-1);
        assertThat(file.release()).isTrue();
        assertThat(file.refCount()).isZero();
    }

    @Test
    void fdsOf_listsEveryNumberHoldingTheSocket_inOrder() {
        FdTable table = new FdTable(1024);
        Socket socket = new Socket(7);
        Socket other = new Socket(8);
        table.allocate(tty());
        OpenFile file = OpenFile.socket(socket);
        assertThat(file.path()).isEqualTo("socket:[7]");
        assertThat(table.fdsOf(socket)).isEmpty();
        table.allocate(file);
        table.allocate(OpenFile.socket(other));
        file.retain();
        table.installAt(70, file);
        assertThat(table.fdsOf(socket)).isEqualTo(List.of(1, 70));
        assertThat(table.fdsOf(other)).isEqualTo(List.of(2));
    }

    @Test
    void fSetfl_changesOnlyONonblock_andEveryDupSeesIt() {
        OpenFile file = tty();
        assertThat(file.flags()).isEqualTo(OpenFile.O_RDWR);
        assertThat(file.nonBlocking()).isFalse();
        file.setStatusFlags(OpenFile.O_NONBLOCK | 01 /* O_WRONLY: ignored by F_SETFL */);
        assertThat(file.nonBlocking()).isTrue();
        assertThat(file.flags()).isEqualTo(OpenFile.O_RDWR | OpenFile.O_NONBLOCK);
        file.setStatusFlags(0);
        assertThat(file.nonBlocking()).isFalse();
        assertThat(file.flags()).isEqualTo(OpenFile.O_RDWR);
    }

    @Test
    void snapshot_isTheSlotsByNumberAsTheyWere_andLaterChangesDoNotReachIt() {
        FdTable table = new FdTable(1024);
        OpenFile zero = tty();
        OpenFile two = tty();
        table.allocate(zero);
        table.allocate(tty());
        table.allocate(two);
        table.remove(1);
        OpenFile[] snapshot = table.snapshot();
        assertThat(snapshot[0]).isSameAs(zero);
        assertThat(snapshot[1]).isNull();
        assertThat(snapshot[2]).isSameAs(two);
        table.remove(2);
        table.installAt(1, tty());
        assertThat(snapshot[1]).as("a copy, not the table's own slots").isNull();
        assertThat(snapshot[2]).isSameAs(two);
    }
}
