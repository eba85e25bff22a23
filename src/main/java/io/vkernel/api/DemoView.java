package io.vkernel.api;

import io.vkernel.kernel.HashDemo;
import io.vkernel.kernel.demux.EstablishedTable;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The hash demonstration's answer: each scratch table's distribution, the measured performance table, and what they show. */
record DemoView(String pattern, String patternDescription, int connections, int buckets, List<Table> tables,
                List<Row> performance, List<String> findings, long elapsedMs) {

    record Table(String kernel, String hash, String formula, int entries, int usedBuckets, int longestChain,
                 int longestBucket, double loadFactor, double examinedPerLookup, Map<Integer, Integer> chainLengths,
                 List<String> longestChainHead, String summary) {
    }

    record Cost(double examinedPerLookup, double nsPerLookup, int lookupsTimed) {
    }

    record Row(int connections, Cost linearScan, Cost xorHashTable, Cost jhashHashTable) {
    }

    static DemoView of(HashDemo.Result result, long elapsedMs) {
        List<Table> tables = result.tables().stream().map(DemoView::table).toList();
        List<Row> rows = result.performance().stream()
                .map(r -> new Row(r.connections(), cost(r.linear()), cost(r.xor()), cost(r.jhash()))).toList();
        return new DemoView(result.pattern().name().toLowerCase(Locale.ROOT), result.pattern().description(),
                result.connections(), result.buckets(), tables, rows, findings(result), elapsedMs);
    }

    private static Table table(HashDemo.TableResult t) {
        EstablishedTable.Distribution d = t.distribution();
        return new Table(t.kernel(), t.hash(), t.formula(), d.entries(), d.usedBuckets(), d.longestChain(), d.longestBucket(),
                d.loadFactor(), round(d.examinedPerLookup()), d.chainLengths(), t.longestChainHead(), DemuxText.summary(d));
    }

    private static Cost cost(HashDemo.Cost c) {
        return new Cost(c.examinedPerLookup(), c.nsPerLookup(), c.lookupsTimed());
    }

    private static List<String> findings(HashDemo.Result result) {
        List<String> findings = new ArrayList<>();
        EstablishedTable.Distribution xor = null;
        EstablishedTable.Distribution jhash = null;
        for (HashDemo.TableResult t : result.tables()) {
            if (t.hash().equals("xor")) {
                xor = t.distribution();
            } else {
                jhash = t.distribution();
            }
        }
        findings.add(String.format(Locale.ROOT, "The seed's XOR hash put %,d connections into %,d of %,d buckets; the longest chain "
                        + "holds %,d, so finding a connection examines %.2f entries on average.",
                xor.entries(), xor.usedBuckets(), xor.buckets(), xor.longestChain(), xor.examinedPerLookup()));
        findings.add(String.format(Locale.ROOT, "Linux's keyed jhash spread the same connections over %,d buckets; the longest chain "
                        + "holds %,d and a lookup examines %.2f entries.",
                jhash.usedBuckets(), jhash.longestChain(), jhash.examinedPerLookup()));
        if (result.pattern() == HashDemo.Pattern.NAT) {
            findings.add("Why XOR collapses here: only src_port differs, and the seed shifts it into the upper 16 bits "
                    + "(src_port << 16), which hash & (buckets - 1) throws away whenever there are 65 536 buckets or fewer.");
        } else if (result.pattern() == HashDemo.Pattern.FLOOD) {
            findings.add("Why XOR collapses here: the hash is unkeyed and linear, so an attacker solves src_ip ^ src_port << 16 = C "
                    + "for as many (address, port) pairs as he likes; jhash mixes the tuple with a secret he cannot know.");
        } else {
            findings.add("With random clients both hashes spread well: XOR's weakness is not the average case but what a NAT "
                    + "or an attacker makes of it.");
        }
        HashDemo.Row last = result.performance().get(result.performance().size() - 1);
        findings.add(String.format(Locale.ROOT, "At %,d connections a linear scan examines %,.0f entries per lookup (measured %,.0f ns); "
                        + "the jhash table examines %.2f (measured %,.0f ns). The seed's table says 50 ms against 0.5 µs: the shape "
                        + "holds, the absolute numbers depend on the machine (these were measured in this JVM just now).",
                last.connections(), last.linear().examinedPerLookup(), last.linear().nsPerLookup(),
                last.jhash().examinedPerLookup(), last.jhash().nsPerLookup()));
        return findings;
    }

    private static double round(double value) {
        return Math.round(value * 100) / 100.0;
    }
}
