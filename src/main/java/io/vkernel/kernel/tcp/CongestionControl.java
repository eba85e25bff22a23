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

    /**
     * {@code ->pkts_acked()}: an ACK arrived (tcp_clean_rtx_queue()), with the RTT of the last segment it delivered in
     * microseconds, -1 without a sample; before cwnd grows for it.
     */
    default void acked(Tcb tcb, long rttUs, long nowMs, io.vkernel.kernel.Sysctls sysctls, int mss) {
    }

    /**
     * {@code ->cwnd_event(CA_EVENT_TX_START)} (tcp_event_data_sent()): data leaves at {@code nowMs} with nothing in
     * flight; {@code lastSendMs} is when data last left (tp->lsndtime).
     */
    default void onTxStart(Tcb tcb, long nowMs, long lastSendMs) {
    }

    /** {@code ->set_state(TCP_CA_Loss)}: the retransmission timer fired. */
    default void onRetransmitTimeout(Tcb tcb, long nowMs) {
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
