package io.vkernel.kernel.tcp;

import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.Seq;
import io.vkernel.kernel.wire.TcpFlags;

/**
 * When a TIME_WAIT lets a new SYN for its 4-tuple through, and which ISN the new connection starts from:
 * {@code tcp_timewait_state_process()}'s TCP_TW_SYN case (RFC 9293 §3.6.1 MAY-2, RFC 6191 for timestamps).
 */
final class TimeWaitReuse {

    private TimeWaitReuse() {
    }

    /**
     * A bare SYN (no ACK, no RST) whose sequence number is above RCV.NXT, or whose TSval is newer than the last
     * one TIME_WAIT saw when both sides used timestamps.
     */
    static boolean acceptsSyn(Tcb tw, Segment segment) {
        if (!segment.has(TcpFlags.SYN) || segment.has(TcpFlags.ACK) || segment.has(TcpFlags.RST)) {
            return false;
        }
        if (Seq.after(segment.seq(), tw.rcvNxt)) {
            return true;
        }
        return tw.tsOk && segment.timestamps() != null && (int) tw.tsRecent - (int) segment.timestamps().value() < 0;
    }

    /** {@code isn = tw_snd_nxt + 65535 + 2}, never 0 (0 means "no TIME_WAIT ISN" to tcp_conn_request()). */
    static int isn(Tcb tw) {
        int isn = tw.sndNxt + 65535 + 2;
        return isn == 0 ? 1 : isn;
    }
}
