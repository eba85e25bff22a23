package io.vkernel.api;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The counters as iproute2's {@code nstat -a} prints them: a {@code #kernel} line, then one line per counter,
 * {@code "%-32s%-16llu%6.1f"} (name, absolute value, rate); zero counters only with {@code -z}. vkernel keeps
 * no rate history, so the rate column reads 0.0.
 */
final class NstatText {

    private NstatText() {
    }

    static Map<String, Long> shown(Map<String, Long> counters, boolean zeros) {
        Map<String, Long> shown = new LinkedHashMap<>();
        counters.forEach((name, value) -> {
            if (zeros || value != 0) {
                shown.put(name, value);
            }
        });
        return shown;
    }

    static String render(Map<String, Long> counters) {
        StringBuilder out = new StringBuilder("#kernel\n");
        counters.forEach((name, value) -> out.append(String.format("%-32s%-16d%6.1f%n", name, value, 0.0)));
        return out.toString();
    }
}
