package io.vkernel.kernel;

/**
 * What one kernel may retain: {@code limitBytes} in all, of which the wire log keeps at most {@code wireLogBytes}
 * and the event log at most {@code eventLogBytes} (both forget their oldest entries first, as before, but by bytes as
 * well as by count); everything it holds is also charged to the service-wide {@code service} budget.
 */
public record KernelBudget(long limitBytes, long wireLogBytes, long eventLogBytes, MemoryBudget service) {

    public KernelBudget {
        if (limitBytes <= 0 || wireLogBytes <= 0 || eventLogBytes <= 0) {
            throw new IllegalArgumentException("memory budgets must be positive");
        }
    }

    /** No bound beyond the record counts: for kernels built outside the service (tests, scripts, benchmarks). */
    public static KernelBudget unlimited() {
        long huge = Long.MAX_VALUE / 8;
        return new KernelBudget(huge, huge, huge, MemoryBudget.unlimited());
    }
}
