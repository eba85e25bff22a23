package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.demux.BindTable;
import io.vkernel.kernel.demux.EstablishedTable;
import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.time.VirtualClock;
import io.vkernel.kernel.trace.DropReason;
import io.vkernel.kernel.trace.EventType;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.Seq;
import io.vkernel.kernel.wire.TcpFlags;

import static io.vkernel.kernel.tcp.TcpEngine.DEFAULT_MSS;
import static io.vkernel.kernel.tcp.TcpEngine.ADVERTISED_MSS;
import static io.vkernel.kernel.tcp.TcpEngine.SYNACK_TIMEOUT_MS;

/**
 * The listener's side of the handshake (RFC 9293 §3.10.7.2, Linux tcp_conn_request(), syncookies.c and
 * tcp_check_req() in tcp_minisocks.c; gVisor's accept.go): SYN to request socket in SYN_RECV, SYN-ACK and its
 * retries, SYN cookies, the third segment into the accept queue, and inet_csk_listen_stop().
 */
final class PassiveOpen {

    private final EstablishedTable established;
    private final BindTable binds;
    private final VirtualClock clock;
    private final Sysctls sysctls;
    /** The route's metrics and learned path MTUs; set by TcpEngine once built. */
    Routes routes;
    private final IsnGenerator isns;
    private final TcpHost host;
    private final int maxConnections;
    private final TcpOutput output;
    private final TcpTimers timers;
    private final TcpStates states;
    private final TcpReceiver receiver;

    PassiveOpen(EstablishedTable established, BindTable binds, VirtualClock clock, Sysctls sysctls, IsnGenerator isns, TcpHost host, int maxConnections, TcpOutput output, TcpTimers timers, TcpStates states, TcpReceiver receiver) {
        this.established = established;
        this.binds = binds;
        this.clock = clock;
        this.sysctls = sysctls;
        this.isns = isns;
        this.host = host;
        this.maxConnections = maxConnections;
        this.output = output;
        this.timers = timers;
        this.states = states;
        this.receiver = receiver;
    }

