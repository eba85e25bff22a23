package io.vkernel.bench;

import io.vkernel.kernel.trace.PacketReport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * The whole inbound path for data segments into ESTABLISHED connections — NIC, IP validation, 4-tuple, demux,
 * TCB, receive buffer, ACK — with the per-packet explanation off and on. Score: segments per second per core.
 * {@code reader}: {@code reads} is a segment's normal path (each connection's application reads what is queued
 * after every 16th segment, inside the measured operation); {@code never} is the buffer-full path (nothing reads,
 * the queues fill and collapse). See {@link PipelineLoad}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {"-Xmx4g"})
public class PipelineBenchmark {

    @Param({"false", "true"})
    boolean trace;

    @Param({"reads", "never"})
    String reader;

    private PipelineLoad load;

    @Setup(Level.Iteration)
    public void build() {
        load = new PipelineLoad(trace, reader.equals("reads"));
    }

    @Benchmark
    public PacketReport dataSegment() {
        return load.step();
    }
}
