package io.vkernel.kernel.socket;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A socket's error queue (sk->sk_error_queue) and the MSG_ZEROCOPY state that feeds it: the notification counter
 * (sk->sk_zckey) and the ubuf_info_msgzc of each zero-copy send() whose bytes are not yet all acknowledged.
 * Created with the first zero-copy send, so an ordinary socket carries nothing.
 *
 * <p>Linux (net/core/skbuff.c): every send(MSG_ZEROCOPY) of at least one byte on a socket with SO_ZEROCOPY gets a
 * notification id, the next value of sk_zckey (msg_zerocopy_alloc()), or extends the id range of the previous send
 * when that send's bytes still sit unsent at the tail of the write queue and no other id came between
 * (msg_zerocopy_realloc(): len++, at most 512 KB in all). When the last skb holding the range is freed (its bytes
 * acknowledged), __msg_zerocopy_callback() queues a notification {ee_origin=SO_EE_ORIGIN_ZEROCOPY, ee_info=lo,
 * ee_data=hi}, or widens the notification at the queue's tail when the new range follows it
 * (skb_zerocopy_notify_extend()), and wakes the socket with EPOLLERR (sk_error_report()). recvmsg(MSG_ERRQUEUE)
 * dequeues one notification (ip_recv_error(), sock_dequeue_err_skb()); with none it answers EAGAIN.
 */
public final class ErrorQueue {

    /** SO_EE_ORIGIN_ZEROCOPY (include/uapi/linux/errqueue.h). */
    public static final int SO_EE_ORIGIN_ZEROCOPY = 5;
    /** SO_EE_CODE_ZEROCOPY_COPIED: the kernel copied the pages after all. */
    public static final int SO_EE_CODE_ZEROCOPY_COPIED = 1;
    /** msg_zerocopy_realloc()'s byte_limit: one id range covers at most this many bytes ("a few TSO"). */
    static final long BYTE_LIMIT = 1 << 19;
    /** USHRT_MAX - 1: the most sends one id range holds. */
    static final int MAX_LEN = 0xffff - 1;
    /**
     * The most notifications the queue holds: Linux charges each to sk_rmem_alloc and drops the next one past
     * sk_rcvbuf (sock_queue_err_skb() -> -ENOMEM); an application that never reads its error queue cannot grow it.
     */
    public static final int MAX_QUEUED = 1024;

    /** SO_EE_ORIGIN_TIMESTAMPING: a transmit timestamp (ee_info says which: SCM_TSTAMP_SND, _SCHED or _ACK). */
    public static final int SO_EE_ORIGIN_TIMESTAMPING = 4;
    /** SCM_TSTAMP_SND, SCM_TSTAMP_SCHED, SCM_TSTAMP_ACK (include/uapi/linux/errqueue.h). */
    public static final int SCM_TSTAMP_SND = 0, SCM_TSTAMP_SCHED = 1, SCM_TSTAMP_ACK = 2;
    /** ENOMSG: the ee_errno of every timestamp notification. */
    static final int ENOMSG = 42;
    /** SOF_TIMESTAMPING_* bits (include/uapi/linux/net_tstamp.h) that steer transmit timestamps. */
    public static final int SOF_TX_SOFTWARE = 0x2, SOF_SOFTWARE = 0x10, SOF_OPT_ID = 0x80, SOF_TX_SCHED = 0x100, SOF_TX_ACK = 0x200,
            SOF_OPT_TSONLY = 0x800, SOF_OPT_ID_TCP = 0x10000;
    /** SOF_TIMESTAMPING_TX_RECORD_MASK: the bits that ask for a transmit timestamp at all. */
    public static final int SOF_TX_RECORD_MASK = 0x1 | SOF_TX_SOFTWARE | SOF_TX_SCHED | SOF_TX_ACK;

    /**
     * struct sock_extended_err as recvmsg(MSG_ERRQUEUE) returns it in its IP_RECVERR control message; a timestamp
     * notification also carries its SCM_TIMESTAMPING software time ({@code timestampNs}, -1 when there is none).
     */
    public record ExtendedErr(int eeErrno, int origin, int type, int code, long info, long data, long timestampNs) {

