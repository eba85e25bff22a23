package io.vkernel.kernel.tcp;

import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.Seq;
import io.vkernel.kernel.wire.TcpFlags;

/**
 * TCP urgent data as Linux receives it (RFC 9293 §3.8.5; net/ipv4/tcp_input.c tcp_check_urg() and tcp_urg(),
 * net/ipv4/tcp.c tcp_recvmsg_locked() and __tcp_read_sock()). The urgent pointer names one byte, the "mark"
 * (net.ipv4.tcp_stdurg=0, Linux's default, reads it as pointing one past that byte, so the byte is at
 * SEG.SEQ + urg_ptr - 1). The byte stays in the receive queue; read() stops before it, and without SO_OOBINLINE
 * skips it (it is read with recv(MSG_OOB) instead); splice() and other tcp_read_sock() readers stop at it and do
 * not pass it.
 */
final class Urgent {

    /** include/net/tcp.h: urg_data holds the byte in its low 8 bits with VALID, or NOTYET before it arrived. */
    static final int VALID = 0x100;
    static final int NOTYET = 0x200;

    private Urgent() {
    }

    /** copied_seq: the sequence number of the next byte the application reads. */
    static int copiedSeq(Tcb tcb) {
        return tcb.rcvNxt - tcb.receiveQueue.size() - (tcb.finReceived ? 1 : 0);
    }

    /** tcp_urg(): run on a synchronized connection's segment before its data is queued (tcp_rcv_established()'s slow path). */
    static void received(Tcb tcb, Segment segment, boolean oobInline, PacketReport report) {
        if (segment.has(TcpFlags.URG)) {
            check(tcb, segment, oobInline, report);
        }
        if (tcb.urgData == NOTYET) {
            // the byte the pointer names may be in this segment: keep it (tcp_urg(): skb_copy_bits())
            int at = tcb.urgSeq - segment.seq() - (segment.has(TcpFlags.SYN) ? 1 : 0);
            if (at >= 0 && at < segment.payload().length) {
                tcb.urgData = VALID | (segment.payload()[at] & 0xff);
            }
        }
    }

    /** tcp_check_urg(): a new urgent pointer. */
    private static void check(Tcb tcb, Segment segment, boolean oobInline, PacketReport report) {
        int ptr = segment.urgent();
        if (ptr != 0) {
            ptr--; // !sysctl_tcp_stdurg: BSD's reading, the pointer is one past the urgent byte
        }
        ptr += segment.seq();
        int copied = copiedSeq(tcb);
        if (Seq.after(copied, ptr)) {
            return; // urgent data already seen and read
        }
        if (Seq.before(ptr, tcb.rcvNxt)) {
            return; // do not replay an urgent pointer into data already received
        }
        if (tcb.urgData != 0 && !Seq.after(ptr, tcb.urgSeq)) {
            return; // a newer (or the same) pointer is already pending
        }
        if (tcb.urgSeq == copied && tcb.urgData != 0 && !oobInline && copied != tcb.rcvNxt && !tcb.receiveQueue.isEmpty()) {
            // the reader sits at the old mark: step over that byte, as the application never will
            tcb.receiveQueue.drop(1);
        }
        tcb.urgData = NOTYET;
        tcb.urgSeq = ptr;
        int mark = ptr;
        report.step("tcp.urg", () -> "urgent pointer: the byte at " + Seq.unsigned(mark) + " is the urgent mark (tcp_check_urg(); "
                + (oobInline ? "SO_OOBINLINE: it stays in the stream)" : "read() stops before it and skips it, out of band)"));
    }

    /**
     * tcp_recvmsg_locked(): how many of the first {@code max} queued bytes a read may copy. At the mark, without
     * SO_OOBINLINE, the urgent byte is skipped first (copied_seq steps over it); before the mark, the read stops there.
     */
    static int readable(Tcb tcb, int max, boolean oobInline) {
        if (tcb.urgData == 0 || tcb.receiveQueue.isEmpty()) {
            return max;
        }
        int offset = tcb.urgSeq - copiedSeq(tcb);
        if (offset == 0 && !oobInline) {
            tcb.receiveQueue.drop(1);
            clearIfPassed(tcb);
            return max;
        }
        if (offset > 0 && offset < tcb.receiveQueue.size()) {
            return Math.min(max, offset);
        }
        return max;
    }

    /** After a read: once copied_seq passed the mark, no urgent data is pending any more. */
    static void clearIfPassed(Tcb tcb) {
        if (tcb.urgData != 0 && Seq.after(copiedSeq(tcb), tcb.urgSeq)) {
            tcb.urgData = 0;
        }
    }

    /** __tcp_read_sock(): readers such as splice() stop at the mark whatever SO_OOBINLINE says, and never pass it. */
    static int spliceable(Tcb tcb, int max) {
        if (tcb.urgData == 0) {
            return max;
        }
        int offset = tcb.urgSeq - copiedSeq(tcb);
        return offset >= 0 && offset < max ? offset : max;
    }
}
