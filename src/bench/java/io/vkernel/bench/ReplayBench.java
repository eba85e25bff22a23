package io.vkernel.bench;

import io.vkernel.journal.JournalCodec;
import io.vkernel.journal.KernelJournal;
import io.vkernel.journal.Replay;
import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.KernelConfig;
import io.vkernel.kernel.KernelInput;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Replay speed, in process (issue 15: replay at 200 000 entries/s or more). Drives one kernel to {@code entries}
 * journal entries with the workload of {@code bench/journal-bench.sh}'s restart (a connection opened, 5 bytes read,
 * closed, 100 ms advanced, over and over), takes its journal lines as the database keeps them, then times decoding
 * (lines to inputs) and applying (inputs into a fresh kernel) apart, several rounds, and prints entries/s for each.
 *
 * <p>A second workload, {@code traffic}, is the other kind of history: a few long connections exchanging data (a
 * segment of 100 bytes injected, read, 100 bytes written back, their ACK injected, 1 ms advanced), many syscalls
 * and packets per connection and few timers, where {@code restart}'s closed connections leave many timers firing.
 *
 * <p>The thread's CPU time is printed beside the wall time: on a machine shared with other work the CPU figure is the
 * one that compares between runs.
 *
 * <p>{@code java -cp ... io.vkernel.bench.ReplayBench [entries] [rounds] [trace 0|1] [restart|traffic]}, or through
 * Maven: {@code ./mvnw -q -o test-compile exec:exec@replay-bench -Dreplay.args="100000 5 1 traffic"}.
 */
public final class ReplayBench {

