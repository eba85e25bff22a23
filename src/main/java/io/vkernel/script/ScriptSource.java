package io.vkernel.script;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A script's text as lines with the comments ({@code //} and {@code /* *}{@code /}) blanked out, the
 * {@code // vkernel-...} directives found in them, and its embedded blocks: backquoted shell commands and
 * {@code %{ }%} code. Blocks may span lines; each is cut out of the text and replaced, on its first line, by a
 * placeholder the parser recognises. Nothing in a block is ever executed: {@link SetupCommands} understands the
 * setup idioms of the public suites and {@link CodeBlock} evaluates a small, safe subset of their assertions.
 */
final class ScriptSource {

    /** A {@code // vkernel-name argument} comment. */
    record Directive(int line, String name, String argument) {
    }

    /** A backquoted shell command ({@code shell}) or a {@code %{ }%} code block, starting at {@code line}. */
    record Block(int line, boolean shell, String text) {
    }

    static final String DIRECTIVE_PREFIX = "vkernel-";
    /** Stands for block number N in a line's code: MARK + N + MARK. */
    static final char MARK = '\u0001';

    private final List<String> lines;
    private final List<Directive> directives;
    private final List<Block> blocks;

    private ScriptSource(List<String> lines, List<Directive> directives, List<Block> blocks) {
        this.lines = lines;
        this.directives = directives;
        this.blocks = blocks;
    }

    List<Block> blocks() {
        return blocks;
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
        List<Block> blocks = new ArrayList<>();
        int blockStart = 0;
        boolean inBlock = false;
        StringBuilder embedded = null;
        boolean shell = false;
        int embeddedStart = 0;
        for (int n = 0; n < count; n++) {
            String line = raw[n];
            int lineNo = n + 1;
            StringBuilder code = new StringBuilder(line.length());
            boolean inString = false;
            int i = 0;
            while (i < line.length()) {
                char c = line.charAt(i);
                if (embedded != null) {
                    String close = shell ? "`" : "}%";
                    if (line.startsWith(close, i)) {
                        blocks.add(new Block(embeddedStart, shell, embedded.toString()));
                        embedded = null;
                        i += close.length();
                    } else {
                        embedded.append(c);
                        i++;
                    }
                } else if (inBlock) {
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
                } else if (c == '`' || line.startsWith("%{", i)) {
                    shell = c == '`';
                    embedded = new StringBuilder();
                    embeddedStart = lineNo;
                    code.append(MARK).append(blocks.size()).append(MARK);
                    i += shell ? 1 : 2;
                } else {
                    inString = c == '"';
                    code.append(c);
                    i++;
                }
            }
            if (embedded != null) {
                embedded.append('\n');
            }
            lines.add(code.toString());
        }
        if (embedded != null) {
            throw new ScriptException(embeddedStart, shell ? "the backquoted command that starts here is never closed with `"
                    : "the %{ code block that starts here is never closed with }%");
        }
        if (inBlock) {
            throw new ScriptException(blockStart, "the /* comment that starts here is never closed with */");
        }
        return new ScriptSource(lines, directives, blocks);
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
