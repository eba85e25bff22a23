package io.vkernel.script;

import java.util.List;
import java.util.Map;

/**
 * What a run did: {@code pass} or {@code fail}, the first failure, the harness's setup, every line with what it
 * expected and what happened, and the wire as the kernel saw it. Times are virtual seconds since the run began.
 */
public record ScriptReport(String result, String summary, ScriptFailure failure, ScriptSetup setup, List<ScriptLine> lines,
                           List<ScriptPacket> wire) {

    /** The first line that failed (null line: after the last line) and why. */
    public record ScriptFailure(Integer line, String detail) {
    }

    /**
     * The addresses, seed, tolerance and tunables the run used before time 0, notes on setup lines accepted without
     * modelling what they tune, and where its virtual clock ended.
     */
    public record ScriptSetup(String local, String remote, long seed, long toleranceUsecs, Map<String, Long> sysctls,
                              List<String> notes, double virtualSeconds) {
    }

    /**
     * One script line: {@code kind} is inbound, outbound, syscall or end (checks after the last line); {@code status}
     * is pass, fail, not-run, or blocked (a call still blocked when the run stopped). {@code expected} and {@code actual} are in script notation (sequence numbers
     * relative); {@code wire} is the packet as tcpdump would print it; {@code returned} is when a call returned.
     */
    public record ScriptLine(Integer line, String text, String kind, String status, Double time, Double returned,
                             String expected, String actual, String wire, String detail) {
    }

    /** One packet on the wire, in or out, oldest first. */
    public record ScriptPacket(long no, double time, String direction, String packet) {
    }

    public boolean passed() {
        return "pass".equals(result);
    }
}
