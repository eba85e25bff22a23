package io.vkernel.kernel.tcp;

import io.vkernel.kernel.wire.Seq;

/**
 * Where Linux's retransmission queue is cut into skbs, kept as a flag on RACK's per-MSS pieces ({@link Rack.Sent}).
 * A retransmission resends whole skbs, each as a packet of its own, and a packet of more than one segment carries
 * PSH (__tcp_transmit_skb(): tcp_skb_pcount() > 1): so the flags of a retransmitted range are those of its last skb.
 * The cuts come from the first transmission (tcp_write_xmit() hands out packets of tcp_tso_segs() segments, each its
 * own skb after tso_fragment()), from SACKs (tcp_match_skb_to_sack() fragments at the SACK edge), and from every
 * retransmission that takes only part of an skb (tcp_fragment() in __tcp_retransmit_skb() and tcp_send_loss_probe()).
 */
final class SkbCuts {

    private SkbCuts() {
    }

    /** A first transmission of [start, end) left as packets of {@code perSkb} segments of {@code mss}: one skb each. */
    static void firstSent(Rack rack, int start, int end, int perSkb, int mss) {
        int step = Math.max(1, perSkb) * mss;
        for (Rack.Sent piece : rack.sent) {
            if (!Seq.before(piece.start, start) && !Seq.after(piece.end, end)
                    && (piece.end == end || (piece.end - start) % step == 0)) {
                piece.skbEnd = true;
            }
        }
    }

    /** tcp_fragment() at {@code seq}: the piece ending there ends an skb. */
    static void cutAt(Rack rack, int seq) {
        for (Rack.Sent piece : rack.sent) {
            if (piece.end == seq) {
                piece.skbEnd = true;
                return;
            }
        }
    }

    /** A piece was SACKed: its skb is cut from the pieces on both sides ({@code previous} may be null). */
    static void sacked(Rack.Sent piece, Rack.Sent previous) {
        piece.skbEnd = true;
        if (previous != null) {
            previous.skbEnd = true;
        }
    }

    /**
     * The start of the last skb of a retransmission of [seq, end): the last cut strictly inside the range, else
     * {@code seq}.
     */
    static int lastSkbStart(Rack rack, int seq, int end) {
        int start = seq;
        for (Rack.Sent piece : rack.sent) {
            if (!Seq.before(piece.end, end)) {
                break;
            }
            if (piece.skbEnd && Seq.after(piece.end, seq)) {
                start = piece.end;
            }
        }
        return start;
    }

    /** The skb ends inside (seq, end], as offsets from {@code seq}, ascending, the last one {@code end - seq}. */
    static int[] skbEnds(Rack rack, int seq, int end) {
        int[] ends = new int[8];
        int n = 0;
        for (Rack.Sent piece : rack.sent) {
            if (!Seq.before(piece.end, end)) {
                break;
            }
            if (piece.skbEnd && Seq.after(piece.end, seq)) {
                if (n == ends.length - 1) {
                    ends = java.util.Arrays.copyOf(ends, ends.length * 2);
                }
                ends[n++] = piece.end - seq;
            }
        }
        ends[n++] = end - seq;
        return java.util.Arrays.copyOf(ends, n);
    }

    /**
     * What tcp_xmit_retransmit_queue() resends from {@code seq} with {@code budget} segments, skb by skb, below
     * {@code limit}: each skb whole and counted as tcp_skb_pcount() segments of {@code mss}, the one cwnd does not take
     * whole cut at what is left (__tcp_retransmit_skb(): tcp_fragment() at segs x cur_mss). An skb shorter than one
     * MSS takes in the skbs after it while they are one segment each and all fit in one MSS
     * (tcp_retrans_try_collapse(), net.ipv4.tcp_retrans_collapse=1): one skb of one segment, the cuts between them
     * gone. A collapse crosses write ends (tcp_skb_can_collapse() stops only at MSG_EOR) and the merged skb carries
     * their PSH (tcp_collapse_retrans() ORs tcp_flags); the answer ends after the first skb that holds a push mark, so
     * PSH stays on the last skb of each retransmit(). Answers {end, segments}.
     */
    static int[] retransmission(Tcb tcb, int seq, int limit, int budget, int mss) {
        Rack rack = tcb.rack;
        int[] ends = skbEnds(rack, seq, limit);
        int from = 0;
        int segments = 0;
        int left = budget;
        for (int i = 0; i < ends.length; i++) {
            int pcount = (ends[i] - from + mss - 1) / mss;
            if (pcount > left) {
                // tcp_fragment() at what the budget leaves; the rest stays lost for the next round
                return new int[] {seq + from + left * mss, segments + left};
            }
            segments += pcount;
            left -= pcount;
            int skbStart = from;
            from = ends[i];
            // tcp_can_collapse(): the next skb joins if it is one segment and the whole fits in one MSS (so only an
            // skb shorter than the MSS takes any in); tcp_skb_can_collapse(): never into an skb ending a MSG_EOR write
            while (i + 1 < ends.length && !tcb.sendBuffer.eorEnd(seq + from) && ends[i + 1] - skbStart <= mss
                    && pieces(rack, seq + from, seq + ends[i + 1]) == 1) {
                uncut(rack, seq + from);
                from = ends[++i];
            }
            if (holdsMark(tcb, seq, seq + from)) {
                break; // the skb just taken holds a write end (no earlier one did, or the loop had stopped there)
            }
        }
        return new int[] {seq + from, segments};
    }

    /** The pieces of [start, end): tcp_skb_pcount() of an skb as it was last sent. */
    private static int pieces(Rack rack, int start, int end) {
        int n = 0;
        for (Rack.Sent piece : rack.sent) {
            if (Seq.before(piece.start, end) && Seq.after(piece.end, start)) {
                n++;
            }
        }
        return n;
    }

    /** tcp_collapse_retrans(): the skb ending at {@code seq} took in the next one, so nothing is cut there now. */
    private static void uncut(Rack rack, int seq) {
        for (Rack.Sent piece : rack.sent) {
            if (piece.end == seq) {
                piece.skbEnd = false;
                return;
            }
        }
    }

    /** tcp_skb_pcount() summed over the skbs of a retransmission of [seq, end): the segments it puts on the wire. */
    static int segments(Rack rack, int seq, int end, int mss) {
        int segments = 0;
        int from = 0;
        for (int to : skbEnds(rack, seq, end)) {
            segments += (to - from + mss - 1) / mss;
            from = to;
        }
        return segments;
    }

    /**
     * PSH on a retransmission of [seq, end) as packetdrill reads the train of packets Linux sends for it (the last
     * packet's flags): its last skb is more than one segment, or holds the end of a write (tcp_mark_push(); an skb
     * that took others in by tcp_collapse_retrans() has the PSH of each).
     */
    static boolean push(Tcb tcb, int seq, int end, int mss) {
        int last = lastSkbStart(tcb.rack, seq, end);
        return holdsMark(tcb, last, end) || end - last > mss;
    }

    /** A push mark in (start, end]: the skb [start, end) carries PSH. */
    private static boolean holdsMark(Tcb tcb, int start, int end) {
        return Seq.beforeOrEqual(tcb.pushMarks.nextAfter(start, end + 1), end);
    }
}
