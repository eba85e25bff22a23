package io.vkernel.bench;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.demux.EstablishedTable;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.wire.FourTuple;
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

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Demux lookup cost by number of established connections: vkernel's hand-built chained table beside a
 * java.util.HashMap keyed by the same 4-tuples, and the seed's linear search for contrast.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {"-Xmx6g"})
public class DemuxBenchmark {

    @Param({"100", "10000", "100000", "1000000"})
    int connections;

    private EstablishedTable table;
    private Map<FourTuple, Tcb> hashMap;
    private List<Tcb> list;
    private FourTuple[] keys;
    private int next;

    @Setup(Level.Trial)
    public void build() {
        Kernel kernel = BenchKernels.withConnections(connections, BenchKernels.bucketsFor(connections), true);
        table = kernel.established();
        list = new ArrayList<>(table.all());
        hashMap = new HashMap<>();
        for (Tcb tcb : list) {
            hashMap.put(tcb.tuple(), tcb);
        }
        Random random = new Random(1);
        keys = new FourTuple[4096];
        for (int i = 0; i < keys.length; i++) {
            // fresh tuple objects, as a parsed packet would bring
            keys[i] = BenchKernels.tuple(random.nextInt(connections));
        }
    }

    @Benchmark
    public Tcb vkernelTable() {
        return table.find(keys[next++ & 4095]);
    }

    @Benchmark
    public Tcb javaHashMap() {
        return hashMap.get(keys[next++ & 4095]);
    }

    @Benchmark
    public Tcb seedLinearSearch() {
        FourTuple key = keys[next++ & 4095];
        for (Tcb tcb : list) {
            if (tcb.tuple().equals(key)) {
                return tcb;
            }
        }
        return null;
    }
}
