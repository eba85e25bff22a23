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

    private TsoDefer() {
    }

    /**
     * How many of {@code want} bytes at SND.NXT tcp_write_xmit() sends before it defers, with {@code room} bytes of
     * cwnd and {@code usable} bytes of peer window: the test runs at the start of each skb (SendBuffer's boundaries;
     * a split leaves the rest as a new skb for the next round), and an skb it lets go leaves whole, as the GSO train
     * packetdrill reads as one packet. {@code sentNow}: this round already sent something (tp->tcp_wstamp_ns is now).
     */
    static int sendable(Tcb tcb, VirtualClock clock, Sysctls sysctls, int want, int room, int usable, int mss, boolean sentNow) {
        int limitAll = Math.min(want, Math.min(room, usable));
        if (limitAll <= mss || tcb.caState.ordinal() >= CaState.RECOVERY.ordinal()) {
            return limitAll;
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
                return limitAll; // bytes no skb accounts for: nothing to judge
            }
            if (recent && skbLen > mss
                    && shouldDefer(tcb, clock, skbLen, skbEnd == writeSeq, room - sent, usable - sent, maxSegs, mss, divisor)) {
                break;
            }
            sent += Math.min(skbLen, limitAll - sent);
            recent = true;
        }
        return sent;
    }

    private static boolean shouldDefer(Tcb tcb, VirtualClock clock, int skbLen, boolean tail, int congWin, int sendWin,
                                       int maxSegs, int mss, int divisor) {
        int limit = Math.min(sendWin, congWin);
        if (limit >= maxSegs * mss) {
            return false; // a full-sized TSO skb can be sent
        }
        if (!tail && limit >= skbLen) {
            return false; // mid-queue: it will get no more data and all of it fits
        }
        if (divisor > 0) {
            long chunk = Math.min((long) tcb.sndWnd, (long) tcb.cwnd * mss) / divisor;
            if (limit >= chunk) {
                return false; // at least a fraction of the window is available
            }
        } else if (limit > 3 * mss) {
            return false; // tcp_max_tso_deferred_mss(): no deferring past a single ACK
        }
        if (tcb.rack.sent.isEmpty()) {
            return false; // nothing in flight to bring an ACK
        }
        long srtt = Math.max(0, tcb.srttMs);
        long headSent = tcb.rack.sent.get(0).sentAt;
        long howFar = headSent + srtt - clock.now();
        if (howFar - Math.min(srtt / 2, RECENT_MS) > 0) {
            return false; // the next ACK is too far off to wait for
        }
        if (srtt == 0 && headSent == clock.now()) {
            // Linux keeps srtt in microseconds, never 0 (tcp_rtt_estimator()): an RTT below vkernel's 1 ms is still
            // positive, so the ACK of a head sent this instant is a whole srtt away, more than half of it: send now
            return false;
        }
        if (congWin < sendWin) {
            if (congWin <= skbLen) {
                return true;
            }
        } else if (sendWin <= skbLen) {
            return true;
        }
        boolean fin = tcb.finQueued && tail;
        return !(fin || (tail && tcb.tailEor));
    }
}
