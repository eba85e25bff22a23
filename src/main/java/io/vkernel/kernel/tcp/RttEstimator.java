package io.vkernel.kernel.tcp;

/**
 * Linux's RTT estimator and RTO (tcp_rtt_estimator(), tcp_set_rto()), which differ from RFC 6298's formulas in ways
 * the wire shows: the first sample gives RTO = 3 x RTT ("make sure rto = 3*rtt"); the variance term is never below
 * tcp_rto_min (200 ms) within a window of data, so RTO = SRTT + at least 200 ms rather than max(200 ms, SRTT + 4 x
 * RTTVAR); a falling RTT lowers the deviation only with gain 1/32 (the Eifel-like rule); and the variance decays
 * once per window (rtt_seq), not per sample. Values are kept as Linux keeps them: srtt x 8 and deviations x 4, in
 * microseconds.
 */
final class RttEstimator {

    /** tp->srtt_us: smoothed RTT << 3; 0 = no sample yet. */
    long srtt8Us;
    /** tp->mdev_us: mean deviation (x 4). */
    long mdevUs;
    /** tp->mdev_max_us: the largest mdev in the current window, at least tcp_rto_min. */
    long mdevMaxUs;
    /** tp->rttvar_us: the variance term of the RTO (x 4). */
    long rttvarUs;
    /** tp->rtt_seq: SND.NXT when the current window of samples began. */
    int rttSeq;
    /** ca_rtt_us of the ACK being processed: the RTT of the last segment it delivered, -1 = none. */
    long caRttUs = -1;

    /** tcp_rtt_estimator() with one sample of {@code mUs} microseconds, then tcp_set_rto(). */
    void sample(Tcb tcb, long mUs) {
        long rtoMinUs = TcpEngine.RTO_MIN_MS * 1000;
        long m = Math.max(0, mUs);
        long srtt = srtt8Us;
        if (srtt != 0) {
            m -= srtt >> 3; // the error of the estimate
            srtt += m; // srtt = 7/8 srtt + 1/8 sample
            if (m < 0) {
                m = -m;
                m -= mdevUs >> 2;
                if (m > 0) {
                    m >>= 3; // a falling RTT moves mdev with gain 1/32 only
                }
            } else {
                m -= mdevUs >> 2;
            }
            mdevUs += m; // mdev = 3/4 mdev + 1/4 |error|
            if (mdevUs > mdevMaxUs) {
                mdevMaxUs = mdevUs;
                if (mdevMaxUs > rttvarUs) {
                    rttvarUs = mdevMaxUs;
                }
            }
            if (io.vkernel.kernel.wire.Seq.after(tcb.sndUna, rttSeq)) {
                if (mdevMaxUs < rttvarUs) {
                    rttvarUs -= (rttvarUs - mdevMaxUs) >> 2; // once per window the variance decays
                }
                rttSeq = tcb.sndNxt;
                mdevMaxUs = rtoMinUs;
            }
        } else {
            srtt = m << 3;
            mdevUs = m << 1; // rto = 3 x rtt
            rttvarUs = Math.max(mdevUs, rtoMinUs);
            mdevMaxUs = rttvarUs;
            rttSeq = tcb.sndNxt;
        }
        srtt8Us = Math.max(1, srtt);
        tcb.srttMs = (srtt8Us >> 3) / 1000;
        tcb.rttvarMs = (mdevUs >> 2) / 1000; // tcpi_rttvar = mdev_us >> 2
        tcb.rtoMs = rtoMs();
    }

    /** __tcp_set_rto() and tcp_bound_rto(): SRTT + RTTVAR in whole jiffies (ms, rounded up), at most TCP_RTO_MAX. */
    long rtoMs() {
        if (srtt8Us == 0) {
            return TcpEngine.INITIAL_RTO_MS;
        }
        long us = (srtt8Us >> 3) + rttvarUs;
        return Math.min(TcpEngine.RTO_MAX_MS, (us + 999) / 1000);
    }
}
