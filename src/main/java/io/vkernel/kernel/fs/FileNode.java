package io.vkernel.kernel.fs;

import java.util.Arrays;

/**
 * A regular file's inode: its contents in memory. It outlives its name: unlink() drops the name from
 * {@link VirtualFs}, and open files keep the node, as an unlinked file on Linux lives until its last close.
 */
public final class FileNode {

    private final String path;
    private final long inode;
    private byte[] data = new byte[0];
    private int size;

    FileNode(String path, long inode) {
        this.path = path;
        this.inode = inode;
    }

    public String path() {
        return path;
    }

    public long inode() {
        return inode;
    }

    public int size() {
        return size;
    }

    /** Up to {@code max} bytes from {@code position}; empty at or past the end (end of file). */
    public byte[] read(long position, int max) {
        if (position >= size) {
            return new byte[0];
        }
        int from = (int) position;
        return Arrays.copyOfRange(data, from, from + Math.min(max, size - from));
    }

    /** Writes {@code bytes} at {@code position}, growing the file (a gap reads as zeroes); the caller checked the limit. */
    void write(long position, byte[] bytes) {
        int end = (int) position + bytes.length;
        if (end > data.length) {
            data = Arrays.copyOf(data, Math.max(end, Math.min(VirtualFs.MAX_FILE_BYTES, data.length * 2)));
        }
        System.arraycopy(bytes, 0, data, (int) position, bytes.length);
        size = Math.max(size, end);
    }

    void truncate() {
        data = new byte[0];
        size = 0;
    }
}
