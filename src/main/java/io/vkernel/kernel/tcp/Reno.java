package io.vkernel.kernel.tcp;

/** TCP Reno/NewReno (RFC 5681, tcp_reno_ssthresh() and tcp_cong_avoid_ai()): halve on loss, +1 segment per RTT. */
final class Reno implements CongestionControl {

    static final Reno INSTANCE = new Reno();

    private Reno() {
    }

    @Override
    public String name() {
        return "reno";
    }

    @Override
    public int ssthresh(Tcb tcb) {
        return Math.max(tcb.cwnd >> 1, 2);
    }

    /** tcp_cong_avoid_ai(): one more segment after a whole window's worth of segments is acknowledged. */
    @Override
    public void congestionAvoidance(Tcb tcb, int acked, long nowMs) {
        Recovery.additiveIncrease(tcb, tcb.cwnd, acked);
    }
}
