package io.vkernel.kernel;

import io.vkernel.kernel.demux.EstablishedTable;
import io.vkernel.kernel.tcp.DetachedTcbs;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.Ipv4;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * The demonstration behind the seed's hash-table claims, run on two scratch kernels that copy a kernel's address,
 * bucket count and seed: one demultiplexes with the seed's XOR hash, the other with Linux's keyed jhash. Both get
 * the same N connections from a chosen {@link Pattern}, and the distribution of each table is reported. Then the
 * seed's performance table is measured live: the first 100, 1 000, 10 000 and 100 000 connections looked up in each
 * EstablishedTable and by a linear scan over the same TCBs — entries examined per lookup (exact) and nanoseconds
 * per lookup (measured with the clock passed in). The user's kernel is only read.
 */
public final class HashDemo {

    public static final int MAX_CONNECTIONS = 100_000;
    public static final int[] SIZES = {100, 1_000, 10_000, 100_000};
    /** Entries examined per structure and size when timing: bounds the demo to a few hundred milliseconds. */
    private static final long WORK_PER_MEASUREMENT = 200_000;
    private static final int SERVER_PORT = 8080;

    /** Where the connections come from. */
    public enum Pattern {
        NAT("one NAT gateway, 203.0.113.7, opening connections from sequential source ports 1024, 1025, ... "
                + "(a second gateway address after 64 512 ports), as a carrier-grade NAT or a load balancer does"),
        FLOOD("spoofed SYNs whose source address and port are chosen so that src_ip ^ src_port << 16 is the same for "
                + "every one (per lap of the port range): they share one 32-bit XOR hash, whatever the bucket count, as a "
                + "hash-flooding attacker aims them; request sockets sit in the established table too"),
        RANDOM("clients at random unicast addresses and ports (a seeded generator): the case both hashes handle");

        private final String description;

