package io.vkernel.kernel.nic;

import io.vkernel.kernel.wire.Segment;

/** One packet seen on the wire, numbered in order; {@code inbound} is true for packets the NIC received. */
public record WireRecord(long no, long timeMs, boolean inbound, Segment segment) {
}
