package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.socket.SyscallException;
import io.vkernel.kernel.trace.DropReason;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.Seq;
import io.vkernel.kernel.wire.TcpFlags;


/**
 * The receive side (Linux tcp_data_queue(), tcp_data_queue_ofo(), tcp_fin(), tcp_recvmsg(); gVisor's rcv.go):
 * in-order bytes into the receive buffer, out-of-order ones held with their SACK and D-SACK blocks, the FIN and
 * when its ACK may wait, and read().
 */
final class TcpReceiver {

    /** What queueData() did with a segment's bytes: appended in order; not (an ACK answers at once); dropped unanswered. */
    private static final int TAKEN = 1;
    private static final int NOT_TAKEN = 0;
    private static final int DROPPED_UNANSWERED = -1;
    /** sock_def_readable()'s key: EPOLLIN | EPOLLPRI | EPOLLRDNORM | EPOLLRDBAND. */
    private static final int READABLE = 0x1 | 0x2 | 0x40 | 0x80;

    private final Sysctls sysctls;
    private final TcpHost host;
    private final TcpOutput output;
    private final TcpStates states;

    TcpReceiver(Sysctls sysctls, TcpHost host, TcpOutput output, TcpStates states) {
        this.sysctls = sysctls;
        this.host = host;
        this.output = output;
        this.states = states;
    }

    /** Sixth and eighth steps: queue in-order data (reassembling held segments), then the FIN. */
    void receiveDataAndFin(Tcb tcb, Segment segment, PacketReport report) {
        byte[] payload = segment.payload();
        if (segment.has(TcpFlags.URG) || tcb.urgData == Urgent.NOTYET) {
            Urgent.received(tcb, segment, oobInline(tcb), report); // tcp_urg(), before tcp_data_queue()
        }
        boolean took = false;
        boolean unanswered = false;
        boolean hadOfo = tcb.hasOfo();
        if (payload.length > 0) {
            Ecn.dataReceived(tcb, segment, report);
            if (tcb.orphan && (tcb.state == TcpState.FIN_WAIT1 || tcb.state == TcpState.FIN_WAIT2)) {
                // tcp_rcv_state_process(): new data for a closed socket; RFC 1122 says we MUST reset (TCPAbortOnData).
                report.step("tcp.data", "data for a socket the application already closed: RST (RFC 1122 §4.2.2.13; "
                        + "tcp_reset(), then tcp_v4_do_rcv() answers the segment itself)");
                host.count(SnmpCounter.TCP_ABORT_ON_DATA);
                output.resetFor(segment, report);
                states.closeTcb(tcb, "data arrived after close()");
                report.verdict("reset");
                return;
            }
            if (tcb.state == TcpState.ESTABLISHED || tcb.state == TcpState.FIN_WAIT1 || tcb.state == TcpState.FIN_WAIT2) {
                int queued = queueData(tcb, segment, report);
                took = queued == TAKEN;
                unanswered = queued == DROPPED_UNANSWERED;
            } else {
                TcpState ignoredIn = tcb.state;
                report.step("tcp.data", () -> "data after the peer's FIN is ignored in " + ignoredIn);
            }
        }
        boolean fin = false;
        if (segment.has(TcpFlags.FIN)) {
            int finSeq = segment.seq() + payload.length;
            if (finSeq == tcb.rcvNxt) {
                fin = true;
                peerFin(tcb, report);
            } else {
                int rcvNxt = tcb.rcvNxt;
                report.step("tcp.fin", () -> "FIN at " + Seq.unsigned(finSeq) + " waits: bytes before it are missing (RCV.NXT="
                        + Seq.unsigned(rcvNxt) + ")");
            }
        }
        // tcp_data_queue(): past sk_rcvbuf tcp_try_rmem_schedule() fails and sets ICSK_ACK_NOW, so the segment that
        // was forced in (or a bare FIN taken at a zero window) is acknowledged at once, the window reading zero
        if (fin && !RcvSpace.canIngest(tcb, 0)) {
            tcb.rcvSpace.nomem = true; // a bare FIN taken at a zero window: tcp_try_rmem_schedule() failed too
        }
        boolean overBuffer = (took || fin) && tcb.rcvSpace.nomem;
        if (fin && !overBuffer && finAckMayWait(tcb, took ? payload.length : 0)) {
            report.step("tcp.delack", "the ACK of the FIN waits for the delayed-ACK timer (" + TcpEngine.DELACK_MS
                    + " ms): data came before it, and tcp_fin() put the socket in pingpong mode, which ends quick-ack mode");
            tcb.unackedBytes += took ? payload.length : 0;
            output.scheduleDelayedAck(tcb);
        } else if (fin || (took && overBuffer) || (payload.length > 0 && !took && !unanswered && tcb.state != TcpState.CLOSE)
                || (took && hadOfo && !tcb.hasOfo())) {
            // tcp_data_queue(): a segment that fills the last gap sets ICSK_ACK_NOW (RFC 5681 §4.2)
            output.sendAck(tcb, report); // a FIN, a gap or a duplicate is answered at once
        } else if (took) {
            output.ackData(tcb, payload.length, report);
        }
        if ((took || fin) && tcb.socket != null) {
            // sock_def_readable(): EPOLLIN | EPOLLPRI | EPOLLRDNORM | EPOLLRDBAND; a FIN also changes state (every event)
            host.wake(tcb.socket, fin ? io.vkernel.kernel.socket.WaitQueue.ALL : READABLE, report);
        }
    }