    /**
     * tcp_conn_request() with {@code twIsn}, the ISN a TIME_WAIT that let this SYN through chose for it (0 = none):
     * such a SYN skips the SYN-queue check (no cookie) and its request uses that ISN on the wire and in the TCB.
     */
    void listenerReceives(Socket listener, Segment segment, PacketReport report, int twIsn) {
        FourTuple tuple = FourTuple.ofInbound(segment);
        if (segment.has(TcpFlags.RST)) {
            report.drop(DropReason.LISTEN_BAD_FLAGS, "a listener ignores RST");
            return;
        }
        if (segment.has(TcpFlags.ACK) && !segment.has(TcpFlags.SYN) && cookieAccepted(listener, segment, report)) {
            return;
        }
        if (segment.has(TcpFlags.ACK)) {
            report.step("tcp.listen", "an ACK reached the listener with no request for this 4-tuple: reset <SEQ=SEG.ACK>");
            Segment reply = new Segment(segment.dst(), segment.src(), TcpFlags.RST, segment.ack(), 0, 0, 0, null);
            report.verdict("reset");
            host.transmit(reply, report);
            return;
        }
        if (!segment.has(TcpFlags.SYN) || segment.has(TcpFlags.FIN)) {
            report.drop(DropReason.LISTEN_BAD_FLAGS, "a listener takes only a SYN");
            return;
        }
        if (listener.acceptQueueFull()) {
            // tcp_conn_request(): a full accept queue drops the SYN (ListenOverflows); the client retries.
            listenDrop(true);
            report.drop(DropReason.ACCEPT_QUEUE_FULL, "accept queue holds " + listener.acceptQueue().size()
                    + " of backlog+1 = " + (listener.backlog() + 1) + "; the SYN is dropped and the client will retransmit it");
            return;
        }
        if (established.size() >= maxConnections) {
            report.drop(DropReason.CONNECTION_LIMIT, established.size() + " connections already (limit " + maxConnections + ")");
            return;
        }
        int cookies = sysctls.getInt(Sysctls.TCP_SYNCOOKIES);
        // inet_csk_reqsk_queue_is_full(): more pending requests than the backlog
        if (twIsn == 0 && (cookies == 2 || listener.synRecv() > listener.backlog())) {
            if (cookies == 0) {
                host.count(SnmpCounter.TCP_REQ_Q_FULL_DROP); // tcp_syn_flood_action()
                listenDrop(false);
                report.drop(DropReason.SYN_QUEUE_FULL, listener.synRecv() + " requests pending for backlog " + listener.backlog()
                        + " and tcp_syncookies=0: the SYN is dropped");
                return;
            }
            host.count(SnmpCounter.TCP_REQ_Q_FULL_DO_COOKIES);
            sendCookie(listener, segment, report);
            return;
        }
        Tcb tcb = new Tcb(tuple, TcpState.SYN_RECV, clock.now());
        tcb.rack.initReordering(sysctls); // tcp_init_sock(): tp->reordering
        tcb.listener = listener;
        tcb.reuseAddr = listener.reuseAddr();
        tcb.advMss = Tcb.advMss(listener); // tcp_openreq_init(): the listener's user_mss clamps the request's MSS
        routes.init(tcb);
        tcb.useCongestionControl(listener.options().congestion); // tcp_ca_openreq_child(): the listener's algorithm
        tcb.irs = segment.seq();
        tcb.rcvNxt = segment.seq() + 1;
        ReceiveBuffer.init(tcb, listener, segment.windowScale() >= 0, sysctls);
        tcb.iss = twIsn != 0 ? twIsn : isns.isn(tuple, clock.now());
        tcb.sndUna = tcb.iss;
        tcb.sndNxt = tcb.iss + 1;
        tcb.sndWnd = segment.window();
        tcb.maxSndWnd = Math.max(tcb.maxSndWnd, tcb.sndWnd); // tp->max_window
        tcb.peerMss = segment.mss() > 0 ? segment.mss() : DEFAULT_MSS;
        output.negotiateOptions(tcb, segment, true);
        if (!AccEcn.request(tcb, segment, sysctls, report)) {
            Ecn.request(tcb, segment, sysctls, report);
        }
        FastOpen.Verdict fastOpen = FastOpen.decide(listener, tcb, segment, sysctls, () -> pendingFastOpen(listener), report);
        established.insert(tcb);
        if (fastOpen == FastOpen.Verdict.CHILD) {
            fastOpenChild(listener, tcb, segment, report);
            return;
        }
        listener.synRecvChanged(+1);
        host.event(EventType.STATE_CHANGE, tuple.toString(), "LISTEN -> SYN_RECV: request created for listener " + listener.local());
        Endpoint local = listener.local();
        int iss = tcb.iss;
        int peerMss = tcb.peerMss;
        report.step("tcp.syn", () -> "SYN for listener " + local + ": request socket created in SYN_RECV and inserted in the established table"
                + " (ISN " + Seq.unsigned(iss) + ", peer MSS " + peerMss + ")");
        sendSynAck(tcb, report);
        timers.startRttTiming(tcb, tcb.iss + 1); // tcp_synack_rtt_meas(): the handshake gives the first RTT sample
        armSynAckTimer(tcb, 0);
        report.connection(tuple.toString(), tcb.state.name());
    }

    /**
     * tcp_fastopen_create_child() and tcp_conn_request()'s fastopen_sk branch: the child is a full socket in
     * SYN_RECV that owns its port, holds the SYN's data and waits in the accept queue at once; its SYN-ACK is
     * retransmitted by the child's own timer (tcp_fastopen_synack_timer()) until the client's ACK arrives.
     */
    private void fastOpenChild(Socket listener, Tcb tcb, Segment syn, PacketReport report) {
        tcb.fastOpenChild = true;
        binds.add(tcb);
        tcb.ownsPort = true;
        tcb.lastHeard = clock.now();
        tcb.inherited = listener.options().copy(); // sk_clone_lock()
        host.count(SnmpCounter.TCP_PASSIVE_OPENS); // tcp_create_openreq_child()
        host.event(EventType.STATE_CHANGE, tcb.tuple().toString(), "LISTEN -> SYN_RECV: Fast Open child socket for listener "
                + listener.local());
        FastOpen.queueSynData(tcb, syn); // the SYN-ACK acknowledges the data
        // the send queue starts after the SYN: data written before the handshake ends goes out at ISS+1
        tcb.sndUna = tcb.iss + 1;
        sendSynAck(tcb, report);
        listener.acceptQueue().addLast(tcb);
        timers.armKeepalive(tcb);
        armSynAckTimer(tcb, 0);
        report.step("tcp.fastopen", "Fast Open child " + tcb.tuple() + " in SYN_RECV waits in the accept queue of " + listener.local()
                + (syn.payload().length > 0 ? " with " + tcb.receiveQueue.size() + " bytes readable" : "")
                + "; its SYN-ACK acknowledges RCV.NXT=" + Seq.unsigned(tcb.rcvNxt));
        host.wake(listener, report);
        report.connection(tcb.tuple().toString(), tcb.state.name());
    }

