package io.vkernel.api;

import io.vkernel.kernel.HashDemo;
import io.vkernel.kernel.demux.EstablishedTable;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Locale;

/** Sentences and the seed-style performance table for the demux views and the hash demonstration. */
final class DemuxText {

    private DemuxText() {
    }

    /** One line a learner reads: how full the table is and what a lookup costs. */
    static String summary(EstablishedTable.Distribution d) {
        if (d.entries() == 0) {
            return "empty: all " + d.buckets() + " buckets have an empty chain";
        }
        return String.format(Locale.ROOT, "%d entries in %d of %d buckets (load factor %s); longest chain %d (bucket %d); "
                        + "finding an entry examines %.2f chain entries on average",
                d.entries(), d.usedBuckets(), d.buckets(), threeDigits(d.loadFactor()), d.longestChain(), d.longestBucket(),
                d.examinedPerLookup());
    }

    /** A ratio with three significant digits, without exponent: 0.0000305, 0.153, 1.5. */
    static String threeDigits(double value) {
        return new BigDecimal(value).round(new MathContext(3)).stripTrailingZeros().toPlainString();
    }

    /** The seed's "Real-world numbers" table, measured: entries examined and nanoseconds per lookup. */
    static String performance(HashDemo.Result result) {
        StringBuilder out = new StringBuilder();
        out.append("pattern ").append(result.pattern().name().toLowerCase(Locale.ROOT)).append(", ")
                .append(result.buckets()).append(" buckets\n\n");
        for (HashDemo.TableResult table : result.tables()) {
            out.append(String.format(Locale.ROOT, "%-6s %s%n", table.hash(), summary(table.distribution())));
        }
        out.append('\n');
        out.append(String.format(Locale.ROOT, "%-12s %-26s %-26s %-26s%n", "Connections", "Linear search", "Hash table (xor)", "Hash table (jhash)"));
        out.append(String.format(Locale.ROOT, "%-12s %-26s %-26s %-26s%n", "", "examined      ns/lookup", "examined      ns/lookup",
                "examined      ns/lookup"));
        for (HashDemo.Row row : result.performance()) {
            out.append(String.format(Locale.ROOT, "%-12s %-26s %-26s %-26s%n", String.format(Locale.ROOT, "%,d", row.connections()),
                    cell(row.linear()), cell(row.xor()), cell(row.jhash())));
        }
        return out.toString();
    }

    private static String cell(HashDemo.Cost cost) {
        return String.format(Locale.ROOT, "%-13s %s", String.format(Locale.ROOT, "%,.2f", cost.examinedPerLookup()),
                String.format(Locale.ROOT, "%,.1f", cost.nsPerLookup()));
    }
}
