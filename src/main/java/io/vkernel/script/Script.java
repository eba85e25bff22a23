package io.vkernel.script;

import java.util.List;
import java.util.Map;

/**
 * A parsed script: its events in order, the matching tolerances ({@code --tolerance_usecs}, default 4000 as in
 * packetdrill; {@code --tolerance_percent}; {@code --tcp_ts_tick_usecs}, 0 = TS values not checked) and the
 * sysctls its {@code // vkernel-sysctl} directives and setup commands set before time 0 ({@code setup}, in order), and
 * what the run should tell the user about settings it accepted without modelling ({@code notes}), and the addresses
 * of the kernel and of the script's side ({@code --local_ip}, {@code --remote_ip}).
 */
public record Script(List<ScriptEvent> events, long toleranceUs, int tolerancePercent, long tsTickUs,
                     Map<String, Long> sysctls, List<SetupCommands.Setup> setup, List<String> notes,
                     ScriptAddresses addresses) {

    public static final long DEFAULT_TOLERANCE_US = 4000;

    public Script {
        events = List.copyOf(events);
        setup = List.copyOf(setup);
        notes = List.copyOf(notes);
        sysctls = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(sysctls));
        addresses = addresses == null ? ScriptAddresses.DEFAULT : addresses;
    }

    /** A script run at packetdrill's default addresses. */
    public Script(List<ScriptEvent> events, long toleranceUs, int tolerancePercent, long tsTickUs,
                  Map<String, Long> sysctls, List<SetupCommands.Setup> setup, List<String> notes) {
        this(events, toleranceUs, tolerancePercent, tsTickUs, sysctls, setup, notes, ScriptAddresses.DEFAULT);
    }
}
