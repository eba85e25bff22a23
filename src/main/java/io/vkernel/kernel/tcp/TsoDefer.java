package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.time.VirtualClock;

/**
 * tcp_tso_should_defer(): when only part of an skb fits in the congestion window, Linux would rather wait for the
 * next ACK and send a bigger GSO packet than send the part now, unless the ACK is not due soon (more than min(1 ms,
 * SRTT/2) away), nothing was sent for over 1 ms, a full-sized TSO packet or a third of the window (tcp_tso_win_divisor
 * 3) can go, the skb sits mid-queue and fits whole, or it ends with a FIN or MSG_EOR. It matters beyond the wire:
 * what waits is not in flight, and tcp_should_expand_sndbuf() grows sk_sndbuf only while the packets in flight are
 * below cwnd, so a deferred tail is what lets an ACK enlarge the send buffer (SendBuffer).
 */
final class TsoDefer {

    /** "only if the last write was recent (1 ms)". */
    private static final long RECENT_MS = 1;

    /** shouldDefer()'s answers: send now, or wait for cwnd, for the peer's window, or for more data. */
    private static final int SEND = 0;
    private static final int CWND = 1;
    private static final int RWND = 2;
    private static final int MORE = 3;

    private TsoDefer() {
    }

    /**
     * tcp_tso_should_defer()'s answer for one round: the bytes that go, and, when it waits, whether cwnd
     * ({@code *is_cwnd_limited}: cwnd leaves less than the peer's window and no more than the skb) or the peer's
     * window ({@code *is_rwnd_limited}) is what it waits for; a tail that merely could grow waits with neither.
     */
    record Verdict(int sendable, boolean cwndLimited, boolean rwndLimited) {
    }

    /** The bytes {@link #judge} lets go. */
    static int sendable(Tcb tcb, VirtualClock clock, Sysctls sysctls, int want, int room, int usable, int mss, boolean sentNow) {
        return judge(tcb, clock, sysctls, want, room, usable, mss, sentNow).sendable();
    }

    /**
     * How many of {@code want} bytes at SND.NXT tcp_write_xmit() sends before it defers, with {@code room} bytes of
     * cwnd and {@code usable} bytes of peer window: the test runs at the start of each skb (SendBuffer's boundaries;
     * a split leaves the rest as a new skb for the next round), and an skb it lets go leaves whole, as the GSO train
     * packetdrill reads as one packet. {@code sentNow}: this round already sent something (tp->tcp_wstamp_ns is now).
     */
    static Verdict judge(Tcb tcb, VirtualClock clock, Sysctls sysctls, int want, int room, int usable, int mss, boolean sentNow) {
        int limitAll = Math.min(want, Math.min(room, usable));
        if (limitAll <= mss || tcb.caState.ordinal() >= CaState.RECOVERY.ordinal()) {
            return new Verdict(limitAll, false, false);
        }
        int maxSegs = Pacing.tsoSegs(tcb, mss, sysctls.getInt(Sysctls.TCP_MIN_TSO_SEGS));
        int divisor = sysctls.getInt(Sysctls.TCP_TSO_WIN_DIVISOR);
        int writeSeq = SendBuffer.writeSeq(tcb);
        // tcp_tso_should_defer(): send_now when tcp_clock_cache - tcp_wstamp_ns - 1 ms > 0. An event a script puts
        // exactly 1 ms after the last send runs a little later than that on a real host, so only a send in the same
        // millisecond of the virtual clock counts as recent (shutdown-rdwr-send-queue-ack-close)
        boolean recent = sentNow || clock.now() - tcb.lastDataSent < RECENT_MS;
        int sent = 0;
        while (sent < limitAll) {
            int seq = tcb.sndNxt + sent;
            int skbEnd = tcb.sendBuffer.skbEnd(tcb, seq);
            int skbLen = skbEnd - seq;
            if (skbLen <= 0) {
                return new Verdict(limitAll, false, false); // bytes no skb accounts for: nothing to judge
            }
            int wait = recent && skbLen > mss
                    ? shouldDefer(tcb, clock, skbLen, skbEnd == writeSeq, room - sent, usable - sent, maxSegs, mss, divisor)
                    : SEND;
            if (wait != SEND) {
                return new Verdict(sent, wait == CWND, wait == RWND);
            }
            sent += Math.min(skbLen, limitAll - sent);
            recent = true;
        }
        return new Verdict(sent, false, false);
    }

    private static int shouldDefer(Tcb tcb, VirtualClock clock, int skbLen, boolean tail, int congWin, int sendWin,
                                   int maxSegs, int mss, int divisor) {
        int limit = Math.min(sendWin, congWin);
        if (limit >= maxSegs * mss) {
            return SEND; // a full-sized TSO skb can be sent
        }
        if (!tail && limit >= skbLen) {
            return SEND; // mid-queue: it will get no more data and all of it fits
        }
        if (divisor > 0) {
            long chunk = Math.min((long) tcb.sndWnd, (long) tcb.cwnd * mss) / divisor;
            if (limit >= chunk) {
                return SEND; // at least a fraction of the window is available
            }
        } else if (limit > 3 * mss) {
            return SEND; // tcp_max_tso_deferred_mss(): no deferring past a single ACK
        }
        if (tcb.rack.sent.isEmpty()) {
            return SEND; // nothing in flight to bring an ACK
        }
        long srtt = Math.max(0, tcb.srttMs);
        long headSent = tcb.rack.sent.get(0).sentAt;
        long howFar = headSent + srtt - clock.now();
        if (howFar - Math.min(srtt / 2, RECENT_MS) > 0) {
            return SEND; // the next ACK is too far off to wait for
        }
        if (srtt == 0 && headSent == clock.now()) {
            // Linux keeps srtt in microseconds, never 0 (tcp_rtt_estimator()): an RTT below vkernel's 1 ms is still
            // positive, so the ACK of a head sent this instant is a whole srtt away, more than half of it: send now
            return SEND;
        }
        if (congWin < sendWin) {
            if (congWin <= skbLen) {
                return CWND; // *is_cwnd_limited = true
            }
        } else if (sendWin <= skbLen) {
            return RWND; // *is_rwnd_limited = true
        }
        boolean fin = tcb.finQueued && tail;
        return fin || (tail && tcb.tailEor) ? SEND : MORE;
    }
}
