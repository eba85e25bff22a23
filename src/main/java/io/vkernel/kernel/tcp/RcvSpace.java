package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.wire.Segment;

import java.util.HashMap;

/**
 * Linux's receive memory and the window it backs (net/ipv4/tcp_input.c, tcp_output.c, include/net/tcp.h, 6.18):
 * every queued skb is charged its truesize to sk_rmem_alloc (skb_set_owner_r()); the window is
 * tcp_win_from_space() of the free part of sk_rcvbuf, with the per-connection scaling_ratio that
 * tcp_measure_rcv_mss() learns as skb->len / skb->truesize; rcv_ssthresh limits it and grows with
 * tcp_grow_window(), window_clamp caps it, and tcp_select_window() never shrinks what was offered
 * (unless net.ipv4.tcp_shrink_window and a window scale). The skbs are those packetdrill's tun device builds
 * ({@link #truesize}).
 */
final class RcvSpace {

    /** TCP_RMEM_TO_WIN_SCALE. */
    static final int RMEM_TO_WIN_SCALE = 8;
    /** TCP_DEFAULT_SCALING_RATIO: half of the buffer backs the window until a packet says otherwise. */
    static final int DEFAULT_SCALING_RATIO = 1 << (RMEM_TO_WIN_SCALE - 1);
    /** TCP_INIT_CWND, for rcvq_space.space (tcp_init_buffer_space()). */
    private static final int INIT_CWND = 10;

    // x86-64 sizes: SKB_DATA_ALIGN(sizeof(struct sk_buff)), SKB_DATA_ALIGN(sizeof(struct skb_shared_info)),
    // NET_SKB_PAD (tun's align), SKB_SMALL_HEAD_CACHE_SIZE (SKB_HEAD_ALIGN(MAX_TCP_HEADER)), PAGE_SIZE
    private static final int SKB_STRUCT = 256;
    private static final int SHINFO = 320;
    private static final int NET_SKB_PAD = 64;
    private static final int SMALL_HEAD = 640;
    private static final int PAGE = 4096;

    /**
     * sk_rmem_alloc of the in-order queue: each skb's end offset (in bytes ever queued) and truesize, oldest first,
     * in a ring of two primitive arrays (a power of two long, made on the first charge) so charging a segment
     * allocates nothing.
     */
    private long[] skbEnd;
    private int[] skbTruesize;
    private int skbHead;
    private int skbCount;
    private long queuedEnd;
    private int queuedAlloc;
    /** Truesize of each held out-of-order segment, by its first sequence number. */
    private final HashMap<Integer, Integer> ofo = new HashMap<>();
    private int ofoAlloc;

    boolean initialized;
    /** The SYN or SYN-ACK's window, tp->rcv_wnd before the handshake ends. */
    int synWindow = -1;
    int scalingRatio = DEFAULT_SCALING_RATIO;
    int rcvSsthresh;
    int windowClamp;
    /** tp->rcv_wnd and tp->rcv_wup: the window last advertised and RCV.NXT when it was. */
    int rcvWnd;
    int rcvWup;
    /** tp->rcvq_space: the autotuning estimate, and where (bytes read) and when its measure started. */
    int rcvqSpace;
    long rcvqSeq;
    long rcvqTimeMs;
    /** ICSK_ACK_NOMEM: a segment was forced in past sk_rcvbuf; the next ACK advertises a zero window. */
    boolean nomem;

    /**
     * The truesize of an skb packetdrill injects through its tun device (IFF_TUN|IFF_VNET_HDR): tun_get_user()
     * copies a packet of up to a page (with NET_SKB_PAD) into a kmalloc'ed head (tun_alloc_skb()), a larger one
     * into a head of SKB_MAX_HEAD(NET_SKB_PAD) bytes plus order-0 pages (alloc_skb_with_frags() charges each whole
     * page); the head costs its kmalloc size plus struct sk_buff (SKB_TRUESIZE(), kmalloc_reserve()).
     */
    static int truesize(int ipLength) {
        if (NET_SKB_PAD + ipLength < PAGE) {
            return kmallocHead(NET_SKB_PAD + ipLength) + SKB_STRUCT;
        }
        int linear = PAGE - NET_SKB_PAD - SHINFO; // SKB_MAX_HEAD(NET_SKB_PAD): good_linear
        int pages = (ipLength - linear + PAGE - 1) / PAGE;
        return kmallocHead(NET_SKB_PAD + linear) + SKB_STRUCT + pages * PAGE;
    }

