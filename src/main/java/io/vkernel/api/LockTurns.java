package io.vkernel.api;

import io.vkernel.kernel.Kernel;

import java.util.function.Function;

/**
 * One turn of a kernel's lock taken by a long view (the connections, {@code ss} and demux views take one per chunk).
 * Plain {@link Kernel#inspect}, plus an optional observer that sees how long each turn held the lock, timed inside
 * it: LockHoldBench uses it to tell the views' own holds from the other causes of another request's wait (GC pauses,
 * the CPU). With no observer, as in the service, a turn costs one volatile read more than {@code inspect}.
 */
public final class LockTurns {

    /** Sees each turn's hold, called by the thread holding the lock: once it has it, and before it lets go. */
    public interface Observer {
        void taken();

        void releasing();
    }

    private static volatile Observer observer;

    private LockTurns() {
    }

    /** Benchmarks only: null stops observing. */
    public static void observe(Observer o) {
        observer = o;
    }

    static <T> T turn(Kernel kernel, Function<Kernel, T> view) {
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
    }
}
