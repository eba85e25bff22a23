package io.vkernel.sandbox;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Counts every kernel's retained memory again once a second where something changed (a close, a read, a timer),
 * so what one kernel freed is soon seen by the service budget that all kernels share.
 */
public final class BudgetKeeper implements AutoCloseable {

    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "vkernel-budget");
        thread.setDaemon(true);
        return thread;
    });

    public BudgetKeeper(KernelRegistry registry, long periodMs) {
        ticker.scheduleWithFixedDelay(() -> {
            try {
                registry.settleBudgets();
            } catch (RuntimeException e) {
                // the next round tries again; one kernel's failure must not stop the others' accounting
            }
        }, periodMs, periodMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        ticker.shutdownNow();
    }
}