        Pattern(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    /** One scratch kernel's table after the N connections went in. */
    public record TableResult(String kernel, String hash, String formula, EstablishedTable.Distribution distribution,
                              List<String> longestChainHead) {
    }

    /** One structure's cost at one size. */
    public record Cost(String structure, double examinedPerLookup, int lookupsTimed, double nsPerLookup) {
    }

    /** One row of the seed's performance table. */
    public record Row(int connections, Cost linear, Cost xor, Cost jhash) {
    }

    public record Result(Pattern pattern, int connections, int buckets, List<TableResult> tables, List<Row> performance) {
    }

    private HashDemo() {
    }

    /**
     * Runs the demonstration for {@code connections} connections of {@code pattern} on tables of {@code buckets}
     * buckets, keyed like {@code template}; {@code nanoTime} times the lookups.
     */
    public static Result run(KernelConfig template, Pattern pattern, int connections, int buckets, LongSupplier nanoTime) {
        if (connections < 1 || connections > MAX_CONNECTIONS) {
            throw new IllegalArgumentException("connections must be between 1 and " + MAX_CONNECTIONS + ", got " + connections);
        }
        Kernel xor = scratch(template, "xor", buckets);
        Kernel jhash = scratch(template, "jhash", buckets);
        int total = Math.max(connections, SIZES[SIZES.length - 1]);
        List<FourTuple> tuples = tuples(pattern, total, new Endpoint(template.address(), SERVER_PORT), template.seed());
        List<Tcb> tcbs = new ArrayList<>(total);
        List<TableResult> tables = new ArrayList<>();
        List<Row> rows = new ArrayList<>();
        int nextSize = 0;
        boolean warmedUp = false;
        for (FourTuple tuple : tuples) {
            Tcb tcb = DetachedTcbs.established(tuple, 0);
            tcbs.add(tcb);
            xor.established().insert(tcb);
            jhash.established().insert(tcb);
            int count = tcbs.size();
            if (count == connections) {
                tables.add(table(xor));
                tables.add(table(jhash));
            }
            if (nextSize < SIZES.length && count == SIZES[nextSize]) {
                if (!warmedUp) {
                    row(tcbs, xor.established(), jhash.established(), nanoTime);
                    warmedUp = true;
                }
                rows.add(row(tcbs, xor.established(), jhash.established(), nanoTime));
                nextSize++;
            }
        }
        return new Result(pattern, connections, buckets, tables, rows);
    }

    private static Kernel scratch(KernelConfig template, String hash, int buckets) {
        return new Kernel(new KernelConfig("demo-" + hash, template.address(), template.seed(), buckets, hash, 1, 1, 1,
                MAX_CONNECTIONS));
    }

    private static TableResult table(Kernel kernel) {
        EstablishedTable table = kernel.established();
        EstablishedTable.Distribution distribution = table.distribution();
        List<String> head = new ArrayList<>();
        if (distribution.longestBucket() >= 0) {
            for (Tcb tcb : table.chain(distribution.longestBucket())) {
                if (head.size() == 5) {
                    break;
                }
                head.add(tcb.tuple() + " hash 0x" + Integer.toHexString(table.hashFunction().hash(tcb.tuple())));
            }
        }
        return new TableResult(kernel.id(), table.hashFunction().name(), table.hashFunction().formula(), distribution, head);
    }

    private static Row row(List<Tcb> tcbs, EstablishedTable xor, EstablishedTable jhash, LongSupplier nanoTime) {
        int size = tcbs.size();
        double linearExamined = (size + 1) / 2.0;
        Cost linear = time("linear scan", linearExamined, tcbs, nanoTime, tuple -> linearFind(tcbs, tuple) != null);
        Cost x = time("hash table (xor)", xor.distribution().examinedPerLookup(), tcbs, nanoTime, tuple -> xor.find(tuple) != null);
        Cost j = time("hash table (jhash)", jhash.distribution().examinedPerLookup(), tcbs, nanoTime, tuple -> jhash.find(tuple) != null);
        return new Row(size, linear, x, j);
    }

    /** The seed's "naive approach": compare the 4-tuple of every connection in turn. */
    private static Tcb linearFind(List<Tcb> tcbs, FourTuple tuple) {
        for (Tcb tcb : tcbs) {
            if (tcb.tuple().equals(tuple)) {
                return tcb;
            }
        }
        return null;
    }

    /** Times lookups of connections spread evenly over the table, as many as the work budget allows. */
    private static Cost time(String structure, double examined, List<Tcb> tcbs, LongSupplier nanoTime, Predicate<FourTuple> lookup) {
        int size = tcbs.size();
        int lookups = (int) Math.max(5, Math.min(20_000, WORK_PER_MEASUREMENT / Math.max(1.0, examined)));
        List<FourTuple> keys = new ArrayList<>(lookups);
        long stride = Math.max(1, size / Math.min(lookups, size)) | 1;
        for (int i = 0; i < lookups; i++) {
            keys.add(tcbs.get((int) ((i * stride + size / 2) % size)).tuple());
        }
        int found = 0;
        long start = nanoTime.getAsLong();
        for (FourTuple key : keys) {
            if (lookup.test(key)) {
                found++;
            }
        }
        long elapsed = nanoTime.getAsLong() - start;
        if (found != lookups) {
            throw new IllegalStateException(structure + " lost a connection: found " + found + " of " + lookups);
        }
        return new Cost(structure, round(examined), lookups, round((double) elapsed / lookups));
    }

    private static double round(double value) {
        return Math.round(value * 100) / 100.0;
    }

    /** The pattern's first {@code count} distinct 4-tuples towards {@code server}. */
    static List<FourTuple> tuples(Pattern pattern, int count, Endpoint server, long seed) {
        List<FourTuple> tuples = new ArrayList<>(count);
        switch (pattern) {
            case NAT -> {
                int gateway = Ipv4.parse("203.0.113.7");
                for (int i = 0; tuples.size() < count; i++) {
                    tuples.add(new FourTuple(new Endpoint(gateway + i / 64_512, 1024 + i % 64_512), server));
                }
            }
            case FLOOD -> {
                // src_ip ^ src_port << 16 is the same for every port of a lap: the port picks the address's upper half.
                int target = Ipv4.parse("198.18.0.1");
                for (int lap = 0; tuples.size() < count; lap++) {
                    for (int port = 1024; port <= 65535 && tuples.size() < count; port++) {
                        int address = target ^ port << 16 ^ lap;
                        if (Ipv4.isValidPeer(address) && !Ipv4.isLoopback(address)) {
                            tuples.add(new FourTuple(new Endpoint(address, port), server));
                        }
                    }
                }
            }
            case RANDOM -> {
                SplittableRandom random = new SplittableRandom(seed);
                java.util.Set<FourTuple> seen = new java.util.HashSet<>();
                while (tuples.size() < count) {
                    int address = random.nextInt();
                    if (!Ipv4.isValidPeer(address) || Ipv4.isLoopback(address)) {
                        continue;
                    }
                    FourTuple tuple = new FourTuple(new Endpoint(address, 1024 + random.nextInt(64_512)), server);
                    if (seen.add(tuple)) {
                        tuples.add(tuple);
                    }
                }
            }
            default -> throw new IllegalArgumentException("unknown pattern " + pattern);
        }
        return tuples;
    }
}
