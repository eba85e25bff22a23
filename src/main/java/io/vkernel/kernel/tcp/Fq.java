package io.vkernel.kernel.tcp;

/**
 * The fq qdisc's pacing as TCP drives it since Linux 4.20 (EDT, earliest departure time): each packet TCP hands the
 * qdisc carries a departure time, tp->tcp_wstamp_ns, and sch_fq holds it until then (fq_dequeue(): time_to_send =
 * skb->tstamp). __tcp_transmit_skb() first brings tcp_wstamp_ns up to now; after the packet,
 * tcp_update_skb_after_send() moves it on by the packet's length at sk_pacing_rate ({@link Pacing#rate}), less up to
 * half of that for time the flow spent idle since its last slot ("take into account OS jitter"), and only once 10
 * segments went out ("original sch_fq does not pace first 10 MSS"). The skb's timestamp, from which the RTT is
 * measured, is that departure time, so time spent waiting in fq does not count as RTT. With pfifo
 * (sk_pacing_status SK_PACING_NONE) nothing is paced and packets leave at once.
 */
final class Fq {

    /** tcp_update_skb_after_send(): the first segments sch_fq does not pace. */
    static final int UNPACED_SEGS = 10;

    private Fq() {
    }

    /**
     * A data packet of {@code len} payload bytes and {@code segs} segments is transmitted at {@code nowMs}: counts
     * tp->data_segs_out and, under fq, returns its departure time in ms (rounded to the clock's ms) and advances
     * tcp_wstamp_ns; without fq returns {@code nowMs}.
     */
    static long departure(Tcb tcb, int len, int segs, long nowMs, int mss, boolean fq) {
        tcb.dataSegsOut += segs;
        if (!fq) {
            return nowMs;
        }
        long nowUs = nowMs * 1000;
        long priorUs = tcb.wstampUs;
        tcb.wstampUs = Math.max(tcb.wstampUs, nowUs);
        long departUs = tcb.wstampUs;
        long rate = Pacing.rate(tcb, mss);
        if (rate != Long.MAX_VALUE && rate > 0 && tcb.dataSegsOut >= UNPACED_SEGS) {
            long lenUs = len * 1_000_000L / rate;
            long creditUs = tcb.wstampUs - priorUs;
            lenUs -= Math.min(lenUs / 2, creditUs);
            tcb.wstampUs += lenUs;
        }
        return (departUs + 500) / 1000;
    }
}
