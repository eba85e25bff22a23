package io.vkernel.kernel.trace;

/**
 * An event's detail kept as the values it is written from and written each time someone reads it
 * ({@code toString()}), for details recorded so often that building their text at once is a real share of a kernel's
 * work (a retransmission timeout fires for every unanswered segment, thousands of times in a journal's replay). The
 * text is the same as the eagerly built string would have been, and so is what the event log charges for it:
 * {@link #textLength()} is that string's length, and every such text is Latin-1.
 */
public interface EventText {

    /** The number of characters {@code toString()} writes, computed without writing them. */
    int textLength();

    /**
     * What {@link EventLog} charges a String of this text: its object and its one-byte-a-character array (a text with
     * a character above Latin-1 overrides this with {@link #stringBytes}).
     */
    default long retainedBytes() {
        return stringBytes(textLength(), true);
    }

    /** What {@link EventLog} charges a String of {@code length} characters, all Latin-1 or not (compact strings). */
    static long stringBytes(int length, boolean latin1) {
        return 24 + ((16L + (latin1 ? length : 2L * length) + 7) & ~7L);
    }

    /** Whether every character of {@code text} is Latin-1 (a compact string stores it in one byte). */
    static boolean latin1(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) >= 256) {
                return false;
            }
        }
        return true;
    }

    /** The characters {@code Long.toString(value)} writes. */
    static int digits(long value) {
        if (value < 0) {
            return value == Long.MIN_VALUE ? 20 : 1 + digits(-value);
        }
        int n = 1;
        for (long p = 10; n < 19 && p <= value; p *= 10) {
            n++;
        }
        return n;
    }
}
