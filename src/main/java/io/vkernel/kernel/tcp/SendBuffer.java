package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.wire.Seq;

import java.util.Arrays;

/**
 * The send buffer as Linux charges it: not the bytes written but {@code sk_wmem_queued}, the truesize of every skb
 * on the write and retransmit queues, held against {@code sk_sndbuf}. An skb costs the bytes it carries plus the
 * empty skb tcp_stream_alloc_skb() made for it (its head of MAX_TCP_HEADER, struct sk_buff and skb_shared_info:
 * 896 bytes on x86-64), and it stays whole until tso_fragment() splits it at what left, tcp_grow_skb() merges the
 * next one into it, or the ACK of its last byte frees it. So where the skbs begin and end decides when write()
 * stops, when poll() says POLLOUT and when a blocked writer wakes:
 * <ul>
 *   <li>tcp_sendmsg_locked() checks memory only when it needs a new skb (sk_stream_memory_free(): sk_wmem_queued
 *       below sk_sndbuf, and unsent bytes below TCP_NOTSENT_LOWAT), then fills it to size_goal;</li>
 *   <li>poll() and the wake-up of a writer need free space of at least half the queued truesize
 *       (__sk_stream_is_writeable(): sk_stream_wspace() >= sk_stream_min_wspace()) and twice the unsent bytes below
 *       TCP_NOTSENT_LOWAT (tcp_stream_memory_free(sk, 1));</li>
 *   <li>sk_sndbuf itself grows, unless SO_SNDBUF locked it: to room for two congestion windows of worst-case skbs
 *       when the connection is established and on each ACK that frees space while cwnd is not full
 *       (tcp_sndbuf_expand() from tcp_init_buffer_space() and tcp_new_space()), up to tcp_wmem[2].</li>
 * </ul>
 * The skbs are kept as their end sequence numbers, oldest first: the bytes are in the TCB's send queue.
 */
public final class SendBuffer {

    /** MAX_TCP_HEADER on x86-64 (L1_CACHE_ALIGN(128 + MAX_HEADER)). */
    static final int MAX_TCP_HEADER = 320;
    /** SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) with 17 frags. */
    static final int SHINFO = 320;
    /** SKB_DATA_ALIGN(sizeof(struct sk_buff)). */
    static final int SK_BUFF = 256;
    /** SKB_TRUESIZE(skb_end_offset()) of the payload-less skb tcp_stream_alloc_skb() allocates (a 640-byte small head). */
    public static final int SKB_OVERHEAD = MAX_TCP_HEADER + SK_BUFF + SHINFO;
    /** TCP_INIT_CWND: the segments tcp_init_buffer_space() sizes the first sk_sndbuf for. */
    private static final int INIT_CWND = 10;

    private static final int[] NONE = new int[0];
    private static final boolean[] NO_FLAGS = new boolean[0];

    /** End sequence number of each skb not yet fully acknowledged, oldest first. */
    private int[] ends = NONE;
    /** TCP_SKB_CB(skb)->eor of each skb in {@code ends}: it ends a MSG_EOR write, so nothing joins or merges into it. */
    private boolean[] eor = NO_FLAGS;
    private int count;
    /** Frags of the tail skb (MSG_ZEROCOPY pins one per page, at most MAX_SKB_FRAGS), and whether the last is pinned. */
    private int tailFrags;
    private boolean tailZeroCopy;
    /** sk_sndbuf while SO_SNDBUF has not locked it; 0 until tcp_init_buffer_space() ran. */
    private int autoSndBuf;
    /** Busy / rwnd-limited / sndbuf-limited time; created when the connection first has data to send. */
    private Chrono chrono;

    /** The chronographs, started on first use. */
    Chrono chrono() {
        if (chrono == null) {
            chrono = new Chrono();
        }
        return chrono;
    }

    /** tcpi_busy_time, tcpi_rwnd_limited, tcpi_sndbuf_limited in microseconds at {@code now} (ms). */
    long[] chronoMicros(long now) {
        if (chrono == null) {
            return new long[3];
        }
        long rwnd = chrono.total(Chrono.RWND_LIMITED, now);
        long sndbuf = chrono.total(Chrono.SNDBUF_LIMITED, now);
        long busy = chrono.total(Chrono.BUSY, now) + rwnd + sndbuf;
        return new long[] {busy * 1000, rwnd * 1000, sndbuf * 1000};
    }

    // ------------------------------------------------------------------ the skbs

    /** Number of skbs holding queued bytes (write queue and retransmit queue). */
    int skbs(Tcb tcb) {
        int writeSeq = writeSeq(tcb);
        // bytes queued by a path that built no skb here (the SYN's data): they count as one skb
        boolean stray = tcb.sendQueue.size() > 0 && (count == 0 || Seq.after(writeSeq, ends[count - 1]));
        return count + (stray ? 1 : 0);
    }

