package io.vkernel.kernel.nic;

import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.WirePacket;

/**
 * One packet seen on the wire, numbered in order; {@code inbound} is true for packets the NIC received. A packet
 * injected as raw bytes keeps them in {@code raw} (its {@code segment} is null when they did not decode); the
 * others are put on the wire as {@link WirePacket#of(Segment)} encodes them.
 */
public record WireRecord(long no, long timeMs, boolean inbound, Segment segment, byte[] raw) {

    public WireRecord(long no, long timeMs, boolean inbound, Segment segment) {
        this(no, timeMs, inbound, segment, null);
    }

    /** The IPv4 packet's bytes, as a capture shows them. */
    public byte[] bytes() {
        return raw != null ? raw : WirePacket.encode(segment);
    }

    /** Bytes on the wire: IPv4 and TCP headers included. */
    public int length() {
        return raw != null ? raw.length : WirePacket.of(segment).ip().totalLength();
    }
}
