package io.vkernel.kernel.tcp;

import io.vkernel.kernel.wire.Seq;

import java.util.ArrayList;
import java.util.List;

/**
 * RACK loss detection (RFC 8985 §6, Linux net/ipv4/tcp_recovery.c), one per connection: a segment is lost once a
 * segment sent after it has been delivered (ACKed or SACKed) and more than the RTT of that delivery plus a reordering
 * window has passed since it was sent. Time, not the count of duplicate ACKs, decides; the reordering window
 * (tcp_rack_reo_wnd()) is min_rtt / 4 until reordering is seen, 0 in recovery or once dupthresh segments are SACKed.
 * What is not yet late enough arms the reordering timer (tcp_rack_reo_timeout()).
 *
 * <p>Segments are kept per MSS with their last transmit time, as Linux's skbs carry skb_mstamp (a GSO send is split
 * at MSS boundaries when a SACK covers part of it, tcp_fragment() in tcp_sacktag_walk()).
 */
final class Rack {

    /** One MSS-sized piece of sent data: [start, end), last sent at {@code sentAt}. */
    static final class Sent {
        final int start;
        final int end;
        long sentAt;
        /** TCPCB_RETRANS: sent more than once. */
        boolean retransmitted;
        /** TCPCB_LOST. */
        boolean lost;
        /** TCPCB_SACKED_RETRANS: retransmitted since it was last marked lost. */
        boolean retransPending;
        /** TCPCB_SACKED_ACKED. */
        boolean delivered;
        /** An skb of the retransmission queue ends with this piece ({@link SkbCuts}). */
        boolean skbEnd;
        /**
         * The order of its last transmission among all of the connection's: Linux's skb timestamps are taken anew
         * for each tcp_write_xmit() or retransmission, so two transmissions in the same millisecond still have an
         * order, which tcp_rack_detect_loss() sees; vkernel's clock counts milliseconds.
         */
        long txOrder;

        Sent(int start, int end, long sentAt) {
            this.start = start;
            this.end = end;
            this.sentAt = sentAt;
        }
    }

    /** What is outstanding, in sequence order. */
    final List<Sent> sent = new ArrayList<>();
    /** tp->rack.mstamp, end_seq, rtt_us: the most recently sent segment known delivered; -1 = none yet. */
    long mstamp = -1;
    int endSeq;
    /** The {@link Sent#txOrder} of the transmission {@link #mstamp} belongs to; {@link #txCount} numbers them. */
    long mstampOrder;
    long txCount;
    long rttMs;
    /** tcp_is_rack() as of the last ACK: RACK alone marks losses (Recovery.lossLine()). */
    boolean enabled;
        /** tp->rack.advanced: a newer delivery since the last loss scan. */
    boolean advanced;
    /** tcp_min_rtt(): the smallest RTT seen on the connection, -1 = none. */
    long minRttMs = -1;
    /** tp->reord_seen: a delivery below a segment already delivered (RFC 8985 §6.2 step 4). */
    int reordSeen;
    /** tp->reordering: the reordering degree in segments (tcpi_reordering), net.ipv4.tcp_reordering at first. */
    int reordering = 3;
    /** net.ipv4.tcp_max_reordering, the ceiling of {@link #reordering}. */
    int maxReordering = 300;
    /** The highest SACKed end seen, for noticing reordering. */
    int highestSacked;
    boolean anySacked;

    // The tail loss probe (LossProbe): tp->tlp_high_seq (null = no probe outstanding), tp->tlp_retrans.
    Integer tlpHighSeq;
    boolean tlpRetrans;
    /** TcpExtTCPLossProbes and the reordering timer's expiries, for views and metrics. */
    int lossProbes;
    int reorderTimeouts;

    void initReordering(io.vkernel.kernel.Sysctls sysctls) {
        reordering = sysctls.getInt(io.vkernel.kernel.Sysctls.TCP_REORDERING);
        maxReordering = sysctls.getInt(io.vkernel.kernel.Sysctls.TCP_MAX_REORDERING);
    }

