package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.wire.Seq;

/**
 * HyStart (hybrid slow start, tcp_cubic.c hystart_update()): CUBIC leaves slow start before the first loss when a
 * round trip shows the queue building, by setting ssthresh to cwnd. Two detectors, both on by default
 * (hystart_detect = 3), once cwnd has reached hystart_low_window (16):
 * <ul>
 *   <li>ACK train: ACKs that keep arriving less than hystart_ack_delta_us (2 ms) apart for longer than half the
 *       minimum RTT since the round began mean the pipe is full;</li>
 *   <li>delay: after 8 RTT samples in a round, if the smallest of them exceeds the connection's minimum RTT by
 *       1/8 of it (clamped to 4-16 ms), the queue is growing.</li>
 * </ul>
 * A round ends when SND.UNA passes what was sent when it began. The module parameters are kernel settings here
 * (tcp_cubic.hystart, tcp_cubic.hystart_detect, ...), as /sys/module/tcp_cubic/parameters/ holds them on Linux.
 */
final class HyStart {

    static final int ACK_TRAIN = 0x1;
    static final int DELAY = 0x2;
    /** HYSTART_MIN_SAMPLES. */
    static final int MIN_SAMPLES = 8;
    /** HYSTART_DELAY_MIN and HYSTART_DELAY_MAX, in us. */
    static final long DELAY_MIN_US = 4_000;
    static final long DELAY_MAX_US = 16_000;

    /** ca->found: slow start was ended here; no more detection until a loss resets it. */
    boolean found;
    /** ca->delay_min: the smallest RTT sample, us; 0 = none. */
    long delayMinUs;
    private boolean started;
    private long roundStartUs;
    private long lastAckUs;
    private int endSeq;
    private long currRttUs;
    private int sampleCnt;

    /** bictcp_hystart_reset(): a new round begins now, ending when what has been sent so far is acknowledged. */
    void reset(Tcb tcb, long nowUs) {
        started = true;
        roundStartUs = nowUs;
        lastAckUs = nowUs;
        endSeq = tcb.sndNxt;
        currRttUs = Long.MAX_VALUE;
        sampleCnt = 0;
    }

    /** cubictcp_state(TCP_CA_Loss) through bictcp_reset(): everything learnt is forgotten. */
    void onLoss(Tcb tcb, long nowUs) {
        found = false;
        delayMinUs = 0;
        reset(tcb, nowUs);
    }

    /**
     * cubictcp_acked(): an ACK with an RTT sample of {@code rttUs} (-1 = none). {@code epochStartMs} is CUBIC's
     * epoch (-1 = none): samples within a second of it are discarded, "right after fast recovery".
     */
    void acked(Tcb tcb, long rttUs, long nowMs, long epochStartMs, Sysctls sysctls, int mss) {
        long nowUs = nowMs * 1000;
        if (!started) {
            // cubictcp_init() ran when the connection was established (tcp_init_transfer()), when SND.NXT was
            // ISS + 1: the first round ends with the first ACK that reaches hystart_update()
            reset(tcb, nowUs);
            endSeq = tcb.iss + 1;
        }
        if (rttUs < 0) {
            return;
        }
        if (epochStartMs >= 0 && nowMs - epochStartMs < 1000) {
            return;
        }
        long delay = Math.max(1, rttUs);
        if (delayMinUs == 0 || delayMinUs > delay) {
            delayMinUs = delay;
        }
        // Linux 6.18 cubictcp_acked(): below hystart_low_window hystart_update() is not called at all, so the
        // round (end_seq) is not renewed either: the first round starts at the first ACK with cwnd >= 16 and ends
        // when what was sent by then is acknowledged
        if (!found && tcb.cwnd < tcb.ssthresh && sysctls.getInt(Sysctls.TCP_CUBIC_HYSTART) != 0
                && tcb.cwnd >= sysctls.getInt(Sysctls.TCP_CUBIC_HYSTART_LOW_WINDOW)) {
            update(tcb, delay, nowUs, sysctls, mss);
        }
    }

    /** hystart_update(). */
    private void update(Tcb tcb, long delay, long nowUs, Sysctls sysctls, int mss) {
        if (Seq.after(tcb.sndUna, endSeq)) {
            reset(tcb, nowUs);
        }
        int detect = sysctls.getInt(Sysctls.TCP_CUBIC_HYSTART_DETECT);
        if ((detect & ACK_TRAIN) != 0 && nowUs - lastAckUs <= sysctls.get(Sysctls.TCP_CUBIC_HYSTART_ACK_DELTA_US)) {
            lastAckUs = nowUs;
            long threshold = delayMinUs + ackDelayUs(tcb, mss);
            // "Pacing might have delayed packets up to RTT/2 during slow start": halved only when the socket is not
            // paced (sk_pacing_status SK_PACING_NONE); under fq it is SK_PACING_FQ
            if (!sysctls.fq()) {
                threshold >>= 1;
            }
            if (nowUs - roundStartUs > threshold) {
                exit(tcb);
            }
        }
        if ((detect & DELAY) != 0) {
            currRttUs = Math.min(currRttUs, delay);
            if (sampleCnt < MIN_SAMPLES) {
                sampleCnt++;
            } else if (currRttUs > delayMinUs + Math.max(DELAY_MIN_US, Math.min(DELAY_MAX_US, delayMinUs >> 3))) {
                exit(tcb);
            }
        }
    }

    private void exit(Tcb tcb) {
        found = true;
        tcb.ssthresh = tcb.cwnd;
    }

    /** hystart_ack_delay(): room for TSO/GRO aggregation, 4 GSO packets at the pacing rate, at most 1 ms. */
    private static long ackDelayUs(Tcb tcb, int mss) {
        long rate = Pacing.rate(tcb, mss);
        if (rate <= 0 || rate == Long.MAX_VALUE) {
            return 0; // no rate yet; an unlimited one (~0UL) divides to 0 in Linux too
        }
        return Math.min(1000, (long) Pacing.GSO_MAX_SIZE * 4 * 1_000_000L / rate);
    }
}
