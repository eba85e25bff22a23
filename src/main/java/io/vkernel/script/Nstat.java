package io.vkernel.script;

import io.vkernel.kernel.trace.SnmpCounter;

import java.util.Arrays;
import java.util.Map;

/**
 * A backquoted {@code nstat} line, read for what it means in a script, never run. nstat prints the MIB counters that
 * changed since it last ran and remembers the values it printed, so the suites use it as a pair:
 * {@code `nstat > /dev/null`} (or {@code nstat -n}) sets the baseline, and later {@code `nstat | grep NAME`} (with
 * any redirection) succeeds only when NAME changed since then: grep finds nothing, exits 1, and packetdrill fails the
 * line otherwise. {@code counter} is null for the baseline form. Either form moves the baseline to now.
 */
record Nstat(String counter, Long value, boolean update) implements ScriptEvent.Action {

    static final String FORMS = "nstat > /dev/null and nstat -n (the baseline), nstat | grep COUNTER (COUNTER changed since), "
            + "nstat | grep COUNTER | grep -q \" N \" (it changed by exactly N), and nstat -s for either (the baseline stays)";


    /** The line as an nstat event, or null when it is not an nstat command at all; refuses forms it cannot read. */
    static Nstat parse(String text, int line) {
        String command = text.replace("\\\n", " ").strip();
        if (!command.equals("nstat") && !command.startsWith("nstat ")) {
            return null;
        }
        String[] pipe = command.split("\\|", -1);
        String nstat = withoutRedirection(pipe[0]);
        if (!nstat.equals("nstat") && !nstat.equals("nstat -n") && !nstat.equals("nstat -a -n") && !nstat.equals("nstat -n -a")
                && !nstat.equals("nstat -s")) {
            throw refuse(line, command, "nstat's options here are none, -n or -s");
        }
        // nstat -s (--noupdate) prints without moving its history, the baseline later lines compare with
        boolean update = !nstat.equals("nstat -s");
        if (pipe.length == 1) {
            return new Nstat(null, null, update);
        }
        String[] grep = withoutRedirection(pipe[1]).split("\\s+");
        if (pipe.length > 3 || grep.length != 2 || !grep[0].equals("grep") || nstat.contains("-n")) {
            throw refuse(line, command, "after the pipe comes one grep COUNTER, then perhaps grep -q \" N \"");
        }
        String name = grep[1].replace("\"", "").replace("'", "");
        if (Arrays.stream(SnmpCounter.values()).noneMatch(c -> c.nstatName().equals(name))) {
            throw new ScriptException(line, "nstat counter '" + name + "' is not kept by vkernel; it keeps "
                    + String.join(", ", Arrays.stream(SnmpCounter.values()).map(SnmpCounter::nstatName).toList()));
        }
        Long value = null;
        if (pipe.length == 3) {
            // nstat prints "NAME   VALUE   RATE": grep -q " N " matches the line when the value is N
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("grep -q ([\"'])\\s+([0-9]{1,18})\\s+\\1")
                    .matcher(withoutRedirection(pipe[2]));
            if (!m.matches()) {
                throw refuse(line, command, "the second grep is grep -q \" N \", the value between spaces");
            }
            value = Long.parseLong(m.group(2));
        }
        return new Nstat(name, value, update);
    }

    /** '> /dev/null' and '2>&1' say where the output goes, which changes nothing here. */
    private static String withoutRedirection(String part) {
        return part.replaceAll("\\d?>&\\d", " ").replaceAll("\\d?>\\s*/dev/null", " ").strip().replaceAll("\\s+", " ");
    }

    private static ScriptException refuse(int line, String command, String why) {
        return new ScriptException(line, "the backquoted command '" + command + "' is not understood (" + why + "). vkernel "
                + "never runs commands from a script; of nstat it understands: " + FORMS);
    }

    /** What the line found: null when it holds (a baseline always does), else why it fails. */
    String check(Map<String, Long> baseline, Map<String, Long> now) {
        if (counter == null) {
            return null;
        }
        long before = baseline.getOrDefault(counter, 0L);
        long after = now.getOrDefault(counter, 0L);
        if (value != null) {
            return after != before && after - before == value ? null : "nstat | grep " + counter + " | grep -q \" " + value
                    + " \" found nothing: " + counter + " changed by " + (after - before) + " since the last nstat (it is " + after + ")";
        }
        return after != before ? null : "nstat | grep " + counter + " found nothing: " + counter + " did not change since the "
                + "last nstat (it is " + after + ")";
    }
}
