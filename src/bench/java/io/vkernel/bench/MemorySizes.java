package io.vkernel.bench;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.KernelConfig;
import io.vkernel.kernel.KernelMemory;
import io.vkernel.kernel.syscall.Syscalls;

import java.lang.management.ManagementFactory;

/**
 * Measures what the memory budget's per-object charges stand for (KernelMemory's constants): heap growth after full
 * GCs, divided by the number of objects added, for an accepted connection, a connection waiting in the accept
 * queue, a process, a parked call and a bucket. Run with {@code -Xmx2g} (compressed references, as the service runs):
 * {@code java -Xmx2g -cp ... io.vkernel.bench.MemorySizes [connections]}.
 */
public final class MemorySizes {

    private MemorySizes() {
    }

    public static void main(String[] args) {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int buckets = BenchKernels.bucketsFor(count);

        long base = usedAfterGc();
        Kernel empty = new Kernel(new KernelConfig("empty", KernelConfig.defaults("e", 7).address(), 7, buckets, "jhash", 1000, 1000, 16, 16));
        long bucketBytes = usedAfterGc() - base;
        report("bucket (slot of the established table)", bucketBytes, buckets, KernelMemory.BUCKET);
        keep(empty);

        // an accept queue holds at most somaxconn + 1 (65 536) connections
        int waiting = Math.min(count, 60_000);
        base = usedAfterGc();
        Kernel queued = BenchKernels.withConnections(waiting, buckets, false);
        long queuedBytes = usedAfterGc() - base - bucketBytes;
        report("connection in the accept queue (TCB, hash entry, tuple)", queuedBytes, waiting, KernelMemory.CONNECTION);
        keep(queued);
        queued = null;
        keep(null);

        base = usedAfterGc();
        Kernel accepted = BenchKernels.withConnections(count, buckets, true);
        long acceptedBytes = usedAfterGc() - base - bucketBytes;
        report("accepted connection (TCB + socket + open file + FD)", acceptedBytes, count,
                KernelMemory.CONNECTION + KernelMemory.SOCKET + KernelMemory.FD);
        report("  of which socket + open file + FD (accepted minus queued)", acceptedBytes - queuedBytes * (double) count / waiting, count,
                KernelMemory.SOCKET + KernelMemory.FD);

        // parked calls: one blocking read on each accepted connection (fds from 4 up in process "server")
        int parked = Math.min(count, 4000);
        int pid = accepted.inspect(k -> k.processes().iterator().next().pid());
        base = usedAfterGc();
        for (int fd = 4; fd < 4 + parked; fd++) {
            if (!(accepted.read(pid, fd, 4096) instanceof Syscalls.Pending)) {
                throw new IllegalStateException("read on fd " + fd + " did not park");
            }
        }
        report("parked call (blocking read)", usedAfterGc() - base, parked, KernelMemory.PENDING_CALL);
        keep(accepted);

        int processes = 10_000;
        Kernel many = new Kernel(new KernelConfig("procs", KernelConfig.defaults("p", 7).address(), 7, 1024, "jhash", 1000, 1000, processes + 1, 16));
        base = usedAfterGc();
        for (int i = 0; i < processes; i++) {
            many.spawn("p" + i);
        }
        report("process (main thread, FD table with stdio)", usedAfterGc() - base, processes, KernelMemory.PROCESS);
        keep(many);
    }

    private static Object sink;

    private static void keep(Object o) {
        sink = o;
    }

    private static void report(String what, double bytes, int n, long charged) {
        System.out.printf("%-58s measured %6.0f bytes each (n=%d), charged %5d%n", what, bytes / (double) n, n, charged);
    }

    private static long usedAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
