package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.demux.BindTable;
import io.vkernel.kernel.demux.EstablishedTable;
import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.time.VirtualClock;
import io.vkernel.kernel.trace.DropReason;
import io.vkernel.kernel.trace.EventType;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.Seq;
import io.vkernel.kernel.wire.TcpFlags;

import static io.vkernel.kernel.tcp.TcpEngine.DEFAULT_MSS;
import static io.vkernel.kernel.tcp.TcpEngine.INITIAL_RTO_MS;
import static io.vkernel.kernel.tcp.TcpEngine.RTO_MAX_MS;

/**
 * connect() (RFC 9293 §3.10.7.3, Linux tcp_v4_connect() and tcp_rcv_synsent_state_process(); gVisor's
 * connect.go): the SYN, its retransmissions, and what SYN_SENT does with the answer.
 */
final class ActiveOpen {

    private final EstablishedTable established;
    private final BindTable binds;
    private final VirtualClock clock;
    private final Sysctls sysctls;
    /** The route's metrics and learned path MTUs; set by TcpEngine once built. */
    Routes routes;
    private final IsnGenerator isns;
    private final TcpHost host;
    private final TcpOutput output;
    private final TcpTimers timers;
    private final TcpStates states;
    /** The client's Fast Open cookie and MSS cache (tcp_metrics), one per kernel. */
    final FastOpenClient.Cache fastOpenCache = new FastOpenClient.Cache();
    /** Set by TcpEngine once the sender exists: SYN data the SYN-ACK did not acknowledge is sent again through it. */
    TcpSender sender;

    ActiveOpen(EstablishedTable established, BindTable binds, VirtualClock clock, Sysctls sysctls, IsnGenerator isns, TcpHost host, TcpOutput output, TcpTimers timers, TcpStates states) {
        this.established = established;
        this.binds = binds;
        this.clock = clock;
        this.sysctls = sysctls;
        this.isns = isns;
        this.host = host;
        this.output = output;
        this.timers = timers;
        this.states = states;
    }

    /** tcp_v4_connect(): a TCB in SYN_SENT, hashed with its 4-tuple, owning its local port; the SYN goes out. */
    public Tcb connect(Socket socket, FourTuple tuple, PacketReport report) {
        return connect(socket, tuple, report, null, false);
    }

    /**
     * tcp_v4_connect() for Fast Open: {@code fastOpenData} non-null makes this a tcp_fastopen_request (sendto()
     * with MSG_FASTOPEN, or TCP_FASTOPEN_CONNECT): the SYN carries what tcp_send_syn_data() allows of it, or asks
     * for a cookie. {@code defer} (tcp_fastopen_defer_connect()) leaves the TCB in SYN_SENT with no SYN sent; the
     * first write sends it with {@link #sendDeferredSyn}.
     */
    Tcb connect(Socket socket, FourTuple tuple, PacketReport report, byte[] fastOpenData, boolean defer) {
        Tcb tcb = new Tcb(tuple, TcpState.SYN_SENT, clock.now());
        tcb.rack.initReordering(sysctls); // tcp_init_sock(): tp->reordering
        tcb.socket = socket;
        tcb.reuseAddr = socket.reuseAddr();
        tcb.advMss = Tcb.advMss(socket); // tcp_connect_init(): advmss and mss_clamp from user_mss
        routes.init(tcb);
        tcb.useCongestionControl(socket.options().congestion); // icsk_ca_ops chosen at socket()
        ReceiveBuffer.init(tcb, socket, true, sysctls);
        tcb.iss = isns.isn(tuple, clock.now());
        tcb.sndUna = tcb.iss;
        tcb.sndNxt = tcb.iss + 1;
        tcb.tsOffset = isns.tsOffset(tuple);
        established.insert(tcb);
        binds.add(tcb);
        tcb.ownsPort = true;
        if (defer) {
            tcb.deferConnect = true;
            host.event(EventType.STATE_CHANGE, tuple.toString(), "CLOSED -> SYN_SENT: connect() with TCP_FASTOPEN_CONNECT "
                    + "returns 0 at once; the SYN waits for the first write, to carry its data (tcp_fastopen_defer_connect())");
            return tcb;
        }
        host.event(EventType.STATE_CHANGE, tuple.toString(), "CLOSED -> SYN_SENT: connect() sends a SYN from " + tuple.local());
        startConnect(tcb, fastOpenData, report);
        return tcb;
    }

