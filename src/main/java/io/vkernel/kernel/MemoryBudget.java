package io.vkernel.kernel;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The service-wide memory budget every kernel draws on: the bytes all kernels retain (wire logs, events, buffers,
 * hash buckets, sockets, processes, parked calls) may not pass {@link #limitBytes()}. Each kernel publishes its own
 * charge here as it changes; a request that would take the sum past the limit is refused before it runs.
 */
public final class MemoryBudget {

    private final long limitBytes;
    private final AtomicLong used = new AtomicLong();

    public MemoryBudget(long limitBytes) {
        if (limitBytes <= 0) {
            throw new IllegalArgumentException("the service memory budget must be positive, got " + limitBytes);
        }
        this.limitBytes = limitBytes;
    }

    /** No bound: for kernels built outside the service (tests, scripts, benchmarks). */
    public static MemoryBudget unlimited() {
        return new MemoryBudget(Long.MAX_VALUE / 4);
    }

    public long limitBytes() {
        return limitBytes;
    }

    public long usedBytes() {
        return used.get();
    }

    /** The fraction of the budget in use, 0.0 to 1.0 (or above, briefly, while a charge settles). */
    public double usedFraction() {
        return (double) used.get() / limitBytes;
    }

    /** Would {@code extra} more bytes still fit? */
    public boolean fits(long extra) {
        return used.get() + extra <= limitBytes;
    }

    /**
     * Charges {@code delta} bytes (negative to give them back). Kernels charge through their {@link KernelMemory}; a
     * network's link charges its capture and the packets in flight here directly.
     */
    public void add(long delta) {
        used.addAndGet(delta);
    }
}
