package io.vkernel.kernel.tcp;

/**
 * CUBIC (RFC 9438, net/ipv4/tcp_cubic.c): after a loss the window shrinks to beta = 717/1024 of itself and grows
 * along W(t) = C (t - K)^3 + W_max, concave up to the old maximum and convex beyond it, never slower than Reno
 * would (the TCP-friendly region). Fast convergence lowers W_max when losses come before it is reached again.
 * HyStart (HyStart.java) may end slow start before the first loss.
 */
final class Cubic implements CongestionControl {

    static final Cubic INSTANCE = new Cubic();

    /** beta = 717/1024 (tcp_cubic.c BICTCP_BETA_SCALE 1024). */
    private static final int BETA = 717;
    private static final int BETA_SCALE = 1024;
    /** C = 0.4 segments/s^3 (bic_scale 41 / 1024 * 10). */
    private static final double C = 0.4;

    private Cubic() {
    }

    /** Per-connection CUBIC state (struct bictcp). */
    static final class State {
        int lastMaxCwnd;
        long epochStart = -1;
        double k;
        int originPoint;
        /** The Reno-equivalent window for the TCP-friendly region (tcp_friendliness). */
        double tcpCwnd;
        final HyStart hystart = new HyStart();
    }

    @Override
    public String name() {
        return "cubic";
    }

    private static State state(Tcb tcb) {
        if (!(tcb.ccState instanceof State)) {
            tcb.ccState = new State();
        }
        return (State) tcb.ccState;
    }

    /** bictcp_recalc_ssthresh(): remember W_max (lower with fast convergence), then beta x cwnd. */
    @Override
    public int ssthresh(Tcb tcb) {
        State s = state(tcb);
        s.epochStart = -1;
        if (tcb.cwnd < s.lastMaxCwnd) {
            s.lastMaxCwnd = tcb.cwnd * (BETA_SCALE + BETA) / (2 * BETA_SCALE);
        } else {
            s.lastMaxCwnd = tcb.cwnd;
        }
        return Math.max(tcb.cwnd * BETA / BETA_SCALE, 2);
    }

    @Override
    public void onLoss(Tcb tcb) {
        state(tcb).epochStart = -1;
    }

    /** cubictcp_acked(): the RTT sample feeds HyStart. */
    @Override
    public void acked(Tcb tcb, long rttUs, long nowMs, io.vkernel.kernel.Sysctls sysctls, int mss) {
        State s = state(tcb);
        s.hystart.acked(tcb, rttUs, nowMs, s.epochStart, sysctls, mss);
    }

    /** cubictcp_state(TCP_CA_Loss): bictcp_reset() and bictcp_hystart_reset(). */
    @Override
    public void onRetransmitTimeout(Tcb tcb, long nowMs) {
        State s = state(tcb);
        s.epochStart = -1;
        s.hystart.onLoss(tcb, nowMs * 1000);
    }

    /** bictcp_update() then tcp_cong_avoid_ai(): how many ACKed segments earn one more segment of window. */
    @Override
    public void congestionAvoidance(Tcb tcb, int acked, long nowMs) {
        State s = state(tcb);
        if (s.epochStart < 0) {
            s.epochStart = nowMs;
            if (tcb.cwnd < s.lastMaxCwnd) {
                s.k = Math.cbrt((s.lastMaxCwnd - tcb.cwnd) / C);
                s.originPoint = s.lastMaxCwnd;
            } else {
                s.k = 0;
                s.originPoint = tcb.cwnd;
            }
            s.tcpCwnd = tcb.cwnd;
        }
        long rttMs = Math.max(tcb.srttMs, 0);
        double t = (nowMs + rttMs - s.epochStart) / 1000.0; // the target one RTT ahead, as bictcp_update() uses delay_min
        double target = s.originPoint + C * Math.pow(t - s.k, 3);
        int cnt;
        if (target > tcb.cwnd) {
            cnt = (int) Math.max(1, tcb.cwnd / (target - tcb.cwnd));
        } else {
            cnt = 100 * tcb.cwnd; // very small increment
        }
        if (s.lastMaxCwnd == 0 && cnt > 20) {
            cnt = 20; // no loss yet: grow at least 5% per RTT
        }
        // tcp_friendliness: a Reno flow with the same loss rate grows 3 beta / (2 - beta) per RTT
        double delta = tcb.cwnd > 0 ? acked * (3.0 * BETA / (2 * BETA_SCALE - BETA)) / tcb.cwnd : 0;
        s.tcpCwnd += delta;
        if (s.tcpCwnd > tcb.cwnd) {
            int renoCnt = (int) Math.max(1, tcb.cwnd / (s.tcpCwnd - tcb.cwnd));
            cnt = Math.min(cnt, renoCnt);
        }
        Recovery.additiveIncrease(tcb, Math.max(cnt, 2), acked);
    }
}
