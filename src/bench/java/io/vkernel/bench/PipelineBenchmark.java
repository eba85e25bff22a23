package io.vkernel.bench;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
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
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {"-Xmx4g"})
public class PipelineBenchmark {

    private static final int CONNECTIONS = 10_000;
    private static final byte[] PAYLOAD = new byte[64];

    @Param({"false", "true"})
    boolean trace;

    private Kernel kernel;
    private Endpoint[] clients;
    private int[] seq;
    private int[] ack;
    private int next;

    @Setup(Level.Iteration)
    public void build() {
        kernel = BenchKernels.withConnections(CONNECTIONS, 16_384, false);
        kernel.inspect(k -> {
            k.sysctls().set(Sysctls.VKERNEL_TRACE, trace ? 1 : 0);
            k.sysctls().set(Sysctls.TCP_RMEM_DEFAULT, 64L * 1024 * 1024);
            return null;
        });
        clients = new Endpoint[CONNECTIONS];
        seq = new int[CONNECTIONS];
        ack = new int[CONNECTIONS];
        for (int i = 0; i < CONNECTIONS; i++) {
            clients[i] = BenchKernels.client(i);
            int index = i;
            seq[i] = 1001;
            ack[i] = kernel.inspect(k -> k.established().find(BenchKernels.tuple(index)).sndNxt());
        }
    }

    @Benchmark
    public PacketReport dataSegment() {
        int i = next++ % CONNECTIONS;
        Segment segment = new Segment(clients[i], BenchKernels.SERVER, TcpFlags.ACK | TcpFlags.PSH, seq[i], ack[i], 65535, 0, PAYLOAD);
        seq[i] += PAYLOAD.length;
        return kernel.receive(segment);
    }
}
