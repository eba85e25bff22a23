package io.vkernel.kernel.tcp;

/**
 * CUBIC (RFC 9438, net/ipv4/tcp_cubic.c): after a loss the window shrinks to beta = 717/1024 of itself and grows
 * along W(t) = C (t - K)^3 + W_max, concave up to the old maximum and convex beyond it, never slower than Reno
 * would (the TCP-friendly region). Fast convergence lowers W_max when losses come before it is reached again.
 * HyStart (HyStart.java) may end slow start before the first loss.
 *
 * <p>The arithmetic is Linux's, integer for integer (bictcp_update()): time in 1/1024 s (BICTCP_HZ) one minimum RTT
 * ahead, K from the table-driven cubic_root(), the target recomputed at most once per jiffy (ms here) and, while cwnd
 * stays the same, at most every HZ/32; the Reno-friendly estimate counts ACKed segments in units of
 * cwnd x beta_scale / 8. So cwnd grows on exactly the ACK where Linux's does.
 */
final class Cubic implements CongestionControl {

    static final Cubic INSTANCE = new Cubic();

    /** beta = 717/1024 (tcp_cubic.c BICTCP_BETA_SCALE 1024). */
    private static final int BETA = 717;
    private static final int BETA_SCALE = 1024;
    /** BICTCP_HZ: time in the cubic function counts 1/1024 s. */
    private static final int BICTCP_HZ = 10;
    /** HZ: vkernel's jiffy is its clock's millisecond. */
    private static final int HZ = 1000;
    /** bic_scale 41: C = 41 x 10 / 1024 = 0.4 (cube_rtt_scale). */
    private static final long CUBE_RTT_SCALE = 41 * 10;
    /** cubictcp_register(): 2^(10 + 3 BICTCP_HZ) / (bic_scale x 10), so K = cubic_root(cube_factor x (W_max - cwnd)). */
    private static final long CUBE_FACTOR = (1L << (10 + 3 * BICTCP_HZ)) / (41 * 10);
    /** cubictcp_register(): beta_scale = 8 (1024 + beta) / 3 / (1024 - beta) = 15, the Reno-friendly ACK unit. */
    private static final int FRIENDLY_SCALE = 8 * (BETA_SCALE + BETA) / 3 / (BETA_SCALE - BETA);

    private Cubic() {
    }

    /** Per-connection CUBIC state (struct bictcp); -1 where Linux's 0 means "unset". */
    static final class State {
        /** ca->cnt: ACKed segments per one more segment of cwnd. */
        int cnt;
        int lastMaxCwnd;
        int lastCwnd;
        long lastTime;
        int originPoint;
        /** ca->bic_K, in 1/1024 s. */
        long k;
        long epochStart = -1;
        int ackCnt;
        /** ca->tcp_cwnd: the Reno-equivalent window for the TCP-friendly region (tcp_friendliness). */
        int tcpCwnd;
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

    /** cubictcp_recalc_ssthresh(): remember W_max (lower with fast convergence), then beta x cwnd. */
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

    /**
     * cubictcp_state(TCP_CA_Loss): bictcp_reset() forgets everything, W_max included (tcp_enter_loss() asked for
     * ssthresh first), and bictcp_hystart_reset().
     */
    @Override
    public void onRetransmitTimeout(Tcb tcb, long nowMs) {
        State s = state(tcb);
        s.cnt = 0;
        s.lastMaxCwnd = 0;
        s.lastCwnd = 0;
        s.lastTime = 0;
        s.originPoint = 0;
        s.k = 0;
        s.epochStart = -1;
        s.ackCnt = 0;
        s.tcpCwnd = 0;
        s.hystart.onLoss(tcb, nowMs * 1000);
    }

    /**
     * cubictcp_cwnd_event(CA_EVENT_TX_START): sending resumes with nothing in flight; the idle time since the last
     * send (tp->lsndtime) is not time along the curve, so the epoch moves forward by it, never past now.
     */
    @Override
    public void onTxStart(Tcb tcb, long nowMs, long lastSendMs) {
        State s = state(tcb);
        long delta = nowMs - lastSendMs;
        if (s.epochStart >= 0 && delta > 0) {
            s.epochStart = Math.min(s.epochStart + delta, nowMs);
        }
    }

    /** bictcp_update() then tcp_cong_avoid_ai(): how many ACKed segments earn one more segment of window. */
    @Override
    public void congestionAvoidance(Tcb tcb, int acked, long nowMs) {
        State s = state(tcb);
        update(s, tcb.cwnd, acked, nowMs);
        Recovery.additiveIncrease(tcb, s.cnt, acked);
    }

