package io.vkernel.kernel.tcp;

import io.vkernel.kernel.wire.Seq;
import io.vkernel.kernel.wire.TcpOption;

import java.util.Arrays;

/**
 * The sender's view of what the peer holds beyond SND.UNA (RFC 6675 §3, Linux's TCPCB_SACKED_ACKED bits set by
 * tcp_sacktag_write_queue()): the SACKed ranges of [SND.UNA, SND.NXT), merged and in order. D-SACK blocks (at or
 * below the cumulative ACK) report duplicates and mark nothing.
 */
final class SackScoreboard {

    private int[] starts = new int[4];
    private int[] ends = new int[4];
    private int count;

    int sackedBytes() {
        int total = 0;
        for (int i = 0; i < count; i++) {
            total += ends[i] - starts[i];
        }
        return total;
    }

    boolean isEmpty() {
        return count == 0;
    }

    /** Reads the SACK blocks of an ACK; returns how many bytes are newly known to be held by the peer. */
    int update(TcpOption sack, int ack, int sndUna, int sndNxt) {
        return update(sack, ack, sndUna, sndNxt, null);
    }

    /**
     * As above; with {@code rack}, a block is cut to the whole segments it covers (tcp_match_skb_to_sack() splits an
     * skb only at MSS boundaries, so the part of a segment a block covers is not SACKed).
     */
    int update(TcpOption sack, int ack, int sndUna, int sndNxt, Rack rack) {
        if (!(sack instanceof TcpOption.Unknown u) || u.kind() != ReceiverSack.KIND_SACK) {
            return 0;
        }
        byte[] v = u.value();
        int before = sackedBytes();
        for (int at = 0; at + 8 <= v.length; at += 8) {
            int start = u32(v, at);
            int end = u32(v, at + 4);
            if (!Seq.after(end, ack) || !Seq.after(end, start)) {
                continue; // a D-SACK, or nonsense
            }
            if (Seq.before(start, sndUna)) {
                start = sndUna;
            }
            if (Seq.after(end, sndNxt)) {
                end = sndNxt; // tcp_is_sackblock_valid() would drop it; clipping keeps what is plausible
            }
            if (rack != null) {
                start = rack.alignUp(start);
                end = rack.alignDown(end);
            }
            if (Seq.after(end, start)) {
                add(start, end);
            }
        }
        return sackedBytes() - before;
    }

    /** The cumulative ACK moved: ranges below SND.UNA are no longer the scoreboard's business. */
    void acked(int sndUna) {
        int kept = 0;
        for (int i = 0; i < count; i++) {
            if (Seq.after(ends[i], sndUna)) {
                starts[kept] = Seq.before(starts[i], sndUna) ? sndUna : starts[i];
                ends[kept] = ends[i];
                kept++;
            }
        }
        count = kept;
    }

    /** {@code seq} itself when the peer does not hold it, else the end of the SACKed range holding it. */
    int skipSacked(int seq) {
        for (int i = 0; i < count; i++) {
            if (!Seq.before(seq, starts[i]) && Seq.before(seq, ends[i])) {
                return ends[i];
            }
        }
        return seq;
    }

    /** The start of the first SACKed range after {@code seq}, or {@code fallback}. */
    int nextSackedAfter(int seq, int fallback) {
        for (int i = 0; i < count; i++) {
            if (Seq.after(starts[i], seq)) {
                return starts[i];
            }
        }
        return fallback;
    }

    /**
     * RFC 6675 IsLost(): a byte is lost once more than (DupThresh - 1) x SMSS bytes above it were SACKed; returns
     * the first sequence number that is not lost (bytes below it that the peer lacks are lost).
     */
    int lossLine(int sndUna, int mss) {
        int threshold = 2 * mss;
        int above = 0;
        for (int i = count - 1; i >= 0; i--) {
            int size = ends[i] - starts[i];
            if (above + size > threshold) {
                return ends[i] - (threshold - above);
            }
            above += size;
        }
        return sndUna;
    }

    /** Bytes in [from, to) the peer does not hold. */
    int unsackedIn(int from, int to) {
        if (!Seq.after(to, from)) {
            return 0;
        }
        int bytes = to - from;
        for (int i = 0; i < count; i++) {
            int s = Seq.after(starts[i], from) ? starts[i] : from;
            int e = Seq.before(ends[i], to) ? ends[i] : to;
            if (Seq.after(e, s)) {
                bytes -= e - s;
            }
        }
        return bytes;
    }

    /** The ranges as {start, end} pairs, for views. */
    int[][] ranges() {
        int[][] out = new int[count][];
        for (int i = 0; i < count; i++) {
            out[i] = new int[] {starts[i], ends[i]};
        }
        return out;
    }

    private void add(int start, int end) {
        int i = 0;
        while (i < count && Seq.before(ends[i], start)) {
            i++;
        }
        int j = i;
        while (j < count && !Seq.after(starts[j], end)) {
            if (Seq.before(starts[j], start)) {
                start = starts[j];
            }
            if (Seq.after(ends[j], end)) {
                end = ends[j];
            }
            j++;
        }
        int removed = j - i;
        if (removed == 0) {
            if (count == starts.length) {
                starts = Arrays.copyOf(starts, count * 2);
                ends = Arrays.copyOf(ends, count * 2);
            }
            System.arraycopy(starts, i, starts, i + 1, count - i);
            System.arraycopy(ends, i, ends, i + 1, count - i);
            count++;
        } else if (removed > 1) {
            System.arraycopy(starts, j, starts, i + 1, count - j);
            System.arraycopy(ends, j, ends, i + 1, count - j);
            count -= removed - 1;
        }
        starts[i] = start;
        ends[i] = end;
    }

    private static int u32(byte[] b, int at) {
        return ((b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
    }
}
