package io.vkernel.api;

import io.vkernel.kernel.Kernel;

import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * One turn of a kernel's lock taken by a long view (the connections, {@code ss} and demux views take one per chunk).
 * Plain {@link Kernel#inspect}, plus an optional observer that sees how long each turn held the lock, timed inside
 * it: LockHoldBench uses it to tell the views' own holds from the other causes of another request's wait (GC pauses,
 * the CPU). With no observer, as in the service, a turn costs a volatile read, a thread-local and a clock read more
 * than {@code inspect}, and a view's later turns each park 100 µs first (below).
 */
public final class LockTurns {

    /** Sees each turn's hold, called by the thread holding the lock: once it has it, and before it lets go. */
    public interface Observer {
        void taken();

        void releasing();
    }

    private static volatile Observer observer;

    /**
     * A kernel's lock is a Java monitor, which is not fair: a view that lets go and takes it again at once barges
     * ahead of a request that was woken to take it, and that request could wait through hundreds of turns (measured:
     * 14-85 ms behind turns of under 3 ms each, BENCHMARKS.md). So a thread that ended a turn less than this long ago
     * first parks for this long, which gives a woken waiter the time to take the lock.
     */
    static final long HAND_OVER_NANOS = 100_000;
    private static final ThreadLocal<long[]> LAST_TURN_END = ThreadLocal.withInitial(() -> new long[] {Long.MIN_VALUE / 2});

    private LockTurns() {
    }

    /** Benchmarks only: null stops observing. */
    public static void observe(Observer o) {
        observer = o;
    }

    static <T> T turn(Kernel kernel, Function<Kernel, T> view) {
        long[] lastEnd = LAST_TURN_END.get();
        if (System.nanoTime() - lastEnd[0] < HAND_OVER_NANOS) {
            LockSupport.parkNanos(HAND_OVER_NANOS);
        }
        try {
            Observer o = observer;
            if (o == null) {
                return kernel.inspect(view);
            }
            return kernel.inspect(k -> {
                o.taken();
                try {
                    return view.apply(k);
                } finally {
                    o.releasing();
                }
            });
        } finally {
            lastEnd[0] = System.nanoTime();
        }
    }
}
