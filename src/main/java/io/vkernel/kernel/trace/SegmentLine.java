package io.vkernel.kernel.trace;

import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpOptions;

/**
 * A packet event's detail: the header fields {@link Segment#summary()} writes, kept instead of the line (and
 * without the payload, which the wire log holds), written out each time the event is read.
 */
record SegmentLine(Endpoint src, Endpoint dst, int flags, int seq, int ack, int window, TcpOptions options, int length) {

    static SegmentLine of(Segment segment) {
        return new SegmentLine(segment.src(), segment.dst(), segment.flags(), segment.seq(), segment.ack(),
                segment.window(), segment.options(), segment.payload().length);
    }

    /**
     * The heap this keeps alive: the record (header and eight fields, 48 bytes) and, in case it outlives the
     * segment in the wire log, the two endpoints (24 bytes each) and the option list (its record, list and
     * ~32 bytes an option). The line itself is not kept.
     */
    long retainedBytes() {
        return 48 + 2 * 24 + 48 + 32L * options.list().size();
    }

    @Override
    public String toString() {
        return Segment.summary(src, dst, flags, seq, ack, window, options, length);
    }
}
