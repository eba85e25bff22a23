package io.vkernel.api;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.KernelConfig;
import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Ipv4;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * How long the long read-only views keep every other request to a kernel waiting: a kernel with N accepted
 * connections, a prober thread that takes the kernel lock in a loop (as a packet or a syscall would) and records its
 * longest wait, while the main thread renders {@code GET .../connections} as JSON views and as {@code ss} text.
 * {@code whole} renders each view in one turn of the lock (the way vkernel did before chunking; it runs on older
 * builds too); {@code chunked} the way the controller does now. Each wait is taken apart with JFR (see
 * {@link #measure}): GC pauses, the view's own turns of the lock, and the rest (the CPU). Also {@code GET .../demux?maxBuckets=4096}, whole and a range of buckets per turn. Usage: {@code LockHoldBench [connections] [whole|chunked|both] [buckets]}.
 */
public final class LockHoldBench {

    public static void main(String[] args) throws Exception {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        String mode = args.length > 1 ? args[1] : "both";
        int buckets = args.length > 2 ? Integer.parseInt(args[2]) : Math.max(1024, Integer.highestOneBit(Math.max(1, count - 1)) << 1);
        Kernel kernel = build(count, buckets);
        int connections = kernel.inspect(k -> k.established().size());
        System.out.printf("connections=%d buckets=%d%n", connections, buckets);
        for (int round = 0; round < 3; round++) {
            // the noise floor: the prober's longest wait while nothing else takes the lock (GC, a busy machine)
            measure("idle         ", kernel, () -> {
                try {
                    Thread.sleep(2000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return 0;
            });
            if (!mode.equals("chunked")) {
                measure("whole   json", kernel, () -> LockTurns.turn(kernel, kk -> kk.established().all().stream().map(t -> Views.connection(kk, t)).toList()).size());
                measure("whole   ss  ", kernel, () -> LockTurns.turn(kernel, SsText::render).length());
                measure("whole   demux", kernel, () -> LockTurns.turn(kernel, kk -> Views.demux(kk, 4096)).nonEmptyBuckets().size());
            }
            if (!mode.equals("whole")) {
                measure("chunked json", kernel, () -> InspectController.connections(kernel).size());
                measure("chunked ss  ", kernel, () -> SsText.render(kernel, InspectController.CHUNK).length());
                measure("chunked demux", kernel, () -> Views.demux(kernel, 4096, Views.DEMUX_CHUNK).nonEmptyBuckets().size());
            }
        }
        System.out.println();
        System.out.println("load average " + java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        SUMMARY.forEach(System.out::println);
    }

    /** Intervals in System.nanoTime(), appended by one thread and read after it stopped. */
    private static final class Intervals {
        final long[] from = new long[1 << 20];
        final long[] to = new long[1 << 20];
        int size;

        void add(long a, long b) {
            if (size < from.length) {
                from[size] = a;
                to[size] = b;
                size++;
            }
        }

        long longest() {
            long most = 0;
            for (int i = 0; i < size; i++) {
                most = Math.max(most, to[i] - from[i]);
            }
            return most;
        }

        /** Nanoseconds of [a, b] these (disjoint) intervals cover, and how many of them it touches. */
        long[] overlap(long a, long b) {
            long covered = 0;
            long touched = 0;
            for (int i = 0; i < size; i++) {
                long o = Math.min(b, to[i]) - Math.max(a, from[i]);
                if (o > 0) {
                    covered += o;
                    touched++;
                }
            }
            return new long[] {covered, touched};
        }

        /** Nanoseconds of [a, b] covered by both these intervals and {@code other}'s. */
        long overlapBoth(long a, long b, Intervals other) {
            long covered = 0;
            for (int i = 0; i < size; i++) {
                long lo = Math.max(a, from[i]);
                long hi = Math.min(b, to[i]);
                if (hi > lo) {
                    covered += other.overlap(lo, hi)[0];
                }
            }
            return covered;
        }
    }

    /** A JFR event committed at a known System.nanoTime(): maps JFR's timestamps onto the bench's clock. */
    @jdk.jfr.Name("vkernel.LockHoldBench.Mark")
    static final class Mark extends jdk.jfr.Event {
        long nanos;
    }

    private static final java.util.List<String> SUMMARY = new java.util.ArrayList<>();

    /**
     * Renders one view while a prober takes the kernel lock in a loop. Records, under a JFR recording: each turn the
     * view held the lock (timed inside it, {@link LockTurns}), each wait of the prober over 0.5 ms, the JVM's GC pauses
     * (jdk.GCPhasePause) and the prober's contended monitor entries (jdk.JavaMonitorEnter over 1 ms). Each wait is then
     * split into the time a GC pause covered, the time a turn of the view held the lock (outside GC), and the rest:
     * the prober ready but not running (two cores shared with the renderer, GC and JIT threads, other processes), or
     * woken too late to take the lock before the renderer took it again.
     */
    private static void measure(String name, Kernel kernel, Supplier<Integer> view) throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        Intervals waits = new Intervals();
        Intervals holds = new Intervals();
        Intervals cpuHolds = new Intervals(); // each turn's CPU time on the renderer's thread, as [0, cpu]
        AtomicBoolean recording = new AtomicBoolean(false);
        Thread prober = new Thread(() -> {
            while (running.get()) {
                long start = System.nanoTime();
                kernel.inspect(k -> k.clock().now());
                long end = System.nanoTime();
                if (end - start > 500_000 && recording.get()) {
                    waits.add(start, end);
                }
                Thread.onSpinWait();
            }
        }, "prober");
        try (jdk.jfr.Recording jfr = new jdk.jfr.Recording()) {
            jfr.enable("jdk.GCPhasePause").withThreshold(java.time.Duration.ZERO);
            jfr.enable("jdk.JavaMonitorEnter").withThreshold(java.time.Duration.ofMillis(1)).withoutStackTrace();
            jfr.enable(Mark.class);
            jfr.start();
            prober.start();
            Thread.sleep(50);
            for (int i = 0; i < 5; i++) {
                Mark mark = new Mark();
                mark.begin();
                mark.nanos = System.nanoTime();
                mark.commit();
            }
            recording.set(true);
            java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
            long[] turn = new long[2];
            LockTurns.observe(new LockTurns.Observer() {
                @Override
                public void taken() {
                    turn[0] = System.nanoTime();
                    turn[1] = threads.getCurrentThreadCpuTime();
                }

                @Override
                public void releasing() {
                    long cpu = threads.getCurrentThreadCpuTime() - turn[1];
                    holds.add(turn[0], System.nanoTime());
                    cpuHolds.add(0, cpu);
                }
            });
            long start = System.nanoTime();
            int size = view.get();
            long took = System.nanoTime() - start;
            LockTurns.observe(null);
            running.set(false);
            prober.join();
            jfr.stop();
            java.nio.file.Path file = java.nio.file.Files.createTempFile("lockhold", ".jfr");
            jfr.dump(file);
            report(name, size, took, start, start + took, waits, holds, cpuHolds, file);
            java.nio.file.Files.delete(file);
        }
    }

    private static void report(String name, int size, long took, long viewStart, long viewEnd, Intervals waits,
                               Intervals holds, Intervals cpuHolds, java.nio.file.Path file) throws java.io.IOException {
        Intervals gc = new Intervals();
        long offset = Long.MAX_VALUE;
        int entries = 0;
        long longestEntry = 0;
        java.util.Map<String, Integer> previousOwners = new java.util.TreeMap<>();
        java.util.List<jdk.jfr.consumer.RecordedEvent> events = jdk.jfr.consumer.RecordingFile.readAllEvents(file);
        for (jdk.jfr.consumer.RecordedEvent e : events) {
            if (e.getEventType().getName().equals("vkernel.LockHoldBench.Mark")) {
                long epochNanos = e.getStartTime().getEpochSecond() * 1_000_000_000L + e.getStartTime().getNano();
                offset = Math.min(offset, e.getLong("nanos") - epochNanos); // the mark's nanos are read just after its start
            }
        }
        for (jdk.jfr.consumer.RecordedEvent e : events) {
            String type = e.getEventType().getName();
            long a = e.getStartTime().getEpochSecond() * 1_000_000_000L + e.getStartTime().getNano() + offset;
            long b = a + e.getDuration().toNanos();
            if (type.equals("jdk.GCPhasePause") && b > viewStart && a < viewEnd) {
                gc.add(a, b);
            } else if (type.equals("jdk.JavaMonitorEnter") && e.getThread() != null && "prober".equals(e.getThread().getJavaName())
                    && b > viewStart && a < viewEnd) {
                entries++;
                longestEntry = Math.max(longestEntry, b - a);
                jdk.jfr.consumer.RecordedThread owner = e.getValue("previousOwner");
                previousOwners.merge(owner == null ? "?" : owner.getJavaName(), 1, Integer::sum);
            }
        }
        long longestWait = 0;
        int longestAt = -1;
        long waited = 0, inGc = 0, inHold = 0;
        for (int i = 0; i < waits.size; i++) {
            long a = waits.from[i], b = waits.to[i];
            waited += b - a;
            long g = gc.overlap(a, b)[0];
            inGc += g;
            inHold += holds.overlap(a, b)[0] - holds.overlapBoth(a, b, gc);
            if (b - a > longestWait) {
                longestWait = b - a;
                longestAt = i;
            }
        }
        long longestHold = 0, longestHoldOutsideGc = 0;
        int longestTurn = -1;
        for (int i = 0; i < holds.size; i++) {
            long len = holds.to[i] - holds.from[i];
            if (len > longestHold) {
                longestHold = len;
                longestTurn = i;
            }
            longestHoldOutsideGc = Math.max(longestHoldOutsideGc, len - gc.overlap(holds.from[i], holds.to[i])[0]);
        }
        String worst = "-";
        if (longestAt >= 0) {
            long a = waits.from[longestAt], b = waits.to[longestAt];
            long g = gc.overlap(a, b)[0];
            long[] h = holds.overlap(a, b);
            long held = h[0] - holds.overlapBoth(a, b, gc);
            worst = String.format("%.1f ms = GC %.1f + held by the view %.1f (%d turns) + other %.1f",
                    (b - a) / 1e6, g / 1e6, held / 1e6, h[1], (b - a - g - held) / 1e6);
        }
        String line = String.format("%s: rendered %,d in %,d ms in %d turns; longest turn (#%d) %.2f ms (%.2f ms outside GC, %.2f ms on the CPU; most CPU in one turn %.2f ms); "
                        + "GC pauses %d, longest %.1f ms, total %.1f ms; prober's longest wait %s; waits over 0.5 ms: %d, "
                        + "%.1f ms in all = GC %.1f + held %.1f + other %.1f; JFR monitor entries over 1 ms by the prober: %d, "
                        + "longest %.1f ms, previous owner %s",
                name, size, took / 1_000_000, holds.size, longestTurn, longestHold / 1e6, longestHoldOutsideGc / 1e6,
                longestTurn < 0 ? 0 : cpuHolds.to[longestTurn] / 1e6, cpuHolds.longest() / 1e6,
                gc.size, gc.longest() / 1e6, gc.overlap(viewStart, viewEnd)[0] / 1e6, worst, waits.size, waited / 1e6,
                inGc / 1e6, inHold / 1e6, (waited - inGc - inHold) / 1e6, entries, longestEntry / 1e6, previousOwners);
        System.out.println(line);
        SUMMARY.add(line);
    }

    /** A listener on 0.0.0.0:8080 in process "server" with {@code count} connections handshaken and accepted. */
    private static Kernel build(int count, int buckets) {
        KernelConfig base = KernelConfig.defaults("lockhold", 7);
        Kernel kernel = new Kernel(new KernelConfig("lockhold", base.address(), 7, buckets, "jhash", 1000, 1000, 16, count + 16));
        kernel.inspect(k -> {
            k.sysctls().set(Sysctls.VKERNEL_TRACE, 0);
            k.sysctls().set(Sysctls.SOMAXCONN, 65535);
            k.sysctls().set(Sysctls.RLIMIT_NOFILE, 1 << 20);
            return null;
        });
        Endpoint server = Endpoint.parse("10.0.0.50:8080");
        int pid = kernel.spawn("server").pid();
        int listener = (int) ((Syscalls.Done) kernel.socket(pid)).result().ret();
        kernel.bind(pid, listener, Endpoint.parse("0.0.0.0:8080"));
        kernel.listen(pid, listener, 65535);
        for (int i = 0; i < count; i++) {
            Endpoint client = new Endpoint(Ipv4.parse("172.16.0.0") + i / 64_000, 1024 + i % 64_000);
            PacketReport synAck = kernel.receive(new Segment(client, server, TcpFlags.SYN, 1000, 0, 65535, 1460, null));
            int ack = synAck.sentSegments().get(0).seq() + 1;
            kernel.receive(new Segment(client, server, TcpFlags.ACK, 1001, ack, 65535, 0, null));
            kernel.accept(pid, listener);
        }
        return kernel;
    }
}
