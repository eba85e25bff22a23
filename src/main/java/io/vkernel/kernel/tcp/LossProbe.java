package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.time.VirtualClock;
import io.vkernel.kernel.trace.EventType;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.Seq;
import io.vkernel.kernel.wire.TcpFlags;

/**
 * The tail loss probe (RFC 8985 §7; Linux tcp_schedule_loss_probe() and tcp_send_loss_probe() in tcp_output.c,
 * tcp_process_tlp_ack() in tcp_input.c). When the last segments of a flight are lost no SACK arrives to trigger
 * recovery, and only the RTO would notice; instead, 2 x SRTT after the last transmission with nothing acknowledged,
 * one segment is sent to draw a SACK: new data if the window allows, else the last segment again. The probe timer
 * takes the retransmission timer's place (Linux's icsk_retransmit_timer is shared by RTO, TLP and RACK's
 * reordering timer), never later than the RTO would fire.
 */
final class LossProbe {

    static final String TIMER = "loss-probe";

    private final VirtualClock clock;
    private final Sysctls sysctls;
    private final TcpHost host;
    private final TcpOutput output;
    private final TcpTimers timers;

    LossProbe(VirtualClock clock, Sysctls sysctls, TcpHost host, TcpOutput output, TcpTimers timers) {
        this.clock = clock;
        this.sysctls = sysctls;
        this.host = host;
        this.output = output;
        this.timers = timers;
    }

    /**
     * tcp_schedule_loss_probe(): for a SACK connection in Open (or CWR) with data out and tcp_early_retrans 3 or 4,
     * the probe timeout is 2 x SRTT, plus TCP_RTO_MIN when a single segment is out (a delayed ACK may be what keeps
     * it), plus two jiffies otherwise; 1 s with no RTT sample; capped by when the RTO would fire ({@code advancing}:
     * a full RTO from now). Returns false when no probe is scheduled and the RTO should be armed instead.
     */
    boolean schedule(Tcb tcb, boolean advancing) {
        int earlyRetrans = sysctls.getInt(Sysctls.TCP_EARLY_RETRANS);
        if ((earlyRetrans != 3 && earlyRetrans != 4) || tcb.sndNxt == tcb.sndUna || !tcb.sackOk
                || (tcb.caState != CaState.OPEN && tcb.caState != CaState.CWR)) {
            return false;
        }
        if (pending(tcb, Recovery.REORDER_TIMER)) {
            return true; // RACK's reordering timer holds the slot (tcp_rack_mark_lost() clears FLAG_SET_XMIT_TIMER)
        }
        int mss = TcpSender.sendMss(tcb);
        int packetsOut = (tcb.sndNxt - tcb.sndUna + mss - 1) / mss;
        long timeout;
        if (tcb.srttMs >= 0) {
            timeout = 2 * tcb.srttMs + (packetsOut == 1 ? TcpEngine.RTO_MIN_MS : 2);
        } else {
            timeout = TcpEngine.INITIAL_RTO_MS; // TCP_TIMEOUT_INIT
        }
        long head = tcb.rack.headSentAt();
        long rtoDelta = advancing || head < 0 ? tcb.rtoMs : head + tcb.rtoMs - clock.now(); // tcp_rto_delta_us()
        if (rtoDelta > 0) {
            timeout = Math.min(timeout, rtoDelta);
        }
        TcpTimers.cancelRetransmit(tcb);
        tcb.retransmitTimer = clock.schedule(Math.max(1, timeout), TIMER, tcb.tuple().toString(), () -> fire(tcb));
        return true;
    }

    static boolean pending(Tcb tcb, String name) {
        return tcb.retransmitTimer != null && !tcb.retransmitTimer.isCancelled() && tcb.retransmitTimer.name().equals(name);
    }

