package io.vkernel.kernel.trace;

import java.util.LinkedHashMap;
import java.util.Map;

/** One kernel's MIB counters (Linux's per-netns {@code net->mib}): monotonic, never reset. */
public final class SnmpCounters {

    private final long[] values = new long[SnmpCounter.values().length];

    public void increment(SnmpCounter counter) {
        values[counter.ordinal()]++;
    }

    public long get(SnmpCounter counter) {
        return values[counter.ordinal()];
    }

    /** Every counter by its nstat name, in /proc order. */
    public Map<String, Long> byName() {
        Map<String, Long> all = new LinkedHashMap<>();
        for (SnmpCounter counter : SnmpCounter.values()) {
            all.put(counter.nstatName(), values[counter.ordinal()]);
        }
        return all;
    }
}
