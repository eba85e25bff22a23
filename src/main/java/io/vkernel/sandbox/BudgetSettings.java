package io.vkernel.sandbox;

import io.vkernel.kernel.KernelBudget;
import io.vkernel.kernel.MemoryBudget;

/**
 * {@code vkernel.budget.*}: how much heap the kernels may retain. Unset (or 0) sizes come from the heap: the service
 * budget is {@code serviceFraction} of {@code Runtime.maxMemory()}, a kernel's is a quarter of that, and a kernel's
 * wire log and event log may use a quarter and an eighth of the kernel's. The rest of the heap is left for Spring,
 * Tomcat and the requests in flight.
 */
public record BudgetSettings(long serviceBytes, long kernelBytes, long wireLogBytes, long eventLogBytes, double serviceFraction) {

    public static final double DEFAULT_SERVICE_FRACTION = 0.5;

    /** The budgets for a JVM whose heap may grow to {@code maxHeap} bytes. */
    public KernelBudget resolve(long maxHeap) {
        double fraction = serviceFraction > 0 && serviceFraction <= 0.9 ? serviceFraction : DEFAULT_SERVICE_FRACTION;
        long service = serviceBytes > 0 ? serviceBytes : (long) (maxHeap * fraction);
        long kernel = kernelBytes > 0 ? kernelBytes : Math.max(1L << 20, service / 4);
        long wire = wireLogBytes > 0 ? wireLogBytes : kernel / 4;
        long events = eventLogBytes > 0 ? eventLogBytes : kernel / 8;
        return new KernelBudget(kernel, wire, events, new MemoryBudget(service));
    }

    public static BudgetSettings fromHeap() {
        return new BudgetSettings(0, 0, 0, 0, DEFAULT_SERVICE_FRACTION);
    }
}
