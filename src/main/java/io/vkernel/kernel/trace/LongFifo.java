package io.vkernel.kernel.trace;

/**
 * A first-in first-out queue of longs in a growing ring: the bytes each kept record retains, held beside the
 * bounded logs (wire log, event log) in the same order as their records, so forgetting the oldest record subtracts
 * a number instead of re-measuring a record that has long left the cache.
 */
public final class LongFifo {

    private long[] ring = new long[16];
    private int head;
    private int size;

    public void addLast(long value) {
        if (size == ring.length) {
            long[] grown = new long[ring.length * 2];
            for (int i = 0; i < size; i++) {
                grown[i] = ring[(head + i) & (ring.length - 1)];
            }
            ring = grown;
            head = 0;
        }
        ring[(head + size) & (ring.length - 1)] = value;
        size++;
    }

    public long removeFirst() {
        if (size == 0) {
            throw new IllegalStateException("the queue is empty");
        }
        long value = ring[head];
        head = (head + 1) & (ring.length - 1);
        size--;
        return value;
    }

    public int size() {
        return size;
    }
}