    /**
     * tcp_send_loss_probe(): one probe outstanding at a time (tlp_high_seq); new data first if the peer's window
     * takes a segment (sent whatever cwnd says), else the last segment sent (its last MSS). Then the RTO is armed
     * from now.
     */
    void fire(Tcb tcb) {
        tcb.retransmitTimer = null;
        if (tcb.state == TcpState.CLOSE || tcb.state == TcpState.TIME_WAIT || tcb.sndUna == tcb.sndNxt) {
            return;
        }
        Rack rack = tcb.rack;
        if (rack.tlpHighSeq == null) {
            int mss = TcpSender.sendMss(tcb);
            int inFlightData = Math.min(tcb.sndNxt - tcb.sndUna, tcb.sendQueue.size());
            int unsent = tcb.sendQueue.size() - inFlightData;
            int size = Math.min(unsent, mss);
            size = Math.min(size, tcb.pushMarks.nextAfter(tcb.sndNxt, tcb.sndNxt + size) - tcb.sndNxt);
            String what = null;
            if (size > 0 && !Seq.after(tcb.sndNxt + size, tcb.sndUna + tcb.sndWnd)) {
                byte[] chunk = tcb.sendQueue.peek(inFlightData, size);
                int push = tcb.pushMarks.isMark(tcb.sndNxt + size) ? TcpFlags.PSH : 0;
                boolean fin = TcpSender.finRidesOn(tcb, tcb.sndNxt + size)
                        && Seq.before(tcb.sndNxt + size, tcb.sndUna + tcb.sndWnd);
                host.transmit(output.out(tcb, TcpFlags.ACK | push | (fin ? TcpFlags.FIN : 0), tcb.sndNxt, tcb.rcvNxt, chunk), null);
                rack.onSent(tcb.sndNxt, tcb.sndNxt + size, mss, clock.now(), false);
                tcb.sendBuffer.sent(tcb.sndNxt, tcb.sndNxt + size);
                tcb.sndNxt += size + (fin ? 1 : 0);
                tcb.lastDataSent = clock.now();
                rack.tlpRetrans = false;
                what = "new data " + size + " bytes";
            } else if (tcb.finQueued && tcb.finAlone && tcb.sndNxt == tcb.finSeq + 1) {
                // the FIN's own skb is the last one sent (tcp_send_fin() found no unsent data to ride on)
                host.transmit(output.out(tcb, TcpFlags.FIN | TcpFlags.ACK, tcb.finSeq, tcb.rcvNxt, null), null);
                tcb.finSentAt = -1; // Karn
                tcb.totalRetransmits++;
                rack.tlpRetrans = true;
                what = "the FIN again";
            } else if (!rack.sent.isEmpty()) {
                Rack.Sent last = rack.sent.get(rack.sent.size() - 1);
                int start = lastSegmentStart(tcb, last.end, mss);
                int end = Math.min(last.end, tcb.sndUna + tcb.sendQueue.size());
                // __tcp_retransmit_skb(skb, 1): at most one segment of the current MSS (tcp_fragment() at cur_mss),
                // which is below the skb's own when the MSS fell since it left (an acknowledged MTU probe's search_low)
                end = Seq.after(end, start + mss) ? start + mss : end;
                if (Seq.after(end, start)) {
                    // tcp_send_loss_probe(): tcp_fragment() leaves the last MSS of the last skb an skb of its own
                    SkbCuts.cutAt(rack, start);
                    byte[] chunk = tcb.sendQueue.peek(start - tcb.sndUna, end - start);
                    int push = tcb.pushMarks.isMark(end) ? TcpFlags.PSH : 0;
                    int fin = TcpSender.finRidesOn(tcb, end) && tcb.sndNxt == tcb.finSeq + 1 ? TcpFlags.FIN : 0;
                    host.transmit(output.out(tcb, TcpFlags.ACK | push | fin, start, tcb.rcvNxt, chunk), null);
                    rack.onSent(start, end, mss, clock.now(), true);
                    tcb.totalRetransmits++;
                    tcb.rttSentAt = -1; // Karn
                    rack.tlpRetrans = true;
                    what = "the last segment again, " + Seq.unsigned(start) + ":" + Seq.unsigned(end);
                }
            } else if (tcb.finQueued && tcb.sndNxt == tcb.finSeq + 1) {
                host.transmit(output.out(tcb, TcpFlags.FIN | TcpFlags.ACK, tcb.finSeq, tcb.rcvNxt, null), null);
                tcb.finSentAt = -1; // Karn
                tcb.totalRetransmits++;
                rack.tlpRetrans = true;
                what = "the FIN again";
            }
            if (what != null) {
                rack.tlpHighSeq = tcb.sndNxt;
                rack.lossProbes++;
                host.count(SnmpCounter.TCP_LOSS_PROBES);
                if (rack.tlpRetrans) {
                    host.count(SnmpCounter.TCP_RETRANS_SEGS);
                }
                host.event(EventType.TIMER_FIRED, tcb.tuple().toString(), "tail loss probe (RFC 8985 §7): nothing "
                        + "acknowledged for 2 x SRTT (" + tcb.srttMs + " ms), sending " + what);
            }
        }
        timers.armRetransmit(tcb); // tcp_rearm_rto(): a full RTO from now
    }

