package io.vkernel.kernel.tcp;

/**
 * TCP_USER_TIMEOUT (icsk_user_timeout, RFC 5482): when set, how long sent data may stay unacknowledged before the
 * connection is aborted with ETIMEDOUT, instead of counting retransmissions against tcp_retries2
 * (tcp_write_timeout() -> retransmits_timed_out() with the timeout), and the RTO clamped so the last retransmission
 * fires at the deadline (tcp_clamp_rto_to_user_timeout()).
 */
final class UserTimeout {

    private UserTimeout() {
    }

    /** The socket's TCP_USER_TIMEOUT in ms (0 = not set); a child still in the accept queue has its listener's. */
    static long of(Tcb tcb) {
        if (tcb.socket != null) {
            return tcb.socket.options().userTimeoutMs;
        }
        return tcb.inherited == null ? 0 : tcb.inherited.userTimeoutMs;
    }

    /**
     * tcp_retransmit_skb() sets tp->retrans_stamp at the first retransmission to the send time of the segment at
     * the head of the queue: the timer that fires now was armed when it left, one RTO ago.
     */
    static void stampFirstRetransmission(Tcb tcb, long nowMs) {
        if (tcb.retransmits == 0) {
            tcb.retransStamp = nowMs - tcb.rtoMs;
        }
    }

    /** retransmits_timed_out() with a user timeout: at least one retransmission, and the deadline reached. */
    static boolean expired(Tcb tcb, long nowMs) {
        long timeout = of(tcb);
        return timeout > 0 && tcb.retransmits > 0 && nowMs - tcb.retransStamp >= timeout;
    }

    /** tcp_clamp_rto_to_user_timeout(): the next RTO, no later than the deadline (1 ms once it has passed). */
    static long clampRto(Tcb tcb, long nowMs) {
        long timeout = of(tcb);
        if (timeout == 0) {
            return tcb.rtoMs;
        }
        long remaining = timeout - (nowMs - tcb.retransStamp);
        return remaining <= 0 ? 1 : Math.min(tcb.rtoMs, remaining);
    }
}