    /** The Fast Open data of a sendto() whose buffer pointer the process cannot read (compared by identity). */
    static final byte[] UNREADABLE = new byte[0];

    /** tcp_connect(): the SYN goes out (with Fast Open data or a cookie request when asked) and its timer starts. */
    private void startConnect(Tcb tcb, byte[] fastOpenData, PacketReport report) {
        host.count(SnmpCounter.TCP_ACTIVE_OPENS);
        if (fastOpenData == UNREADABLE) {
            // tcp_send_syn_data(): copy_page_from_iter() copies nothing from the bad pointer, so "goto fallback":
            // the cookie is dropped and a plain SYN asks for one (fo->cookie.len = 0); the call copied no byte
            FastOpenClient.Syn planned = FastOpenClient.plan(tcb, fastOpenCache, sysctls, tcb.socket, new byte[1], new PacketReport(null));
            tcb.fastOpenSyn = planned.synData()
                    ? new FastOpenClient.Syn(new byte[0], planned.option == null ? null // no cookie required: cookie.len -1, no option
                            : new FastOpen.Cookie(new byte[0], planned.option.exp()))
                    : planned;
            report.step("tcp.fastopen", "the buffer cannot be read (EFAULT on the copy): the SYN carries no data and asks for a cookie");
        } else if (fastOpenData != null) {
            tcb.fastOpenSyn = FastOpenClient.plan(tcb, fastOpenCache, sysctls, tcb.socket, fastOpenData, report);
            tcb.sndNxt = tcb.iss + 1 + tcb.fastOpenSyn.data.length;
        }
        tcb.retransStamp = clock.now(); // tcp_connect(): tp->retrans_stamp, where the SYN's time budget starts
        sendSyn(tcb, report);
        timers.startRttTiming(tcb, tcb.iss + 1); // the SYN's own ACK gives the first RTT sample, data or not
        armSynTimer(tcb);
    }

    /**
     * tcp_sendmsg_fastopen() on a socket whose connect() was deferred: the SYN now leaves with as much of
     * {@code data} as tcp_send_syn_data() allows; returns how many bytes it carries.
     */
    int sendDeferredSyn(Tcb tcb, byte[] data, PacketReport report) {
        tcb.deferConnect = false;
        host.event(EventType.STATE_CHANGE, tcb.tuple().toString(), "the first write of a TCP_FASTOPEN_CONNECT socket sends the SYN");
        startConnect(tcb, data, report);
        return tcb.fastOpenSyn.data.length;
    }

    private void sendSyn(Tcb tcb, PacketReport report) {
        Segment syn = output.synSegment(tcb, TcpFlags.SYN, 0);
        if (tcb.fastOpenSyn != null && tcb.synRetries == 0 && tcb.totalRetransmits == 0) {
            syn = FastOpenClient.firstSyn(syn, tcb.fastOpenSyn);
        }
        host.transmit(AccEcn.syn(tcb, Ecn.syn(tcb, syn, sysctls), sysctls), report);
    }

