package io.vkernel.kernel.trace;

/** A packet event's subject, the NIC's packet number, written {@code #no} when read. */
record PacketNumber(long no) {

    /** The record (24 bytes) and, estimated as for a string, the longest text it writes (20 characters). */
    static final long RETAINED = 24 + 2 * 20;

    @Override
    public String toString() {
        return "#" + no;
    }
}