    static int truesize(Segment segment) {
        int tcpHeader = 20 + ((segment.options() == null ? 0 : segment.options().length()) + 3 & ~3);
        return truesize(20 + tcpHeader + segment.payload().length);
    }

    private static final int[] KMALLOC_CACHES = {1024, 2048, 4096, 8192};

    /** kmalloc_reserve(): SKB_HEAD_ALIGN(size), from the small-head cache or rounded up to a kmalloc size. */
    private static int kmallocHead(int size) {
        int object = (size + 63 & ~63) + SHINFO;
        if (object <= SMALL_HEAD) {
            return SMALL_HEAD;
        }
        for (int cache : KMALLOC_CACHES) {
            if (object <= cache) {
                return cache;
            }
        }
        return Integer.highestOneBit(object - 1) << 1;
    }

    /** tcp_win_from_space() with the connection's scaling_ratio. */
    static int winFromSpace(Tcb tcb, long space) {
        return (int) (space * tcb.rcvSpace.scalingRatio >> RMEM_TO_WIN_SCALE);
    }

    /** tcp_space_from_win(). */
    static long spaceFromWin(Tcb tcb, long win) {
        return (win << RMEM_TO_WIN_SCALE) / tcb.rcvSpace.scalingRatio;
    }

    /** sk_rmem_alloc: the truesize of every skb still queued, in order or not. */
    static int rmemAlloc(Tcb tcb) {
        RcvSpace s = tcb.rcvSpace;
        long read = s.queuedEnd - tcb.receiveQueue.size();
        while (s.skbCount > 0 && s.skbEnd[s.skbHead] <= read) {
            s.queuedAlloc -= s.skbTruesize[s.skbHead]; // tcp_eat_recv_skb(): freed once wholly read
            s.skbHead = s.skbHead + 1 & s.skbEnd.length - 1;
            s.skbCount--;
        }
        if (tcb.receiveQueue.size() == 0) {
            s.queuedAlloc = 0;
            s.clearSkbs();
        }
        if (!tcb.hasOfo() && s.ofoAlloc != 0) {
            s.ofo.clear();
            s.ofoAlloc = 0;
        }
        return s.queuedAlloc + s.ofoAlloc;
    }

    /** skb_set_owner_r() for bytes just appended to the receive queue. */
    static void chargeQueued(Tcb tcb, int bytes, int truesize) {
        RcvSpace s = tcb.rcvSpace;
        rmemAlloc(tcb);
        s.queuedEnd += bytes;
        s.addSkb(s.queuedEnd, truesize);
        s.queuedAlloc += truesize;
    }

    private void clearSkbs() {
        skbHead = 0;
        skbCount = 0;
    }

    private void addSkb(long end, int truesize) {
        if (skbEnd == null || skbCount == skbEnd.length) {
            int capacity = skbEnd == null ? 8 : skbEnd.length * 2;
            long[] ends = new long[capacity];
            int[] sizes = new int[capacity];
            for (int i = 0; i < skbCount; i++) {
                int at = skbHead + i & skbEnd.length - 1;
                ends[i] = skbEnd[at];
                sizes[i] = skbTruesize[at];
            }
            skbEnd = ends;
            skbTruesize = sizes;
            skbHead = 0;
        }
        int at = skbHead + skbCount & skbEnd.length - 1;
        skbEnd[at] = end;
        skbTruesize[at] = truesize;
        skbCount++;
    }