    /**
     * SYN retransmissions: tcp_syn_linear_timeouts retries 1 s apart, then exponential, tcp_syn_retries (or the
     * socket's TCP_SYNCNT) more; with the defaults (6 and 4) SYNs leave at 0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67 s and
     * connect() fails at 131 s. tcp_write_timeout() also gives up once the time the retries would take with plain
     * exponential backoff (tcp_model_timeout(): 2^(n+1) - 1 initial RTOs) has passed since the first SYN: with
     * TCP_SYNCNT 1, SYNs leave at 0, 1 and 2 s and connect() fails at 3 s.
     */
    private void armSynTimer(Tcb tcb) {
        int linear = sysctls.getInt(Sysctls.TCP_SYN_LINEAR_TIMEOUTS);
        int n = tcb.synRetries;
        // tcp_retransmit_timer(): icsk_rto = min(icsk_rto << 1, TCP_RTO_MAX) per retry, so it stays at 120 s however
        // many retries TCP_SYNCNT (up to 127) allows; the shift is bounded so 1 s << n cannot overflow on the way
        long delay = n <= linear ? INITIAL_RTO_MS : Math.min(RTO_MAX_MS, INITIAL_RTO_MS << Math.min(n - linear, 20));
        tcb.stateTimer = clock.schedule(delay, "syn-retransmit", tcb.tuple().toString(), () -> {
            if (tcb.state != TcpState.SYN_SENT) {
                return;
            }
            int retries = synRetries(tcb);
            if (tcb.synRetries >= retries + linear
                    || tcb.synRetries > 0 && clock.now() - tcb.retransStamp >= modelTimeout(retries, INITIAL_RTO_MS)) {
                host.event(EventType.TIMER_FIRED, tcb.tuple().toString(), "no answer to " + (tcb.synRetries + 1) + " SYNs: connect() fails with ETIMEDOUT");
                tcb.pendingError = tcb.softError != null ? tcb.softError : Errno.ETIMEDOUT; // tcp_write_err()
                states.closeTcb(tcb, "SYN retries exhausted");
                states.wakeOwner(tcb, null);
                return;
            }
            tcb.synRetries++;
            tcb.rttSentAt = -1;
            host.event(EventType.TIMER_FIRED, tcb.tuple().toString(), "SYN retransmission #" + tcb.synRetries);
            sendSyn(tcb, null);
            armSynTimer(tcb);
        });
    }

    /**
     * tcp_simple_retransmit() in SYN_SENT (an ICMP "fragmentation needed" said the SYN was too big): the SYN leaves
     * again at once, plain (a SYN that carried data is taken as lost whole), and its timer restarts.
     */
    void resendSyn(Tcb tcb, PacketReport report) {
        tcb.totalRetransmits++; // tp->total_retrans: tcp_rcv_fastopen_synack() then takes the SYN as retransmitted
        tcb.rttSentAt = -1; // Karn: the SYN-ACK gives no sample for a retransmitted SYN
        sendSyn(tcb, report);
        TcpStates.cancelTimer(tcb);
        armSynTimer(tcb); // tcp_xmit_retransmit_queue() rearms the retransmission timer for the head
    }

    /** icsk_syn_retries (TCP_SYNCNT) when set, else net.ipv4.tcp_syn_retries (tcp_write_timeout()). */
    private int synRetries(Tcb tcb) {
        int own = tcb.socket == null ? 0 : tcb.socket.options().synRetries;
        return own > 0 ? own : sysctls.getInt(Sysctls.TCP_SYN_RETRIES);
    }

    /** tcp_model_timeout(): how long {@code boundary} retransmissions take from {@code rtoBase} doubling up to TCP_RTO_MAX. */
    static long modelTimeout(int boundary, long rtoBase) {
        int thresh = 63 - Long.numberOfLeadingZeros(RTO_MAX_MS / rtoBase); // ilog2(TCP_RTO_MAX / rto_base)
        if (boundary <= thresh) {
            return ((2L << boundary) - 1) * rtoBase;
        }
        return ((2L << thresh) - 1) * rtoBase + (long) (boundary - thresh) * RTO_MAX_MS;
    }

