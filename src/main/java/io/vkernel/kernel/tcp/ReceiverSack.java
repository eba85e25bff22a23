package io.vkernel.kernel.tcp;

import io.vkernel.kernel.wire.Seq;
import io.vkernel.kernel.wire.TcpOption;

/**
 * The SACK blocks a receiver reports (RFC 2018 §4, Linux {@code tp->selective_acks}): up to four ranges of data held
 * beyond a gap, the one the latest segment touched first, plus a one-shot D-SACK block for data that arrived twice
 * (RFC 2883, {@code tp->duplicate_sack}), sent first and only once.
 */
final class ReceiverSack {

    /** TCP_NUM_SACKS. */
    static final int MAX_BLOCKS = 4;
    /** The SACK option's kind (RFC 2018 §3). */
    static final int KIND_SACK = 5;

    private final int[] starts = new int[MAX_BLOCKS];
    private final int[] ends = new int[MAX_BLOCKS];
    private int count;
    private boolean dsack;
    private int dsackStart;
    private int dsackEnd;

    boolean isEmpty() {
        return count == 0 && !dsack;
    }

    int blocks() {
        return count;
    }

    /** tp->duplicate_sack[0].start_seq: where the last D-SACK block began, kept after it was sent. */
    int duplicateStart() {
        return dsackStart;
    }

    /** Whether a D-SACK block waits for the next segment. */
    boolean duplicatePending() {
        return dsack;
    }

    /** tcp_sack_new_ofo_skb(): an out-of-order range arrived; its block moves (or is added) to the front. */
    void outOfOrder(int start, int end) {
        for (int i = 0; i < count; i++) {
            if (extend(i, start, end)) {
                rotateToFront(i);
                coalesceFront();
                return;
            }
        }
        int last = Math.min(count, MAX_BLOCKS - 1); // a full array forgets its oldest block
        for (int i = last; i > 0; i--) {
            starts[i] = starts[i - 1];
            ends[i] = ends[i - 1];
        }
        starts[0] = start;
        ends[0] = end;
        count = last + 1;
    }

    /** tcp_sack_remove(): blocks RCV.NXT has reached are gone; with nothing held out of order, all are. */
    void advanced(int rcvNxt, boolean stillHolding) {
        if (!stillHolding) {
            count = 0;
            return;
        }
        int kept = 0;
        for (int i = 0; i < count; i++) {
            if (Seq.before(rcvNxt, starts[i])) {
                starts[kept] = starts[i];
                ends[kept] = ends[i];
                kept++;
            }
        }
        count = kept;
    }

    /** tcp_dsack_set() / tcp_dsack_extend(): report [start, end) as received twice in the next segment. */
    void duplicate(int start, int end) {
        if (dsack && !Seq.after(start, dsackEnd) && !Seq.after(dsackStart, end)) {
            dsackStart = Seq.before(start, dsackStart) ? start : dsackStart;
            dsackEnd = Seq.after(end, dsackEnd) ? end : dsackEnd;
            return;
        }
        dsack = true;
        dsackStart = start;
        dsackEnd = end;
    }

    /**
     * tcp_dsack_extend(): with no D-SACK pending it starts one (tcp_dsack_set()); otherwise the pending block grows
     * only by a range that overlaps or touches it (tcp_sack_extend()), and a range apart from it is not reported.
     */
    void extendDuplicate(int start, int end) {
        if (!dsack) {
            duplicate(start, end);
        } else if (!Seq.after(start, dsackEnd) && !Seq.after(dsackStart, end)) {
            dsackStart = Seq.before(start, dsackStart) ? start : dsackStart;
            dsackEnd = Seq.after(end, dsackEnd) ? end : dsackEnd;
        }
    }

    void clear() {
        count = 0;
        dsack = false;
    }

    /**
     * tcp_established_options() and tcp_options_write(): as many blocks as the 40 option bytes leave room for
     * (3 beside timestamps, else 4), the D-SACK block first; writing it consumes the D-SACK.
     */
    TcpOption option(boolean timestamps) {
        int room = timestamps ? 3 : 4;
        int n = Math.min(room, count + (dsack ? 1 : 0));
        byte[] value = new byte[8 * n];
        int at = 0;
        if (dsack) {
            at = put(value, at, dsackStart, dsackEnd);
            dsack = false;
        }
        for (int i = 0; at < value.length; i++) {
            at = put(value, at, starts[i], ends[i]);
        }
        return new TcpOption.Unknown(KIND_SACK, value);
    }

    /** The blocks in the order they are sent, for views and tests: {start, end} pairs. */
    int[][] current() {
        int[][] out = new int[count][];
        for (int i = 0; i < count; i++) {
            out[i] = new int[] {starts[i], ends[i]};
        }
        return out;
    }

    private static int put(byte[] value, int at, int start, int end) {
        value[at] = (byte) (start >>> 24);
        value[at + 1] = (byte) (start >>> 16);
        value[at + 2] = (byte) (start >>> 8);
        value[at + 3] = (byte) start;
        value[at + 4] = (byte) (end >>> 24);
        value[at + 5] = (byte) (end >>> 16);
        value[at + 6] = (byte) (end >>> 8);
        value[at + 7] = (byte) end;
        return at + 8;
    }

    /** tcp_sack_extend(): grows block i by an overlapping or adjacent range. */
    private boolean extend(int i, int start, int end) {
        if (Seq.after(start, ends[i]) || Seq.after(starts[i], end)) {
            return false;
        }
        if (Seq.before(start, starts[i])) {
            starts[i] = start;
        }
        if (Seq.after(end, ends[i])) {
            ends[i] = end;
        }
        return true;
    }

    private void rotateToFront(int i) {
        int s = starts[i];
        int e = ends[i];
        for (; i > 0; i--) {
            starts[i] = starts[i - 1];
            ends[i] = ends[i - 1];
        }
        starts[0] = s;
        ends[0] = e;
    }

    /** tcp_sack_maybe_coalesce(): the front block may now bridge others; they merge into it. */
    private void coalesceFront() {
        int i = 1;
        while (i < count) {
            if (extend(0, starts[i], ends[i])) {
                for (int j = i; j < count - 1; j++) {
                    starts[j] = starts[j + 1];
                    ends[j] = ends[j + 1];
                }
                count--;
            } else {
                i++;
            }
        }
    }
}