    /** bictcp_update(). */
    static void update(State s, int cwnd, int acked, long now) {
        s.ackCnt += acked; // count the number of ACKed packets
        if (s.lastCwnd == cwnd && now - s.lastTime <= HZ / 32) {
            return;
        }
        // the CUBIC function can update ca->cnt at most once per jiffy; on all other ACKs only the Reno estimate
        if (!(s.epochStart >= 0 && now == s.lastTime)) {
            s.lastCwnd = cwnd;
            s.lastTime = now;
            if (s.epochStart < 0) {
                s.epochStart = now; // record the beginning of an epoch
                s.ackCnt = acked;
                s.tcpCwnd = cwnd;
                if (s.lastMaxCwnd <= cwnd) {
                    s.k = 0;
                    s.originPoint = cwnd;
                } else {
                    s.k = cubicRoot(CUBE_FACTOR * (s.lastMaxCwnd - cwnd));
                    s.originPoint = s.lastMaxCwnd;
                }
            }
            // t: the time since the epoch plus the minimum RTT (the target one RTT ahead), in 1/1024 s
            long t = now - s.epochStart;
            t += usecsToJiffies(s.hystart.delayMinUs);
            t = (t << BICTCP_HZ) / HZ;
            long offs = t < s.k ? s.k - t : t - s.k;
            long delta = (CUBE_RTT_SCALE * offs * offs * offs) >>> (10 + 3 * BICTCP_HZ);
            long target = (t < s.k ? s.originPoint - delta : s.originPoint + delta) & 0xffffffffL; // u32
            if (target > cwnd) {
                s.cnt = (int) (cwnd / (target - cwnd));
            } else {
                s.cnt = 100 * cwnd; // very small increment
            }
            // the initial growth of CUBIC, when no loss has occurred yet: at least 5% per RTT
            if (s.lastMaxCwnd == 0 && s.cnt > 20) {
                s.cnt = 20;
            }
        }
        // tcp_friendliness: a Reno flow grows 3 beta / (2 - beta) per window of ACKs
        int unit = (cwnd * FRIENDLY_SCALE) >> 3;
        while (unit > 0 && s.ackCnt > unit) {
            s.ackCnt -= unit;
            s.tcpCwnd++;
        }
        if (s.tcpCwnd > cwnd) {
            int maxCnt = cwnd / (s.tcpCwnd - cwnd);
            if (s.cnt > maxCnt) {
                s.cnt = maxCnt;
            }
        }
        s.cnt = Math.max(s.cnt, 2);
    }

    /** usecs_to_jiffies() at HZ 1000: rounded up. */
    private static long usecsToJiffies(long us) {
        return (us + 999) / 1000;
    }

    /** cubic_root()'s table: v[x] = cbrt(x << 18) - 1, for the first guess. */
    private static final int[] ROOT_TABLE = {
        0, 54, 54, 54, 118, 118, 118, 118,
        123, 129, 134, 138, 143, 147, 151, 156,
        157, 161, 164, 168, 170, 173, 176, 179,
        181, 185, 187, 190, 192, 194, 197, 199,
        200, 202, 204, 206, 209, 211, 213, 215,
        217, 219, 221, 222, 224, 225, 227, 229,
        231, 232, 234, 236, 237, 239, 240, 242,
        244, 245, 246, 248, 250, 251, 252, 254,
    };

    /**
     * cubic_root(): the cube root of {@code a} (a 64-bit unsigned value) as Linux computes it, a table lookup then one
     * Newton-Raphson step, x = (2x + a / x^2) / 3 with x^2 taken as x (x - 1) and / 3 as x 341 / 1024.
     */
    static long cubicRoot(long a) {
        int b = 64 - Long.numberOfLeadingZeros(a); // fls64()
        if (b < 7) {
            return (ROOT_TABLE[(int) a] + 35) >> 6; // a in [0 .. 63]
        }
        b = ((b * 84) >> 8) - 1;
        int shift = (int) (a >>> (b * 3));
        long x = (((long) (ROOT_TABLE[shift] + 10) << b) & 0xffffffffL) >> 6;
        x = (2 * x + Long.divideUnsigned(a, x * (x - 1))) & 0xffffffffL;
        x = ((x * 341) & 0xffffffffL) >> 10;
        return x;
    }
}
