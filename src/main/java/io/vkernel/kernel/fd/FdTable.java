package io.vkernel.kernel.fd;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.socket.SyscallException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A process's file descriptor table ({@code struct fdtable}). {@link #allocate} returns the lowest free number, as
 * {@code alloc_fd()} does with its {@code next_fd} hint, and fails with EMFILE at RLIMIT_NOFILE. The slot array
 * grows by doubling from 64, as {@code expand_files()} does.
 */
public final class FdTable {

    private OpenFile[] slots = new OpenFile[64];
    private int limit;
    private int nextFd;
    private int open;

    public FdTable(int limit) {
        this.limit = limit;
    }

    public int limit() {
        return limit;
    }

    public void setLimit(int limit) {
        this.limit = limit;
    }

    /** Slots the table holds (in use or not): it starts at 64 and doubles as higher FDs open. */
    public int slotCapacity() {
        return slots.length;
    }

    public int openCount() {
        return open;
    }

    /** The number the next allocation would get, or EMFILE when none is below the limit. */
    public int peekFree() {
        for (int fd = nextFd; fd < limit; fd++) {
            if (fd >= slots.length || slots[fd] == null) {
                return fd;
            }
        }
        throw new SyscallException(Errno.EMFILE);
    }

    /** Installs {@code file} at the lowest free number and returns it. */
    public int allocate(OpenFile file) {
        int fd = peekFree();
        if (fd >= slots.length) {
            int size = slots.length;
            while (size <= fd) {
                size *= 2;
            }
            slots = Arrays.copyOf(slots, size);
        }
        slots[fd] = file;
        file.placed(this, fd);
        nextFd = fd + 1;
        open++;
        return fd;
    }

    /** dup2(): installs {@code file} at exactly {@code fd} (the caller closed what was there). */
    public void installAt(int fd, OpenFile file) {
        if (fd < 0 || fd >= limit) {
            throw new SyscallException(Errno.EBADF);
        }
        if (fd >= slots.length) {
            int size = slots.length;
            while (size <= fd) {
                size *= 2;
            }
            slots = Arrays.copyOf(slots, size);
        }
        if (slots[fd] == null) {
            open++;
        }
        slots[fd] = file;
        file.placed(this, fd);
    }

    public OpenFile get(int fd) {
        if (fd < 0 || fd >= slots.length || slots[fd] == null) {
            throw new SyscallException(Errno.EBADF);
        }
        return slots[fd];
    }

    public boolean isOpen(int fd) {
        return fd >= 0 && fd < slots.length && slots[fd] != null;
    }

    /** Empties the slot and returns what was there; the caller drops the file's reference. */
    public OpenFile remove(int fd) {
        OpenFile file = get(fd);
        slots[fd] = null;
        open--;
        if (fd < nextFd) {
            nextFd = fd;
        }
        return file;
    }

    /**
     * The one descriptor of this table that holds {@code file}, found in constant time, when {@code file} has a single
     * reference and was last installed here; else -1 (it may still be here, under several numbers: scan {@link #fdsOf}).
     */
    public int soleFd(OpenFile file) {
        int fd = file.placedAt();
        return file.refCount() == 1 && file.placedIn() == this && fd >= 0 && fd < slots.length && slots[fd] == file ? fd : -1;
    }

    /** The descriptors holding {@code socket}'s open file, in numeric order (a scan of the table, no copy of it). */
    public List<Integer> fdsOf(io.vkernel.kernel.socket.Socket socket) {
        List<Integer> fds = null;
        for (int fd = 0; fd < slots.length; fd++) {
            if (slots[fd] != null && slots[fd].socket() == socket) {
                if (fds == null) {
                    fds = new ArrayList<>(1);
                }
                fds.add(fd);
            }
        }
        return fds == null ? List.of() : fds;
    }

    /**
     * The table's slots as they are now, indexed by FD number (null where none is open): one array copy, for views
     * that take it under the kernel lock and read it after letting go.
     */
    public OpenFile[] snapshot() {
        return slots.clone();
    }

    /** Open descriptors in numeric order. */
    public Map<Integer, OpenFile> entries() {
        Map<Integer, OpenFile> entries = new LinkedHashMap<>();
        for (int fd = 0; fd < slots.length; fd++) {
            if (slots[fd] != null) {
                entries.put(fd, slots[fd]);
            }
        }
        return entries;
    }
}
