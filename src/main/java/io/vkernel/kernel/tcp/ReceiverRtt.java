package io.vkernel.kernel.tcp;

import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.Seq;

/**
 * The receiver's own RTT estimate (tp->rcv_rtt_est, TCP_INFO's tcpi_rcv_rtt) and the receive-side times TCP_INFO
 * reports, as net/ipv4/tcp_input.c keeps them: from the echoed timestamp of a full-sized segment
 * (tcp_rcv_rtt_measure_ts()), else once per receive window (tcp_rcv_rtt_measure()), smoothed by
 * tcp_rcv_rtt_update(). Times are the virtual clock's milliseconds; the estimate is in microseconds, times 8.
 */
final class ReceiverRtt {

    private ReceiverRtt() {
    }

    /**
     * tcp_rcv_rtt_update(): the first sample, or a smaller one, replaces the estimate; a timestamp sample is
     * otherwise smoothed by 1/8; a per-window sample (win_dep) only ever lowers it.
     */
    static void update(Tcb tcb, long sampleUs, boolean winDep) {
        long old = tcb.rcvRttUs8;
        long m = sampleUs;
        if (old != 0) {
            if (!winDep) {
                m -= old >> 3;
                tcb.rcvRttUs8 = old + m;
            } else if ((m << 3) < old) {
                tcb.rcvRttUs8 = m << 3;
            }
        } else {
            tcb.rcvRttUs8 = m << 3;
        }
    }

    /**
     * tcp_rcv_rtt_measure_ts(), called by tcp_rcv_established() for each segment: once per new TSecr, a segment
     * of at least rcv_mss bytes gives the sample now - TSecr (1 ms at least; TCP_TS_HZ is 1000).
     */
    static void measureTs(Tcb tcb, Segment segment, long tsValNow) {
        if (!tcb.tsOk || segment.timestamps() == null) {
            return;
        }
        long ecr = segment.timestamps().echoReply();
        if (ecr == tcb.rcvRttLastTsecr) {
            return;
        }
        tcb.rcvRttLastTsecr = ecr;
        if (segment.payload().length >= tcb.rcvMss) {
            long delta = (tsValNow - ecr) & 0xffffffffL;
            if (delta < Integer.MAX_VALUE / 1000) {
                update(tcb, Math.max(1, delta) * 1000, false);
            }
        }
    }

    /**
     * tcp_rcv_rtt_measure(), from tcp_event_data_recv() for in-order data: the time for RCV.NXT to move one
     * receive window past the point it was at when the measure started.
     */
    static void measureWindow(Tcb tcb, long nowMs) {
        if (tcb.rcvRttTime >= 0 && Seq.before(tcb.rcvNxt, tcb.rcvRttSeq)) {
            return;
        }
        if (tcb.rcvRttTime >= 0) {
            update(tcb, Math.max(1, (nowMs - tcb.rcvRttTime) * 1000), true);
        }
        // Linux adds tp->rcv_wnd; vkernel still adds half the free buffer in whole segments, the window it advertised
        // before RcvSpace: with the last offer, a flight that ends exactly at its edge (the 2013 receiver_rtt
        // scripts' third flight) gives a 1 us sample there, which those scripts do not expect (see FIDELITY.md)
        int free = Math.max(0, tcb.rcvBufLimit - tcb.receiveQueued()) / 2;
        int segment = TcpEngine.ADVERTISED_MSS - (tcb.tsOk ? 12 : 0);
        tcb.rcvRttSeq = tcb.rcvNxt + Math.min(65535 << tcb.rcvWscale, free / segment * segment);
        tcb.rcvRttTime = nowMs;
    }
}
