package io.vkernel.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * PipelineBenchmark's operation (one 64-byte data segment into one of 10 000 ESTABLISHED connections, round-robin)
 * timed by the thread's CPU time instead of the wall clock, tracing off and on alternately in one JVM. On a machine
 * shared with other work the wall clock measures the share of CPU this process got; CPU time per segment does not,
 * so the ratio of the two modes stays meaningful. Usage: {@code java -cp ... io.vkernel.bench.PipelineCpu [segments [rounds [both|off|on [reads|never]]]]}; three
 * unmeasured rounds of each mode warm the JIT first.
 */
public final class PipelineCpu {

    private final PipelineLoad load;
    /** Bytes this thread allocated in the last {@link #run}: unlike CPU time, the load on the machine does not move it. */
    private long allocated;

    private PipelineCpu(boolean trace, boolean reads) {
        load = new PipelineLoad(trace, reads);
    }

    /** CPU nanoseconds this thread spent pushing {@code n} segments. */
    private long run(int n, ThreadMXBean cpu) {
        com.sun.management.ThreadMXBean bytes = (com.sun.management.ThreadMXBean) cpu;
        long allocatedBefore = bytes.getCurrentThreadAllocatedBytes();
        long start = cpu.getCurrentThreadCpuTime();
        long sink = 0;
        for (int j = 0; j < n; j++) {
            sink += load.step().sentSegments().size();
        }
        long spent = cpu.getCurrentThreadCpuTime() - start;
        allocated = bytes.getCurrentThreadAllocatedBytes() - allocatedBefore;
        if (sink < 0) {
            System.out.println(sink);
        }
        return spent;
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        String mode = args.length > 2 ? args[2] : "both"; // "off" or "on" alone, for a profiler
        boolean reads = !(args.length > 3 && args[3].equals("never"));
        System.out.println("reader: " + (reads ? "reads (every " + PipelineLoad.READ_EVERY + " segments)" : "never (the buffer-full path)"));
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        PipelineCpu off = mode.equals("on") ? null : new PipelineCpu(false, reads);
        PipelineCpu on = mode.equals("off") ? null : new PipelineCpu(true, reads);
        for (int warm = 0; warm < 3; warm++) {
            if (off != null) {
                off.run(n, cpu);
            }
            if (on != null) {
                on.run(n, cpu);
            }
        }
        double bestOff = 0;
        double bestOn = 0;
        double[] offRates = new double[rounds];
        double[] onRates = new double[rounds];
        for (int round = 1; round <= rounds; round++) {
            double offRate = off == null ? 0 : n / (off.run(n, cpu) / 1e9);
            double onRate = on == null ? 0 : n / (on.run(n, cpu) / 1e9);
            offRates[round - 1] = offRate;
            onRates[round - 1] = onRate;
            bestOff = Math.max(bestOff, offRate);
            bestOn = Math.max(bestOn, onRate);
            System.out.printf("round %d: tracing off %,.0f segments per CPU-second, on %,.0f (on/off %.2f); bytes allocated per segment: off %d, on %d%n",
                    round, offRate, onRate, onRate / offRate, off == null ? 0 : off.allocated / n, on == null ? 0 : on.allocated / n);
        }
        System.out.printf("best: tracing off %,.0f, on %,.0f segments per CPU-second; on/off = %.2f%n", bestOff, bestOn, bestOn / bestOff);
        double medianOff = median(offRates);
        double medianOn = median(onRates);
        System.out.printf("median: tracing off %,.0f, on %,.0f segments per CPU-second; on/off = %.2f%n", medianOff, medianOn, medianOn / medianOff);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
