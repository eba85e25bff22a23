package io.vkernel.script;

import java.util.List;
import java.util.Map;

/**
 * A parsed script: its events in order, the matching tolerances ({@code --tolerance_usecs}, default 4000 as in
 * packetdrill; {@code --tolerance_percent}; {@code --tcp_ts_tick_usecs}, 0 = TS values not checked) and the
 * sysctls its {@code // vkernel-sysctl} directives and setup commands set before time 0 ({@code setup}, in order), and
 * what the run should tell the user about settings it accepted without modelling ({@code notes}).
 */
public record Script(List<ScriptEvent> events, long toleranceUs, int tolerancePercent, long tsTickUs,
                     Map<String, Long> sysctls, List<SetupCommands.Setup> setup, List<String> notes) {

    public static final long DEFAULT_TOLERANCE_US = 4000;

    public Script {
        events = List.copyOf(events);
        setup = List.copyOf(setup);
        notes = List.copyOf(notes);
        sysctls = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(sysctls));
    }
}