        public ExtendedErr(int eeErrno, int origin, int type, int code, long info, long data) {
            this(eeErrno, origin, type, code, info, data, -1);
        }

        /** The strace rendering of the control message's data. */
        public String describe() {
            return "{ee_errno=" + (eeErrno == ENOMSG ? "ENOMSG" : eeErrno) + ", ee_origin=" + (origin == SO_EE_ORIGIN_ZEROCOPY
                    ? "SO_EE_ORIGIN_ZEROCOPY" : origin == SO_EE_ORIGIN_TIMESTAMPING ? "SO_EE_ORIGIN_TIMESTAMPING" : origin)
                    + ", ee_type=" + type + ", ee_code=" + (origin == SO_EE_ORIGIN_ZEROCOPY && code == SO_EE_CODE_ZEROCOPY_COPIED
                    ? "SO_EE_CODE_ZEROCOPY_COPIED" : code) + ", ee_pad=0, ee_info=" + info + ", ee_data=" + data
                    + ", offender={sa_family=AF_UNSPEC}}";
        }
    }

    /** One ubuf_info_msgzc: ids [id, id + len - 1], the sequence number after its last byte, and its holders. */
    public static final class Uarg {
        final long id;
        int len = 1;
        long bytelen;
        int endSeq;
        /** The send() calls still running with this uarg (each holds a reference until it returns). */
        int calls = 1;
        /** Whether the data was copied on its way out (uarg->zerocopy cleared); always so through vkernel's NIC. */
        boolean copied = true;
        /** Its skbs were freed unacknowledged (tcp_write_queue_purge()): it completes once its calls return. */
        boolean purged;

        Uarg(long id, long bytelen, int endSeq) {
            this.id = id;
            this.bytelen = bytelen;
            this.endSeq = endSeq;
        }
    }

    /** One write's transmit-timestamp request: the sequence number of its last byte (shinfo->tskey) and the flags then. */
    private static final class TxStamp {
        final int keySeq;
        final int flags;
        boolean sent;

        TxStamp(int keySeq, int flags) {
            this.keySeq = keySeq;
            this.flags = flags;
        }
    }

    private final ArrayDeque<ExtendedErr> queue = new ArrayDeque<>();
    private final List<TxStamp> stamps = new ArrayList<>();
    /** sk_tsflags (SO_TIMESTAMPING) and sk_tskey, the sequence number OPT_ID keys count from. */
    private int tsflags;
    private int tskey;
    private final List<Uarg> pending = new ArrayList<>();
    /** sk->sk_zckey: the next notification id. */
    private long zckey;
    /** The uarg of the last zero-copy send: its bytes may be the write queue's unsent tail (skb_zcopy(tail)). */
    private Uarg tail;

    public boolean isEmpty() {
        return queue.isEmpty();
    }

    public int size() {
        return queue.size();
    }

    public List<ExtendedErr> messages() {
        return List.copyOf(queue);
    }

    /** sock_dequeue_err_skb(): the oldest notification, or null when the queue is empty. */
    public ExtendedErr dequeue() {
        return queue.pollFirst();
    }

    /**
     * A zero-copy send() is about to queue {@code size} bytes after sequence {@code writeEnd} (the end of the send
     * buffer) with {@code sndNxt} the next byte to go out: msg_zerocopy_realloc() with the write queue's tail skb.
     */
    public Uarg startZeroCopy(long size, int writeEnd, int sndNxt) {
        Uarg last = tail;
        boolean tailUnsent = last != null && last.endSeq == writeEnd && writeEnd - sndNxt > 0;
        if (tailUnsent && last.len < MAX_LEN && last.bytelen + size <= BYTE_LIMIT && last.id + last.len == zckey) {
            last.len++;
            last.bytelen += size;
            last.calls++;
            zckey++;
            return last;
        }
        Uarg uarg = new Uarg(zckey++, size, writeEnd);
        pending.add(uarg);
        tail = uarg;
        return uarg;
    }

