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
        if (args.length > 0 && args[0].equals("workshop")) {
            workshop(args.length > 1 ? Integer.parseInt(args[1]) : 200, args.length > 2 ? Integer.parseInt(args[2]) : 50);
            return;
        }
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

    /**
     * The workshop's kernels (BENCHMARKS.md "A workshop's load", part 2), built in-process with the service's defaults
     * (65 536 buckets, 10 000 events and wire records): a server listening, {@code connections} handshaken (one SYN and
     * one ACK each, as the load bench's batches) and accepted. Prints, per kernel, the heap measured after full GCs
     * against the budget's charge, and each part's charge against its object graph's size (JOL, this JVM's layout).
     */
    static void workshop(int kernels, int connections) {
        // the per-kernel base: kernels with a tiny table and nothing in them
        long before = usedAfterGc();
        java.util.List<Kernel> bare = new java.util.ArrayList<>();
        for (int i = 0; i < kernels; i++) {
            bare.add(new Kernel(new KernelConfig("b" + i, KernelConfig.defaults("b", 7).address(), 7, 16, "jhash", 10_000, 10_000, 256, 100_000)));
        }
        long bareBytes = usedAfterGc() - before;
        report("empty kernel with 16 buckets (the base)", bareBytes, kernels, KernelMemory.baseBytes(16));
        keep(bare);
        bare = null;
        keep(null);

        before = usedAfterGc();
        java.util.List<Kernel> built = new java.util.ArrayList<>();
        for (int i = 0; i < kernels; i++) {
            built.add(workshopKernel("w" + i, connections));
        }
        long builtBytes = usedAfterGc() - before;
        KernelMemory.Retained charged = built.get(0).inspect(k -> k.retained());
        System.out.printf("%d workshop kernels x %d accepted connections: measured %d bytes each, charged %d (%.2fx)%n",
                kernels, connections, builtBytes / kernels, charged.total(), charged.total() / (double) (builtBytes / kernels));
        Kernel one = built.get(0);
        one.inspect(k -> {
            System.out.printf("  %-34s %9s %9s%n", "part", "charged", "JOL size");
            // parts measured as the records they keep (a log's own fields reach the clock, and through it the kernel)
            part("wire log (" + k.nic().recordCount() + " records)", charged.wireLog(), k.nic().wire(0, Integer.MAX_VALUE).toArray());
            part("event log (" + k.events().size() + " events)", charged.events(), k.events().after(0, Integer.MAX_VALUE).toArray());
            part("established table (" + k.established().bucketCount() + " buckets, TCBs)", charged.hashTable() + charged.connections(), k.established());
            part("  of which buckets", charged.hashTable(), new Object[k.established().bucketCount()]);
            part("processes (FD tables, sockets)", charged.processes() + charged.sockets(), k.processes().toArray());
            part("buffers (reserved)", charged.buffers(), -1);
            part("pending calls", charged.pendingCalls(), -1);
            part("base", charged.base(), -1);
            return null;
        });
        keep(built);
    }

    private static Kernel workshopKernel(String id, int connections) {
        Kernel kernel = new Kernel(KernelConfig.defaults(id, 1));
        int pid = kernel.spawn("server").pid();
        int listener = (int) ((Syscalls.Done) kernel.socket(pid)).result().ret();
        kernel.bind(pid, listener, io.vkernel.kernel.wire.Endpoint.parse("0.0.0.0:8080"));
        kernel.listen(pid, listener, 128);
        for (int i = 0; i < connections; i++) {
            io.vkernel.kernel.wire.Endpoint client = BenchKernels.client(i);
            io.vkernel.kernel.trace.PacketReport synAck = kernel.receive(new io.vkernel.kernel.wire.Segment(client,
                    BenchKernels.SERVER, io.vkernel.kernel.wire.TcpFlags.SYN, 1000, 0, 65535, 1460, null));
            int ack = synAck.sentSegments().get(0).seq() + 1;
            kernel.receive(new io.vkernel.kernel.wire.Segment(client, BenchKernels.SERVER, io.vkernel.kernel.wire.TcpFlags.ACK,
                    1001, ack, 65535, 0, null));
        }
        for (int i = 0; i < connections; i++) {
            kernel.accept(pid, listener);
        }
        return kernel;
    }

    private static void part(String what, long charged, Object graph) {
        long size = graph instanceof Integer || graph == null ? -1 : org.openjdk.jol.info.GraphLayout.parseInstance(graph).totalSize();
        System.out.printf("  %-34s %9d %9s%n", what, charged, size < 0 ? "-" : Long.toString(size));
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
