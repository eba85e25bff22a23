package io.vkernel.script;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A backquoted {@code grep} of /proc/net/tcp during a script, as the public suites check that a socket exists:
 * {@code `grep " 0A " /proc/net/tcp /proc/net/tcp6 | grep ":1F90"`} (a listener on port 8080). Nothing is run: the
 * lines searched are the kernel's /proc/net/tcp as {@code GET .../proc/net/tcp} prints it
 * ({@link io.vkernel.kernel.proc.ProcNetTcp}, {@code tcp4_seq_show()}: local and remote address as little-endian hex
 * with the port in hex, the state as its number, 0A for LISTEN), each fixed string is looked for in turn, and the
 * command succeeds (as grep exits 0) when a line is left. vkernel has no IPv6, so /proc/net/tcp6 is empty. A failed command fails the script at its line, as packetdrill fails on a non-zero exit.
 */
record ProcGrep(String command, List<String> patterns) implements ScriptEvent.Action {

    private static final Pattern FIRST = Pattern.compile("\\s*grep\\s+(?:-[qF]+\\s+)*(\"[^\"]*\"|'[^']*'|[^\\s|'\"]+)\\s+"
            + "((?:/proc/net/tcp6?\\s*)+)");
    private static final Pattern NEXT = Pattern.compile("\\s*grep\\s+(?:-[qF]+\\s+)*(\"[^\"]*\"|'[^']*'|[^\\s|'\"]+)\\s*");

    /** The command as a /proc/net/tcp grep, or null when it is something else. */
    static ProcGrep parse(String text, int line) {
        String command = text.strip();
        String[] stages = command.split("\\|");
        Matcher first = FIRST.matcher(stages[0]);
        if (stages.length == 0 || !first.matches()) {
            return null;
        }
        List<String> patterns = new ArrayList<>();
        patterns.add(unquote(first.group(1)));
        for (int i = 1; i < stages.length; i++) {
            Matcher next = NEXT.matcher(stages[i]);
            if (!next.matches()) {
                throw new ScriptException(line, "a grep of /proc/net/tcp is understood piped into more 'grep PATTERN', got '"
                        + stages[i].strip() + "'");
            }
            patterns.add(unquote(next.group(1)));
        }
        for (String pattern : patterns) {
            if (!pattern.matches("[A-Za-z0-9 :.]*")) {
                throw new ScriptException(line, "grep patterns over /proc/net/tcp are fixed strings of hex digits, spaces, "
                        + "':' and '.'; got '" + pattern + "'");
            }
        }
        return new ProcGrep(command, List.copyOf(patterns));
    }

    private static String unquote(String word) {
        return word.startsWith("\"") || word.startsWith("'") ? word.substring(1, word.length() - 1) : word;
    }

    /** The lines every pattern matches; grep's exit status is 0 when there is one. */
    List<String> matching(List<String> lines) {
        return lines.stream().filter(l -> patterns.stream().allMatch(l::contains)).toList();
    }
}