    /**
     * tcp_fin() in ESTABLISHED schedules the ACK (inet_csk_schedule_ack()) and enters pingpong mode, so
     * __tcp_ack_snd_check() sends it at once only when more than one full segment is unacknowledged; otherwise
     * tcp_send_delayed_ack() waits ato: 40 ms once data has arrived, 0 (at once) when none ever did.
     */
    private static boolean finAckMayWait(Tcb tcb, int dataBytes) {
        if (tcb.state != TcpState.CLOSE_WAIT || !tcb.dataReceived) {
            return false;
        }
        return tcb.unackedBytes + dataBytes + 1 <= tcb.rcvMss;
    }

    private int queueData(Tcb tcb, Segment segment, PacketReport report) {
        byte[] payload = segment.payload();
        int offset = tcb.rcvNxt - segment.seq();
        if (offset < 0) {
            int truesize = RcvSpace.truesize(segment);
            // tcp_data_queue_ofo(): the segment's size teaches rcv_mss and scaling_ratio first (tcp_measure_rcv_mss())
            RcvSpace.measure(tcb, segment, truesize, sysctls.getInt(Sysctls.RX_GSO_SIZE));
            if (RcvSpace.tryRmemSchedule(tcb, payload.length)) {
                noteOutOfOrder(tcb, segment.seq(), payload.length);
                // keep the longer of two held segments that start at the same byte (tcp_data_queue_ofo() merges)
                byte[] kept = tcb.ofo().merge(segment.seq(), payload, (held, fresh) -> held.length >= fresh.length ? held : fresh);
                if (kept == payload) {
                    if (tcb.sackOk) {
                        RcvSpace.growWindow(tcb, payload.length, truesize); // not without SACK: keep the dupacks coming
                    }
                    RcvSpace.chargeOfo(tcb, segment.seq(), truesize);
                    // tcp_rcvbuf_grow(): an accepted socket's buffer grows to back the held data
                    RcvSpace.rcvbufGrow(tcb, sysctls, tcb.ofo().lastEntry().getKey() + tcb.ofo().lastEntry().getValue().length);
                }
                int rcvNxt = tcb.rcvNxt;
                report.step("tcp.ofo", () -> payload.length + " bytes at " + Seq.unsigned(segment.seq()) + " are ahead of RCV.NXT="
                        + Seq.unsigned(rcvNxt) + ": held for reassembly, duplicate ACK sent");
                return NOT_TAKEN;
            }
            // tcp_data_queue_ofo(): tcp_try_rmem_schedule() failed: TCPOFODrop and sk_data_ready(), and the segment
            // is dropped before inet_csk_schedule_ack(), so no ACK answers it
            host.count(SnmpCounter.TCP_OFO_DROP);
            report.drop(DropReason.RECEIVE_BUFFER_FULL, "no room to hold an out-of-order segment (TCPOFODrop): no ACK");
            if (tcb.socket != null) {
                host.wake(tcb.socket, READABLE, report);
            }
            return DROPPED_UNANSWERED;
        }
        if (offset > 0) {
            reportDuplicate(tcb, segment.seq(), tcb.rcvNxt); // tcp_data_queue(): partial packet, seq < rcv_nxt < end_seq
        }
        int fresh = payload.length - offset;
        if (offset == 0 && tcb.rcvWnd() == 0) {
            // tcp_data_queue(): in sequence but the window we advertised is zero (SKB_DROP_REASON_TCP_ZEROWINDOW)
            host.count(SnmpCounter.TCP_ZERO_WINDOW_DROP);
            report.drop(DropReason.RECEIVE_BUFFER_FULL, "the advertised window is zero: in-order data dropped (TCPZeroWindowDrop)");
            return NOT_TAKEN;
        }
        int take = fresh;
        boolean fits = RcvSpace.tryRmemSchedule(tcb, payload.length);
        if (!fits && !tcb.receiveQueue.isEmpty()) {
            // tcp_try_rmem_schedule() fails (tcp_can_ingest(): rmem + len > sk_rcvbuf) and data is queued: the whole
            // segment is dropped (TCPRcvQDrop), never a part of it; with an empty queue sk_forced_mem_schedule()
            // takes it whole, past the buffer
            host.count(SnmpCounter.TCP_RCVQ_DROP);
            report.drop(DropReason.RECEIVE_BUFFER_FULL, "receive buffer full: " + tcb.receiveQueue.size() + " of " + tcb.rcvBufLimit + " bytes");
            return NOT_TAKEN;
        }
        if (!fits) {
            // sk_forced_mem_schedule(): the queue is empty, so the segment is taken whole past sk_rcvbuf, and
            // ICSK_ACK_NOMEM | ICSK_ACK_NOW make the ACK leave at once with a zero window
            tcb.rcvSpace.nomem = true;
        }
        int truesize = RcvSpace.truesize(segment);
        tcb.receiveQueue.append(payload, offset, take);
        RcvSpace.chargeQueued(tcb, take, truesize); // tcp_queue_rcv(): skb_set_owner_r()
        tcb.rcvNxt += take;
        tcb.dataReceived = true;
        // tcp_event_data_recv(): tcp_measure_rcv_mss(), then tcp_grow_window() for a segment of 128 bytes or more
        RcvSpace.measure(tcb, segment, truesize, sysctls.getInt(Sysctls.RX_GSO_SIZE));
        if (payload.length >= 128) {
            RcvSpace.growWindow(tcb, payload.length, truesize);
        }
        // tcp_event_data_recv(): the per-window receive RTT sample, and icsk_ack.lrcvtime
        ReceiverRtt.measureWindow(tcb, output.now());
        tcb.lastDataRecv = output.now();
        if (report.tracing()) {
            int used = tcb.receiveQueue.size();
            int limit = tcb.rcvBufLimit;
            int rcvNxt = tcb.rcvNxt;
            report.step("tcp.data", () -> take + " bytes appended to the receive buffer (" + used + " / "
                    + limit + " bytes used); RCV.NXT=" + Seq.unsigned(rcvNxt));
        }
        reassemble(tcb, report);
        if (tcb.rcvSack != null) {
            tcb.rcvSack.advanced(tcb.rcvNxt, tcb.hasOfo()); // tcp_sack_remove()
        }
        return TAKEN;
    }

