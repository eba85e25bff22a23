package io.vkernel.kernel.tcp;

import io.vkernel.kernel.wire.Seq;

/**
 * How fully the sender used its congestion window over the last window of data, which decides whether ACKs may grow
 * cwnd (Linux tcp_cwnd_validate() records it after each tcp_write_xmit(), tcp_is_cwnd_limited() reads it). A window
 * that was cwnd-limited stays so until the data sent then is acknowledged; otherwise the most segments that were in
 * flight count, and slow start may grow cwnd to twice that (so an application sending exactly an initial window of 10
 * still reaches 20, and one sending 9 reaches 18).
 */
final class CwndUse {

    /** tp->is_cwnd_limited: the current window was limited by cwnd. */
    boolean cwndLimited;
    /** tp->max_packets_out: the most segments in flight in the current window. */
    int maxPacketsOut;
    /** tp->cwnd_usage_seq: SND.NXT when the current window began; it ends once SND.UNA passes it. */
    int usageSeq;
    private boolean started;

    /** tcp_cwnd_validate(): after a transmit that sent something or was stopped by cwnd. */
    void validate(Tcb tcb, boolean limitedNow, int mss) {
        int packetsOut = (tcb.sndNxt - tcb.sndUna + mss - 1) / mss;
        if (!started || !Seq.before(tcb.sndUna, usageSeq) || limitedNow || !cwndLimited && packetsOut > maxPacketsOut) {
            started = true;
            cwndLimited = limitedNow;
            maxPacketsOut = packetsOut;
            usageSeq = tcb.sndNxt;
        }
    }

    /** tcp_is_cwnd_limited(): cwnd was what held the sender back, or (slow start) it is below twice what was used. */
    boolean isCwndLimited(Tcb tcb) {
        if (cwndLimited) {
            return true;
        }
        return tcb.cwnd < tcb.ssthresh && tcb.cwnd < 2 * maxPacketsOut;
    }
}
