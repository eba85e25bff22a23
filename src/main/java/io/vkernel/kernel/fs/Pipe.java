package io.vkernel.kernel.fs;

import io.vkernel.kernel.tcp.ByteQueue;

/**
 * pipe(): a byte FIFO with a read end and a write end ({@code struct pipe_inode_info}). Its capacity is Linux's
 * default, 16 pages of 4 KiB (PIPE_DEF_BUFFERS, 64 KiB); a writer finding it full waits, or gets EAGAIN.
 */
public final class Pipe {

    public static final int CAPACITY = 16 * 4096;

    private final long inode;
    private final ByteQueue buffer = new ByteQueue();
    /** The pipe's wait queue (pipe->rd_wait and wr_wait in one): a socket object that no FD points at, only waited on. */
    private final io.vkernel.kernel.socket.Socket waiters;
    private int readers = 1;
    private int writers = 1;

    public Pipe(long inode) {
        this.inode = inode;
        this.waiters = new io.vkernel.kernel.socket.Socket(inode);
    }

    public io.vkernel.kernel.socket.Socket waiters() {
        return waiters;
    }

    public long inode() {
        return inode;
    }

    public int queued() {
        return buffer.size();
    }

    public int room() {
        return CAPACITY - buffer.size();
    }

    public boolean hasReaders() {
        return readers > 0;
    }

    public boolean hasWriters() {
        return writers > 0;
    }

    /** Appends as much of {@code bytes} as fits and returns how much that was. */
    public int write(byte[] bytes) {
        int n = Math.min(bytes.length, room());
        buffer.append(bytes, 0, n);
        return n;
    }

    /** Up to {@code max} bytes from the front, left in the pipe. */
    public byte[] peek(int max) {
        return buffer.peek(0, max);
    }

    public void drop(int count) {
        buffer.drop(count);
    }

    public byte[] read(int max) {
        return buffer.take(max);
    }

    /** The last file of one end was released (pipe_release()). */
    public void closeEnd(boolean writeEnd) {
        if (writeEnd) {
            writers--;
        } else {
            readers--;
        }
    }
}
