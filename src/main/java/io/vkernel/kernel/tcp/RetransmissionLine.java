package io.vkernel.kernel.tcp;

import io.vkernel.kernel.trace.EventText;

/**
 * A retransmission timeout's event detail, {@code retransmission #N after RTO X ms; next RTO Y ms}, kept as its three
 * numbers and written when the event is read: an unanswered segment fires this timer up to 15 times (an orphan's FIN
 * 8), so a journal's replay records thousands of them.
 */
record RetransmissionLine(int retransmits, long rtoMs, long nextRtoMs) implements EventText {

    private static final String NO = "retransmission #";
    private static final String AFTER = " after RTO ";
    private static final String NEXT = " ms; next RTO ";
    private static final String MS = " ms";

    @Override
    public int textLength() {
        return NO.length() + EventText.digits(retransmits) + AFTER.length() + EventText.digits(rtoMs) + NEXT.length()
                + EventText.digits(nextRtoMs) + MS.length();
    }

    @Override
    public String toString() {
        return NO + retransmits + AFTER + rtoMs + NEXT + nextRtoMs + MS;
    }
}
