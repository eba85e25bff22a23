package io.vkernel.kernel.tcp;

import io.vkernel.kernel.trace.EventText;

/**
 * A state change's event detail, {@code PREVIOUS -> NEXT: why} (CLOSE written CLOSED), kept as the two states and the
 * reason and written when the event is read: every connection records several, and a journal's replay records them
 * all again.
 */
record StateLine(TcpState previous, TcpState next, String why) implements EventText {

    private static final String ARROW = " -> ";
    private static final String COLON = ": ";

    private String nextName() {
        return next == TcpState.CLOSE ? "CLOSED" : String.valueOf(next);
    }

    @Override
    public int textLength() {
        return String.valueOf(previous).length() + ARROW.length() + nextName().length() + COLON.length()
                + String.valueOf(why).length();
    }

    @Override
    public long retainedBytes() {
        return EventText.stringBytes(textLength(), EventText.latin1(String.valueOf(why)));
    }

    @Override
    public String toString() {
        return previous + ARROW + nextName() + COLON + why;
    }
}
