package io.vkernel.scenario;

/** A segment the kernel sent during a step, with its tcpdump-style summary. */
public record ScenarioPacket(String src, String dst, String flags, long seq, Long ack, int length, String summary) {
}
