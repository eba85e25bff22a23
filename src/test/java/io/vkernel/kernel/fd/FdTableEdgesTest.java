package io.vkernel.kernel.fd;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.socket.SyscallException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * dup2()'s placement at the table's edges, found by PIT's survivors in FdTable: number 0, the last number below
 * RLIMIT_NOFILE and the limit itself, exactly at the slot array's end (64) and at a doubling's end (128), the file
 * findable through soleFd() afterwards, and isOpen() just past the slots.
 */
class FdTableEdgesTest {

    private static OpenFile tty() {
        return OpenFile.terminal("/dev/pts/0");
    }

    private static void assertEbadf(Runnable call) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(SyscallException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EBADF));
    }

    @Test
    void installAt_takesZeroAndTheLastNumberBelowTheLimit_butNotTheLimitOrMinusOne() {
        FdTable table = new FdTable(100);
        OpenFile zero = tty();
        table.installAt(0, zero);
        assertThat(table.get(0)).isSameAs(zero);
        OpenFile last = tty();
        table.installAt(99, last);
        assertThat(table.get(99)).isSameAs(last);
        assertThat(table.openCount()).isEqualTo(2);
        assertEbadf(() -> table.installAt(100, tty()));
        assertEbadf(() -> table.installAt(-1, tty()));
        assertThat(table.openCount()).isEqualTo(2);
    }

    @Test
    void installAt_exactlyAtTheSlotArraysEnd_growsIt() {
        FdTable table = new FdTable(1024);
        assertThat(table.slotCapacity()).isEqualTo(64);
        OpenFile at64 = tty();
        table.installAt(64, at64);
        assertThat(table.slotCapacity()).isEqualTo(128);
        assertThat(table.get(64)).isSameAs(at64);
        OpenFile at128 = tty();
        table.installAt(128, at128);
        assertThat(table.slotCapacity()).as("128 needs 129 slots: doubled to 256").isEqualTo(256);
        assertThat(table.get(128)).isSameAs(at128);
        assertThat(table.get(64)).isSameAs(at64);
    }

    @Test
    void installAt_recordsWhereTheFileIs_soSoleFdFindsIt() {
        FdTable table = new FdTable(1024);
        OpenFile file = tty();
        table.installAt(7, file);
        assertThat(table.soleFd(file)).isEqualTo(7);
        table.installAt(300, file);
        assertThat(table.soleFd(file)).as("the last placement").isEqualTo(300);
    }

    @Test
    void soleFd_findsAFileAtNumberZero() {
        FdTable table = new FdTable(1024);
        OpenFile stdin = tty();
        assertThat(table.allocate(stdin)).isZero();
        assertThat(table.soleFd(stdin)).isZero();
    }

    @Test
    void isOpen_justPastTheSlots_andBelowZero_isFalse() {
        FdTable table = new FdTable(1024);
        table.installAt(63, tty());
        assertThat(table.isOpen(63)).isTrue();
        assertThat(table.isOpen(64)).isFalse();
        assertThat(table.isOpen(-1)).isFalse();
        assertThat(table.isOpen(0)).isFalse();
    }
}