    /** The send queued bytes up to {@code end}. */
    public void queued(Uarg uarg, int end) {
        uarg.endSeq = end;
    }

    /**
     * The send() returned. {@code queuedAny} false: it queued nothing, so its id is given back
     * (msg_zerocopy_put_abort(): sk_zckey--, len--), and a range left empty never notifies.
     */
    public boolean finish(Uarg uarg, boolean queuedAny) {
        uarg.calls--;
        if (!queuedAny) {
            zckey--;
            uarg.len--;
            if (uarg.len == 0) {
                pending.remove(uarg);
                if (tail == uarg) {
                    tail = null;
                }
            }
        }
        if (uarg.purged && uarg.calls == 0 && pending.remove(uarg)) {
            notify(uarg); // the last reference of a range whose skbs are gone: the callback runs now
            return true;
        }
        return false;
    }

    /**
     * tcp_write_queue_purge() (tcp_reset(), tcp_done_with_error(), tcp_disconnect()): the unacknowledged skbs are
     * freed, dropping their references, so each range no send() still holds completes at once (skb_release_data() ->
     * skb_zcopy_clear() -> __msg_zerocopy_callback()); one still held completes when that call returns. Answers
     * whether a notification was queued.
     */
    public boolean purged() {
        tail = null;
        boolean notified = false;
        for (var it = pending.iterator(); it.hasNext(); ) {
            Uarg uarg = it.next();
            uarg.purged = true;
            if (uarg.calls == 0) {
                it.remove();
                notify(uarg);
                notified = true;
            }
        }
        return notified;
    }

    /** SND.UNA moved to {@code sndUna}: each range whose bytes are all acknowledged and whose sends returned notifies. */
    public boolean acked(int sndUna) {
        boolean notified = false;
        for (var it = pending.iterator(); it.hasNext(); ) {
            Uarg uarg = it.next();
            if (uarg.calls == 0 && sndUna - uarg.endSeq >= 0) {
                it.remove();
                if (tail == uarg) {
                    tail = null;
                }
                notify(uarg);
                notified = true;
            }
        }
        return notified;
    }

    /** __msg_zerocopy_callback() and skb_zerocopy_notify_extend(). */
    private void notify(Uarg uarg) {
        long lo = uarg.id;
        long hi = uarg.id + uarg.len - 1;
        ExtendedErr last = queue.peekLast();
        if (last != null && last.origin() == SO_EE_ORIGIN_ZEROCOPY && lo == last.data() + 1
                && last.data() - last.info() + 1 + uarg.len < (1L << 32)) {
            queue.pollLast();
            queue.addLast(new ExtendedErr(last.eeErrno(), last.origin(), last.type(), last.code(), last.info(), last.data() + uarg.len, -1));
            return;
        }
        enqueue(new ExtendedErr(0, SO_EE_ORIGIN_ZEROCOPY, 0, uarg.copied ? SO_EE_CODE_ZEROCOPY_COPIED : 0, lo & 0xffffffffL,
                hi & 0xffffffffL));
    }

    /** sock_queue_err_skb(): queued unless the queue is full, then the notification is dropped. */
    private boolean enqueue(ExtendedErr err) {
        if (queue.size() >= MAX_QUEUED) {
            return false;
        }
        queue.addLast(err);
        return true;
    }

    // ---------------------------------------------------------------- SO_TIMESTAMPING (transmit side)

    public int tsflags() {
        return tsflags;
    }

    /**
     * sock_set_timestamping(): the new flags; turning OPT_ID on starts the keys at SND.UNA (at the next byte to write
     * with OPT_ID_TCP). The caller checked the bits and the state.
     */
    public void timestamping(int flags, int sndUna, int writeSeq) {
        if ((flags & SOF_OPT_ID) != 0 && (tsflags & SOF_OPT_ID) == 0) {
            tskey = (flags & SOF_OPT_ID_TCP) != 0 ? writeSeq : sndUna;
        }
        tsflags = flags;
    }

