package io.vkernel.kernel.trace;

/** The kinds of kernel events the log records. */
public enum EventType {
    PACKET_IN, PACKET_OUT, PACKET_DROP, PIPELINE_STEP, STATE_CHANGE, FD_ALLOC, FD_FREE,
    THREAD_SLEEP, THREAD_WAKE, TIMER_FIRED, SYSCALL, PROCESS,
    /** The congestion state moved (Recovery, Loss, back to Open) or cwnd restarted after idle. */
    CONGESTION
}