    /**
     * tcp_data_queue_ofo(): a segment beyond a gap; when sackOK was agreed its range becomes the first SACK block
     * (tcp_sack_new_ofo_skb()), and bytes already held are reported once more as a D-SACK (tcp_dsack_set()).
     */
    private void noteOutOfOrder(Tcb tcb, int seq, int length) {
        if (!tcb.sackOk) {
            return;
        }
        var held = tcb.ofo().floorEntry(seq);
        if (held != null && Seq.beforeOrEqual(seq + length, held.getKey() + held.getValue().length)) {
            reportDuplicate(tcb, seq, seq + length);
        }
        if (tcb.rcvSack == null) {
            tcb.rcvSack = new ReceiverSack();
        }
        tcb.rcvSack.outOfOrder(seq, seq + length);
    }

    /** tcp_dsack_set(): RFC 2883 D-SACK for data received twice, when SACK was agreed and tcp_dsack is on. */
    void reportDuplicate(Tcb tcb, int start, int end) {
        if (!tcb.sackOk || sysctls.getInt(Sysctls.TCP_DSACK) == 0) {
            return;
        }
        host.count(Seq.before(start, tcb.rcvNxt) ? SnmpCounter.TCP_DSACK_OLD_SENT : SnmpCounter.TCP_DSACK_OFO_SENT);
        if (tcb.rcvSack == null) {
            tcb.rcvSack = new ReceiverSack();
        }
        tcb.rcvSack.duplicate(start, end);
    }

