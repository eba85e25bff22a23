package io.vkernel.kernel.tcp;

/**
 * A FIFO of bytes that holds only what is queued: an idle connection's buffers cost nothing, as on Linux where
 * tcp_rmem/tcp_wmem are limits on charged memory, not allocations (the seed's "64 KB buffer" is a ceiling).
 */
public final class ByteQueue {

    private static final byte[] EMPTY = new byte[0];

    private byte[] data = EMPTY;
    private int head;
    private int size;

    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    /** Bytes of backing storage currently held (for memory accounting). */
    public int capacity() {
        return data.length;
    }

    public void append(byte[] bytes) {
        append(bytes, 0, bytes.length);
    }

    public void append(byte[] bytes, int offset, int length) {
        if (length == 0) {
            return;
        }
        ensureCapacity(size + length);
        int tail = (head + size) % data.length;
        int first = Math.min(length, data.length - tail);
        System.arraycopy(bytes, offset, data, tail, first);
        System.arraycopy(bytes, offset + first, data, 0, length - first);
        size += length;
    }

    /** Copies up to {@code max} bytes from the front without removing them, starting {@code skip} bytes in. */
    public byte[] peek(int skip, int max) {
        int count = Math.max(0, Math.min(max, size - skip));
        byte[] out = new byte[count];
        copyOut(skip, out, count);
        return out;
    }

    /** Removes and returns up to {@code max} bytes from the front. */
    public byte[] take(int max) {
        byte[] out = peek(0, max);
        drop(out.length);
        return out;
    }

    /** Removes up to {@code count} bytes from the front; storage is released when the queue empties. */
    public void drop(int count) {
        int n = Math.min(count, size);
        head = size == n ? 0 : (head + n) % data.length;
        size -= n;
        if (size == 0) {
            data = EMPTY;
            head = 0;
        }
    }

    public void clear() {
        drop(size);
    }

    private void ensureCapacity(int needed) {
        if (needed <= data.length) {
            return;
        }
        int newCapacity = Math.max(needed, Math.max(64, data.length * 2));
        byte[] grown = new byte[newCapacity];
        copyOut(0, grown, size);
        data = grown;
        head = 0;
    }

    /** Copies {@code count} queued bytes from {@code skip} bytes in to the front of {@code out}: at most two runs of the ring. */
    private void copyOut(int skip, byte[] out, int count) {
        if (count == 0) {
            return;
        }
        int start = (head + skip) % data.length;
        int first = Math.min(count, data.length - start);
        System.arraycopy(data, start, out, 0, first);
        System.arraycopy(data, 0, out, first, count - first);
    }
}