    /**
     * Where tcp_send_loss_probe() starts the segment it resends: in the last skb of the retransmission queue (from
     * SND.UNA or the last cut before {@code end}), of {@code pcount} segments of the size it was sent with, the skb
     * is cut at (pcount - 1) x the current MSS when it is longer than that (tcp_fragment()); else it starts there.
     */
    private static int lastSegmentStart(Tcb tcb, int end, int mss) {
        int skbStart = SkbCuts.lastSkbStart(tcb.rack, tcb.sndUna, end);
        int gsoSize = 1;
        for (Rack.Sent piece : tcb.rack.sent) {
            if (Seq.after(piece.end, skbStart) && !Seq.after(piece.end, end)) {
                gsoSize = Math.max(gsoSize, piece.end - piece.start); // tcp_skb_mss(): the skb's segment size
            }
        }
        int length = end - skbStart;
        int pcount = (length + gsoSize - 1) / gsoSize; // tcp_skb_pcount(), recomputed by tcp_trim_head()
        return pcount > 1 && length > (pcount - 1) * mss ? skbStart + (pcount - 1) * mss : skbStart;
    }

    /**
     * tcp_process_tlp_ack(): once the ACK covers the probe, a retransmitted probe that repaired a loss (the ACK goes
     * beyond it, no D-SACK said it was a duplicate) reduces cwnd once as for a loss (CWR: ssthresh from the
     * algorithm, cwnd = ssthresh) and the connection stays Open.
     */
    void onAck(Tcb tcb, int ack, boolean advanced, boolean dsack, boolean pureDuplicate) {
        Rack rack = tcb.rack;
        if (rack.tlpHighSeq == null || Seq.before(ack, rack.tlpHighSeq)) {
            return;
        }
        int high = rack.tlpHighSeq;
        if (!rack.tlpRetrans || dsack) {
            rack.tlpHighSeq = null;
        } else if (Seq.after(ack, high)) {
            rack.tlpHighSeq = null;
            tcb.priorCwnd = tcb.cwnd;
            tcb.ssthresh = tcb.cc.ssthresh(tcb);
            tcb.cwnd = Math.max(1, Math.min(tcb.cwnd, tcb.ssthresh));
            tcb.cwndCnt = 0;
            host.count(SnmpCounter.TCP_LOSS_PROBE_RECOVERY);
            host.event(EventType.CONGESTION, tcb.tuple().toString(), "the tail loss probe repaired a loss: cwnd reduced "
                    + "once to ssthresh " + tcb.ssthresh + " (tcp_process_tlp_ack(), CWR)");
        } else if (!advanced && pureDuplicate) {
            rack.tlpHighSeq = null; // the original and the probe both arrived: nothing was lost
        }
    }
}