    /** A held segment at {@code seq} is now charged {@code truesize} (replacing one held at the same place). */
    static void chargeOfo(Tcb tcb, int seq, int truesize) {
        RcvSpace s = tcb.rcvSpace;
        Integer old = s.ofo.put(seq, truesize);
        s.ofoAlloc += truesize - (old == null ? 0 : old);
    }

    /** A held segment leaves the out-of-order queue: its charge moves to the receive queue, or is freed. */
    static int unchargeOfo(Tcb tcb, int seq) {
        RcvSpace s = tcb.rcvSpace;
        Integer old = s.ofo.remove(seq);
        if (old == null) {
            return 0;
        }
        s.ofoAlloc -= old;
        return old;
    }

    /** tcp_can_ingest(): sk_rmem_alloc + skb->len fits sk_rcvbuf (6.16+). */
    static boolean canIngest(Tcb tcb, int length) {
        return (long) rmemAlloc(tcb) + length <= tcb.rcvBufLimit;
    }

    /**
     * tcp_try_rmem_schedule() -> tcp_prune_queue(): when a segment does not fit, the queued data is copied into
     * compact skbs of up to SKB_MAX_ORDER(0, 0) = 3776 bytes each (tcp_collapse(), tcp_collapse_ofo_queue()) where
     * that costs less than the skbs it came in; then the segment is tried again.
     */
    static boolean tryRmemSchedule(Tcb tcb, int length) {
        if (canIngest(tcb, length)) {
            return true;
        }
        RcvSpace s = tcb.rcvSpace;
        int unread = tcb.receiveQueue.size();
        if (unread > 0) {
            int compact = 0;
            for (int left = unread; left > 0; left -= COLLAPSE_CHUNK) {
                compact += kmallocHead(Math.min(left, COLLAPSE_CHUNK)) + SKB_STRUCT;
            }
            if (compact < s.queuedAlloc) {
                long read = s.queuedEnd - unread;
                s.clearSkbs();
                s.queuedAlloc = 0;
                for (long end = read; end < s.queuedEnd; ) {
                    int chunk = (int) Math.min(COLLAPSE_CHUNK, s.queuedEnd - end);
                    end += chunk;
                    int truesize = kmallocHead(chunk) + SKB_STRUCT;
                    s.addSkb(end, truesize);
                    s.queuedAlloc += truesize;
                }
            }
        }
        if (tcb.hasOfo()) {
            for (var held : tcb.ofo().entrySet()) {
                Integer charged = s.ofo.get(held.getKey());
                int compact = (int) (((long) held.getValue().length * (PAGE + SKB_STRUCT) + COLLAPSE_CHUNK - 1) / COLLAPSE_CHUNK);
                if (charged != null && compact < charged) {
                    s.ofo.put(held.getKey(), compact);
                    s.ofoAlloc -= charged - compact;
                }
            }
        }
        return canIngest(tcb, length);
    }

    /** SKB_MAX_ORDER(0, 0): what tcp_collapse() copies into one skb. */
    private static final int COLLAPSE_CHUNK = PAGE - SHINFO;

    /** tcp_space(): the window the free part of the buffer backs (may be negative). */
    static int space(Tcb tcb) {
        return winFromSpace(tcb, (long) tcb.rcvBufLimit - rmemAlloc(tcb));
    }

    /** tcp_full_space(). */
    static int fullSpace(Tcb tcb) {
        return winFromSpace(tcb, tcb.rcvBufLimit);
    }

