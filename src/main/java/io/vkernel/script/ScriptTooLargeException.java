package io.vkernel.script;

/** A script beyond a bound ({@link ScriptLimits}): too many bytes or lines. The HTTP edge answers 413. */
public final class ScriptTooLargeException extends ScriptException {

    public ScriptTooLargeException(String message) {
        super(0, message);
    }
}
