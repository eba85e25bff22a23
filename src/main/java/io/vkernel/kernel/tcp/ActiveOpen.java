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
    private final IsnGenerator isns;
    private final TcpHost host;
    private final TcpOutput output;
    private final TcpTimers timers;
    private final TcpStates states;

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
        Tcb tcb = new Tcb(tuple, TcpState.SYN_SENT, clock.now());
        tcb.socket = socket;
        tcb.reuseAddr = socket.reuseAddr();
        tcb.advMss = Tcb.advMss(socket); // tcp_connect_init(): advmss and mss_clamp from user_mss
        tcb.useCongestionControl(socket.options().congestion); // icsk_ca_ops chosen at socket()
        ReceiveBuffer.init(tcb, socket, true, sysctls);
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
        if (hasAck) {
            tcb.sndUna = segment.ack();
            timers.sampleRtt(tcb, segment.ack());
            states.setState(tcb, TcpState.ESTABLISHED, "SYN-ACK received; connect() returns 0");
            report.step("tcp.established", "SYN-ACK acknowledges our SYN: ESTABLISHED, ACK sent");
            output.sendAck(tcb, report);
            timers.armKeepalive(tcb);
            states.wakeOwner(tcb, report);
        } else {
            states.setState(tcb, TcpState.SYN_RECV, "simultaneous open: a SYN crossed ours");
            host.transmit(output.synSegment(tcb, TcpFlags.SYN | TcpFlags.ACK, tcb.rcvNxt), report);
        }
    }
}
