package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.demux.BindTable;
import io.vkernel.kernel.demux.EstablishedTable;
import io.vkernel.kernel.demux.ListenerTable;
import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.socket.SyscallException;
import io.vkernel.kernel.time.VirtualClock;
import io.vkernel.kernel.trace.DropReason;
import io.vkernel.kernel.trace.EventType;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.Seq;
import io.vkernel.kernel.wire.TcpFlags;

/**
 * The TCP state machine: the passive open through the listener, segment arrival for a known TCB in RFC 9293
 * §3.10.7 order, the user calls that act on a connection (accept, read, write, close) and the timers they arm.
 * Every transition records an event; every reply goes out through {@link TcpHost#transmit}.
 */
public final class TcpEngine {

    /** RFC 9293 §3.7.1: the send MSS when the peer's SYN carried no MSS option (Linux TCP_MSS_DEFAULT). */
    public static final int DEFAULT_MSS = 536;
    /** What we advertise: a 1500-byte Ethernet MTU less 40 bytes of IPv4 and TCP headers. */
    public static final int ADVERTISED_MSS = 1460;
    /** TCP_TIMEWAIT_LEN: a fixed 60 s on Linux, not 2 x MSL. */
    public static final long TIME_WAIT_MS = 60_000;
    /** TCP_TIMEOUT_INIT: the first SYN-ACK retransmission comes after 1 s, then the interval doubles. */
    public static final long SYNACK_TIMEOUT_MS = 1_000;
    /** RFC 6298 §2.1 initial RTO; Linux TCP_TIMEOUT_INIT. */
    public static final long INITIAL_RTO_MS = 1_000;
    /** Linux TCP_RTO_MIN (RFC 6298 asks for 1 s; Linux uses 200 ms). */
    public static final long RTO_MIN_MS = 200;
    /** Linux TCP_RTO_MAX. */
    public static final long RTO_MAX_MS = 120_000;
    /** TCP_MAX_QUICKACKS: segments ACKed at once at the start of a connection. */
    public static final int MAX_QUICKACKS = 16;
    /** TCP_DELACK_MIN: the shortest delayed-ACK timeout. */
    public static final long DELACK_MS = 40;

    private final EstablishedTable established;
    private final ListenerTable listeners;
    private final BindTable binds;
    private final VirtualClock clock;
    private final Sysctls sysctls;
    private final IsnGenerator isns;
    private final TcpHost host;
    private final int maxConnections;
    private final TcpOutput output;
    private final TcpTimers timers;
    private final Recovery recovery;

    public TcpEngine(EstablishedTable established, ListenerTable listeners, BindTable binds, VirtualClock clock,
                     Sysctls sysctls, IsnGenerator isns, TcpHost host, int maxConnections) {
        this.maxConnections = maxConnections;
        this.output = new TcpOutput(clock, isns, host, sysctls);
        this.established = established;
        this.listeners = listeners;
        this.binds = binds;
        this.clock = clock;
        this.sysctls = sysctls;
        this.isns = isns;
        this.host = host;
        this.timers = new TcpTimers(this, output, clock, sysctls, host);
        this.recovery = new Recovery(output, host, clock, sysctls);
    }

    // ---------------------------------------------------------------- no socket (RFC 9293 §3.10.7.1)

    /** The reply to a segment that matched nothing: {@code tcp_v4_send_reset()}; never a RST for a RST. */
    public void resetNoSocket(Segment segment, PacketReport report) {
        if (segment.has(TcpFlags.RST)) {
            report.drop(DropReason.RST_NO_SOCKET, "no socket, and a RST is never answered with a RST");
            return;
        }
        report.verdict("reset");
        output.resetFor(segment, report);
    }

    // ---------------------------------------------------------------- LISTEN (RFC 9293 §3.10.7.2)

    /** A segment for a listener: a SYN starts a request in SYN_RECV, anything with ACK is reset. */
    public void listenerReceives(Socket listener, Segment segment, PacketReport report) {
        listenerReceives(listener, segment, report, 0);
    }

