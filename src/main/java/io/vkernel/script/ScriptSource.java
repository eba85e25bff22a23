package io.vkernel.script;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A script's text as lines with the comments ({@code //} and {@code /* *}{@code /}) blanked out, and the
 * {@code // vkernel-...} directives found in them. It refuses, before anything else happens, what packetdrill would
 * hand to a shell or an interpreter: backquoted commands and {@code %{ }%} code blocks. Nothing in a script is ever
 * executed; only its packets and system calls are interpreted.
 */
final class ScriptSource {

    /** A {@code // vkernel-name argument} comment. */
    record Directive(int line, String name, String argument) {
    }

    static final String DIRECTIVE_PREFIX = "vkernel-";

    private final List<String> lines;
    private final List<Directive> directives;

    private ScriptSource(List<String> lines, List<Directive> directives) {
        this.lines = lines;
        this.directives = directives;
    }

    List<String> lines() {
        return lines;
    }

    List<Directive> directives() {
        return directives;
    }

    static ScriptSource of(String text, ScriptLimits limits) {
        int bytes = text.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > limits.maxBytes()) {
            throw new ScriptTooLargeException("the script is " + bytes + " bytes; at most " + limits.maxBytes()
                    + " are accepted (vkernel.scripts.max-bytes)");
        }
        String normalized = text.replace("\r\n", "\n").replace('\r', '\n');
        String[] raw = normalized.split("\n", -1);
        int count = raw.length > 0 && raw[raw.length - 1].isEmpty() ? raw.length - 1 : raw.length;
        if (count > limits.maxLines()) {
            throw new ScriptTooLargeException("the script has " + count + " lines; at most " + limits.maxLines()
                    + " are accepted (vkernel.scripts.max-lines)");
        }
        return strip(raw, count);
    }

    private static ScriptSource strip(String[] raw, int count) {
        List<String> lines = new ArrayList<>(count);
        List<Directive> directives = new ArrayList<>();
        int blockStart = 0;
        boolean inBlock = false;
        for (int n = 0; n < count; n++) {
            String line = raw[n];
            int lineNo = n + 1;
            StringBuilder code = new StringBuilder(line.length());
            boolean inString = false;
            int i = 0;
            while (i < line.length()) {
                char c = line.charAt(i);
                if (inBlock) {
                    if (line.startsWith("*/", i)) {
                        inBlock = false;
                        code.append("  ");
                        i += 2;
                    } else {
                        code.append(' ');
                        i++;
                    }
                } else if (inString) {
                    code.append(c);
                    if (c == '\\' && i + 1 < line.length()) {
                        code.append(line.charAt(i + 1));
                        i += 2;
                        continue;
                    }
                    inString = c != '"';
                    i++;
                } else if (line.startsWith("//", i)) {
                    directive(line.substring(i + 2), lineNo, directives);
                    break;
                } else if (line.startsWith("/*", i)) {
                    inBlock = true;
                    blockStart = lineNo;
                    code.append("  ");
                    i += 2;
                } else {
                    refuseExecutable(line, i, lineNo);
                    inString = c == '"';
                    code.append(c);
                    i++;
                }
            }
            lines.add(code.toString());
        }
        if (inBlock) {
            throw new ScriptException(blockStart, "the /* comment that starts here is never closed with */");
        }
        return new ScriptSource(lines, directives);
    }

    private static void refuseExecutable(String line, int i, int lineNo) {
        char c = line.charAt(i);
        if (c == '`') {
            throw new ScriptException(lineNo, "backquoted shell commands (`...`) are refused: vkernel is a public service and "
                    + "never runs commands from a script. Set a tunable with a directive comment instead, e.g. "
                    + "// vkernel-sysctl net.ipv4.tcp_abort_on_overflow=1");
        }
        if (line.startsWith("%{", i)) {
            throw new ScriptException(lineNo, "%{ }% code blocks are refused: vkernel is a public service and never runs "
                    + "code from a script; assert on packets and system-call results instead");
        }
    }

    private static void directive(String comment, int lineNo, List<Directive> directives) {
        String body = comment.strip();
        if (!body.startsWith(DIRECTIVE_PREFIX)) {
            return;
        }
        int space = body.indexOf(' ');
        String name = space < 0 ? body : body.substring(0, space);
        String argument = space < 0 ? "" : body.substring(space + 1).strip();
        directives.add(new Directive(lineNo, name.substring(DIRECTIVE_PREFIX.length()), argument));
    }
}