    /**
     * tcp_init_buffer_space() at the end of the handshake (tcp_init_transfer()): window_clamp at most the full
     * space less one segment (tcp_app_win 31), rcv_ssthresh within it, rcvq_space from the initial window.
     */
    static void ensure(Tcb tcb) {
        RcvSpace s = tcb.rcvSpace;
        if (s.initialized || tcb.state == TcpState.SYN_SENT || tcb.state == TcpState.LISTEN) {
            return;
        }
        s.initialized = true;
        int window = s.synWindow >= 0 ? s.synWindow : Math.min(65535, tcb.initialWindow());
        s.rcvWnd = window;
        s.rcvWup = tcb.irs + 1;
        s.rcvSsthresh = window;
        int wscale = tcb.wscaleOk ? tcb.rcvWscale : 0;
        long clamp = 65535L << wscale;
        if (tcb.rcvBufLocked) {
            clamp = Math.min(clamp, fullSpace(tcb)); // tcp_openreq_init_rwin(): a locked buffer clamps the window
        }
        int maxwin = fullSpace(tcb);
        int advmss = tcb.advMss;
        if (clamp >= maxwin) {
            clamp = maxwin;
        }
        if (clamp > 2L * advmss && clamp + advmss > maxwin) {
            clamp = Math.max(2L * advmss, maxwin - advmss); // "Force reservation of one segment."
        }
        s.windowClamp = (int) clamp;
        s.rcvSsthresh = Math.min(s.rcvSsthresh, s.windowClamp);
        s.rcvqSpace = Math.min(Math.min(s.rcvSsthresh, s.rcvWnd), INIT_CWND * advmss);
    }

    /** tcp_set_window_clamp(): rcv_ssthresh follows the clamp down, or up to the current window. */
    private static void setWindowClamp(Tcb tcb, int value) {
        RcvSpace s = tcb.rcvSpace;
        int old = s.windowClamp;
        s.windowClamp = value;
        int newSsthresh = Math.min(s.rcvWnd, value);
        s.rcvSsthresh = value < old ? Math.min(s.rcvSsthresh, newSsthresh) : Math.max(newSsthresh, s.rcvSsthresh);
    }

    /** TCP_MIN_MSS: the smallest first guess of the peer's MSS. */
    static final int MIN_RCV_MSS = 88;

    /**
     * tcp_initialize_rcv_mss(), when the handshake's SYN has been answered (tcp_rcv_synsent_state_process(),
     * tcp_v4_syn_recv_sock()): the first guess of the peer's segment size is the smaller of advmss and mss_cache,
     * at most half the offered window and TCP_MSS_DEFAULT, at least TCP_MIN_MSS.
     */
    static void initRcvMss(Tcb tcb) {
        int window = Math.min(65535, tcb.initialWindow()); // rcv_wnd as tcp_select_initial_window() offered it
        int hint = Math.min(tcb.advMss(), TcpInfo.sndMss(tcb));
        hint = Math.min(Math.min(hint, window / 2), TcpEngine.DEFAULT_MSS);
        tcb.rcvMss = Math.max(hint, MIN_RCV_MSS);
    }

    /**
     * tcp_measure_rcv_mss(): a segment at least rcv_mss long (its GSO size when it came as one) re-learns
     * scaling_ratio = skb->len / skb->truesize when its size differs, and the clamp follows the new ratio.
     */
    static void measure(Tcb tcb, Segment segment, int truesize, int gsoSize) {
        RcvSpace s = tcb.rcvSpace;
        int skbLen = segment.payload().length;
        int len = gsoSize > 0 && skbLen > gsoSize ? gsoSize : skbLen;
        if (len >= tcb.rcvMss) {
            if (len != tcb.rcvMss) {
                int ratio = (int) (((long) skbLen << RMEM_TO_WIN_SCALE) / truesize);
                int old = s.scalingRatio;
                s.scalingRatio = Math.max(1, Math.min(255, ratio));
                if (old != s.scalingRatio) {
                    setWindowClamp(tcb, fullSpace(tcb));
                    if (s.windowClamp < s.rcvqSpace) {
                        s.rcvqSpace = s.windowClamp;
                    }
                }
            }
            tcb.rcvMss = Math.min(len, tcb.advMss);
        }
    }

    /**
     * tcp_grow_window(): while the buffer could back more, rcv_ssthresh grows by twice the segment (at least
     * 2 * advmss) when the segment's truesize is no worse than the ratio, else as __tcp_grow_window() finds room.
     */
    static void growWindow(Tcb tcb, int length, int truesize) {
        RcvSpace s = tcb.rcvSpace;
        int room = Math.min(s.windowClamp, space(tcb)) - s.rcvSsthresh;
        if (room <= 0) {
            return;
        }
        int incr;
        if (winFromSpace(tcb, truesize) <= length) {
            incr = 2 * tcb.advMss;
        } else {
            incr = growWindowSlow(tcb, length, truesize);
        }
        if (incr > 0) {
            incr = Math.max(incr, 2 * length);
            s.rcvSsthresh += Math.min(room, incr);
        }
    }