    /** Records a transmission of [start, end) at {@code now}, split at MSS boundaries; a retransmission restamps. */
    void onSent(int start, int end, int mss, long now, boolean retransmission) {
        if (!retransmission) {
            for (int s = start; Seq.before(s, end); s += mss) {
                int e = Seq.before(s + mss, end) ? s + mss : end;
                Sent piece = new Sent(s, e, now);
                piece.txOrder = ++txCount;
                sent.add(piece);
            }
            if (!sent.isEmpty()) {
                sent.get(sent.size() - 1).skbEnd = true; // every transmission is at least one skb of its own
            }
            return;
        }
        for (Sent piece : sent) {
            if (Seq.before(piece.start, end) && Seq.after(piece.end, start)) {
                piece.sentAt = now;
                piece.txOrder = ++txCount;
                piece.retransmitted = true;
                piece.retransPending = true;
            }
        }
    }

    /** The RTO resent the head: everything outstanding is lost (tcp_enter_loss() marks the whole queue). */
    void onTimeout() {
        for (Sent piece : sent) {
            if (!piece.delivered) {
                piece.lost = true;
                piece.retransPending = false;
            }
        }
    }

    void onRtt(long sampleMs) {
        if (minRttMs < 0 || sampleMs < minRttMs) {
            minRttMs = sampleMs;
        }
    }

    /**
     * After the cumulative ACK and the scoreboard moved: every piece newly ACKed or SACKed advances RACK's newest
     * delivery (tcp_rack_advance()); ACKed pieces leave. Returns how many pieces were newly SACKed.
     */
    void onDelivered(int sndUna, SackScoreboard scoreboard, long now) {
        onDelivered(sndUna, scoreboard, now, true, 0);
    }

    /**
     * As above, also measuring reordering (tcp_check_sack_reordering()): a newly SACKed segment never retransmitted
     * below the highest SACK (when {@code sackReordering}: not in Loss without an undo marker), or a cumulatively
     * ACKed one never SACKed nor retransmitted below the highest SACK before this ACK, "filled a hole": the reordering
     * degree becomes the distance from it to the highest SACK, in segments of {@code mss}, if that is more.
     */
    void onDelivered(int sndUna, SackScoreboard scoreboard, long now, boolean sackReordering, int mss) {
        Integer priorFack = anySacked ? highestSacked : null; // tcp_ack(): prior_fack
        Integer sackReord = null;
        Integer ackReord = null;
        int kept = 0;
        for (int i = 0; i < sent.size(); i++) {
            Sent piece = sent.get(i);
            boolean acked = !Seq.after(piece.end, sndUna);
            boolean sacked = !acked && !piece.delivered && scoreboard.unsackedIn(piece.start, piece.end) == 0;
            if (acked && !piece.delivered && !piece.retransmitted && ackReord == null) {
                ackReord = piece.start; // tcp_clean_rtx_queue(): reord
            }
            if (acked || sacked) {
                if (!piece.delivered) {
                    advance(piece, now);
                }
                if (sacked) {
                    piece.delivered = true;
                    SkbCuts.sacked(piece, kept > 0 ? sent.get(kept - 1) : null); // tcp_match_skb_to_sack() cuts at the edges
                    // tcp_sacktag_one(): a SACK below what was already SACKed is reordering only for a segment
                    // never retransmitted ("new sack for not retransmitted frame, which was in hole")
                    if (!piece.retransmitted && anySacked && Seq.before(piece.end, highestSacked)) {
                        if (sackReord == null || Seq.before(piece.start, sackReord)) {
                            sackReord = piece.start;
                        }
                    }
                    if (!anySacked || Seq.after(piece.end, highestSacked)) {
                        highestSacked = piece.end;
                        anySacked = true;
                    }
                }
            }
            if (!acked) {
                sent.set(kept++, piece);
            }
        }
        sent.subList(kept, sent.size()).clear();
        if (sackReord != null && sackReordering) {
            checkReordering(sackReord, highestSacked, mss);
        }
        if (ackReord != null && priorFack != null && Seq.before(ackReord, priorFack)) {
            boolean stillSacked = false;
            for (Sent piece : sent) {
                stillSacked |= piece.delivered;
            }
            checkReordering(ackReord, stillSacked ? highestSacked : sndUna, mss); // tcp_highest_sack_seq()
        }
        if (sent.isEmpty()) {
            anySacked = false;
        }
    }

    /** tcp_check_sack_reordering(): a hole at {@code lowSeq} filled below {@code fack}. */
    private void checkReordering(int lowSeq, int fack, int mss) {
        if (!Seq.before(lowSeq, fack)) {
            return;
        }
        int metric = fack - lowSeq;
        if (mss > 0 && metric > reordering * mss) {
            reordering = Math.min((metric + mss - 1) / mss, maxReordering);
        }
        reordSeen++;
    }

