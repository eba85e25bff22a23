package io.vkernel.kernel.tcp;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;

/**
 * close() and shutdown() (Linux tcp_close(), tcp_shutdown()): RST when unread data or SO_LINGER {1, 0} says so,
 * otherwise a FIN queued behind the unsent data.
 */
final class TcpClose {

    private final TcpHost host;
    private final TcpOutput output;
    private final TcpStates states;
    private final TcpSender sender;

    TcpClose(TcpHost host, TcpOutput output, TcpStates states, TcpSender sender) {
        this.host = host;
        this.output = output;
        this.states = states;
        this.sender = sender;
    }

    /**
     * tcp_disconnect(), which connect() with an AF_UNSPEC address runs: the connection goes to CLOSE at once; from
     * a state tcp_need_reset() names (ESTABLISHED, CLOSE_WAIT, FIN_WAIT1/2, SYN_RECV) the peer gets a RST, and the
     * socket's error becomes ECONNRESET (as from SYN_SENT, silently). The queues are purged; the socket stays open and
     * bound, and connect() may be called on it again.
     */
    void disconnect(Tcb tcb, String cause, PacketReport report) {
        TcpState old = tcb.state;
        boolean needReset = old == TcpState.ESTABLISHED || old == TcpState.CLOSE_WAIT || old == TcpState.FIN_WAIT1
                || old == TcpState.FIN_WAIT2 || old == TcpState.SYN_RECV;
        if (needReset) {
            output.sendReset(tcb, report);
        }
        states.closeTcb(tcb, cause + (needReset ? " sent RST" : ""));
        if (needReset || old == TcpState.SYN_SENT) {
            tcb.pendingError = Errno.ECONNRESET; // tcp_disconnect(): WRITE_ONCE(sk->sk_err, ECONNRESET)
        }
        tcb.receiveQueue.clear();
        tcb.clearOfo(); // tcp_disconnect(): skb_rbtree_purge(&tp->out_of_order_queue)
        tcb.fastOpenChild = false; // tp->fastopen_rsk is cleared: a later connect() is an ordinary one
        tcb.deferConnect = false; // inet_clear_bit(DEFER_CONNECT): a later write() does not send this TCB's SYN
        report.step("tcp.disconnect", () -> "tcp_disconnect() from " + old + ": the socket is unconnected and may connect again");
    }

    /**
     * tcp_close(): the last reference to the socket is gone. Unread data or SO_LINGER {1, 0} abort with RST;
     * otherwise the FIN follows any unsent data and the now-orphaned connection finishes on its own.
     */
    public void close(Tcb tcb, boolean lingerZero, PacketReport report) {
        tcb.orphan = true;
        tcb.readShutdown = true;
        int unread = tcb.receiveQueue.size();
        tcb.receiveQueue.clear();
        tcb.clearOfo();
        switch (tcb.state) {
            case CLOSE -> {
                return;
            }
            case SYN_SENT -> {
                states.closeTcb(tcb, "close() in SYN_SENT");
                return;
            }
            default -> {
            }
        }
        if (unread > 0 && tcb.state != TcpState.TIME_WAIT) {
            // RFC 2525 §2.17, __tcp_close(): "we send a RST here because data was lost" (TCPAbortOnClose).
            report.step("tcp.close", () -> unread + " unread bytes discarded: RST instead of FIN (RFC 2525 §2.17)");
            host.count(SnmpCounter.TCP_ABORT_ON_CLOSE);
            output.sendReset(tcb, report);
            states.closeTcb(tcb, "close() with unread data");
            return;
        }
        if (lingerZero) {
            report.step("tcp.close", "SO_LINGER {1, 0}: abort with RST");
            host.count(SnmpCounter.TCP_ABORT_ON_LINGER);
            if (TcpStates.needsReset(tcb.state)) {
                output.sendReset(tcb, report);
            }
            states.closeTcb(tcb, "close() with SO_LINGER {1, 0}");
            return;
        }
        switch (tcb.state) {
            case ESTABLISHED, SYN_RECV -> {
                boolean synUnacked = synUnacked(tcb);
                states.setState(tcb, TcpState.FIN_WAIT1, "close(): FIN sent after any unsent data");
                queueFin(tcb, synUnacked, report);
            }
            case CLOSE_WAIT -> {
                states.setState(tcb, TcpState.LAST_ACK, "close() after the peer's FIN: our FIN sent");
                sender.queueFin(tcb, report);
            }
            case FIN_WAIT2 -> states.armFinWait2Timeout(tcb);
            default -> {
            }
        }
    }

    /**
     * A simultaneous open's SYN_RECV: SND.UNA is still our SYN's ISS (a Fast Open child's send queue starts after its
     * SYN instead), so the queue's bytes and write_seq lie one past SND.UNA + queued.
     */
    private static boolean synUnacked(Tcb tcb) {
        return tcb.state == TcpState.SYN_RECV && tcb.sndUna == tcb.iss;
    }

    /** tcp_send_fin(): the FIN at write_seq, sent at once when the window allows (__tcp_push_pending_frames()). */
    private void queueFin(Tcb tcb, boolean synUnacked, PacketReport report) {
        if (synUnacked) {
            tcb.finQueued = true;
            tcb.finSeq = tcb.sndNxt; // write_seq: past the SYN and whatever data it carried
            tcb.finAlone = true;
            sender.transmitPending(tcb, report);
        } else {
            sender.queueFin(tcb, report);
        }
    }

    /** shutdown(): SHUT_RD only marks the receive side; SHUT_WR sends FIN without orphaning the socket. */
    public void shutdown(Tcb tcb, boolean read, boolean write, PacketReport report) {
        if (read) {
            tcb.readShutdown = true;
        }
        if (write && !tcb.writeShutdown) {
            tcb.writeShutdown = true;
            // tcp_shutdown() -> tcp_close_state(): new_state[] takes SYN_RECV to FIN_WAIT1 with a FIN, as ESTABLISHED
            if (tcb.state == TcpState.ESTABLISHED || tcb.state == TcpState.SYN_RECV) {
                boolean synUnacked = synUnacked(tcb);
                states.setState(tcb, TcpState.FIN_WAIT1, "shutdown(SHUT_WR)");
                queueFin(tcb, synUnacked, report);
            } else if (tcb.state == TcpState.CLOSE_WAIT) {
                states.setState(tcb, TcpState.LAST_ACK, "shutdown(SHUT_WR) after the peer's FIN");
                sender.queueFin(tcb, report);
            }
        }
    }
}
