package io.vkernel.kernel;

import io.vkernel.kernel.proc.Process;
import io.vkernel.kernel.tcp.Tcb;

/**
 * The heap one kernel retains, charged against its {@link KernelBudget} and the service's {@link MemoryBudget}.
 * Counting every byte exactly on every request would cost a walk over all connections, so the charge is an upper
 * bound: the last exact count plus what every request since then could have added at most. When that bound would
 * pass a budget, or has grown by an eighth of the kernel's budget, the kernel is counted again; only a request that
 * still does not fit is refused, before it changes anything. The counts are estimates of Java objects on a 64-bit
 * JVM with compressed references, rounded up.
 */
public final class KernelMemory {

    /**
     * A reference as this JVM lays it out: 4 bytes with compressed references (heaps under 32 GiB, the usual case),
     * 8 without. The established table's bucket array and the FD tables' slot arrays are arrays of references.
     */
    public static final long REFERENCE = compressedReferences() ? 4 : 8;
    /**
     * The kernel's fixed structures (tables, sysctls, clock, NIC, logs when empty): an empty kernel with 16 buckets
     * measures about 5.9 KB (BENCHMARKS.md "What the memory budget's charges stand for").
     */
    public static final long KERNEL_BASE = 8 * 1024;
    /** One slot of the established table's bucket array: a reference. */
    public static final long BUCKET = REFERENCE;
    /** A TCB with its hash entry, 4-tuple, endpoints, timers and empty queues (measured 853-968 B). */
    public static final long CONNECTION = 1024;
    /** A socket object with its options, wait queue and open file (with {@link #FD}, measured 193 B). */
    public static final long SOCKET = 256;
    /** A process with its main thread and an FD table with stdio (measured 1 002 B). */
    public static final long PROCESS = 1280;
    /** One FD slot in use. */
    public static final long FD = 64;
    /** A parked call: its record, thread, retry closure, timeout timer and result listeners (measured 656 B). */
    public static final long PENDING_CALL = 832;
    /** A request that may grow the kernel: its events and the wire records of its replies, besides its own bytes. */
    public static final long REQUEST = 2048;

    private static boolean compressedReferences() {
        try {
            var diagnostics = java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            return diagnostics != null && Boolean.parseBoolean(diagnostics.getVMOption("UseCompressedOops").getValue());
        } catch (RuntimeException | LinkageError e) {
            return false; // not HotSpot, or not told: count full references, an upper bound either way
        }
    }

    /** What a new process retains: the process, its thread and an empty 64-slot FD table. */
    public static long processBytes() {
        return PROCESS + REFERENCE * 64;
    }

    /** One kernel's charge, part by part (bytes). */
    public record Retained(long wireLog, long events, long hashTable, long connections, long buffers, long sockets,
                           long processes, long pendingCalls, long finishedCalls, long base) {
        public long total() {
            return wireLog + events + hashTable + connections + buffers + sockets + processes + pendingCalls + finishedCalls + base;
        }
    }

    private final Kernel kernel;
    private final KernelBudget budget;
    private long counted;
    private long grownSinceCount;
    private boolean changedSinceCount;
    private long published;
    private boolean released;

    KernelMemory(Kernel kernel, KernelBudget budget) {
        this.kernel = kernel;
        this.budget = budget;
        this.counted = baseBytes(kernel.config().buckets());
        publish();
    }

    /** What a new kernel with {@code buckets} hash buckets retains before anything happens in it. */
    public static long baseBytes(int buckets) {
        return KERNEL_BASE + BUCKET * buckets;
    }

    public KernelBudget budget() {
        return budget;
    }

    /** The charge as it stands: an upper bound until {@link #count()}. */
    long charged() {
        return counted + grownSinceCount;
    }

    /**
     * Lets a request that may retain up to {@code bytes} more go ahead, or refuses it with
     * {@link BudgetExceededException} naming the budget it would pass. Call with the kernel lock held.
     */
    void admit(long bytes, String what) {
        changedSinceCount = true;
        long projected = charged() + bytes;
        boolean overKernel = projected > budget.limitBytes();
        boolean overService = !budget.service().fits(projected - published);
        if (overKernel || overService || grownSinceCount > budget.limitBytes() / 8) {
            count();
            projected = counted + bytes;
        }
        if (projected > budget.limitBytes()) {
            throw new BudgetExceededException(BudgetExceededException.Budget.KERNEL, "kernel '" + kernel.id() + "' retains "
                    + counted + " bytes; " + what + " could add " + bytes + " more, past its budget of " + budget.limitBytes()
                    + " bytes (vkernel.budget.kernel-bytes). Close connections, read queued data, exit processes or DELETE "
                    + "the kernel; see GET /api/v1/kernels/" + kernel.id() + "/memory", counted, bytes, budget.limitBytes());
        }
        MemoryBudget service = budget.service();
        if (!service.fits(projected - published)) {
            throw new BudgetExceededException(BudgetExceededException.Budget.SERVICE, "all kernels together retain "
                    + service.usedBytes() + " bytes; " + what + " could add " + bytes + " more, past the service's budget of "
                    + service.limitBytes() + " bytes (vkernel.budget.service-bytes). Delete kernels that are no longer used",
                    service.usedBytes(), bytes, service.limitBytes());
        }
        grownSinceCount += bytes;
        publish();
    }

    /** Something may have been freed (a close, a read, a timer): the next check counts again. */
    void changed() {
        changedSinceCount = true;
    }

    /** Counts again when anything changed since the last count, and publishes the exact charge. */
    void settle() {
        if (changedSinceCount) {
            count();
        }
    }

    /** The exact charge, part by part (walks every connection: call with the kernel lock held). */
    Retained retained() {
        long buffers = 0;
        int connections = 0;
        for (Tcb tcb : kernel.established().all()) {
            connections++;
            buffers += tcb.bufferBytesHeld() + 64L * tcb.outOfOrderSegments();
        }
        long sockets = (long) kernel.listeners().all().size() * SOCKET;
        long processes = 0;
        for (Process process : kernel.processes()) {
            int open = process.fds().openCount();
            // the slot array (a reference a slot, used or not) doubles from 64 as higher FDs open; PROCESS covers
            // stdio, and every FD past it is counted as an FD with a socket's object behind it
            processes += PROCESS + REFERENCE * process.fds().slotCapacity() + (FD + SOCKET) * Math.max(0, open - 3);
        }
        long pending = (long) kernel.pendingCallCount() * PENDING_CALL;
        return new Retained(kernel.nic().retainedBytes(), kernel.events().retainedBytes(),
                BUCKET * kernel.established().bucketCount(), CONNECTION * connections, buffers, sockets, processes, pending,
                kernel.finishedCallBytes(), KERNEL_BASE);
    }

    private void count() {
        counted = retained().total();
        grownSinceCount = 0;
        changedSinceCount = false;
        publish();
    }

    private void publish() {
        if (released) {
            return;
        }
        long now = charged();
        budget.service().add(now - published);
        published = now;
    }

    /** Rebuilt from a snapshot: the charge it brought ({@link #published}) joins this process's service budget. */
    void chargeRestored() {
        if (!released) {
            budget.service().add(published);
        }
    }

    /** The kernel is deleted: its charge leaves the service budget. */
    void release() {
        if (!released) {
            budget.service().add(-published);
            published = 0;
            released = true;
        }
    }
}