    /** fastopenq.qlen: this listener's Fast Open children whose handshake has not ended. */
    private int pendingFastOpen(Socket listener) {
        int pending = 0;
        for (Tcb tcb : established.all()) {
            if (tcb.fastOpenChild && tcb.listener == listener && tcb.state == TcpState.SYN_RECV) {
                pending++;
            }
        }
        return pending;
    }

    /**
     * tcp_syn_flood_action(): no request is kept; the SYN-ACK's ISN is a cookie that encodes what the final ACK
     * must prove. Without timestamps a cookie can carry only the MSS, so the SYN-ACK offers nothing else.
     */
    private void sendCookie(Socket listener, Segment syn, PacketReport report) {
        FourTuple tuple = FourTuple.ofInbound(syn);
        int peerMss = syn.mss() > 0 ? syn.mss() : DEFAULT_MSS;
        int index = 0;
        for (int i = 0; i < IsnGenerator.COOKIE_MSS.length; i++) {
            if (IsnGenerator.COOKIE_MSS[i] <= peerMss) {
                index = i;
            }
        }
        int cookie = isns.cookie(tuple, syn.seq(), clock.now(), index);
        if (listener.lastSynFloodAt() < 0 || clock.now() - listener.lastSynFloodAt() > 1000) {
            listener.synFlood(clock.now()); // tcp_synq_overflow(): the stamp moves at most once a second (HZ)
        }
        host.count(SnmpCounter.SYNCOOKIES_SENT);
        int pending = listener.synRecv();
        int backlog = listener.backlog();
        int port = listener.local().port();
        int cookieMss = IsnGenerator.COOKIE_MSS[index];
        report.step("tcp.syncookie", () -> pending + " requests pending for backlog " + backlog
                + ": \"Possible SYN flooding on port " + port + ". Sending cookies.\" The SYN-ACK's ISN "
                + Seq.unsigned(cookie) + " is a cookie (MSS " + cookieMss + "); no state is kept");
        host.event(EventType.PACKET_DROP, tuple.toString(), "SYN answered with a SYN cookie: no request socket kept");
        host.transmit(new Segment(syn.dst(), syn.src(), TcpFlags.SYN | TcpFlags.ACK, cookie, syn.seq() + 1, 64240,
                Math.min(Tcb.advMss(listener), routes.advMss()), null), report);
        report.verdict("syn cookie");
    }

    /**
     * cookie_v4_check(): an ACK with no request behind it, shortly after this listener sent cookies, may complete
     * a cookie handshake: SEG.ACK - 1 must be a cookie for this 4-tuple and SEG.SEQ - 1. Then the connection is
     * created ESTABLISHED straight into the accept queue (or dropped when that is full).
     */
    private boolean cookieAccepted(Socket listener, Segment ack, PacketReport report) {
        if (listener.lastSynFloodAt() < 0 || clock.now() - listener.lastSynFloodAt() > 120_000) {
            return false; // tcp_synq_no_recent_overflow()
        }
        FourTuple tuple = FourTuple.ofInbound(ack);
        int index = isns.checkCookie(tuple, ack.seq() - 1, ack.ack() - 1, clock.now());
        if (index < 0) {
            return false;
        }
        host.count(SnmpCounter.SYNCOOKIES_RECV);
        if (listener.acceptQueueFull()) {
            listenDrop(true); // tcp_v4_syn_recv_sock(): exit_overflow
            report.drop(DropReason.ACCEPT_QUEUE_FULL, "a valid SYN cookie, but the accept queue is full: the ACK is dropped");
            return true;
        }
        Tcb tcb = new Tcb(tuple, TcpState.ESTABLISHED, clock.now());
        tcb.rack.initReordering(sysctls); // tcp_init_sock(): tp->reordering
        tcb.listener = listener;
        tcb.reuseAddr = listener.reuseAddr();
        tcb.advMss = Tcb.advMss(listener);
        routes.init(tcb);
        tcb.useCongestionControl(listener.options().congestion); // tcp_ca_openreq_child(): the listener's algorithm
        tcb.irs = ack.seq() - 1;
        tcb.rcvNxt = ack.seq();
        ReceiveBuffer.init(tcb, listener, false, sysctls);
        tcb.iss = ack.ack() - 1;
        tcb.sndUna = ack.ack();
        tcb.sndNxt = ack.ack();
        tcb.sndWnd = ack.window();
        tcb.peerMss = IsnGenerator.COOKIE_MSS[index];
        tcb.delivered = 1; // tcp_rcv_state_process() in SYN_RECV, as for any child
        tcb.lastHeard = clock.now();
        tcb.inherited = listener.options().copy(); // sk_clone_lock()
        host.count(SnmpCounter.TCP_PASSIVE_OPENS);
        established.insert(tcb);
        binds.add(tcb);
        tcb.ownsPort = true;
        listener.acceptQueue().addLast(tcb);
        timers.armKeepalive(tcb); // tcp_create_openreq_child(): SO_KEEPALIVE inherited, timer from now
        host.event(EventType.STATE_CHANGE, tuple.toString(), "LISTEN -> ESTABLISHED: a valid SYN cookie completes the handshake");
        int peerMss = tcb.peerMss;
        Endpoint local = listener.local();
        report.step("tcp.syncookie", () -> "SEG.ACK - 1 = " + Seq.unsigned(ack.ack() - 1) + " is a valid cookie (MSS "
                + peerMss + "): the connection is created ESTABLISHED in the accept queue of " + local);
        RcvSpace.initRcvMss(tcb); // tcp_v4_syn_recv_sock() -> tcp_initialize_rcv_mss()
        receiver.receiveDataAndFin(tcb, ack, report);
        host.wake(listener, report);
        report.connection(tuple.toString(), tcb.state.name());
        return true;
    }

