package io.vkernel.script;

/**
 * A script that cannot be run as written: a parse error, an unsupported construct or a refused one (shell commands,
 * code blocks). The message says what is wrong and how to fix it; {@link #line()} is the 1-based script line.
 */
public class ScriptException extends RuntimeException {

    private final int line;

    public ScriptException(int line, String message) {
        super(message, null, false, false);
        this.line = line;
    }

    public int line() {
        return line;
    }
}
