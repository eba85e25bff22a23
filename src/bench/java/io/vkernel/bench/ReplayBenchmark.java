package io.vkernel.bench;

import io.vkernel.journal.Replay;
import io.vkernel.kernel.Kernel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Replay throughput, warm (issue 15 item 5: replay at 200 000 entries/s or more), measured the way the project's
 * other throughput targets are. One operation is one journal entry: each invocation rebuilds a fresh kernel from a
 * journal of {@link #ENTRIES} lines exactly as a restart does ({@link Replay#stream}: decode a line, apply it to the
 * kernel, next), so the score is entries per second on one core, decoding and the kernel's work included, the database
 * read not. {@code workload}: {@code restart} is the journal {@code bench/journal-bench.sh}'s restart replays
 * (connections opened, 5 bytes read, closed, 100 ms advanced; the closed connections keep retransmitting their FIN, so
 * timers fire), {@code traffic} is eight long connections exchanging 100 bytes each way in 1 ms steps (packets and
 * syscalls, few timers); both are {@link ReplayBench}'s.
 *
 * <p>A cold restart (a fresh JVM replaying many journals while the JIT warms up) is {@code ReplayBench kernels}.
 * {@code ./mvnw -q -o test-compile exec:exec@jmh -Djmh.args="ReplayBenchmark"}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgs = {"-Xmx2g"})
public class ReplayBenchmark {

    /** Entries per journal: long enough for the restart workload's timers to pile up as in the cold bench's journals. */
    static final int ENTRIES = 10_000;

    @Param({"restart", "traffic"})
    String workload;

    private List<String> lines;

    @Setup(Level.Trial)
    public void journal() {
        lines = switch (workload) {
            case "restart" -> ReplayBench.journal(ENTRIES, 1);
            case "traffic" -> ReplayBench.traffic(ENTRIES, 1);
            default -> throw new IllegalArgumentException("workload is restart or traffic, not " + workload);
        };
    }

    @Benchmark
    @OperationsPerInvocation(ENTRIES)
    public Kernel replay() {
        Replay.Rebuilt rebuilt = Replay.stream(lines, Kernel::new);
        if (rebuilt.steps() != ENTRIES) {
            throw new IllegalStateException("replayed " + rebuilt.steps() + " entries, not " + ENTRIES);
        }
        return rebuilt.kernel();
    }
}