    /** The skbs holding queued bytes, for views. */
    public int skbCount(Tcb tcb) {
        return skbs(tcb);
    }

    /** write_seq - snd_nxt: bytes written and not yet sent, for views. */
    public long notSentBytes(Tcb tcb) {
        return notSent(tcb);
    }

    /** The low-water mark in force (TCP_NOTSENT_LOWAT or the sysctl), for views. */
    public long notsentLowat(Tcb tcb, Sysctls sysctls) {
        return lowat(tcb, sysctls);
    }

    /** sk_wmem_queued: the truesize of every queued skb. */
    public long wmemQueued(Tcb tcb) {
        return (long) skbs(tcb) * SKB_OVERHEAD + tcb.sendQueue.size();
    }

    static int writeSeq(Tcb tcb) {
        return tcb.sndUna + tcb.sendQueue.size();
    }

    /**
     * tcp_write_queue_tail() as tcp_sendmsg_locked() may append to it: the last skb, if nothing of it was sent and
     * it ends where the written bytes end; its length, or -1 when a new skb is needed.
     */
    int openTailLength(Tcb tcb) {
        if (count == 0 || tcb.tailEor || ends[count - 1] != writeSeq(tcb)) {
            return -1;
        }
        int start = count >= 2 ? ends[count - 2] : tcb.sndUna;
        return Seq.before(start, tcb.sndNxt) ? -1 : ends[count - 1] - start;
    }

    /** The end of the skb holding {@code seq}: the first skb end after it (the written end when none). */
    int skbEnd(Tcb tcb, int seq) {
        for (int i = 0; i < count; i++) {
            if (Seq.after(ends[i], seq)) {
                return ends[i];
            }
        }
        return writeSeq(tcb);
    }

    /** tcp_stream_alloc_skb() + tcp_skb_entail(): a new, empty skb at the end of the write queue. */
    void entail(Tcb tcb) {
        add(writeSeq(tcb));
        tailFrags = 0;
        tailZeroCopy = false;
    }

    /** skb_shinfo(tail)->nr_frags. */
    int tailFrags() {
        return tailFrags;
    }

    /** skb_copy_to_page_nocache(): copied bytes join the tail's last frag (skb_can_coalesce()) unless it is a pinned page. */
    void copiedIntoTail() {
        if (tailFrags == 0 || tailZeroCopy) {
            tailFrags++;
        }
        tailZeroCopy = false;
    }

    /** skb_zerocopy_iter_stream(): the tail now holds {@code frags} frags, the last a pinned user page. */
    void pinnedIntoTail(int frags) {
        tailFrags = frags;
        tailZeroCopy = true;
    }

    /** tcp_sendmsg_locked() with MSG_EOR, all of the write copied: TCP_SKB_CB(skb)->eor = 1 on the tail skb. */
    void markTailEor() {
        eor[count - 1] = true;
    }

    /** Does an skb end at {@code seq} with its eor bit set (tcp_skb_can_collapse() is false for it)? */
    boolean eorEnd(int seq) {
        for (int i = 0; i < count; i++) {
            if (!Seq.before(ends[i], seq)) {
                return ends[i] == seq && eor[i];
            }
        }
        return false;
    }

    /** skb_copy_to_page_nocache(): the tail skb now ends at {@code end}. */
    void extendTail(int end) {
        ends[count - 1] = end;
    }

    /**
     * A segment [start, end) left: an skb it ends inside was split there (tso_fragment() allocates a second skb for
     * the rest). Whole skbs it spans stay apart: each left as its own GSO packet, which packetdrill reads as one.
     */
    void sent(int start, int end) {
        for (int i = 0; i < count; i++) {
            if (ends[i] == end) {
                return;
            }
            if (Seq.after(ends[i], end)) {
                add(0); // grow by one, then open slot i
                System.arraycopy(ends, i, ends, i + 1, count - 1 - i);
                System.arraycopy(eor, i, eor, i + 1, count - 1 - i);
                ends[i] = end;
                eor[i] = false; // tcp_skb_fragment_eor(): the eor bit moves to the second part
                return;
            }
        }
    }

    /** tcp_clean_rtx_queue(): skbs wholly acknowledged are freed; a partly acknowledged one is trimmed (its bytes). */
    void acked(int sndUna) {
        int drop = 0;
        while (drop < count && !Seq.after(ends[drop], sndUna)) {
            drop++;
        }
        if (drop > 0) {
            System.arraycopy(ends, drop, ends, 0, count - drop);
            System.arraycopy(eor, drop, eor, 0, count - drop);
            count -= drop;
        }
        if (count == 0) {
            ends = NONE;
            eor = NO_FLAGS;
        }
    }