    /**
     * tcp_tx_timestamp(): a write that copied bytes up to {@code endSeq} asks for timestamps of its last byte. At most
     * {@link #MAX_QUEUED} requests wait at once (Linux keeps one key per skb, so the send buffer bounds them).
     */
    public void requestTx(int endSeq) {
        if ((tsflags & SOF_TX_RECORD_MASK) == 0) {
            return;
        }
        if (stamps.size() < MAX_QUEUED) {
            stamps.add(new TxStamp(endSeq - 1, tsflags));
        }
    }

    public boolean wantsTxStamps() {
        return !stamps.isEmpty();
    }

    /**
     * A segment [seq, seq + len) left: its key bytes get SCM_TSTAMP_SCHED (at the qdisc, __dev_queue_xmit()) and
     * SCM_TSTAMP_SND (the driver's skb_tx_timestamp()), both now on vkernel's NIC. Returns true when any was queued.
     */
    public boolean transmitted(int seq, int len, long nowNs) {
        boolean queued = false;
        for (TxStamp stamp : stamps) {
            if (!stamp.sent && stamp.keySeq - seq >= 0 && stamp.keySeq - (seq + len) < 0) {
                stamp.sent = true;
                if ((stamp.flags & SOF_TX_SCHED) != 0) {
                    queued |= enqueue(stampMessage(stamp, SCM_TSTAMP_SCHED, nowNs));
                }
                if ((stamp.flags & SOF_TX_SOFTWARE) != 0) {
                    queued |= enqueue(stampMessage(stamp, SCM_TSTAMP_SND, nowNs));
                }
            }
        }
        return queued;
    }

    /**
     * What an ACK that moved SND.UNA frees, in the order tcp_clean_rtx_queue() meets it: skb after skb,
     * tcp_ack_tstamp() on it, then freeing it, which completes a zero-copy range whose last byte it held. So a write's
     * SCM_TSTAMP_ACK comes before the range that ends with the same byte, and after ranges that ended earlier.
     */
    public boolean ackedThrough(int sndUna, long nowNs) {
        boolean queued = false;
        while (true) {
            TxStamp stamp = null;
            for (TxStamp each : stamps) {
                if (sndUna - each.keySeq > 0) {
                    stamp = each;
                    break;
                }
            }
            Uarg uarg = null;
            for (Uarg each : pending) {
                if (each.calls == 0 && sndUna - each.endSeq >= 0) {
                    uarg = each;
                    break;
                }
            }
            if (stamp == null && uarg == null) {
                return queued;
            }
            if (uarg == null || (stamp != null && stamp.keySeq - (uarg.endSeq - 1) <= 0)) {
                stamps.remove(stamp);
                if ((stamp.flags & SOF_TX_ACK) != 0) {
                    queued |= enqueue(stampMessage(stamp, SCM_TSTAMP_ACK, nowNs));
                }
            } else {
                pending.remove(uarg);
                if (tail == uarg) {
                    tail = null;
                }
                notify(uarg);
                queued = true;
            }
        }
    }

    /**
     * __skb_complete_tx_timestamp(): ee_data is the key counted from sk_tskey when the socket has OPT_ID now, else 0;
     * the time is the software one when SOF_TIMESTAMPING_SOFTWARE is set.
     */
    private ExtendedErr stampMessage(TxStamp stamp, int which, long nowNs) {
        long key = (tsflags & SOF_OPT_ID) != 0 ? (stamp.keySeq - tskey) & 0xffffffffL : 0;
        return new ExtendedErr(ENOMSG, SO_EE_ORIGIN_TIMESTAMPING, 0, 0, which, key, (tsflags & SOF_SOFTWARE) != 0 ? nowNs : 0);
    }

    /** Zero-copy ranges whose bytes are still in flight or unsent. */
    public int pendingRanges() {
        return pending.size();
    }
}