    /** tcp_listendrop(): every segment a listener drops; a full accept queue is also an overflow. */
    private void listenDrop(boolean overflow) {
        if (overflow) {
            host.count(SnmpCounter.LISTEN_OVERFLOWS);
        }
        host.count(SnmpCounter.LISTEN_DROPS);
    }

    private void sendSynAck(Tcb tcb, PacketReport report) {
        host.transmit(output.synSegment(tcb, TcpFlags.SYN | TcpFlags.ACK, tcb.rcvNxt), report);
    }

    /** reqsk_timer_handler(): retransmit the SYN-ACK after 1, 2, 4, ... s; give the request up after the last. */
    private void armSynAckTimer(Tcb tcb, int retries) {
        long delay = SYNACK_TIMEOUT_MS << retries;
        tcb.stateTimer = clock.schedule(delay, "synack-retransmit", tcb.tuple().toString(), () -> {
            if (tcb.state != TcpState.SYN_RECV) {
                return;
            }
            if (tcb.fastOpenChild && retries >= sysctls.getInt(Sysctls.TCP_SYNACK_RETRIES) + 1) {
                // tcp_fastopen_synack_timer(): one retry more than a request gets, then tcp_write_err()
                host.event(EventType.TIMER_FIRED, tcb.tuple().toString(), "Fast Open SYN-ACK retries exhausted: ETIMEDOUT");
                tcb.pendingError = io.vkernel.kernel.socket.Errno.ETIMEDOUT;
                states.closeTcb(tcb, "the Fast Open SYN-ACK was never acknowledged");
                if (tcb.socket != null) {
                    host.wake(tcb.socket, null);
                }
                return;
            }
            if (!tcb.fastOpenChild && retries >= sysctls.getInt(Sysctls.TCP_SYNACK_RETRIES)) {
                host.event(EventType.TIMER_FIRED, tcb.tuple().toString(), "SYN-ACK retries exhausted: request dropped");
                dropRequest(tcb);
                return;
            }
            host.event(EventType.TIMER_FIRED, tcb.tuple().toString(), "SYN-ACK retransmission #" + (retries + 1));
            tcb.rttSentAt = -1; // Karn: no sample from a retransmitted SYN-ACK
            sendSynAck(tcb, null);
            armSynAckTimer(tcb, retries + 1);
        });
    }

    void dropRequest(Tcb tcb) {
        TcpStates.cancelTimer(tcb);
        established.remove(tcb);
        tcb.listener.synRecvChanged(-1);
        tcb.state = TcpState.CLOSE;
        host.event(EventType.STATE_CHANGE, tcb.tuple().toString(), "SYN_RECV -> CLOSED: request removed from the established table");
    }