    /** __tcp_grow_window(): halve truesize and window until the skb fits the ssthresh. */
    private static int growWindowSlow(Tcb tcb, int length, int truesize) {
        int ts = winFromSpace(tcb, truesize) >> 1;
        int window = winFromSpace(tcb, tcb.rcvBufLimit) >> 1;
        while (tcb.rcvSpace.rcvSsthresh <= window) {
            if (ts <= length) {
                return 2 * tcb.rcvMss;
            }
            ts >>= 1;
            window >>= 1;
        }
        return 0;
    }

    /**
     * tcp_rcvbuf_grow() from tcp_data_queue_ofo(): an accepted socket's buffer grows to back twice rcvq_space plus
     * the span of held data (not a socket still in the accept queue, nor one with SO_RCVBUF set).
     */
    static void rcvbufGrow(Tcb tcb, Sysctls sysctls, int ofoEndSeq) {
        if (tcb.socket == null) {
            return;
        }
        rcvbufGrow(tcb, sysctls, ofoEndSeq, tcb.rcvSpace.rcvqSpace);
    }

    /**
     * tcp_rcv_space_adjust() after a read (receive autotuning, dynamic right-sizing): once per receiver RTT, when
     * the application read more than rcvq_space in it, the buffer grows to back twice that, more in slow start.
     */
    static void spaceAdjust(Tcb tcb, Sysctls sysctls, long nowMs) {
        RcvSpace s = tcb.rcvSpace;
        if (!s.initialized || tcb.rcvRttUs8 == 0) {
            return;
        }
        if ((nowMs - s.rcvqTimeMs) * 1000 < tcb.rcvRttUs8 >> 3) {
            return;
        }
        long copiedSeq = s.queuedEnd - tcb.receiveQueue.size();
        long copied = copiedSeq - s.rcvqSeq - tcb.receiveQueue.size(); // less what still waits (inq)
        if (copied > s.rcvqSpace) {
            rcvbufGrow(tcb, sysctls, 0, (int) Math.min(copied, Integer.MAX_VALUE));
        }
        s.rcvqSeq = copiedSeq;
        s.rcvqTimeMs = nowMs;
    }

    /** tcp_rcvbuf_grow(sk, newval). */
    private static void rcvbufGrow(Tcb tcb, Sysctls sysctls, int ofoEndSeq, int newval) {
        RcvSpace s = tcb.rcvSpace;
        int oldval = s.rcvqSpace;
        s.rcvqSpace = newval;
        if (tcb.rcvBufLocked) {
            return;
        }
        long rcvwin = (long) newval << 1;
        if (oldval > 0) {
            long grow = rcvwin * (newval - oldval) / oldval; // slow start: let the sender double its rate
            rcvwin += grow << 1;
        }
        if (tcb.hasOfo()) {
            rcvwin += Integer.toUnsignedLong(ofoEndSeq - tcb.rcvNxt);
        }
        long cap = sysctls.get(Sysctls.TCP_RMEM_MAX);
        long rcvbuf = Math.min(spaceFromWin(tcb, rcvwin), cap);
        if (rcvbuf > tcb.rcvBufLimit) {
            tcb.rcvBufLimit = (int) rcvbuf;
            s.windowClamp = winFromSpace(tcb, rcvbuf);
        }
    }

    /** tcp_receive_window(): what is left of the window last advertised. */
    static int receiveWindow(Tcb tcb) {
        ensure(tcb);
        RcvSpace s = tcb.rcvSpace;
        if (!s.initialized) {
            return Math.min(65535, tcb.initialWindow());
        }
        int win = s.rcvWup + s.rcvWnd - tcb.rcvNxt;
        return Math.max(0, win);
    }

