package io.vkernel.script;

/**
 * The bounds a script run lives within: its size in bytes and lines, and how far its virtual clock may go. A run
 * costs CPU only for the events and timers it fires, so the virtual bound can be generous (keepalive stories need
 * over two hours).
 */
public record ScriptLimits(int maxBytes, int maxLines, long maxVirtualSeconds) {

    public ScriptLimits {
        if (maxBytes < 1 || maxLines < 1 || maxVirtualSeconds < 1) {
            throw new IllegalArgumentException("script limits must be positive");
        }
    }

    public static ScriptLimits defaults() {
        return new ScriptLimits(64 * 1024, 2000, 86_400);
    }

    long maxVirtualMicros() {
        return maxVirtualSeconds * 1_000_000L;
    }
}
