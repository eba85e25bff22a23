package io.vkernel.kernel.trace;

/** One step of the seed's packet path (NIC receive, IP validation, 4-tuple, demux, TCB, buffer and ACK, wake-up). */
public record Step(String step, String detail) {
}