    /**
     * tcp_conn_request() with {@code twIsn}, the ISN a TIME_WAIT that let this SYN through chose for it (0 = none):
     * such a SYN skips the SYN-queue check (no cookie) and its request uses that ISN on the wire and in the TCB.
     */
    private void listenerReceives(Socket listener, Segment segment, PacketReport report, int twIsn) {
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
        tcb.listener = listener;
        tcb.reuseAddr = listener.reuseAddr();
        tcb.irs = segment.seq();
        tcb.rcvNxt = segment.seq() + 1;
        initReceiveBuffer(tcb, listener, segment.windowScale() >= 0);
        tcb.iss = twIsn != 0 ? twIsn : isns.isn(tuple, clock.now());
        tcb.sndUna = tcb.iss;
        tcb.sndNxt = tcb.iss + 1;
        tcb.sndWnd = segment.window();
        tcb.maxSndWnd = Math.max(tcb.maxSndWnd, tcb.sndWnd); // tp->max_window
        tcb.peerMss = segment.mss() > 0 ? segment.mss() : DEFAULT_MSS;
        output.negotiateOptions(tcb, segment, true);
        established.insert(tcb);
        listener.synRecvChanged(+1);
        host.event(EventType.STATE_CHANGE, tuple.toString(), "LISTEN -> SYN_RECV: request created for listener " + listener.local());
        report.step("tcp.syn", "SYN for listener " + listener.local() + ": request socket created in SYN_RECV and inserted in the established table"
                + " (ISN " + Seq.unsigned(tcb.iss) + ", peer MSS " + tcb.peerMss + ")");
        sendSynAck(tcb, report);
        timers.startRttTiming(tcb, tcb.iss + 1); // tcp_synack_rtt_meas(): the handshake gives the first RTT sample
        armSynAckTimer(tcb, 0);
        report.connection(tuple.toString(), tcb.state.name());
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
        listener.synFlood(clock.now());
        host.count(SnmpCounter.SYNCOOKIES_SENT);
        report.step("tcp.syncookie", listener.synRecv() + " requests pending for backlog " + listener.backlog()
                + ": \"Possible SYN flooding on port " + listener.local().port() + ". Sending cookies.\" The SYN-ACK's ISN "
                + Seq.unsigned(cookie) + " is a cookie (MSS " + IsnGenerator.COOKIE_MSS[index] + "); no state is kept");
        host.event(EventType.PACKET_DROP, tuple.toString(), "SYN answered with a SYN cookie: no request socket kept");
        host.transmit(new Segment(syn.dst(), syn.src(), TcpFlags.SYN | TcpFlags.ACK, cookie, syn.seq() + 1, 64240,
                ADVERTISED_MSS, null), report);
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
        tcb.listener = listener;
        tcb.reuseAddr = listener.reuseAddr();
        tcb.irs = ack.seq() - 1;
        tcb.rcvNxt = ack.seq();
        initReceiveBuffer(tcb, listener, false);
        tcb.iss = ack.ack() - 1;
        tcb.sndUna = ack.ack();
        tcb.sndNxt = ack.ack();
        tcb.sndWnd = ack.window();
        tcb.peerMss = IsnGenerator.COOKIE_MSS[index];
        tcb.lastHeard = clock.now();
        tcb.inherited = listener.options().copy(); // sk_clone_lock()
        host.count(SnmpCounter.TCP_PASSIVE_OPENS);
        established.insert(tcb);
        binds.add(tcb);
        tcb.ownsPort = true;
        listener.acceptQueue().addLast(tcb);
        timers.armKeepalive(tcb); // tcp_create_openreq_child(): SO_KEEPALIVE inherited, timer from now
        host.event(EventType.STATE_CHANGE, tuple.toString(), "LISTEN -> ESTABLISHED: a valid SYN cookie completes the handshake");
        report.step("tcp.syncookie", "SEG.ACK - 1 = " + Seq.unsigned(ack.ack() - 1) + " is a valid cookie (MSS "
                + tcb.peerMss + "): the connection is created ESTABLISHED in the accept queue of " + listener.local());
        receiveDataAndFin(tcb, ack, report);
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
            if (retries >= sysctls.getInt(Sysctls.TCP_SYNACK_RETRIES)) {
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

    private void dropRequest(Tcb tcb) {
        cancelTimer(tcb);
        established.remove(tcb);
        tcb.listener.synRecvChanged(-1);
        tcb.state = TcpState.CLOSE;
        host.event(EventType.STATE_CHANGE, tcb.tuple().toString(), "SYN_RECV -> CLOSED: request removed from the established table");
    }

    // ---------------------------------------------------------------- active open (RFC 9293 §3.10.7.3)

    /**
     * The receive buffer and the window scale a new connection offers: tcp_rmem[1] or the owner's SO_RCVBUF
     * (inherited from the listener), and tcp_select_initial_window()'s scale when both may scale windows.
     */
    private void initReceiveBuffer(Tcb tcb, Socket owner, boolean peerScales) {
        int soRcvBuf = owner == null ? 0 : owner.options().rcvBuf;
        tcb.rcvBufLocked = soRcvBuf > 0;
        tcb.rcvBufLimit = ReceiveBuffer.initialBuffer(sysctls, soRcvBuf);
        boolean wscaleOk = peerScales && sysctls.get(Sysctls.TCP_WINDOW_SCALING) != 0;
        tcb.offeredWscale = ReceiveBuffer.wscale(sysctls, tcb.rcvBufLimit, tcb.rcvBufLocked, wscaleOk);
    }

    /** setsockopt(SO_RCVBUF) on a connection: the buffer is the new size and autotuning stops (SOCK_RCVBUF_LOCK). */
    public void lockReceiveBuffer(Tcb tcb, int buffer) {
        tcb.rcvBufLocked = true;
        tcb.rcvBufLimit = buffer;
    }

    /** tcp_v4_connect(): a TCB in SYN_SENT, hashed with its 4-tuple, owning its local port; the SYN goes out. */
    public Tcb connect(Socket socket, FourTuple tuple, PacketReport report) {
        Tcb tcb = new Tcb(tuple, TcpState.SYN_SENT, clock.now());
        tcb.socket = socket;
        tcb.reuseAddr = socket.reuseAddr();
        initReceiveBuffer(tcb, socket, true);
        tcb.iss = isns.isn(tuple, clock.now());
        tcb.sndUna = tcb.iss;
        tcb.sndNxt = tcb.iss + 1;
        tcb.tsOffset = isns.tsOffset(tuple);
        established.insert(tcb);
        binds.add(tcb);
        tcb.ownsPort = true;
        host.event(EventType.STATE_CHANGE, tuple.toString(), "CLOSED -> SYN_SENT: connect() sends a SYN from " + tuple.local());
        host.count(SnmpCounter.TCP_ACTIVE_OPENS);
        sendSyn(tcb, report);
        timers.startRttTiming(tcb, tcb.iss + 1);
        armSynTimer(tcb);
        return tcb;
    }

    private void sendSyn(Tcb tcb, PacketReport report) {
        host.transmit(output.synSegment(tcb, TcpFlags.SYN, 0), report);
    }

    /**
     * SYN retransmissions: tcp_syn_linear_timeouts retries 1 s apart, then exponential, tcp_syn_retries more;
     * with the defaults (6 and 4) SYNs leave at 0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67 s and connect() fails at 131 s.
     */
    private void armSynTimer(Tcb tcb) {
        int linear = sysctls.getInt(Sysctls.TCP_SYN_LINEAR_TIMEOUTS);
        int n = tcb.synRetries;
        long delay = n <= linear ? INITIAL_RTO_MS : Math.min(RTO_MAX_MS, INITIAL_RTO_MS << (n - linear));
        tcb.stateTimer = clock.schedule(delay, "syn-retransmit", tcb.tuple().toString(), () -> {
            if (tcb.state != TcpState.SYN_SENT) {
                return;
            }
            if (tcb.synRetries >= sysctls.getInt(Sysctls.TCP_SYN_RETRIES) + linear) {
                host.event(EventType.TIMER_FIRED, tcb.tuple().toString(), "no answer to " + (tcb.synRetries + 1) + " SYNs: connect() fails with ETIMEDOUT");
                tcb.pendingError = Errno.ETIMEDOUT;
                closeTcb(tcb, "SYN retries exhausted");
                wakeOwner(tcb, null);
                return;
            }
            tcb.synRetries++;
            tcb.rttSentAt = -1;
            host.event(EventType.TIMER_FIRED, tcb.tuple().toString(), "SYN retransmission #" + tcb.synRetries);
            sendSyn(tcb, null);
            armSynTimer(tcb);
        });
    }

    /** RFC 9293 §3.10.7.3, tcp_rcv_synsent_state_process(). */
    private void synSentReceives(Tcb tcb, Segment segment, PacketReport report) {
        boolean hasAck = segment.has(TcpFlags.ACK);
        if (hasAck && (Seq.beforeOrEqual(segment.ack(), tcb.iss) || Seq.after(segment.ack(), tcb.sndNxt))) {
            if (!segment.has(TcpFlags.RST)) {
                report.step("tcp.syn_sent", "ACK " + Seq.unsigned(segment.ack()) + " does not acknowledge our SYN: reset <SEQ=SEG.ACK>");
                host.transmit(new Segment(segment.dst(), segment.src(), TcpFlags.RST, segment.ack(), 0, 0, 0, null), report);
                report.verdict("reset");
            } else {
                report.drop(DropReason.OUT_OF_WINDOW, "RST whose ACK does not cover our SYN is ignored");
            }
            return;
        }
        if (segment.has(TcpFlags.RST)) {
            if (!hasAck) {
                report.drop(DropReason.NO_ACK_FLAG, "a RST in SYN_SENT must acknowledge our SYN");
                return;
            }
            report.step("tcp.rst", "connection refused: the peer answered our SYN with RST");
            tcb.pendingError = Errno.ECONNREFUSED;
            closeTcb(tcb, "RST in SYN_SENT (connection refused)");
            report.verdict("refused");
            wakeOwner(tcb, report);
            return;
        }
        if (!segment.has(TcpFlags.SYN)) {
            report.drop(DropReason.NO_ACK_FLAG, "SYN_SENT waits for a SYN");
            return;
        }
        cancelTimer(tcb);
        tcb.irs = segment.seq();
        tcb.rcvNxt = segment.seq() + 1;
        tcb.sndWnd = segment.window();
        tcb.maxSndWnd = Math.max(tcb.maxSndWnd, tcb.sndWnd); // tp->max_window
        tcb.peerMss = segment.mss() > 0 ? segment.mss() : DEFAULT_MSS;
        tcb.lastHeard = clock.now();
        output.negotiateOptions(tcb, segment, false);
        if (hasAck) {
            tcb.sndUna = segment.ack();
            timers.sampleRtt(tcb, segment.ack());
            setState(tcb, TcpState.ESTABLISHED, "SYN-ACK received; connect() returns 0");
            report.step("tcp.established", "SYN-ACK acknowledges our SYN: ESTABLISHED, ACK sent");
            output.sendAck(tcb, report);
            timers.armKeepalive(tcb);
            wakeOwner(tcb, report);
        } else {
            setState(tcb, TcpState.SYN_RECV, "simultaneous open: a SYN crossed ours");
            host.transmit(output.synSegment(tcb, TcpFlags.SYN | TcpFlags.ACK, tcb.rcvNxt), report);
        }
    }

    void wakeOwner(Tcb tcb, PacketReport report) {
        if (tcb.socket != null) {
            host.wake(tcb.socket, report);
        }
    }

    // ---------------------------------------------------------------- a known TCB (RFC 9293 §3.10.7.4)

    /** Segment arrival for a TCB found in the established table, checks in RFC 9293 §3.10.7 order. */
    public void segmentArrives(Tcb tcb, Segment segment, PacketReport report) {
        if (report.tracing()) {
            report.step("tcp.tcb", "TCB " + tcb.tuple() + " in " + tcb.state + ": SND.UNA=" + Seq.unsigned(tcb.sndUna)
                    + " SND.NXT=" + Seq.unsigned(tcb.sndNxt) + " RCV.NXT=" + Seq.unsigned(tcb.rcvNxt) + " RCV.WND=" + tcb.rcvWnd());
        }
        tcb.lastHeard = clock.now();
        tcb.keepaliveProbes = 0;
        tcb.tsRecentPrior = tcb.tsRecent;
        if (tcb.tsOk && segment.timestamps() != null && !segment.has(TcpFlags.RST) && tcb.state != TcpState.TIME_WAIT) {
            tcb.tsRecent = segment.timestamps().value(); // RFC 7323 §4.3, simplified: the latest TSval is echoed
        }
        if (tcb.state == TcpState.SYN_SENT) {
            synSentReceives(tcb, segment, report);
        } else if (tcb.state == TcpState.SYN_RECV && tcb.listener == null) {
            simultaneousOpenAck(tcb, segment, report);
        } else if (tcb.state == TcpState.SYN_RECV) {
            synRecvReceives(tcb, segment, report);
        } else if (tcb.state == TcpState.TIME_WAIT) {
            timeWaitReceives(tcb, segment, report);
        } else {
            synchronizedReceives(tcb, segment, report);
        }
        if (report.tracing()) {
            report.connection(tcb.tuple().toString(), tcb.state == TcpState.CLOSE ? "CLOSED" : tcb.state.name());
        }
    }

    /** The ACK that completes a simultaneous open (RFC 9293 Figure 8): SYN_RECV without a listener. */
    private void simultaneousOpenAck(Tcb tcb, Segment segment, PacketReport report) {
        if (segment.has(TcpFlags.ACK) && segment.ack() == tcb.sndNxt) {
            tcb.sndUna = segment.ack();
            setState(tcb, TcpState.ESTABLISHED, "simultaneous open completed");
            timers.armKeepalive(tcb);
            wakeOwner(tcb, report);
            receiveDataAndFin(tcb, segment, report);
        } else {
            synchronizedReceives(tcb, segment, report);
        }
    }

    /** tcp_check_req(): the request socket's view of the handshake's third segment. */
    private void synRecvReceives(Tcb tcb, Segment segment, PacketReport report) {
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
            report.step("tcp.ack", "ACK " + Seq.unsigned(segment.ack()) + " is not ISN+1 = " + Seq.unsigned(tcb.sndNxt)
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
        cancelTimer(tcb);
        tcb.sndUna = segment.ack();
        timers.sampleRtt(tcb, segment.ack());
        tcb.sndWnd = segment.window() << tcb.sndWscale;
        tcb.maxSndWnd = Math.max(tcb.maxSndWnd, tcb.sndWnd); // tp->max_window
        listener.synRecvChanged(-1);
        setState(tcb, TcpState.ESTABLISHED, "third segment of the handshake");
        binds.add(tcb);
        tcb.ownsPort = true;
        tcb.lastHeard = clock.now();
        tcb.inherited = listener.options().copy(); // sk_clone_lock(): the child is a copy of the listener
        host.count(SnmpCounter.TCP_PASSIVE_OPENS);
        listener.acceptQueue().addLast(tcb);
        timers.armKeepalive(tcb); // tcp_create_openreq_child(): SO_KEEPALIVE inherited, timer from now
        report.step("tcp.established", "handshake complete: the connection waits in the accept queue of " + listener.local()
                + " (" + listener.acceptQueue().size() + " queued); accept() will give it an FD");
        receiveDataAndFin(tcb, segment, report);
        host.wake(listener, report);
    }

    /** tcp_timewait_state_process() for a real TIME_WAIT. */
    private void timeWaitReceives(Tcb tcb, Segment segment, PacketReport report) {
        if (segment.has(TcpFlags.RST)) {
            if (sysctls.getInt(Sysctls.TCP_RFC1337) == 1) {
                report.drop(DropReason.OUT_OF_WINDOW, "tcp_rfc1337=1: TIME_WAIT ignores RST (RFC 1337)");
            } else if (acceptable(tcb, segment)) {
                report.step("tcp.rst", "RST in window kills TIME_WAIT (tcp_rfc1337=0)");
                closeTcb(tcb, "RST in TIME_WAIT");
            } else {
                report.drop(DropReason.OUT_OF_WINDOW, "RST outside the window is ignored");
            }
            return;
        }
        if (TimeWaitReuse.acceptsSyn(tcb, segment)) {
            Socket listener = listeners.find(tcb.tuple().local());
            if (listener != null && listener.isListening()) {
                // RFC 9293 §3.6.1 MAY-2; tcp_timewait_state_process() TCP_TW_SYN: ISN = tw_snd_nxt + 65535 + 2
                int nextIss = TimeWaitReuse.isn(tcb);
                report.step("tcp.time_wait", "SYN above RCV.NXT with a listener: TIME_WAIT ends, a new connection starts"
                        + " with ISN = old SND.NXT + 65537 = " + Seq.unsigned(nextIss));
                closeTcb(tcb, "new SYN reuses the 4-tuple");
                listenerReceives(listener, segment, report, nextIss);
                return;
            }
        }
        if (segment.seq() == tcb.rcvNxt && segment.length() == 0) {
            // tcp_timewait_state_process(): an in-window bare ACK is taken silently (TCP_TW_SUCCESS)
            report.step("tcp.time_wait", "TIME_WAIT still holds " + tcb.tuple() + ": an in-window bare ACK is taken "
                    + "silently and the 60 s timer restarts");
            armTimeWait(tcb);
            return;
        }
        report.step("tcp.time_wait", "TIME_WAIT still holds " + tcb.tuple() + ": it answers with an ACK"
                + (segment.has(TcpFlags.ACK) ? " and restarts its 60 s timer" : "")
                + (segment.has(TcpFlags.FIN) ? " (a retransmitted FIN: our ACK of it was lost)" : ""));
        if (segment.has(TcpFlags.ACK)) {
            armTimeWait(tcb);
        }
        output.outOfWindowAck(tcb, segment, SnmpCounter.TCP_ACK_SKIPPED_TIME_WAIT, report); // tcp_timewait_check_oow_rate_limit()
    }

    private void synchronizedReceives(Tcb tcb, Segment segment, PacketReport report) {
        // first: sequence number acceptability
        if (!acceptable(tcb, segment)) {
            if (segment.has(TcpFlags.SYN) && !segment.has(TcpFlags.RST)) {
                host.count(SnmpCounter.TCP_SYN_CHALLENGE); // tcp_validate_incoming(): goto syn_challenge
                host.count(SnmpCounter.TCP_IN_ERRS);
                output.challengeAck(tcb, report, "SYN outside the window");
            } else if (!segment.has(TcpFlags.RST)) {
                if (segment.length() > 0 && Seq.before(segment.seq(), tcb.rcvNxt)) {
                    int end = segment.seq() + segment.length();
                    reportDuplicate(tcb, segment.seq(), Seq.after(end, tcb.rcvNxt) ? tcb.rcvNxt : end); // tcp_send_dupack()
                }
                output.outOfWindowAck(tcb, segment, SnmpCounter.TCP_ACK_SKIPPED_SEQ, report);
            }
            boolean old = Seq.beforeOrEqual(segment.seq() + segment.length(), tcb.rcvNxt) && segment.length() > 0;
            report.drop(old ? DropReason.DUPLICATE : DropReason.OUT_OF_WINDOW, "SEG.SEQ=" + Seq.unsigned(segment.seq())
                    + " LEN=" + segment.length() + " against RCV.NXT=" + Seq.unsigned(tcb.rcvNxt) + " RCV.WND=" + tcb.rcvWnd());
            return;
        }
        // second: RST (RFC 5961 §3.2 as RFC 9293 §3.10.7.4 adopts it)
        if (segment.has(TcpFlags.RST)) {
            if (segment.seq() != tcb.rcvNxt) {
                output.challengeAck(tcb, report, "RST in window but not exactly at RCV.NXT");
                return;
            }
            peerReset(tcb, report);
            return;
        }
        // fourth: SYN on a synchronized connection
        if (segment.has(TcpFlags.SYN)) {
            host.count(SnmpCounter.TCP_SYN_CHALLENGE); // tcp_validate_incoming(): syn_challenge
            host.count(SnmpCounter.TCP_IN_ERRS);
            output.challengeAck(tcb, report, "SYN on a synchronized connection");
            return;
        }
        // fifth: ACK
        if (!segment.has(TcpFlags.ACK)) {
            report.drop(DropReason.NO_ACK_FLAG, "segments on a synchronized connection must carry ACK");
            return;
        }
        if (unacceptableAck(tcb, segment, report)) {
            return;
        }
        if (!processAck(tcb, segment, report)) {
            return;
        }
        receiveDataAndFin(tcb, segment, report);
    }

    /**
     * RFC 5961 §5.2 as tcp_ack() applies it: SEG.ACK must lie in [SND.UNA - MAX.SND.WND, SND.NXT], where Linux bounds
     * MAX.SND.WND by the bytes acknowledged so far; outside it the segment is dropped and answered with a challenge
     * ACK (also for SEG.ACK > SND.NXT since Linux 6.19), and TS.Recent keeps its old value.
     */
    private boolean unacceptableAck(Tcb tcb, Segment segment, PacketReport report) {
        long maxWindow = Math.min(Math.max(tcb.maxSndWnd, tcb.sndWnd) & 0xffffffffL, Integer.toUnsignedLong(tcb.sndUna - tcb.iss));
        DropReason reason;
        if (Seq.after(segment.ack(), tcb.sndNxt)) {
            reason = DropReason.ACK_UNSENT_DATA;
        } else if (Seq.before(segment.ack(), tcb.sndUna - (int) maxWindow)) {
            reason = DropReason.ACK_TOO_OLD;
        } else {
            return false;
        }
        tcb.tsRecent = tcb.tsRecentPrior;
        report.drop(reason, "SEG.ACK=" + Seq.unsigned(segment.ack()) + " is outside [SND.UNA - MAX.SND.WND, SND.NXT] = ["
                + Seq.unsigned(tcb.sndUna - (int) maxWindow) + ", " + Seq.unsigned(tcb.sndNxt) + "]");
        output.challengeAck(tcb, report, "unacceptable ACK");
        return true;
    }

    /** Applies SEG.ACK; returns false when the connection ended here (LAST_ACK acknowledged). */
    private boolean processAck(Tcb tcb, Segment segment, PacketReport report) {
        boolean windowWasClosed = tcb.sndWnd == 0;
        int priorUna = tcb.sndUna;
        int priorWnd = tcb.sndWnd;
        int priorInFlight = tcb.sndNxt - tcb.sndUna;
        if (Seq.after(segment.ack(), tcb.sndUna)) {
            int acked = segment.ack() - tcb.sndUna;
            int dataAcked = Math.min(acked, tcb.sendQueue.size());
            tcb.sendQueue.drop(dataAcked);
            tcb.sndUna = segment.ack();
            tcb.pushMarks.acked(tcb.sndUna);
            if (report.tracing()) {
                report.step("tcp.ack", "ACK " + Seq.unsigned(segment.ack()) + " acknowledges " + acked + " sequence numbers"
                        + (dataAcked > 0 ? " (" + dataAcked + " bytes leave the send buffer)" : ""));
            }
            timers.sampleRtt(tcb, segment.ack());
            if (tcb.retransmits > 0 && tcb.srttMs >= 0) {
                tcb.rtoMs = timers.baseRto(tcb); // the ACK of new data undoes the exponential backoff
            }
            tcb.retransmits = 0;
            timers.cancelRetransmit(tcb);
            if (tcb.sndUna != tcb.sndNxt) {
                timers.armRetransmit(tcb);
            }
            if (dataAcked > 0 && tcb.socket != null) {
                host.wake(tcb.socket, report); // writers blocked on a full send buffer
            }
        }
        tcb.sndWnd = segment.window() << tcb.sndWscale;
        tcb.maxSndWnd = Math.max(tcb.maxSndWnd, tcb.sndWnd); // tcp_ack_update_window()
        if (tcb.sndWnd > 0 && tcb.persistTimer != null) {
            tcb.persistTimer.cancel();
            tcb.persistTimer = null;
            tcb.zeroWindowProbes = 0;
        }
        if (windowWasClosed && tcb.sndWnd > 0) {
            report.step("tcp.window", "the peer's window reopened to " + tcb.sndWnd + " bytes: sending resumes");
        }
        if (priorInFlight > 0 || tcb.caState != CaState.OPEN) {
            // tcp_ack(): a duplicate ACK acknowledges nothing new, carries no data and leaves the window alone
            boolean duplicate = segment.ack() == priorUna && segment.length() == 0 && tcb.sndWnd == priorWnd;
            recovery.onAck(tcb, segment, tcb.sndUna - priorUna, duplicate, priorInFlight, sendMss(tcb), report);
        }
        boolean finAcked = tcb.finQueued && tcb.sndNxt == tcb.finSeq + 1 && tcb.sndUna == tcb.sndNxt;
        switch (tcb.state) {
            case FIN_WAIT1 -> {
                if (finAcked) {
                    setState(tcb, TcpState.FIN_WAIT2, "our FIN was acknowledged");
                    if (tcb.orphan) {
                        armFinWait2Timeout(tcb);
                    }
                }
            }
            case CLOSING -> {
                if (finAcked) {
                    enterTimeWait(tcb, "our FIN was acknowledged in CLOSING");
                }
            }
            case LAST_ACK -> {
                if (finAcked) {
                    report.step("tcp.closed", "the ACK of our FIN ends the connection: removed from the established table, buffers freed");
                    closeTcb(tcb, "our FIN was acknowledged in LAST_ACK");
                    return false;
                }
            }
            default -> {
            }
        }
        transmitPending(tcb, report);
        return true;
    }

    /** Sixth and eighth steps: queue in-order data (reassembling held segments), then the FIN. */
    private void receiveDataAndFin(Tcb tcb, Segment segment, PacketReport report) {
        byte[] payload = segment.payload();
        boolean took = false;
        if (payload.length > 0) {
            if (tcb.orphan && (tcb.state == TcpState.FIN_WAIT1 || tcb.state == TcpState.FIN_WAIT2)) {
                // tcp_rcv_state_process(): new data for a closed socket; RFC 1122 says we MUST reset (TCPAbortOnData).
                report.step("tcp.data", "data for a socket the application already closed: RST (RFC 1122 §4.2.2.13; "
                        + "tcp_reset(), then tcp_v4_do_rcv() answers the segment itself)");
                host.count(SnmpCounter.TCP_ABORT_ON_DATA);
                output.resetFor(segment, report);
                closeTcb(tcb, "data arrived after close()");
                report.verdict("reset");
                return;
            }
            if (tcb.state == TcpState.ESTABLISHED || tcb.state == TcpState.FIN_WAIT1 || tcb.state == TcpState.FIN_WAIT2) {
                took = queueData(tcb, segment, report);
            } else {
                report.step("tcp.data", "data after the peer's FIN is ignored in " + tcb.state);
            }
        }
        boolean fin = false;
        if (segment.has(TcpFlags.FIN)) {
            int finSeq = segment.seq() + payload.length;
            if (finSeq == tcb.rcvNxt) {
                fin = true;
                peerFin(tcb, report);
            } else {
                report.step("tcp.fin", "FIN at " + Seq.unsigned(finSeq) + " waits: bytes before it are missing (RCV.NXT="
                        + Seq.unsigned(tcb.rcvNxt) + ")");
            }
        }
        if (fin && finAckMayWait(tcb, took ? payload.length : 0)) {
            report.step("tcp.delack", "the ACK of the FIN waits for the delayed-ACK timer (" + TcpEngine.DELACK_MS
                    + " ms): data came before it, and tcp_fin() put the socket in pingpong mode, which ends quick-ack mode");
            tcb.unackedBytes += took ? payload.length : 0;
            output.scheduleDelayedAck(tcb);
        } else if (fin || (payload.length > 0 && !took && tcb.state != TcpState.CLOSE)) {
            output.sendAck(tcb, report); // a FIN, a gap or a duplicate is answered at once
        } else if (took) {
            output.ackData(tcb, payload.length, report);
        }
        if ((took || fin) && tcb.socket != null) {
            host.wake(tcb.socket, report);
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

    private boolean queueData(Tcb tcb, Segment segment, PacketReport report) {
        byte[] payload = segment.payload();
        int offset = tcb.rcvNxt - segment.seq();
        if (offset < 0) {
            int room = tcb.rcvBufLimit - tcb.receiveQueue.size();
            if (payload.length <= room) {
                noteOutOfOrder(tcb, segment.seq(), payload.length);
                // keep the longer of two held segments that start at the same byte (tcp_data_queue_ofo() merges)
                tcb.ofo().merge(segment.seq(), payload, (held, fresh) -> held.length >= fresh.length ? held : fresh);
                report.step("tcp.ofo", payload.length + " bytes at " + Seq.unsigned(segment.seq()) + " are ahead of RCV.NXT="
                        + Seq.unsigned(tcb.rcvNxt) + ": held for reassembly, duplicate ACK sent");
            } else {
                report.drop(DropReason.RECEIVE_BUFFER_FULL, "no room to hold an out-of-order segment");
            }
            return false;
        }
        if (offset > 0) {
            reportDuplicate(tcb, segment.seq(), tcb.rcvNxt); // tcp_data_queue(): partial packet, seq < rcv_nxt < end_seq
        }
        int fresh = payload.length - offset;
        int room = Math.max(0, tcb.rcvBufLimit - tcb.receiveQueue.size());
        int take = Math.min(fresh, room);
        if (take <= 0) {
            report.drop(DropReason.RECEIVE_BUFFER_FULL, "receive buffer full: " + tcb.receiveQueue.size() + " of " + tcb.rcvBufLimit + " bytes");
            return false;
        }
        tcb.receiveQueue.append(payload, offset, take);
        tcb.rcvNxt += take;
        tcb.dataReceived = true;
        if (payload.length >= tcb.rcvMss) {
            tcb.rcvMss = Math.min(payload.length, ADVERTISED_MSS); // tcp_measure_rcv_mss()
        }
        if (report.tracing()) {
            report.step("tcp.data", take + " bytes appended to the receive buffer (" + tcb.receiveQueue.size() + " / "
                    + tcb.rcvBufLimit + " bytes used); RCV.NXT=" + Seq.unsigned(tcb.rcvNxt));
        }
        reassemble(tcb, report);
        if (tcb.rcvSack != null) {
            tcb.rcvSack.advanced(tcb.rcvNxt, tcb.hasOfo()); // tcp_sack_remove()
        }
        return true;
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
    private void reportDuplicate(Tcb tcb, int start, int end) {
        if (!tcb.sackOk || sysctls.getInt(Sysctls.TCP_DSACK) == 0) {
            return;
        }
        host.count(Seq.before(start, tcb.rcvNxt) ? SnmpCounter.TCP_DSACK_OLD_SENT : SnmpCounter.TCP_DSACK_OFO_SENT);
        if (tcb.rcvSack == null) {
            tcb.rcvSack = new ReceiverSack();
        }
        tcb.rcvSack.duplicate(start, end);
    }

    private void reassemble(Tcb tcb, PacketReport report) {
        while (tcb.hasOfo()) {
            var first = tcb.ofo().firstEntry();
            int start = first.getKey();
            byte[] bytes = first.getValue();
            if (Seq.after(start, tcb.rcvNxt)) {
                return;
            }
            tcb.ofo().pollFirstEntry();
            int offset = tcb.rcvNxt - start;
            if (offset < bytes.length) {
                int take = Math.min(bytes.length - offset, tcb.rcvBufLimit - tcb.receiveQueue.size());
                tcb.receiveQueue.append(bytes, offset, take);
                tcb.rcvNxt += take;
                report.step("tcp.reassembly", take + " held bytes now follow in order; RCV.NXT=" + Seq.unsigned(tcb.rcvNxt));
            }
        }
    }

    /** tcp_fin(): the peer has no more data. */
    private void peerFin(Tcb tcb, PacketReport report) {
        tcb.rcvNxt += 1;
        tcb.finReceived = true;
        tcb.clearOfo();
        switch (tcb.state) {
            case ESTABLISHED -> setState(tcb, TcpState.CLOSE_WAIT, "peer's FIN: read() returns 0 once the buffer is empty");
            case FIN_WAIT1 -> {
                if (tcb.sndUna == tcb.sndNxt && tcb.finQueued) {
                    enterTimeWait(tcb, "peer's FIN acknowledges ours");
                } else {
                    setState(tcb, TcpState.CLOSING, "peer's FIN crossed ours (simultaneous close)");
                }
            }
            case FIN_WAIT2 -> enterTimeWait(tcb, "peer's FIN after ours was acknowledged");
            default -> {
            }
        }
        report.step("tcp.fin", "FIN received: state " + tcb.state);
    }

    private void peerReset(Tcb tcb, PacketReport report) {
        Errno error = tcb.state == TcpState.CLOSE_WAIT ? Errno.EPIPE : Errno.ECONNRESET;
        boolean report1 = tcb.state == TcpState.ESTABLISHED || tcb.state == TcpState.FIN_WAIT1
                || tcb.state == TcpState.FIN_WAIT2 || tcb.state == TcpState.CLOSE_WAIT;
        if (report1 && !tcb.orphan) {
            tcb.pendingError = error;
        }
        tcb.reset = true;
        report.step("tcp.rst", "RST at RCV.NXT: connection reset" + (report1 && !tcb.orphan
                ? "; queued data stays readable, then the next call reports " + error : ""));
        closeTcb(tcb, "peer sent RST");
        report.verdict("reset by peer");
        if (tcb.socket != null) {
            host.wake(tcb.socket, report);
        }
    }

    /** RFC 9293 §3.10.7.4 acceptability test (Figure in "first check sequence number"). */
    private static boolean acceptable(Tcb tcb, Segment segment) {
        int window = tcb.rcvWnd();
        int length = segment.length();
        if (length == 0) {
            return window == 0 ? segment.seq() == tcb.rcvNxt : Seq.inWindow(segment.seq(), tcb.rcvNxt, window);
        }
        if (window == 0) {
            return false;
        }
        return Seq.inWindow(segment.seq(), tcb.rcvNxt, window) || Seq.inWindow(segment.seq() + length - 1, tcb.rcvNxt, window);
    }

    // ---------------------------------------------------------------- user calls

    /** Arms the keepalive timer when the socket has SO_KEEPALIVE (tcp_set_keepalive()); off by default. */
    public void armKeepalive(Tcb tcb) {
        timers.armKeepalive(tcb);
    }

    /** The accepted connection gets its socket: from now on wake-ups for it go to that socket's wait queue. */
    public void attach(Tcb tcb, Socket socket) {
        tcb.socket = socket;
    }

    /** sock_error(): the pending error, cleared as it is reported. */
    public Errno takeError(Tcb tcb) {
        Errno error = tcb.pendingError;
        tcb.pendingError = null;
        return error;
    }

    /** inet_csk_accept(): takes the oldest connection from the accept queue, or null when it is empty. */
    public Tcb accept(Socket listener) {
        return listener.acceptQueue().pollFirst();
    }

    /** tcp_recvmsg(): data first, then EOF after a FIN, then a pending error once, else null (would block). */
    public byte[] read(Tcb tcb, int max, PacketReport report) {
        if (!tcb.receiveQueue.isEmpty()) {
            int before = tcb.rcvWnd();
            byte[] data = tcb.receiveQueue.take(max);
            if (before < ADVERTISED_MSS && tcb.rcvWnd() >= ADVERTISED_MSS && tcb.state != TcpState.CLOSE) {
                output.sendAck(tcb, report); // window update once the window reopens by at least one MSS
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

    /** tcp_sendmsg(): copies into the send buffer as room allows and transmits at the peer's MSS; 0 = would block. */
    public int write(Tcb tcb, byte[] data, PacketReport report) {
        if (tcb.pendingError != null) {
            Errno error = tcb.pendingError;
            tcb.pendingError = null;
            throw new SyscallException(error);
        }
        if (tcb.reset || tcb.writeShutdown || tcb.state == TcpState.CLOSE) {
            throw new SyscallException(Errno.EPIPE);
        }
        if (tcb.state != TcpState.ESTABLISHED && tcb.state != TcpState.CLOSE_WAIT) {
            throw new SyscallException(Errno.EPIPE);
        }
        // sk_sndbuf: SO_SNDBUF's doubled value when set, else tcp_wmem[1]
        int soSndBuf = tcb.socket == null ? 0 : tcb.socket.options().sndBuf;
        int limit = soSndBuf > 0 ? soSndBuf : sysctls.getInt(Sysctls.TCP_WMEM_DEFAULT);
        int take = Math.min(data.length, Math.max(0, limit - tcb.sendQueue.size()));
        int oldEnd = tcb.sndUna + tcb.sendQueue.size();
        tcb.sendQueue.append(data, 0, take);
        if (take > 0) {
            markPushes(tcb, oldEnd, oldEnd + take);
        }
        transmitPending(tcb, report, true);
        return take;
    }

    /**
     * tcp_sendmsg_locked(): new bytes join an unsent tail skb (its PSH moves to the new end) or fill new skbs of
     * size_goal; each full skb is pushed with PSH when more than half the peer's largest window went unpushed
     * (forced_push(), tcp_mark_push()), and tcp_push() marks the end of the write.
     */
    private void markPushes(Tcb tcb, int oldEnd, int end) {
        if (Seq.after(oldEnd, tcb.sndNxt)) {
            tcb.pushMarks.removeLastIf(oldEnd);
        }
        if (Seq.before(tcb.pushedSeq, tcb.sndUna)) {
            tcb.pushedSeq = tcb.sndUna;
        }
        int half = maxWindow(tcb) >> 1;
        int goal = sizeGoal(tcb);
        for (int boundary = oldEnd + goal; Seq.before(boundary, end); boundary += goal) {
            if (Seq.after(boundary, tcb.pushedSeq + half)) {
                tcb.pushMarks.add(boundary);
                tcb.pushedSeq = boundary;
            }
        }
        tcb.pushMarks.add(end);
        tcb.pushedSeq = end;
    }

    private static int maxWindow(Tcb tcb) {
        return Math.max(tcb.maxSndWnd, tcb.sndWnd);
    }

    /**
     * tcp_current_mss(): the peer's MSS (at most what a 1500-byte MTU carries) less the timestamp option, and never
     * more than half the largest window the peer offered (tcp_sync_mss() -> tcp_bound_to_half_wnd()).
     */
    static int sendMss(Tcb tcb) {
        int mss = Math.min(tcb.peerMss, ADVERTISED_MSS) - (tcb.tsOk ? 12 : 0);
        int window = Math.max(tcb.maxSndWnd, tcb.sndWnd);
        int cutoff = window > DEFAULT_MSS ? window >> 1 : window;
        if (cutoff > 0 && mss > cutoff) {
            return Math.max(cutoff, 68 - (tcb.tsOk ? 32 : 20));
        }
        return mss;
    }

    /** sk_gso_max_size: 64 KB less MAX_TCP_HEADER + 1, as sk_setup_caps() leaves it. */
    static final int GSO_MAX_BYTES = 65536 - 321;

    /**
     * tcp_xmit_size_goal(): with segmentation offload a send is built in super-segments of whole MSS up to 64 KB,
     * bounded by half the peer's largest window (tcp_bound_to_half_wnd()); without it, one MSS.
     */
    private int sizeGoal(Tcb tcb) {
        int mss = sendMss(tcb);
        if (!sysctls.gso()) {
            return mss;
        }
        int window = maxWindow(tcb);
        int cutoff = window > DEFAULT_MSS ? window >> 1 : window;
        int bound = cutoff > 0 ? Math.min(GSO_MAX_BYTES, cutoff) : GSO_MAX_BYTES;
        return Math.max(mss, bound / mss * mss);
    }

    private void transmitPending(Tcb tcb, PacketReport report) {
        transmitPending(tcb, report, false);
    }

    /**
     * tcp_write_xmit(): unsent bytes leave within the peer's window, cut at push marks, one MSS at a time or, with
     * GSO (vkernel.gso=1), as super-segments of up to 64 KB the way a tun device hands them to packetdrill; then a
     * queued FIN. A burst straight from write() that the window stops carries PSH on its last segment, as Linux's
     * do on the wire; later segments that end mid-write do not.
     */
    private void transmitPending(Tcb tcb, PacketReport report, boolean fromWrite) {
        int inFlight = tcb.sndNxt - tcb.sndUna;
        int unsent = tcb.sendQueue.size() - Math.min(inFlight, tcb.sendQueue.size());
        int mss = sendMss(tcb);
        int maxSegment = sizeGoal(tcb);
        while (unsent > 0) {
            int usable = tcb.sndWnd - (tcb.sndNxt - tcb.sndUna);
            int want = Math.min(unsent, maxSegment);
            int mark = tcb.pushMarks.nextAfter(tcb.sndNxt, tcb.sndNxt + want);
            want = Math.min(want, mark - tcb.sndNxt);
            int room = Recovery.cwndRoom(tcb, mss);
            tcb.cwndLimited = room < want && room <= usable;
            int size = Math.min(Math.min(want, usable), room);
            if (size <= 0) {
                if (tcb.sndWnd == 0 && tcb.sndNxt == tcb.sndUna) {
                    timers.armPersist(tcb); // nothing in flight to bring a window update: probe for it
                }
                return;
            }
            boolean small = size < mss;
            if (small && nagleHolds(tcb)) {
                if (report.tracing()) {
                    report.step("tcp.nagle", size + " bytes wait: a smaller-than-MSS segment is still unacknowledged "
                            + "(Nagle's algorithm, tcp_nagle_check(); TCP_NODELAY turns it off)");
                }
                return;
            }
            byte[] chunk = tcb.sendQueue.peek(tcb.sndNxt - tcb.sndUna, size);
            boolean push = tcb.pushMarks.isMark(tcb.sndNxt + size) || (fromWrite && size == usable && size < unsent)
                    || (fromWrite && size < want);
            int flags = TcpFlags.ACK | (push ? TcpFlags.PSH : 0);
            host.transmit(output.out(tcb, flags, tcb.sndNxt, tcb.rcvNxt, chunk), report);
            timers.startRttTiming(tcb, tcb.sndNxt + size);
            tcb.sndNxt += size;
            if (small) {
                tcb.sndSml = tcb.sndNxt;
            }
            unsent -= size;
            timers.armRetransmit(tcb);
        }
        if (tcb.finQueued && tcb.sndNxt == tcb.finSeq) {
            if (Seq.after(tcb.sndNxt + 1, tcb.sndUna + tcb.sndWnd)) {
                // tcp_snd_wnd_test(): the FIN takes a sequence number, so it too waits for window; with nothing in
                // flight to bring an update, tcp_check_probe_timer() starts the zero-window probes.
                if (tcb.sndNxt == tcb.sndUna) {
                    timers.armPersist(tcb);
                }
                report.step("tcp.window", "the FIN waits: the peer's window is full (SND.WND=" + tcb.sndWnd + ")");
                return;
            }
            host.transmit(output.out(tcb, TcpFlags.FIN | TcpFlags.ACK, tcb.sndNxt, tcb.rcvNxt, null), report);
            tcb.sndNxt += 1;
            timers.armRetransmit(tcb);
        }
    }

    /**
     * tcp_nagle_check() with tcp_minshall_check(): a small segment waits while an earlier small segment is still
     * unacknowledged, unless TCP_NODELAY is set or a FIN is queued behind it.
     */
    private static boolean nagleHolds(Tcb tcb) {
        boolean noDelay = tcb.socket != null && tcb.socket.options().noDelay;
        if (noDelay || tcb.finQueued) {
            return false;
        }
        return Seq.after(tcb.sndSml, tcb.sndUna) && Seq.beforeOrEqual(tcb.sndSml, tcb.sndNxt);
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
                closeTcb(tcb, "close() in SYN_SENT");
                return;
            }
            default -> {
            }
        }
        if (unread > 0 && tcb.state != TcpState.TIME_WAIT) {
            // RFC 2525 §2.17, __tcp_close(): "we send a RST here because data was lost" (TCPAbortOnClose).
            report.step("tcp.close", unread + " unread bytes discarded: RST instead of FIN (RFC 2525 §2.17)");
            host.count(SnmpCounter.TCP_ABORT_ON_CLOSE);
            output.sendReset(tcb, report);
            closeTcb(tcb, "close() with unread data");
            return;
        }
        if (lingerZero) {
            report.step("tcp.close", "SO_LINGER {1, 0}: abort with RST");
            host.count(SnmpCounter.TCP_ABORT_ON_LINGER);
            if (needsReset(tcb.state)) {
                output.sendReset(tcb, report);
            }
            closeTcb(tcb, "close() with SO_LINGER {1, 0}");
            return;
        }
        switch (tcb.state) {
            case ESTABLISHED, SYN_RECV -> {
                setState(tcb, TcpState.FIN_WAIT1, "close(): FIN sent after any unsent data");
                queueFin(tcb, report);
            }
            case CLOSE_WAIT -> {
                setState(tcb, TcpState.LAST_ACK, "close() after the peer's FIN: our FIN sent");
                queueFin(tcb, report);
            }
            case FIN_WAIT2 -> armFinWait2Timeout(tcb);
            default -> {
            }
        }
    }

    /** shutdown(): SHUT_RD only marks the receive side; SHUT_WR sends FIN without orphaning the socket. */
    public void shutdown(Tcb tcb, boolean read, boolean write, PacketReport report) {
        if (read) {
            tcb.readShutdown = true;
        }
        if (write && !tcb.writeShutdown) {
            tcb.writeShutdown = true;
            if (tcb.state == TcpState.ESTABLISHED) {
                setState(tcb, TcpState.FIN_WAIT1, "shutdown(SHUT_WR)");
                queueFin(tcb, report);
            } else if (tcb.state == TcpState.CLOSE_WAIT) {
                setState(tcb, TcpState.LAST_ACK, "shutdown(SHUT_WR) after the peer's FIN");
                queueFin(tcb, report);
            }
        }
    }

    /** inet_csk_listen_stop(): every connection still in the accept queue is reset. */
    public void closeListener(Socket listener, PacketReport report) {
        for (Tcb child : listener.acceptQueue()) {
            report.step("tcp.close", "listener closed: queued connection " + child.tuple() + " is reset");
            child.orphan = true;
            if (needsReset(child.state)) {
                output.sendReset(child, report);
            }
            closeTcb(child, "its listener was closed before accept()");
        }
        listener.acceptQueue().clear();
        for (Tcb request : established.all()) {
            if (request.state == TcpState.SYN_RECV && request.listener == listener) {
                dropRequest(request);
            }
        }
    }

    private static boolean needsReset(TcpState state) {
        // tcp_need_reset()
        return state == TcpState.ESTABLISHED || state == TcpState.CLOSE_WAIT || state == TcpState.FIN_WAIT1
                || state == TcpState.FIN_WAIT2 || state == TcpState.SYN_RECV;
    }

    private void queueFin(Tcb tcb, PacketReport report) {
        tcb.finQueued = true;
        tcb.finSeq = tcb.sndUna + tcb.sendQueue.size();
        transmitPending(tcb, report);
    }

    // ---------------------------------------------------------------- timers and teardown

    private void enterTimeWait(Tcb tcb, String why) {
        setState(tcb, TcpState.TIME_WAIT, why + "; the 4-tuple stays in the established table for 60 s");
        tcb.lastOowAckTime = -1; // tcp_time_wait(): tw_last_oow_ack_time = 0
        tcb.receiveQueue.clear();
        tcb.sendQueue.clear();
        timers.cancelRetransmit(tcb);
        if (tcb.keepaliveTimer != null) {
            tcb.keepaliveTimer.cancel();
            tcb.keepaliveTimer = null;
        }
        armTimeWait(tcb);
    }

    private void armTimeWait(Tcb tcb) {
        cancelTimer(tcb);
        tcb.stateTimer = clock.schedule(TIME_WAIT_MS, "time-wait", tcb.tuple().toString(), () -> {
            host.event(EventType.TIMER_FIRED, tcb.tuple().toString(), "TIME_WAIT expired after 60 s");
            host.count(SnmpCounter.TIME_WAITED);
            closeTcb(tcb, "TIME_WAIT expired");
        });
    }

    /** An orphaned FIN_WAIT2 waits tcp_fin_timeout for the peer's FIN, then goes away. */
    private void armFinWait2Timeout(Tcb tcb) {
        cancelTimer(tcb);
        long timeout = sysctls.get(Sysctls.TCP_FIN_TIMEOUT) * 1000;
        tcb.stateTimer = clock.schedule(timeout, "fin-wait-2", tcb.tuple().toString(), () -> {
            host.event(EventType.TIMER_FIRED, tcb.tuple().toString(), "orphaned FIN_WAIT2 timed out (tcp_fin_timeout)");
            closeTcb(tcb, "tcp_fin_timeout expired");
        });
    }

    private static void cancelTimer(Tcb tcb) {
        if (tcb.stateTimer != null) {
            tcb.stateTimer.cancel();
            tcb.stateTimer = null;
        }
    }

    /** The retransmission timer resent the head up to {@code resentEnd}: Loss state, cwnd 1 (tcp_enter_loss()). */
    void lossOnTimeout(Tcb tcb, int resentEnd) {
        recovery.onRetransmitTimeout(tcb, resentEnd);
    }

    /** tcp_set_state(TCP_CLOSE): out of the established table, port released, buffers freed. */
    void closeTcb(Tcb tcb, String why) {
        if (tcb.state == TcpState.CLOSE) {
            return;
        }
        cancelTimer(tcb);
        timers.cancelRetransmit(tcb);
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
        established.remove(tcb);
        if (tcb.ownsPort) {
            binds.remove(tcb);
            tcb.ownsPort = false;
        }
        if (tcb.orphan) {
            tcb.receiveQueue.clear(); // a socket still open keeps its received bytes readable after a reset
        }
        tcb.sendQueue.clear();
        tcb.clearOfo();
    }

    private void setState(Tcb tcb, TcpState next, String why) {
        TcpState previous = tcb.state;
        tcb.state = next;
        host.event(EventType.STATE_CHANGE, tcb.tuple().toString(), previous + " -> " + (next == TcpState.CLOSE ? "CLOSED" : next) + ": " + why);
    }
}