    /** __tcp_select_window(): the window the buffer backs now, in bytes, before the never-shrink rule. */
    static int freeWindow(Tcb tcb, Sysctls sysctls, boolean sideEffects) {
        ensure(tcb);
        RcvSpace s = tcb.rcvSpace;
        int mss = tcb.rcvMss;
        int freeSpace = space(tcb);
        int allowed = fullSpace(tcb);
        int full = Math.min(s.windowClamp, allowed);
        int wscale = tcb.wscaleOk ? tcb.rcvWscale : 0;
        if (mss > full) {
            mss = full;
            if (mss <= 0) {
                return 0;
            }
        }
        if (sysctls.get(Sysctls.TCP_SHRINK_WINDOW) != 0 && wscale > 0) {
            freeSpace = freeSpace >> wscale << wscale;
            if (freeSpace < full >> 1) {
                if (sideEffects) {
                    tcb.quickAcks = 0; // icsk_ack.quick = 0
                }
                if (freeSpace < allowed >> 4 || freeSpace < mss || freeSpace < 1 << wscale) {
                    return 0;
                }
            }
            if (freeSpace > s.rcvSsthresh) {
                freeSpace = align(s.rcvSsthresh, wscale);
            }
            return freeSpace;
        }
        if (freeSpace < full >> 1) {
            if (sideEffects) {
                tcb.quickAcks = 0; // icsk_ack.quick = 0
            }
            freeSpace = freeSpace < 0 ? freeSpace : freeSpace >> wscale << wscale;
            if (freeSpace < allowed >> 4 || freeSpace < mss) {
                return 0;
            }
        }
        if (freeSpace > s.rcvSsthresh) {
            freeSpace = s.rcvSsthresh;
        }
        if (wscale > 0) {
            return align(freeSpace, wscale);
        }
        int window = s.rcvWnd;
        if (window <= freeSpace - mss || window > freeSpace) {
            window = freeSpace / mss * mss;
        } else if (mss == full && freeSpace > window + (full >> 1)) {
            window = freeSpace;
        }
        return window;
    }

    private static int align(int value, int wscale) {
        int unit = 1 << wscale;
        return (int) (((long) value + unit - 1) / unit * unit);
    }

    /**
     * tcp_select_window() for a segment being sent: zero after a forced segment (ICSK_ACK_NOMEM), never less
     * than what is left of the last offer unless shrinking is allowed; the result becomes rcv_wnd at rcv_nxt.
     */
    static int select(Tcb tcb, Sysctls sysctls) {
        ensure(tcb);
        RcvSpace s = tcb.rcvSpace;
        if (!s.initialized) {
            return Math.min(65535, tcb.initialWindow());
        }
        int wscale = tcb.wscaleOk ? tcb.rcvWscale : 0;
        if (s.nomem) {
            s.nomem = false;
            s.rcvWnd = 0;
            s.rcvWup = tcb.rcvNxt;
            return 0;
        }
        int curWin = receiveWindow(tcb);
        int newWin = freeWindow(tcb, sysctls, true);
        if (newWin < curWin && (sysctls.get(Sysctls.TCP_SHRINK_WINDOW) == 0 || wscale == 0)) {
            newWin = align(curWin, wscale); // never shrink the offered window
        }
        s.rcvWnd = newWin;
        s.rcvWup = tcb.rcvNxt;
        return (int) Math.min(newWin, 65535L << wscale);
    }

    /**
     * tcp_cleanup_rbuf() after a read: an ACK goes out when the window the buffer now backs is at least twice
     * what is left of the last offer (and that offer was at most half the clamp).
     */
    static boolean windowUpdateAfterRead(Tcb tcb, Sysctls sysctls) {
        ensure(tcb);
        RcvSpace s = tcb.rcvSpace;
        if (!s.initialized) {
            return false;
        }
        int now = receiveWindow(tcb);
        if (2L * now > s.windowClamp) {
            return false;
        }
        int newWindow = freeWindow(tcb, sysctls, false);
        return newWindow != 0 && newWindow >= 2L * now;
    }
}
