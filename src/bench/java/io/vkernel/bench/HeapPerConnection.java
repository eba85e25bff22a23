package io.vkernel.bench;

import io.vkernel.kernel.Kernel;

import java.lang.management.ManagementFactory;

/**
 * Heap held per idle ESTABLISHED connection: builds N accepted connections (socket, FD, TCB, hash entry) in one
 * kernel and divides the heap growth, measured after full GCs, by N. Run: see BENCHMARKS.md.
 */
public final class HeapPerConnection {

    private HeapPerConnection() {
    }

    public static void main(String[] args) {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        long before = usedAfterGc();
        Kernel kernel = BenchKernels.withConnections(count, BenchKernels.bucketsFor(count), true);
        long after = usedAfterGc();
        int established = kernel.inspect(k -> k.established().size());
        int fds = kernel.inspect(Kernel::openFds);
        System.out.printf("connections=%d fds=%d heapGrowth=%d bytes perConnection=%.0f bytes%n",
                established, fds, after - before, (after - before) / (double) established);
    }

    private static long usedAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