    private ReplayBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("kernels")) {
            kernels(Integer.parseInt(args[1]), Integer.parseInt(args[2]));
            if (args.length > 3) {
                snapshots(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]));
            }
            return;
        }
        int entries = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int trace = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        String workload = args.length > 3 ? args[3] : "restart";
        List<String> lines = switch (workload) {
            case "restart" -> journal(entries, trace);
            case "traffic" -> traffic(entries, trace);
            default -> throw new IllegalArgumentException("workload is restart or traffic, not " + workload);
        };
        long bytes = lines.stream().mapToLong(l -> l.getBytes(StandardCharsets.UTF_8).length + 1).sum();
        System.out.printf("journal (%s): %d entries, %.1f MB (vkernel.trace=%d)%n", workload, lines.size() - 1, bytes / 1e6, trace);
        System.out.println("round decode_ms apply_ms decode_per_sec apply_per_sec replay_per_sec replay_per_cpu_sec"
                + " apply_per_cpu_sec apply_bytes_allocated_per_entry");
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int r = 1; r <= rounds; r++) {
            long c0 = threads.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            Replay.Parsed parsed = Replay.parse(lines);
            long t1 = System.nanoTime();
            long c1 = threads.getCurrentThreadCpuTime();
            long a1 = threads.getCurrentThreadAllocatedBytes();
            Kernel kernel = Replay.run(parsed, parsed.header().config(), parsed.inputs().size(), Kernel::new);
            long t2 = System.nanoTime();
            long c2 = threads.getCurrentThreadCpuTime();
            long a2 = threads.getCurrentThreadAllocatedBytes();
            if (kernel.clock().now() == 0) {
                throw new IllegalStateException("the replay did not advance the clock");
            }
            int n = parsed.inputs().size();
            System.out.printf("%d %.0f %.0f %.0f %.0f %.0f %.0f %.0f %d%n", r, (t1 - t0) / 1e6, (t2 - t1) / 1e6, n / ((t1 - t0) / 1e9),
                    n / ((t2 - t1) / 1e9), n / ((t2 - t0) / 1e9), n / ((c2 - c0) / 1e9), n / ((c2 - c1) / 1e9), (a2 - a1) / n);
        }
    }

    /**
     * A restart without the database: {@code count} copies of one journal of {@code entries} (the restart workload)
     * parsed and replayed on one thread per core, as {@code KernelJournal.restoreAndAttach} does, in this fresh JVM
     * (the JIT warms up during it, as on a real start). {@code ReplayBench kernels 100 10000}.
     */
    static void kernels(int count, int entries) throws Exception {
        List<String> lines = journal(entries, 1);
        int threads = Runtime.getRuntime().availableProcessors();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        java.util.concurrent.atomic.AtomicLong cpu = new java.util.concurrent.atomic.AtomicLong();
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long p0 = processCpuNanos();
        long t0 = System.nanoTime();
        List<java.util.concurrent.Future<Kernel>> replays = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            replays.add(pool.submit(() -> {
                long c0 = mx.getCurrentThreadCpuTime();
                Kernel kernel = Replay.stream(lines, Kernel::new).kernel(); // as KernelJournal.rebuild does
                cpu.addAndGet(mx.getCurrentThreadCpuTime() - c0);
                return kernel;
            }));
        }
        for (java.util.concurrent.Future<Kernel> replay : replays) {
            replay.get();
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        long processMs = (processCpuNanos() - p0) / 1_000_000;
        pool.shutdown();
        printThreadGroups();
        System.out.printf("%d kernels x %d entries replayed on %d threads in %d ms (%.0f entries/s), %d ms CPU summed over the"
                + " threads, %d ms CPU of the whole process (GC and JIT included; %.0f entries per process CPU-second)%n", count, entries,
                threads, ms, (double) count * entries / (ms / 1e3), cpu.get() / 1_000_000, processMs, (double) count * entries / (processMs / 1e3));
    }

    /**
     * The same restart with snapshots every {@code every} entries ({@code ReplayBench kernels 100 10000 1000}): each
     * kernel is read from a snapshot {@code every} entries old (the most a restart replays after one, as
     * {@code KernelJournal} takes one per {@code every} entries) and replays the entries after it. Prints wall and summed CPU
     * time of the restore threads, the snapshot's size and the time to write it.
     */
    static void snapshots(int count, int entries, int every) throws Exception {
        List<String> lines = journal(entries, 1);
        Replay.Parsed parsed = Replay.parse(lines);
        int n = parsed.inputs().size();
        int at = Math.max(0, n - every); // the worst case: the next snapshot is due; the last one is `every` entries old
        Kernel prefix = Replay.run(parsed, parsed.header().config(), at, Kernel::new);
        long w0 = System.nanoTime();
        io.vkernel.journal.Snapshots.Snapshot snapshot = io.vkernel.journal.Snapshots.write(prefix);
        long writeMs = (System.nanoTime() - w0) / 1_000_000;
        List<String> tail = lines.subList(at + 1, lines.size());
        int threads = Runtime.getRuntime().availableProcessors();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        java.util.concurrent.atomic.AtomicLong cpu = new java.util.concurrent.atomic.AtomicLong();
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long p0 = processCpuNanos();
        long t0 = System.nanoTime();
        List<java.util.concurrent.Future<Kernel>> restores = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            restores.add(pool.submit(() -> {
                long c0 = mx.getCurrentThreadCpuTime();
                Kernel kernel = io.vkernel.journal.Snapshots.read(snapshot, io.vkernel.kernel.KernelBudget.unlimited());
                for (int j = 0; j < tail.size(); j++) {
                    io.vkernel.journal.JournalCodec.parseEntry(at + j + 2, tail.get(j)).applyTo(kernel);
                }
                cpu.addAndGet(mx.getCurrentThreadCpuTime() - c0);
                return kernel;
            }));
        }
        long lastClock = -1;
        for (java.util.concurrent.Future<Kernel> restore : restores) {
            lastClock = restore.get().clock().now();
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        long processMs = (processCpuNanos() - p0) / 1_000_000;
        pool.shutdown();
        Kernel whole = Replay.run(parsed, parsed.header().config(), n, Kernel::new);
        if (whole.clock().now() != lastClock) {
            throw new IllegalStateException("snapshot + tail ended at " + lastClock + " ms, the whole replay at " + whole.clock().now());
        }
        System.out.printf("%d kernels x %d entries from a snapshot at step %d (%d bytes, written in %d ms) + %d entries each, on %d"
                + " threads: %d ms wall, %d ms CPU summed over the threads, %d ms CPU of the whole process%n", count, entries, at,
                snapshot.data().length, writeMs, tail.size(), threads, ms, cpu.get() / 1_000_000, processMs);
    }

    /** The CPU time of the whole JVM (every thread: replay, GC, JIT), which on a shared machine compares better than wall time. */
    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /**
     * Where the process's CPU went since it started, by kind of thread (Linux: {@code /proc/self/task/N/stat}, in clock
     * ticks of 10 ms): the replay pool, the JIT compilers, the garbage collector, the rest. Nothing on other systems.
     */
    static void printThreadGroups() {
        java.io.File[] tasks = new java.io.File("/proc/self/task").listFiles();
        if (tasks == null) {
            return;
        }
        java.util.Map<String, Long> ticks = new java.util.TreeMap<>();
        for (java.io.File task : tasks) {
            try {
                String stat = java.nio.file.Files.readString(new java.io.File(task, "stat").toPath());
                String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                long t = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime + stime
                String group = name.startsWith("pool-") ? "replay" : name.startsWith("C1 ") || name.startsWith("C2 ") ? "jit"
                        : name.startsWith("G1 ") || name.startsWith("GC ") || name.startsWith("VM Thread") ? "gc+vm" : "other";
                ticks.merge(group, t, Long::sum);
            } catch (java.io.IOException | RuntimeException e) {
                // a thread that ended meanwhile
            }
        }
        StringBuilder line = new StringBuilder("process CPU since start by thread kind (ms):");
        ticks.forEach((group, t) -> line.append(' ').append(group).append('=').append(t * 10));
        System.out.println(line);
    }

    /** A kernel recording its inputs, with a server listening on 0.0.0.0:8080: where both workloads start. */
    record Listening(Kernel kernel, List<KernelInput> inputs, int pid, int listener, Endpoint server) {
    }

    static Listening listening(int trace) {
        Kernel kernel = new Kernel(KernelConfig.defaults("k0", 5));
        List<KernelInput> inputs = new ArrayList<>();
        kernel.recordInputs((k, input) -> inputs.add(input));
        if (trace == 0) {
            kernel.sysctl("vkernel.trace", 0);
        }
        int pid = kernel.spawn("server").pid();
        int listener = (int) ((Syscalls.Done) kernel.socket(pid)).result().ret();
        Endpoint server = Endpoint.parse("10.0.0.50:8080");
        kernel.bind(pid, listener, Endpoint.parse("0.0.0.0:8080"));
        kernel.listen(pid, listener, 128);
        return new Listening(kernel, inputs, pid, listener, server);
    }

    /** The traffic workload: 8 connections, each step one of them exchanging 100 bytes each way. */
    static List<String> traffic(int entries, int trace) {
        Listening l = listening(trace);
        Kernel kernel = l.kernel();
        List<KernelInput> inputs = l.inputs();
        int pid = l.pid();
        int listener = l.listener();
        Endpoint server = l.server();
        int connections = 8;
        Endpoint[] clients = new Endpoint[connections];
        int[] fds = new int[connections];
        int[] clientSeq = new int[connections];
        int[] serverSeq = new int[connections];
        for (int c = 0; c < connections; c++) {
            clients[c] = new Endpoint(Endpoint.parse("192.168.1.100:1").address(), 30_000 + c);
            PacketReport synAck = kernel.receive(new Segment(clients[c], server, TcpFlags.SYN, 1000, 0, 65535, 1460, null));
            serverSeq[c] = synAck.sentSegments().get(0).seq() + 1;
            clientSeq[c] = 1001;
            kernel.receive(new Segment(clients[c], server, TcpFlags.ACK, clientSeq[c], serverSeq[c], 65535, 0, null));
            fds[c] = (int) ((Syscalls.Done) kernel.accept(pid, listener)).result().ret();
        }
        byte[] data = new byte[100];
        for (int i = 0; inputs.size() < entries; i++) {
            int c = i % connections;
            kernel.receive(new Segment(clients[c], server, TcpFlags.PSH | TcpFlags.ACK, clientSeq[c], serverSeq[c], 65535, 0, data));
            clientSeq[c] += data.length;
            kernel.read(pid, fds[c], data.length);
            kernel.write(pid, fds[c], data, new PacketReport(null));
            serverSeq[c] += data.length;
            kernel.receive(new Segment(clients[c], server, TcpFlags.ACK, clientSeq[c], serverSeq[c], 65535, 0, null));
            kernel.advance(1);
        }
        return Replay.lines(KernelJournal.headerOf(kernel), inputs.subList(0, entries));
    }

    /** One kernel driven to {@code entries} inputs, as its journal lines (header first). */
    static List<String> journal(int entries, int trace) {
        Listening l = listening(trace);
        Kernel kernel = l.kernel();
        List<KernelInput> inputs = l.inputs();
        int pid = l.pid();
        int listener = l.listener();
        Endpoint server = l.server();
        int port = 20_000;
        while (inputs.size() < entries) {
            Endpoint client = new Endpoint(Endpoint.parse("192.168.1.100:1").address(), ++port > 65_000 ? (port = 20_001) : port);
            PacketReport synAck = kernel.receive(new Segment(client, server, TcpFlags.SYN, 1000, 0, 65535, 1460, null));
            int ack = synAck.sentSegments().get(0).seq() + 1;
            kernel.receive(new Segment(client, server, TcpFlags.ACK, 1001, ack, 65535, 0, null));
            int fd = (int) ((Syscalls.Done) kernel.accept(pid, listener)).result().ret();
            kernel.receive(new Segment(client, server, TcpFlags.PSH | TcpFlags.ACK, 1001, ack, 65535, 0, "hello".getBytes(StandardCharsets.US_ASCII)));
            kernel.read(pid, fd, 100);
            kernel.close(pid, fd, new PacketReport(null));
            kernel.advance(100);
        }
        return Replay.lines(KernelJournal.headerOf(kernel), inputs.subList(0, entries));
    }

    static String header(Kernel kernel) {
        return JournalCodec.header(KernelJournal.headerOf(kernel));
    }
}
