package io.vkernel.kernel.tcp;

/**
 * What Linux's congestion-control modules implement ({@code struct tcp_congestion_ops}, net/ipv4/tcp_cong.c): the
 * slow-start threshold after a loss and how cwnd grows as ACKs arrive. Everything else (slow start below ssthresh,
 * fast recovery, RTO) is shared and lives in {@link Recovery}. CUBIC is the default, Reno selectable.
 */
interface CongestionControl {

    /** The name as net.ipv4.tcp_congestion_control and TCP_CONGESTION spell it. */
    String name();

    /** {@code ->ssthresh()}: the threshold after a loss, in segments. */
    int ssthresh(Tcb tcb);

    /** {@code ->cong_avoid()} above ssthresh: {@code acked} segments were newly delivered at {@code nowMs}. */
    void congestionAvoidance(Tcb tcb, int acked, long nowMs);

    /** {@code ->set_state(TCP_CA_Loss)} and the start of recovery: forget the current growth epoch. */
    default void onLoss(Tcb tcb) {
    }

    /** The algorithms vkernel knows, by name; null for any other name. */
    static CongestionControl named(String name) {
        return switch (name) {
            case "cubic" -> Cubic.INSTANCE;
            case "reno" -> Reno.INSTANCE;
            default -> null;
        };
    }
}
