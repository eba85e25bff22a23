package io.vkernel.kernel.trace;

import java.util.Objects;

/**
 * One thing that happened in a kernel, numbered in order, stamped with virtual time.
 *
 * <p>The subject and detail are kept as recorded: strings, or immutable values (a packet's {@link PacketNumber} and
 * {@link SegmentLine}) whose {@code toString()} writes the text. It is written each time someone reads it, so a packet's event costs its
 * recording a small record, not a formatted line, and the text is the same either way.
 */
public final class KernelEvent {

    private final long seq;
    private final long timeMs;
    private final EventType type;
    private final Object subject; // a String, or a PacketNumber
    private final Object detail;

    public KernelEvent(long seq, long timeMs, EventType type, String subject, String detail) {
        this(seq, timeMs, type, subject, (Object) detail);
    }

    /** {@code detail} is a String or an immutable value whose {@code toString()} is the detail's text. */
    KernelEvent(long seq, long timeMs, EventType type, Object subject, Object detail) {
        this.seq = seq;
        this.timeMs = timeMs;
        this.type = type;
        this.subject = subject;
        this.detail = detail;
    }

    public long seq() {
        return seq;
    }

    public long timeMs() {
        return timeMs;
    }

    public EventType type() {
        return type;
    }

    public String subject() {
        return subject.toString();
    }

    public String detail() {
        return String.valueOf(detail);
    }

    /**
     * What this event may retain on the heap, estimated from what was recorded (strings as EventLog.stringBytes counts them):
     * the record, its subject, and its detail's text or, for a detail written on read, the record behind it and
     * the longest text it can write (the text is not kept, so this is an upper bound).
     */
    long retainedBytes() {
        long detailBytes = detail instanceof SegmentLine line ? line.retainedBytes()
                : detail instanceof EventText text ? text.retainedBytes()
                : detail == null ? 0 : EventLog.stringBytes(detail.toString());
        long subjectBytes = subject instanceof String text ? EventLog.stringBytes(text) : PacketNumber.RETAINED;
        return 160 + subjectBytes + detailBytes;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof KernelEvent e && e.seq == seq && e.timeMs == timeMs && e.type == type
                && e.subject().equals(subject()) && e.detail().equals(detail());
    }

    @Override
    public int hashCode() {
        return Objects.hash(seq, timeMs, type, subject(), detail());
    }

    @Override
    public String toString() {
        return "KernelEvent[seq=" + seq + ", timeMs=" + timeMs + ", type=" + type + ", subject=" + subject()
                + ", detail=" + detail() + "]";
    }
}
