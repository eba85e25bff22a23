package io.vkernel.bench;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.KernelConfig;
import io.vkernel.kernel.link.BulkTransfer;
import io.vkernel.kernel.link.LinkSettings;
import io.vkernel.kernel.link.Network;
import io.vkernel.kernel.wire.Ipv4;
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

import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * A bulk transfer between two kernels of a network, alice to bob, across a link with 5 ms of delay and 0, 1 or 5 %
 * loss: one operation moves 1 MiB (connection set up beforehand), so the score in ops/s is MiB/s of wall time. The
 * network's virtual clock steps as the transfer needs, so the score measures the engine and the link, not time.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgs = {"-Xmx2g"})
public class LossyLinkBenchmark {

    private static final byte[] MEBIBYTE = new byte[1 << 20];

    static {
        new Random(1).nextBytes(MEBIBYTE);
    }

    @Param({"0", "1", "5"})
    double lossPercent;

    private BulkTransfer transfer;
    private long seed;

    @Setup(Level.Invocation)
    public void connect() {
        seed++;
        Kernel alice = kernel("alice", "10.0.0.1", seed);
        Kernel bob = kernel("bob", "10.0.0.2", seed + 1);
        Network lab = new Network("lab", List.of(alice, bob), new LinkSettings(5, 0, lossPercent, 0, 0, 0, seed));
        transfer = new BulkTransfer(lab, alice, bob, 80, 10, 60_000);
    }

    @Benchmark
    public int mebibyteAliceToBob() {
        BulkTransfer.Result result = transfer.exchange(MEBIBYTE, new byte[0], 10, 3_600_000);
        if (!result.finished() || result.readByServer().length != MEBIBYTE.length) {
            throw new IllegalStateException("the transfer did not finish: " + result.readByServer().length + " bytes in "
                    + result.networkMs() + " ms of network time");
        }
        return result.readByServer().length;
    }

    private static Kernel kernel(String id, String address, long seed) {
        KernelConfig d = KernelConfig.defaults(id, seed);
        return new Kernel(new KernelConfig(id, Ipv4.parse(address), seed, 1024, d.hash(), d.eventCapacity(),
                d.wireCapacity(), d.maxProcesses(), d.maxConnections()));
    }
}
