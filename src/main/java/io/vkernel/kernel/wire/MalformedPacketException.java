package io.vkernel.kernel.wire;

/**
 * Bytes that are not a TCP segment in an IPv4 packet vkernel can take, with the reason and a sentence naming the
 * offending field and its value. The parsers throw it; the kernel catches it, drops the packet and counts the
 * reason, as Linux drops malformed packets silently.
 */
public final class MalformedPacketException extends Exception {

    /** Why the bytes were refused, in the order Linux's receive path checks them. */
    public enum Reason {
        /** Fewer bytes than a header needs, or than the IPv4 total length announces. */
        TRUNCATED,
        /** IPv4 version not 4, IHL below 5 words, or a total length smaller than the header. */
        BAD_IP_HEADER,
        /** The IPv4 header checksum does not verify. */
        BAD_IP_CHECKSUM,
        /** A fragment: more-fragments set or a fragment offset above zero. */
        FRAGMENTED,
        /** The IPv4 protocol field is not 6. */
        NOT_TCP,
        /** A TCP data offset below 5 words or beyond the segment. */
        BAD_TCP_HEADER,
        /** The TCP checksum over pseudo-header, header and payload does not verify. */
        BAD_TCP_CHECKSUM
    }

    private final Reason reason;

    public MalformedPacketException(Reason reason, String detail) {
        super(detail, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
