package io.vkernel.kernel.trace;

/** One thing that happened in a kernel, numbered in order, stamped with virtual time. */
public record KernelEvent(long seq, long timeMs, EventType type, String subject, String detail) {
}