    /** tcp_rack_advance(): keeps the most recently sent delivered piece and its RTT. */
    private void advance(Sent piece, long now) {
        long rtt = now - piece.sentAt;
        if (piece.retransmitted && minRttMs >= 0 && rtt < minRttMs) {
            return; // ambiguous: the original may be what was delivered
        }
        // tcp_rack_advance(): rack.rtt_us is that of the last delivery looked at, even one sent before rack.mstamp
        // (tcp_clean_rtx_queue() walks in sequence order); only the newest transmission moves mstamp
        rttMs = rtt;
        advanced = true;
        if (mstamp < 0 || sentAfter(piece.sentAt, mstamp, piece.end, endSeq)) {
            mstamp = piece.sentAt;
            endSeq = piece.end;
            mstampOrder = piece.txOrder;
        }
    }

    /** tcp_skb_sent_after(): later in time, or at the same time and later in sequence. */
    static boolean sentAfter(long t1, long t2, int seq1, int seq2) {
        return t1 > t2 || (t1 == t2 && Seq.after(seq1, seq2));
    }

    /** tcp_rack_reo_wnd(), in ms. */
    long reorderWindow(Tcb tcb, int sackedSegments, long srttMs) {
        if (reordSeen == 0) {
            if (tcb.caState == CaState.RECOVERY || tcb.caState == CaState.LOSS) {
                return 0; // without reordering seen, be aggressive once recovering
            }
            if (sackedSegments >= reordering) {
                return 0; // dupthresh is met: no reason to wait
            }
        }
        long quarter = Math.max(0, minRttMs) >> 2;
        return srttMs >= 0 ? Math.min(quarter, srttMs) : quarter;
    }

    /**
     * tcp_rack_detect_loss(): marks lost every undelivered piece sent before the newest delivery whose time is up;
     * returns the ms until the next one would be (0 = none waits).
     */
    long detectLoss(Tcb tcb, int sackedSegments, long now) {
        if (mstamp < 0) {
            return 0;
        }
        long reoWnd = reorderWindow(tcb, sackedSegments, tcb.srttMs);
        long wait = 0;
        for (Sent piece : sent) {
            if (piece.delivered || (piece.lost && !piece.retransPending)) {
                continue;
            }
            if (!sentAfter(mstamp, piece.sentAt, endSeq, piece.end)) {
                continue;
            }
            if (piece.retransPending && (mstamp < piece.sentAt || mstamp == piece.sentAt && mstampOrder <= piece.txOrder)) {
                continue; // a retransmission is lost again only behind a delivery sent later in time (tsorted order)
            }
            long remaining = rttMs + reoWnd - (now - piece.sentAt);
            if (remaining <= 0) {
                piece.lost = true;
                piece.retransPending = false;
            } else {
                wait = Math.max(wait, remaining);
            }
        }
        return wait;
    }

    /** The end of the highest piece marked lost that is still outstanding; {@code sndUna} when none. */
    int lostLine(int sndUna) {
        int line = sndUna;
        for (Sent piece : sent) {
            if (piece.lost && !piece.delivered && Seq.after(piece.end, line)) {
                line = piece.end;
            }
        }
        return line;
    }

    /** Pieces marked lost and not yet resent (tp->lost_out less what was retransmitted). */
    int lostNotResent() {
        int n = 0;
        for (Sent piece : sent) {
            if (piece.lost && !piece.retransPending && !piece.delivered) {
                n++;
            }
        }
        return n;
    }

    /** {@code seq}, or the end of the piece it falls inside. */
    int alignUp(int seq) {
        for (Sent piece : sent) {
            if (Seq.after(piece.end, seq)) {
                return Seq.before(piece.start, seq) ? piece.end : seq;
            }
        }
        return seq;
    }

    /** {@code seq}, or the start of the piece it falls inside. */
    int alignDown(int seq) {
        for (Sent piece : sent) {
            if (Seq.after(piece.end, seq)) {
                return Seq.before(piece.start, seq) ? piece.start : seq;
            }
        }
        return seq;
    }

    /** The transmit time of the oldest outstanding piece, or -1. */
    long headSentAt() {
        return sent.isEmpty() ? -1 : sent.get(0).sentAt;
    }

    /** A recovery episode ended: marks are history. */
    void clearLost() {
        for (Sent piece : sent) {
            piece.lost = false;
            piece.retransPending = false;
        }
    }
}