    /** tcp_check_req(): the request socket's view of the handshake's third segment. */
    void synRecvReceives(Tcb tcb, Segment segment, PacketReport report) {
        if (segment.has(TcpFlags.RST)) {
            if (segment.seq() == tcb.rcvNxt) {
                report.step("tcp.rst", "RST at RCV.NXT: the request is dropped and the listener carries on");
                host.count(SnmpCounter.TCP_ATTEMPT_FAILS); // tcp_check_req(): embryonic reset
                dropRequest(tcb);
            } else {
                output.challengeAck(tcb, report, "RST not at RCV.NXT");
            }
            return;
        }
        if (segment.has(TcpFlags.SYN)) {
            if (segment.seq() == tcb.irs) {
                report.step("tcp.syn", "retransmitted SYN: the SYN-ACK is sent again");
                AccEcn.synAgain(tcb, segment);
                sendSynAck(tcb, report);
            } else {
                report.step("tcp.syn", "a new SYN on a pending request: reset and drop the request (embryonic reset)");
                host.count(SnmpCounter.TCP_ATTEMPT_FAILS);
                output.resetFor(segment, report);
                dropRequest(tcb);
            }
            return;
        }
        if (!segment.has(TcpFlags.ACK)) {
            report.drop(DropReason.NO_ACK_FLAG, "the handshake's third segment must carry ACK");
            return;
        }
        if (segment.ack() != tcb.sndNxt) {
            int sndNxt = tcb.sndNxt;
            report.step("tcp.ack", () -> "ACK " + Seq.unsigned(segment.ack()) + " is not ISN+1 = " + Seq.unsigned(sndNxt)
                    + ": the listener answers <SEQ=SEG.ACK><CTL=RST>");
            host.transmit(new Segment(segment.dst(), segment.src(), TcpFlags.RST, segment.ack(), 0, 0, 0, null), report);
            report.verdict("reset");
            return;
        }
        Socket listener = tcb.listener;
        if (listener.acceptQueueFull()) {
            listenDrop(true); // tcp_v4_syn_recv_sock(): exit_overflow
            if (sysctls.getInt(Sysctls.TCP_ABORT_ON_OVERFLOW) == 1) {
                report.step("tcp.overflow", "accept queue full and tcp_abort_on_overflow=1: the request is reset (embryonic_reset)");
                output.resetFor(segment, report);
                dropRequest(tcb);
            } else {
                report.drop(DropReason.ACCEPT_QUEUE_FULL, "accept queue full (" + listener.acceptQueue().size()
                        + " of backlog+1 = " + (listener.backlog() + 1) + "): the final ACK is dropped; the client thinks it is"
                        + " connected and the SYN-ACK will be retransmitted");
            }
            return;
        }
        TcpStates.cancelTimer(tcb);
        tcb.sndUna = segment.ack();
        timers.sampleRtt(tcb, segment.ack());
        tcb.sndWnd = segment.window() << tcb.sndWscale;
        tcb.maxSndWnd = Math.max(tcb.maxSndWnd, tcb.sndWnd); // tp->max_window
        listener.synRecvChanged(-1);
        states.setState(tcb, TcpState.ESTABLISHED, "third segment of the handshake");
        tcb.delivered++; // tcp_rcv_state_process(): "SYN-ACK delivery isn't tracked in tcp_ack"

        binds.add(tcb);
        tcb.ownsPort = true;
        tcb.lastHeard = clock.now();
        tcb.inherited = listener.options().copy(); // sk_clone_lock(): the child is a copy of the listener
        host.count(SnmpCounter.TCP_PASSIVE_OPENS);
        listener.acceptQueue().addLast(tcb);
        timers.armKeepalive(tcb); // tcp_create_openreq_child(): SO_KEEPALIVE inherited, timer from now
        AccEcn.thirdAck(tcb, segment, sysctls, report);
        AccEcn.received(tcb, segment);
        AccEcn.ackProcessed(tcb, segment, new AccEcn.Ack(true, false, true, 0, 0)); // SYN-ACK delivery is not counted in tcp_ack()
        Endpoint local = listener.local();
        int queued = listener.acceptQueue().size();
        report.step("tcp.established", () -> "handshake complete: the connection waits in the accept queue of " + local
                + " (" + queued + " queued); accept() will give it an FD");
        receiver.receiveDataAndFin(tcb, segment, report);
        host.wake(listener, report);
    }

    /** inet_csk_listen_stop(): every connection still in the accept queue is reset. */
    public void closeListener(Socket listener, PacketReport report) {
        for (Tcb child : listener.acceptQueue()) {
            FourTuple queued = child.tuple();
            report.step("tcp.close", () -> "listener closed: queued connection " + queued + " is reset");
            child.orphan = true;
            if (TcpStates.needsReset(child.state)) {
                output.sendReset(child, report);
            }
            states.closeTcb(child, "its listener was closed before accept()");
        }
        listener.acceptQueue().clear();
        for (Tcb request : established.all()) {
            if (request.state == TcpState.SYN_RECV && request.listener == listener && !request.fastOpenChild) {
                dropRequest(request);
            }
        }
    }
}