    /** tcp_dsack_extend(): as {@link #reportDuplicate}, but a range apart from a pending D-SACK is not reported. */
    private void extendDuplicate(Tcb tcb, int start, int end) {
        if (tcb.rcvSack == null || !tcb.rcvSack.duplicatePending()) {
            reportDuplicate(tcb, start, end); // tcp_dsack_set(), which counts TCPDSACKOldSent / OfoSent
        } else {
            tcb.rcvSack.extendDuplicate(start, end);
        }
    }

    private void reassemble(Tcb tcb, PacketReport report) {
        int dsackHigh = tcb.rcvNxt;
        while (tcb.hasOfo()) {
            var first = tcb.ofo().firstEntry();
            int start = first.getKey();
            byte[] bytes = first.getValue();
            if (Seq.after(start, tcb.rcvNxt)) {
                return;
            }
            if (Seq.before(start, dsackHigh)) {
                // tcp_ofo_queue() (with the 2025 fix "tcp: fix tcp_ofo_queue() to avoid including too much DUP
                // SACK range"): held bytes the in-order segment already brought are reported as a D-SACK, up to
                // the RCV.NXT that segment reached
                int end = start + bytes.length;
                extendDuplicate(tcb, start, Seq.before(end, dsackHigh) ? end : dsackHigh);
            }
            tcb.ofo().pollFirstEntry();
            int truesize = RcvSpace.unchargeOfo(tcb, start);
            int offset = tcb.rcvNxt - start;
            if (offset < bytes.length) {
                int take = bytes.length - offset; // tcp_ofo_queue() moves held skbs whole: they were charged when held
                tcb.receiveQueue.append(bytes, offset, take);
                RcvSpace.chargeQueued(tcb, take, truesize);
                tcb.rcvNxt += take;
                int rcvNxt = tcb.rcvNxt;
                report.step("tcp.reassembly", () -> take + " held bytes now follow in order; RCV.NXT=" + Seq.unsigned(rcvNxt));
            }
        }
    }