    /** RFC 9293 §3.10.7.3, tcp_rcv_synsent_state_process(). */
    void synSentReceives(Tcb tcb, Segment segment, PacketReport report) {
        boolean hasAck = segment.has(TcpFlags.ACK);
        if (hasAck && (Seq.beforeOrEqual(segment.ack(), tcb.iss) || Seq.after(segment.ack(), tcb.sndNxt))) {
            if (!segment.has(TcpFlags.RST)) {
                report.step("tcp.syn_sent", () -> "ACK " + Seq.unsigned(segment.ack()) + " does not acknowledge our SYN: reset <SEQ=SEG.ACK>");
                host.transmit(new Segment(segment.dst(), segment.src(), TcpFlags.RST, segment.ack(), 0, 0, 0, null), report);
                report.verdict("reset");
            } else {
                report.drop(DropReason.OUT_OF_WINDOW, "RST whose ACK does not cover our SYN is ignored");
            }
            return;
        }
        if (hasAck && sysctls.get(Sysctls.TCP_TIMESTAMPS) != 0 && segment.timestamps() != null && segment.timestamps().echoReply() != 0
                && !segment.has(TcpFlags.RST)) {
            // tcp_rcv_synsent_state_process(): TSecr (less our offset) must lie between the first SYN's time and now,
            // else PAWSActiveRejected and reset_and_undo: a RST <SEQ=SEG.ACK>, the connection stays in SYN_SENT
            long ecr = (segment.timestamps().echoReply() - (tcb.tsOffset & 0xffffffffL)) & 0xffffffffL;
            if (ecr < (tcb.retransStamp & 0xffffffffL) || ecr > (clock.now() & 0xffffffffL)) {
                report.step("tcp.syn_sent", () -> "TSecr " + segment.timestamps().echoReply() + " echoes no time our SYN was sent: "
                        + "reset <SEQ=SEG.ACK> (PAWSActiveRejected)");
                host.transmit(new Segment(segment.dst(), segment.src(), TcpFlags.RST, segment.ack(), 0, 0, 0, null), report);
                report.verdict("reset");
                return;
            }
        }
        if (segment.has(TcpFlags.RST)) {
            if (!hasAck) {
                report.drop(DropReason.NO_ACK_FLAG, "a RST in SYN_SENT must acknowledge our SYN");
                return;
            }
            report.step("tcp.rst", "connection refused: the peer answered our SYN with RST");
            tcb.pendingError = Errno.ECONNREFUSED;
            states.closeTcb(tcb, "RST in SYN_SENT (connection refused)");
            report.verdict("refused");
            states.wakeOwner(tcb, report);
            return;
        }
        if (!segment.has(TcpFlags.SYN)) {
            report.drop(DropReason.NO_ACK_FLAG, "SYN_SENT waits for a SYN");
            return;
        }
        TcpStates.cancelTimer(tcb);
        tcb.irs = segment.seq();
        tcb.rcvNxt = segment.seq() + 1;
        tcb.sndWnd = segment.window();
        tcb.maxSndWnd = Math.max(tcb.maxSndWnd, tcb.sndWnd); // tp->max_window
        tcb.peerMss = segment.mss() > 0 ? segment.mss() : DEFAULT_MSS;
        tcb.lastHeard = clock.now();
        output.negotiateOptions(tcb, segment, false);
        if (hasAck && tcb.accEcn != null) {
            AccEcn.synAck(tcb, segment, sysctls, report); // tcp_ecn_rcv_synack() for a client that asked for AccECN
        } else if (hasAck) {
            Ecn.synAck(tcb, segment, report);
        } else if (!segment.has(TcpFlags.ECE) || !segment.has(TcpFlags.CWR)) {
            tcb.ecnFlags = 0; // tcp_ecn_rcv_syn(): a crossing SYN that is not ECN-setup turns ECN off
        }
        if (hasAck) {
            tcb.sndUna = segment.ack();
            // tcp_ack() counts the SYN and a fully acknowledged SYN-data skb; tcp_rcv_fastopen_synack() takes one
            // back ("SYN-data is counted as two separate packets"): either way the SYN-ACK delivers one
            tcb.delivered = 1;
            if (tcb.socket != null && tcb.socket.errorQueue() != null) {
                tcb.socket.errorQueue().acked(tcb.sndUna); // the SYN's data, freed once acknowledged: zero-copy done
            }
            timers.sampleRtt(tcb, segment.ack());
            states.setState(tcb, TcpState.ESTABLISHED, "SYN-ACK received; connect() returns 0");
            byte[] resend = tcb.fastOpenSyn == null ? new byte[0]
                    : FastOpenClient.synAck(tcb, tcb.fastOpenSyn, fastOpenCache, segment, report);
            if (tcb.fastOpenSyn != null && segment.payload().length > 0) {
                // tcp_fastopen_add_skb(): data on the SYN-ACK of a Fast Open connection is queued for reading
                byte[] data = segment.payload();
                int take = Math.min(data.length, Math.max(0, tcb.rcvBufLimit - tcb.receiveQueue.size()));
                tcb.receiveQueue.append(data, 0, take);
                RcvSpace.chargeQueued(tcb, take, RcvSpace.truesize(segment));
                tcb.rcvNxt += take;
                report.step("tcp.fastopen", "the SYN-ACK carries " + data.length + " bytes: queued for reading");
            }
            if (tcb.fastOpenSyn != null && segment.has(TcpFlags.FIN) && tcb.rcvNxt == segment.seq() + 1 + segment.payload().length) {
                // tcp_fastopen_add_skb() -> tcp_fin(): a FIN on the SYN-ACK ends the peer's data at once
                tcb.rcvNxt += 1;
                tcb.finReceived = true;
                states.setState(tcb, TcpState.CLOSE_WAIT, "the SYN-ACK carries a FIN: read() returns 0 once the buffer is empty");
            }
            if (resend.length > 0) {
                // tcp_rcv_fastopen_synack(): the unacknowledged SYN data is retransmitted at once and carries the ACK
                tcb.sndNxt = tcb.sndUna;
                int sml = tcb.sndSml;
                int from = tcb.sndUna;
                sender.write(tcb, resend, report);
                FastOpenClient.synDataResent(tcb, from, tcb.sndNxt, TcpSender.sendMss(tcb), clock.now(), host, report);
                // a retransmission (tcp_xmit_retransmit_queue()): tcp_minshall_update() moves snd_sml for new data only,
                // so Nagle does not hold the next write's last partial segment behind it
                tcb.sndSml = sml;
            } else if (tcb.fastOpenWritePending) {
                // tcp_rcv_synsent_state_process(): sk_write_pending, so the ACK is delayed to go with that data
                report.step("tcp.established", "SYN-ACK acknowledges our SYN: ESTABLISHED; the ACK waits for the data "
                        + "the blocked sendto() is about to write");
                // tcp_enter_quickack_mode(): icsk_ack.ato = TCP_ATO_MIN, so the data sent now counts as a reply
                tcb.dataReceived = true;
                tcb.pingpong = false;
                tcb.quickAcks = TcpEngine.MAX_QUICKACKS;
                // ICSK_TIME_DACK at TCP_DELACK_MAX: it fires only when the call had nothing left to write after the SYN
                output.scheduleDelayedAck(tcb, TcpEngine.DELACK_MAX_MS);
            } else {
                report.step("tcp.established", "SYN-ACK acknowledges our SYN: ESTABLISHED, ACK sent");
                output.sendAck(tcb, report);
            }
            tcb.fastOpenWritePending = false;
            timers.armKeepalive(tcb);
            states.wakeOwner(tcb, report);
        } else {
            states.setState(tcb, TcpState.SYN_RECV, "simultaneous open: a SYN crossed ours");
            host.transmit(output.synSegment(tcb, TcpFlags.SYN | TcpFlags.ACK, tcb.rcvNxt), report);
        }
    }
}
