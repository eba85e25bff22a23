package io.vkernel.kernel.tcp;

import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.Seq;
import io.vkernel.kernel.wire.TcpOption;

/**
 * Undoing a cwnd reduction that turns out to have been unnecessary, as net/ipv4/tcp_input.c does it: when recovery or
 * the RTO starts, tcp_init_undo() remembers SND.UNA (tp->undo_marker) and counts what is retransmitted from then on
 * (tp->undo_retrans). The reduction was spurious once every retransmission is reported as a duplicate by a D-SACK
 * (RFC 2883 §5; tcp_check_dsack(), tcp_sacktag_one()), or when an ACK echoes a timestamp older than the first
 * retransmission, so it acknowledges an original transmission (tcp_packet_delayed(), RFC 3522's Eifel detection).
 * Undoing restores cwnd to what it was before (tcp_reno_undo_cwnd(), which CUBIC uses too) and ssthresh to
 * tp->prior_ssthresh (tcp_undo_cwnd_reduction()).
 */
final class Undo {

    /** tp->undo_marker is set (Linux uses 0 for "none"; a sequence number may be 0, so a flag here). */
    boolean marked;
    /** tp->undo_marker: SND.UNA when the reduction began; D-SACKs above it count. */
    int marker;
    /** tp->undo_retrans: segments retransmitted since and not yet reported duplicate; -1 = none retransmitted. */
    int retrans = -1;
    /** tp->prior_ssthresh: 0 means cwnd and ssthresh are not restored (tcp_enter_cwr(), ECN). */
    int priorSsthresh;
    /** tp->retrans_stamp for undo: clock time (ms) of the first retransmission of this episode, -1 = none. */
    long retransStampMs = -1;

    /** TcpExtTCPFullUndo, TCPPartialUndo, TCPDSACKUndo, TCPLossUndo: the episodes undone, for views and tests. */
    int fullUndos;
    int partialUndos;
    int dsackUndos;
    int lossUndos;

    /** tcp_init_undo(): undo_marker = SND.UNA, undo_retrans = retrans_out, or -1 with nothing retransmitted. */
    void init(int sndUna, int retransOutSegments) {
        marked = true;
        marker = sndUna;
        retrans = retransOutSegments > 0 ? retransOutSegments : -1;
    }

    /** tcp_retransmit_skb(): the first retransmission's time, and one more segment to be proven spurious. */
    void onRetransmit(int segments, long nowMs) {
        if (retransStampMs < 0) {
            retransStampMs = nowMs;
        }
        if (retrans < 0) {
            retrans = 0;
        }
        retrans += segments;
    }

    /** tcp_current_ssthresh() outside a cwnd reduction: at least 3/4 of cwnd, so undo can go back to it. */
    static int currentSsthresh(Tcb tcb) {
        return Math.max(tcb.ssthresh, (tcb.cwnd >> 1) + (tcb.cwnd >> 2));
    }

    /**
     * tcp_packet_delayed() -> tcp_tsopt_ecr_before(): the ACK echoes a TSval sent before the first retransmission.
     * TSval is the millisecond clock plus the connection's offset (TcpOutput.tsVal()), so TSecr - offset is the time
     * the echoed segment left.
     */
    boolean packetDelayed(Tcb tcb, Segment segment) {
        if (retransStampMs < 0 || !tcb.tsOk || segment.timestamps() == null || segment.timestamps().echoReply() == 0) {
            return false;
        }
        int sentAt = (int) (segment.timestamps().echoReply() - (tcb.tsOffset & 0xffffffffL));
        return Seq.before(sentAt, (int) retransStampMs);
    }

    /** tcp_may_undo(): a marker, and every retransmission D-SACKed or the original shown delivered by its timestamp. */
    boolean mayUndo(Tcb tcb, Segment segment) {
        return marked && (retrans == 0 || packetDelayed(tcb, segment));
    }

    /**
     * tcp_undo_cwnd_reduction(): cwnd back to at least what it was (tcp_reno_undo_cwnd(): max(cwnd, prior_cwnd)),
     * ssthresh back to prior_ssthresh if that is higher; with {@code unmarkLoss} nothing stays marked lost.
     */
    void undoCwndReduction(Tcb tcb, boolean unmarkLoss) {
        if (unmarkLoss) {
            tcb.rack.clearLost();
        }
        if (priorSsthresh != 0) {
            tcb.cwnd = Math.max(tcb.cwnd, tcb.priorCwnd);
            if (priorSsthresh > tcb.ssthresh) {
                tcb.ssthresh = priorSsthresh;
            }
        }
        marked = false;
        tcb.rack.advanced = true; // force RACK to look at losses again
    }

    /**
     * The D-SACK part of tcp_sacktag_write_queue(): a first block below the cumulative ACK, or inside the second block
     * (tcp_check_dsack()), reports segments the peer received twice. Each that was retransmitted in this episode
     * counts against undo_retrans: below the prior SND.UNA by "dumb counting", above it only where the segment was
     * really retransmitted (tcp_sacktag_one() with TCPCB_RETRANS). Returns whether the ACK carried a D-SACK.
     */
    boolean onDsack(Tcb tcb, Segment segment, int priorSndUna, int mss) {
        byte[] v = null;
        for (TcpOption option : segment.options().list()) {
            if (option instanceof TcpOption.Unknown u && u.kind() == ReceiverSack.KIND_SACK && u.value().length >= 8) {
                v = u.value();
                break;
            }
        }
        if (v == null) {
            return false;
        }
        int start = u32(v, 0);
        int end = u32(v, 4);
        boolean dup = Seq.before(start, segment.ack());
        if (!dup && v.length >= 16) {
            int start1 = u32(v, 8);
            int end1 = u32(v, 12);
            dup = !Seq.after(end, end1) && !Seq.before(start, start1);
        }
        if (!dup || !Seq.before(start, end)) {
            return false;
        }
        // tcp_dsack_seen(): a D-SACK for more than was ever retransmitted is ignored
        int dupSegments = (end - start + mss - 1) / mss;
        if (dupSegments > tcb.totalRetransmits) {
            return true;
        }
        if (!marked || retrans <= 0 || !Seq.after(end, marker)) {
            return true;
        }
        if (!Seq.after(end, priorSndUna)) {
            retrans = Math.max(0, retrans - dupSegments); // D-SACK for data already forgotten
        } else {
            int counted = 0;
            for (Rack.Sent piece : tcb.rack.sent) {
                if (piece.retransmitted && Seq.before(piece.start, end) && Seq.after(piece.end, start)) {
                    counted++;
                }
            }
            retrans = Math.max(0, retrans - counted);
        }
        return true;
    }

    private static int u32(byte[] v, int at) {
        return ((v[at] & 0xff) << 24) | ((v[at + 1] & 0xff) << 16) | ((v[at + 2] & 0xff) << 8) | (v[at + 3] & 0xff);
    }
}