    /** tcp_fin(): the peer has no more data. */
    private void peerFin(Tcb tcb, PacketReport report) {
        tcb.rcvNxt += 1;
        tcb.finReceived = true;
        tcb.clearOfo();
        switch (tcb.state) {
            case ESTABLISHED -> states.setState(tcb, TcpState.CLOSE_WAIT, "peer's FIN: read() returns 0 once the buffer is empty");
            case FIN_WAIT1 -> {
                // tcp_fin() goes to CLOSING; TIME_WAIT only when our FIN was sent and this segment acknowledged it
                // (tcp_ack() had then made it FIN_WAIT2): a FIN still queued behind unsent data is not acknowledged
                if (tcb.finQueued && tcb.sndNxt == tcb.finSeq + 1 && tcb.sndUna == tcb.sndNxt) {
                    states.enterTimeWait(tcb, "peer's FIN acknowledges ours");
                } else {
                    states.setState(tcb, TcpState.CLOSING, "peer's FIN crossed ours (simultaneous close)");
                }
            }
            case FIN_WAIT2 -> states.enterTimeWait(tcb, "peer's FIN after ours was acknowledged");
            default -> {
            }
        }
        TcpState state = tcb.state;
        report.step("tcp.fin", () -> "FIN received: state " + state);
    }

    /** tcp_recvmsg(): data first, then EOF after a FIN, then a pending error once, else null (would block). */
    private static boolean oobInline(Tcb tcb) {
        return tcb.socket != null ? tcb.socket.options().oobInline : tcb.inherited != null && tcb.inherited.oobInline;
    }

    public byte[] read(Tcb tcb, int max, PacketReport report) {
        int readable = Urgent.readable(tcb, max, oobInline(tcb)); // may step over the urgent byte
        if (!tcb.receiveQueue.isEmpty()) {
            byte[] data = tcb.receiveQueue.take(readable);
            Urgent.clearIfPassed(tcb);
            RcvSpace.spaceAdjust(tcb, sysctls, output.now()); // tcp_recvmsg_locked(): tcp_rcv_space_adjust()
            // tcp_cleanup_rbuf(): a window update when the read lets the window at least double
            if (tcb.state != TcpState.CLOSE && tcb.state != TcpState.TIME_WAIT && !tcb.finReceived && RcvSpace.windowUpdateAfterRead(tcb, sysctls)) {
                output.sendAck(tcb, report);
            }
            return data;
        }
        if (tcb.finReceived) {
            tcb.finConsumed = true;
            return new byte[0];
        }
        if (tcb.pendingError != null) {
            Errno error = tcb.pendingError;
            tcb.pendingError = null;
            throw new SyscallException(error);
        }
        if (tcb.readShutdown || tcb.state == TcpState.CLOSE) {
            return new byte[0];
        }
        return null;
    }

    /**
     * tcp_splice_read() (net/ipv4/tcp.c): up to {@code max} bytes for a pipe, via __tcp_read_sock(), which stops at
     * the urgent mark. An empty array when nothing can be taken although bytes are queued (the mark is next: "if
     * __tcp_splice_read() got nothing while we have an skb in receive queue, we do not want to loop"), or at end of
     * file; null when the caller must wait for data.
     */
    byte[] spliceRead(Tcb tcb, int max, PacketReport report) {
        if (!tcb.receiveQueue.isEmpty()) {
            int take = Urgent.spliceable(tcb, Math.min(max, tcb.receiveQueue.size()));
            if (take == 0) {
                return new byte[0];
            }
            byte[] data = tcb.receiveQueue.take(take);
            RcvSpace.spaceAdjust(tcb, sysctls, output.now()); // tcp_read_sock(): tcp_rcv_space_adjust(), tcp_cleanup_rbuf()
            if (tcb.state != TcpState.CLOSE && tcb.state != TcpState.TIME_WAIT && !tcb.finReceived && RcvSpace.windowUpdateAfterRead(tcb, sysctls)) {
                output.sendAck(tcb, report);
            }
            return data;
        }
        if (tcb.finReceived) {
            return new byte[0]; // SOCK_DONE: splice returns 0; the FIN stays unread for read()
        }
        if (tcb.pendingError != null) {
            Errno error = tcb.pendingError;
            tcb.pendingError = null;
            throw new SyscallException(error);
        }
        if (tcb.readShutdown) {
            return new byte[0];
        }
        if (tcb.state == TcpState.CLOSE) {
            throw new SyscallException(Errno.ENOTCONN); // TCP_CLOSE without SOCK_DONE: -ENOTCONN
        }
        return null;
    }
}
