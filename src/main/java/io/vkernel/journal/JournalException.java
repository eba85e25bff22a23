package io.vkernel.journal;

/**
 * A journal that cannot be read or replayed: truncated, corrupt, of a newer version, or an entry the kernel refused.
 * {@link #line()} names the NDJSON line (1 is the header, line n + 1 holds step n).
 */
public final class JournalException extends RuntimeException {

    private final int line;

    public JournalException(int line, String message) {
        super("line " + line + ": " + message);
        this.line = line;
    }

    public int line() {
        return line;
    }
}
