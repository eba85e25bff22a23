package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.demux.BindTable;
import io.vkernel.kernel.demux.EstablishedTable;
import io.vkernel.kernel.time.VirtualClock;
import io.vkernel.kernel.trace.EventType;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;

import static io.vkernel.kernel.tcp.TcpEngine.TIME_WAIT_MS;

/**
 * State changes and teardown shared by every path: tcp_set_state(), tcp_done() (out of the established table, port
 * released, buffers freed), tcp_time_wait() with its 60 s timer, and the orphaned FIN_WAIT2 timeout.
 */
final class TcpStates {

    private final EstablishedTable established;
    private final BindTable binds;
    private final VirtualClock clock;
    private final Sysctls sysctls;
    private final TcpHost host;

    TcpStates(EstablishedTable established, BindTable binds, VirtualClock clock, Sysctls sysctls, TcpHost host) {
        this.established = established;
        this.binds = binds;
        this.clock = clock;
        this.sysctls = sysctls;
        this.host = host;
    }

    void setState(Tcb tcb, TcpState next, String why) {
        TcpState previous = tcb.state;
        tcb.state = next;
        if (next == TcpState.ESTABLISHED && previous != TcpState.ESTABLISHED) {
            // tcp_finish_connect() and tcp_create_openreq_child() start icsk_ack.lrcvtime at the handshake's end
            tcb.lastDataRecv = clock.now();
            tcb.rcvSpace.rcvqTimeMs = clock.now(); // tcp_init_buffer_space(): rcvq_space.time
            RcvSpace.initRcvMss(tcb); // tcp_initialize_rcv_mss(): the SYN's MSS and the window are known now
        }
        host.event(EventType.STATE_CHANGE, tcb.tuple().toString(), new StateLine(previous, next, why));
    }

    /** tcp_set_state(TCP_CLOSE): out of the established table, port released, buffers freed. */
    void closeTcb(Tcb tcb, String why) {
        if (tcb.state == TcpState.CLOSE) {
            return;
        }
        cancelTimer(tcb);
        TcpTimers.cancelRetransmit(tcb);
        if (tcb.keepaliveTimer != null) {
            tcb.keepaliveTimer.cancel();
            tcb.keepaliveTimer = null;
        }
        if (tcb.persistTimer != null) {
            tcb.persistTimer.cancel();
            tcb.persistTimer = null;
        }
        if (tcb.delackTimer != null) {
            tcb.delackTimer.cancel();
            tcb.delackTimer = null;
        }
        TcpState before = tcb.state;
        if (before == TcpState.ESTABLISHED || before == TcpState.CLOSE_WAIT) {
            host.count(SnmpCounter.TCP_ESTAB_RESETS); // tcp_set_state(TCP_CLOSE)
        } else if (before == TcpState.SYN_SENT || before == TcpState.SYN_RECV) {
            host.count(SnmpCounter.TCP_ATTEMPT_FAILS); // tcp_done()
        }
        setState(tcb, TcpState.CLOSE, why + "; removed from the established table, buffers freed");
        if (tcb.socket != null && tcb.socket.errorQueue() != null) {
            tcb.socket.errorQueue().purged(); // tcp_write_queue_purge(): unacknowledged zero-copy ranges complete
        }
        established.remove(tcb);
        if (tcb.ownsPort) {
            binds.remove(tcb);
            tcb.ownsPort = false;
        }
        if (tcb.orphan) {
            tcb.receiveQueue.clear(); // a socket still open keeps its received bytes readable after a reset
            // and its out-of-order queue, charged to sk_rmem_alloc, until close() destroys it (tcp_done() does not
            // purge it; tcp_v4_destroy_sock() and tcp_disconnect() do)
            tcb.clearOfo();
        }
        // tcp_write_queue_purge() (tcp_done_with_error(), tcp_close(), tcp_disconnect()) frees the send queue;
        // write_seq - snd_una, which SIOCOUTQ and Send-Q read, still counts what it held
        tcb.purgedUnacked = tcb.sendQueue.size();
        tcb.sendQueue.clear();
        tcb.sendBuffer.clear();
    }

    void enterTimeWait(Tcb tcb, String why) {
        setState(tcb, TcpState.TIME_WAIT, why + "; the 4-tuple stays in the established table for 60 s");
        tcb.lastOowAckTime = -1; // tcp_time_wait(): tw_last_oow_ack_time = 0
        if (tcb.orphan) {
            // A socket the process still holds (after shutdown(SHUT_WR)) keeps its unread data: tcp_done() closes it
            // without purging sk_receive_queue, so read() returns the bytes, then EOF.
            tcb.receiveQueue.clear();
        }
        tcb.sendQueue.clear();
        tcb.sendBuffer.clear();
        TcpTimers.cancelRetransmit(tcb);
        if (tcb.keepaliveTimer != null) {
            tcb.keepaliveTimer.cancel();
            tcb.keepaliveTimer = null;
        }
        armTimeWait(tcb);
    }

    void armTimeWait(Tcb tcb) {
        cancelTimer(tcb);
        tcb.stateTimer = clock.schedule(TIME_WAIT_MS, "time-wait", tcb.tuple().toString(), () -> {
            host.event(EventType.TIMER_FIRED, tcb.tuple().toString(), "TIME_WAIT expired after 60 s");
            host.count(SnmpCounter.TIME_WAITED);
            closeTcb(tcb, "TIME_WAIT expired");
        });
    }

    /** An orphaned FIN_WAIT2 waits tcp_fin_timeout for the peer's FIN, then goes away. */
    void armFinWait2Timeout(Tcb tcb) {
        cancelTimer(tcb);
        long timeout = sysctls.get(Sysctls.TCP_FIN_TIMEOUT) * 1000;
        tcb.stateTimer = clock.schedule(timeout, "fin-wait-2", tcb.tuple().toString(), () -> {
            host.event(EventType.TIMER_FIRED, tcb.tuple().toString(), "orphaned FIN_WAIT2 timed out (tcp_fin_timeout)");
            closeTcb(tcb, "tcp_fin_timeout expired");
        });
    }

    static void cancelTimer(Tcb tcb) {
        if (tcb.stateTimer != null) {
            tcb.stateTimer.cancel();
            tcb.stateTimer = null;
        }
    }

    static boolean needsReset(TcpState state) {
        // tcp_need_reset()
        return state == TcpState.ESTABLISHED || state == TcpState.CLOSE_WAIT || state == TcpState.FIN_WAIT1
                || state == TcpState.FIN_WAIT2 || state == TcpState.SYN_RECV;
    }

    void wakeOwner(Tcb tcb, PacketReport report) {
        if (tcb.socket != null) {
            host.wake(tcb.socket, report);
        }
    }
}