    void clear() {
        ends = NONE;
        eor = NO_FLAGS;
        count = 0;
    }

    private void add(int end) {
        if (count == ends.length) {
            ends = Arrays.copyOf(ends, Math.max(4, count * 2));
            eor = Arrays.copyOf(eor, ends.length);
        }
        eor[count] = false;
        ends[count++] = end;
    }

    // ------------------------------------------------------------------ sk_sndbuf and the tests against it

    /** sk_sndbuf: SO_SNDBUF's doubled value when set (SOCK_SNDBUF_LOCK), else tcp_wmem[1] as autotuning grew it. */
    public int sndBuf(Tcb tcb, Sysctls sysctls) {
        int locked = tcb.socket == null ? 0 : tcb.socket.options().sndBuf;
        if (locked > 0) {
            return locked;
        }
        if (autoSndBuf == 0) {
            int initial = sysctls.getInt(Sysctls.TCP_WMEM_DEFAULT);
            if (tcb.state == TcpState.SYN_SENT || tcb.state == TcpState.SYN_RECV || tcb.state == TcpState.LISTEN) {
                return initial;
            }
            // tcp_init_buffer_space() -> tcp_sndbuf_expand() with the initial window
            autoSndBuf = Math.max(initial, expandedSize(tcb, sysctls, INIT_CWND));
        }
        return autoSndBuf;
    }

    /**
     * tcp_sndbuf_expand(): two windows (CUBIC's and Reno's cushion for fast recovery) of worst-case skbs, each an
     * MSS plus headers in a power-of-two head plus struct sk_buff, capped by tcp_wmem[2].
     */
    private static int expandedSize(Tcb tcb, Sysctls sysctls, int cwnd) {
        int mss = Math.max(tcb.peerMss, TcpSender.sendMss(tcb));
        int perMss = Integer.highestOneBit(Math.max(1, mss + MAX_TCP_HEADER + SHINFO - 1)) * 2 + SK_BUFF;
        long segs = Math.max(INIT_CWND, cwnd);
        long size = 2L * segs * perMss;
        return (int) Math.min(size, sysctls.get(Sysctls.TCP_WMEM_MAX));
    }

    /**
     * tcp_new_space() from tcp_check_space(), for a socket marked SOCK_NOSPACE after an ACK and the sending it
     * allowed: sk_sndbuf grows unless SO_SNDBUF locked it or cwnd is full (tcp_should_expand_sndbuf()).
     */
    void newSpace(Tcb tcb, Sysctls sysctls) {
        int current = sndBuf(tcb, sysctls);
        if (tcb.socket != null && tcb.socket.options().sndBuf > 0) {
            return;
        }
        int mss = TcpSender.sendMss(tcb);
        int inFlight = (Recovery.pipe(tcb, mss) + mss - 1) / mss;
        if (inFlight >= tcb.cwnd) {
            return;
        }
        int expanded = expandedSize(tcb, sysctls, tcb.cwnd);
        if (expanded > current) {
            autoSndBuf = expanded;
        }
    }

    /** tcp_notsent_lowat(): TCP_NOTSENT_LOWAT when set, else net.ipv4.tcp_notsent_lowat (UINT_MAX: off). */
    private static long lowat(Tcb tcb, Sysctls sysctls) {
        long own = tcb.socket == null ? 0 : tcb.socket.options().notsentLowat;
        return own > 0 ? own : sysctls.get(Sysctls.TCP_NOTSENT_LOWAT);
    }

    static long notSent(Tcb tcb) {
        int writeSeq = writeSeq(tcb);
        return Seq.after(writeSeq, tcb.sndNxt) ? writeSeq - tcb.sndNxt : 0;
    }

    /** sk_stream_memory_free(): may tcp_sendmsg_locked() start a new skb? */
    boolean memoryFree(Tcb tcb, Sysctls sysctls) {
        return wmemQueued(tcb) < sndBuf(tcb, sysctls) && notSent(tcb) < lowat(tcb, sysctls);
    }

    /** __sk_stream_is_writeable(sk, 1): what tcp_poll() reports as POLLOUT and sk_stream_write_space() wakes for. */
    public boolean writeable(Tcb tcb, Sysctls sysctls) {
        long queued = wmemQueued(tcb);
        return sndBuf(tcb, sysctls) - queued >= (queued >> 1) && (notSent(tcb) << 1) < lowat(tcb, sysctls);
    }
}
