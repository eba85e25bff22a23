package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.demux.ListenerTable;
import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.time.VirtualClock;
import io.vkernel.kernel.trace.DropReason;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.Seq;
import io.vkernel.kernel.wire.TcpFlags;

/**
 * Segment arrival (RFC 9293 §3.10.7, Linux tcp_v4_rcv() -> tcp_rcv_state_process() / tcp_validate_incoming() /
 * tcp_ack()): the dispatcher by state, then for a synchronized connection the checks in RFC order — sequence
 * acceptability, RST, SYN, ACK — before the receiver takes the data and FIN.
 */
final class TcpInput {

    private final VirtualClock clock;
    private final Sysctls sysctls;
    private final ListenerTable listeners;
    private final TcpHost host;
    private final TcpOutput output;
    private final TcpTimers timers;
    private final Recovery recovery;
    private final TcpStates states;
    private final PassiveOpen passive;
    private final ActiveOpen active;
    private final TcpReceiver receiver;
    private final TcpSender sender;

    TcpInput(VirtualClock clock, Sysctls sysctls, ListenerTable listeners, TcpHost host, TcpOutput output, TcpTimers timers, Recovery recovery, TcpStates states, PassiveOpen passive, ActiveOpen active, TcpReceiver receiver, TcpSender sender) {
        this.clock = clock;
        this.sysctls = sysctls;
        this.listeners = listeners;
        this.host = host;
        this.output = output;
        this.timers = timers;
        this.recovery = recovery;
        this.states = states;
        this.passive = passive;
        this.active = active;
        this.receiver = receiver;
        this.sender = sender;
    }

    /** The reply to a segment that matched nothing: {@code tcp_v4_send_reset()}; never a RST for a RST. */
    public void resetNoSocket(Segment segment, PacketReport report) {
        if (segment.has(TcpFlags.RST)) {
            report.drop(DropReason.RST_NO_SOCKET, "no socket, and a RST is never answered with a RST");
            return;
        }
        report.verdict("reset");
        output.resetFor(segment, report);
    }

    /** Segment arrival for a TCB found in the established table, checks in RFC 9293 §3.10.7 order. */
    public void segmentArrives(Tcb tcb, Segment segment, PacketReport report) {
        if (report.tracing()) {
            // rendered when the report is read, from the values as they are now (PacketReport)
            FourTuple tuple = tcb.tuple();
            TcpState state = tcb.state;
            int sndUna = tcb.sndUna;
            int sndNxt = tcb.sndNxt;
            int rcvNxt = tcb.rcvNxt;
            int rcvWnd = tcb.rcvWnd();
            report.step("tcp.tcb", () -> "TCB " + tuple + " in " + state + ": SND.UNA=" + Seq.unsigned(sndUna)
                    + " SND.NXT=" + Seq.unsigned(sndNxt) + " RCV.NXT=" + Seq.unsigned(rcvNxt) + " RCV.WND=" + rcvWnd);
        }
        tcb.lastHeard = clock.now();
        tcb.keepaliveProbes = 0;
        tcb.tsRecentPrior = tcb.tsRecent;
        if (tcb.tsOk && segment.timestamps() != null && !segment.has(TcpFlags.RST) && tcb.state != TcpState.TIME_WAIT
                && !(tcb.state.isSynchronized() && Seq.after(segment.seq(), tcb.rcvNxt))) {
            // RFC 7323 §4.3 as tcp_replace_ts_recent() applies it: a segment beyond RCV.NXT (out of order) leaves
            // TS.Recent alone, so ACKs keep echoing the TSval of the segment that advanced the left window edge
            tcb.tsRecent = segment.timestamps().value();
        }
        if (tcb.state == TcpState.SYN_SENT) {
            active.synSentReceives(tcb, segment, report);
        } else if (tcb.state == TcpState.SYN_RECV && tcb.fastOpenChild) {
            fastOpenChildReceives(tcb, segment, report);
        } else if (tcb.state == TcpState.SYN_RECV && tcb.listener == null) {
            simultaneousOpenAck(tcb, segment, report);
        } else if (tcb.state == TcpState.SYN_RECV) {
            passive.synRecvReceives(tcb, segment, report);
        } else if (tcb.state == TcpState.TIME_WAIT) {
            timeWaitReceives(tcb, segment, report);
        } else {
            synchronizedReceives(tcb, segment, report);
        }
        if (report.tracing()) {
            report.connection(tcb.tuple(), tcb.state == TcpState.CLOSE ? "CLOSED" : tcb.state.name());
        }
    }

    /** The ACK that completes a simultaneous open (RFC 9293 Figure 8): SYN_RECV without a listener. */
    private void simultaneousOpenAck(Tcb tcb, Segment segment, PacketReport report) {
        if (segment.has(TcpFlags.ACK) && segment.ack() == tcb.sndNxt) {
            tcb.sndUna = segment.ack();
            states.setState(tcb, TcpState.ESTABLISHED, "simultaneous open completed");
            tcb.delivered++; // tcp_rcv_state_process(): the SYN-ACK's delivery
            timers.armKeepalive(tcb);
            states.wakeOwner(tcb, report);
            if (segment.has(TcpFlags.SYN) && segment.seq() + 1 == tcb.rcvNxt && segment.payload().length == 0) {
                // the peer's SYN again, now with its ACK (tcp_validate_incoming() lets it pass in SYN_RECV):
                // tcp_data_queue() finds it below RCV.NXT, a retransmission, and ACKs at once with a D-SACK of it
                receiver.reportDuplicate(tcb, segment.seq(), segment.seq() + 1);
                output.sendAck(tcb, report);
                return;
            }
            receiver.receiveDataAndFin(tcb, segment, report);
        } else {
            synchronizedReceives(tcb, segment, report);
        }
    }

    /**
     * tcp_rcv_state_process() for a Fast Open child (a full socket in SYN_RECV): an acceptable ACK of the SYN-ACK
     * ends the handshake (tcp_rcv_synrecv_state_fastopen() stops the SYN-ACK timer); then, or otherwise, the segment
     * is processed as on a synchronized connection (RST, FIN and data as usual).
     */
    private void fastOpenChildReceives(Tcb tcb, Segment segment, PacketReport report) {
        if (segment.has(TcpFlags.ACK) && !segment.has(TcpFlags.RST) && !segment.has(TcpFlags.SYN)
                && Seq.after(segment.ack(), tcb.iss) && Seq.beforeOrEqual(segment.ack(), tcb.sndNxt) && acceptable(tcb, segment)) {
            TcpStates.cancelTimer(tcb);
            tcb.fastOpenChild = false;
            tcb.sndWnd = segment.window() << tcb.sndWscale;
            tcb.maxSndWnd = Math.max(tcb.maxSndWnd, tcb.sndWnd);
            states.setState(tcb, TcpState.ESTABLISHED, "the ACK of a Fast Open SYN-ACK");
            tcb.delivered++; // tcp_rcv_state_process() TCP_SYN_RECV: "SYN-ACK delivery isn't tracked in tcp_ack", a child too
            report.step("tcp.fastopen", "the client acknowledged the SYN-ACK: the Fast Open child is ESTABLISHED");
        }
        synchronizedReceives(tcb, segment, report);
    }

    /** tcp_timewait_state_process() for a real TIME_WAIT. */
    private void timeWaitReceives(Tcb tcb, Segment segment, PacketReport report) {
        // the full socket became an inet_timewait_sock in tcp_time_wait() once the segment that brought it here was
        // answered (tcp_fin() sends its ACK first): what it sends from now on is tcp_v4_timewait_ack()'s
        tcb.timeWaitSock = true;
        if (segment.has(TcpFlags.RST)) {
            if (sysctls.getInt(Sysctls.TCP_RFC1337) == 1) {
                report.drop(DropReason.OUT_OF_WINDOW, "tcp_rfc1337=1: TIME_WAIT ignores RST (RFC 1337)");
            } else if (acceptable(tcb, segment)) {
                report.step("tcp.rst", "RST in window kills TIME_WAIT (tcp_rfc1337=0)");
                states.closeTcb(tcb, "RST in TIME_WAIT");
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
                states.closeTcb(tcb, "new SYN reuses the 4-tuple");
                passive.listenerReceives(listener, segment, report, nextIss);
                return;
            }
        }
        if (segment.seq() == tcb.rcvNxt && segment.length() == 0) {
            // tcp_timewait_state_process(): an in-window bare ACK is taken silently (TCP_TW_SUCCESS)
            FourTuple held = tcb.tuple();
            report.step("tcp.time_wait", () -> "TIME_WAIT still holds " + held + ": an in-window bare ACK is taken "
                    + "silently and the 60 s timer restarts");
            states.armTimeWait(tcb);
            return;
        }
        FourTuple held = tcb.tuple();
        report.step("tcp.time_wait", () -> "TIME_WAIT still holds " + held + ": it answers with an ACK"
                + (segment.has(TcpFlags.ACK) ? " and restarts its 60 s timer" : "")
                + (segment.has(TcpFlags.FIN) ? " (a retransmitted FIN: our ACK of it was lost)" : ""));
        if (segment.has(TcpFlags.ACK)) {
            states.armTimeWait(tcb);
        }
        output.outOfWindowAck(tcb, segment, SnmpCounter.TCP_ACK_SKIPPED_TIME_WAIT, report); // tcp_timewait_check_oow_rate_limit()
    }

    private void synchronizedReceives(Tcb tcb, Segment segment, PacketReport report) {
        if (tcb.accEcn != null && segment.has(TcpFlags.SYN) && !segment.has(TcpFlags.RST)) {
            // tcp_validate_incoming(): the challenge ACK to a SYN reflects the SYN's IP ECN field (accecn_reflector)
            AccEcn.synOnEstablished(tcb, segment);
            synchronizedChecks(tcb, segment, report);
            tcb.accEcn.reflect = -1;
            return;
        }
        synchronizedChecks(tcb, segment, report);
    }

    private void synchronizedChecks(Tcb tcb, Segment segment, PacketReport report) {
        // first: sequence number acceptability
        if (!acceptable(tcb, segment)) {
            if (segment.has(TcpFlags.SYN) && !segment.has(TcpFlags.RST)) {
                host.count(SnmpCounter.TCP_SYN_CHALLENGE); // tcp_validate_incoming(): goto syn_challenge
                host.count(SnmpCounter.TCP_IN_ERRS);
                output.challengeAck(tcb, report, "SYN outside the window");
            } else if (!segment.has(TcpFlags.RST)) {
                AccEcn.received(tcb, segment); // a duplicate's bytes count too (tcp_ecn_received_counters_payload())
                if (segment.length() > 0 && Seq.before(segment.seq(), tcb.rcvNxt)) {
                    int end = segment.seq() + segment.length();
                    AccEcn.spuriousRetrans(tcb, segment.seq()); // tcp_send_dupack(): before tcp_dsack_set()
                    receiver.reportDuplicate(tcb, segment.seq(), Seq.after(end, tcb.rcvNxt) ? tcb.rcvNxt : end); // tcp_send_dupack()
                }
                output.outOfWindowAck(tcb, segment, SnmpCounter.TCP_ACK_SKIPPED_SEQ, report);
            }
            if (segment.length() > 0 && !Seq.beforeOrEqual(segment.seq() + segment.length(), tcb.rcvNxt)) {
                host.count(SnmpCounter.BEYOND_WINDOW); // tcp_sequence()'s INVALID_SEQUENCE / INVALID_END_SEQUENCE
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
        AccEcn.received(tcb, segment); // tcp_rcv_established(): tcp_ecn_received_counters() before tcp_ack()
        if (!processAck(tcb, segment, report)) {
            return;
        }
        if (tcb.state == TcpState.ESTABLISHED) {
            // tcp_rcv_established() only (not the handshake's last ACK): after tcp_ack(), before tcp_data_queue()
            ReceiverRtt.measureTs(tcb, segment, output.tsVal(tcb));
        }
        receiver.receiveDataAndFin(tcb, segment, report);
    }

    /**
     * RFC 5961 §5.2 as Linux 6.18's tcp_ack() applies it: SEG.ACK must lie in [SND.UNA - MAX.SND.WND, SND.NXT], where
     * Linux bounds MAX.SND.WND by the bytes acknowledged so far; outside it the segment is dropped and TS.Recent keeps
     * its old value. An ACK that is too old gets a challenge ACK. One above SND.NXT on an ESTABLISHED connection is
     * dropped silently (v6.18's tcp_ack() returns -SKB_DROP_REASON_TCP_ACK_UNSENT_DATA without
     * tcp_send_challenge_ack(); the challenge there came with 42726ec644cb in 7.1-rc1, which also rewrote the
     * ts_recent/invalid_ack selftest); in the other synchronized states tcp_rcv_state_process() answers every
     * unacceptable ACK with a challenge ACK (it calls tcp_ack() with FLAG_NO_CHALLENGE_ACK and sends it itself).
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
        if (reason == DropReason.ACK_UNSENT_DATA && tcb.state == TcpState.ESTABLISHED) {
            report.step("tcp.ack", "an ACK of unsent data on an ESTABLISHED connection is dropped without a challenge"
                    + " ACK (Linux 6.18's tcp_ack() in tcp_rcv_established())");
            return true;
        }
        output.challengeAck(tcb, report, "unacceptable ACK");
        return true;
    }

    /** Applies SEG.ACK; returns false when the connection ended here (LAST_ACK acknowledged). */
    private boolean processAck(Tcb tcb, Segment segment, PacketReport report) {
        boolean windowWasClosed = tcb.sndWnd == 0;
        if (!Seq.before(segment.ack(), tcb.sndUna)) {
            // tcp_ack(): any ACK that is not old resets icsk_probes_out, so a peer that answers every zero-window
            // probe keeps the connection open indefinitely (RFC 1122 4.2.2.17); only the interval keeps backing off
            tcb.zeroWindowProbes = 0;
        }
        int priorUna = tcb.sndUna;
        int priorWnd = tcb.sndWnd;
        int priorInFlight = tcb.sndNxt - tcb.sndUna;
        tcb.rtt.caRttUs = -1;
        boolean spaceFreed = false;
        if (Seq.after(segment.ack(), tcb.sndUna)) {
            int acked = segment.ack() - tcb.sndUna;
            int dataAcked = Math.min(acked, tcb.sendQueue.size());
            tcb.sendQueue.drop(dataAcked);
            tcb.sndUna = segment.ack();
            tcb.sendBuffer.acked(tcb.sndUna);
            if (tcb.sendQueue.isEmpty()) {
                tcb.sendBuffer.chrono().stop(Chrono.BUSY, clock.now(), true); // nothing left to deliver
            }
            tcb.pushMarks.acked(tcb.sndUna);
            // the acknowledged skbs are freed: zero-copy ranges they ended complete (__msg_zerocopy_callback())
            boolean zeroCopyDone = tcb.socket != null && tcb.socket.errorQueue() != null
                    && tcb.socket.errorQueue().ackedThrough(tcb.sndUna, clock.now() * 1_000_000L); // and tcp_ack_tstamp()
            if (report.tracing()) {
                report.step("tcp.ack", () -> "ACK " + Seq.unsigned(segment.ack()) + " acknowledges " + acked + " sequence numbers"
                        + (dataAcked > 0 ? " (" + dataAcked + " bytes leave the send buffer)" : ""));
            }
            long ecr = tcb.tsOk && segment.timestamps() != null ? segment.timestamps().echoReply() : 0;
            long ecrDelta = ecr == 0 ? -1 : (output.tsVal(tcb) - ecr) & 0xffffffffL;
            // tcp_rtt_tsopt_us(): an echo INT_MAX / 1000 ms old or older is no sample (its microseconds overflow an s32)
            timers.sampleRtt(tcb, segment.ack(), ecrDelta >= Integer.MAX_VALUE / 1000 ? -1 : ecrDelta);
            // tcp_ack(): icsk_retransmits = 0; the backed-off RTO stays until an RTT sample (tcp_ack_update_rtt():
            // tcp_set_rto(), "RFC6298: only reset backoff on valid RTT measurement"), so Karn's ACK keeps it
            tcb.retransmits = 0;
            TcpTimers.cancelRetransmit(tcb);
            if (tcb.sndUna != tcb.sndNxt) {
                timers.armRetransmit(tcb);
            }
            if (zeroCopyDone && tcb.socket != null) {
                host.wake(tcb.socket, 0x8 /* EPOLLERR */, report); // sk_error_report() for zero-copy completions
            }
            spaceFreed = dataAcked > 0;
        }
        tcb.sndWnd = segment.window() << tcb.sndWscale;
        tcb.maxSndWnd = Math.max(tcb.maxSndWnd, tcb.sndWnd); // tcp_ack_update_window()
        if (tcb.sndWnd != priorWnd && priorInFlight == 0 && tcb.sendQueue.size() > tcb.sndNxt - tcb.sndUna) {
            // tcp_ack_update_window(): a window update with data waiting is where sending resumes after an idle
            // spell (a zero window), so tcp_slow_start_after_idle_check() runs here too
            sender.restartAfterIdle(tcb, report);
        }
        if (tcb.sndWnd > 0 && tcb.persistTimer != null) {
            tcb.persistTimer.cancel();
            tcb.persistTimer = null;
            tcb.zeroWindowProbes = 0;
            tcb.zeroWindowBackoff = 0; // tcp_ack_probe(): the window opened, icsk_backoff = 0
        }
        if (windowWasClosed && tcb.sndWnd > 0) {
            int sndWnd = tcb.sndWnd;
            report.step("tcp.window", () -> "the peer's window reopened to " + sndWnd + " bytes: sending resumes");
        }
        if (tcb.sndUna != priorUna) {
            MtuProbe.onAck(tcb, report); // tcp_clean_rtx_queue(): an acknowledged MTU probe, before cwnd grows
        }
        if (priorInFlight > 0 || tcb.caState != CaState.OPEN) {
            // tcp_ack(): a duplicate ACK acknowledges nothing new, carries no data and leaves the window alone
            boolean duplicate = segment.ack() == priorUna && segment.length() == 0 && tcb.sndWnd == priorWnd;
            tcb.ecnEcho = Ecn.echoed(tcb, segment); // FLAG_ECE
            recovery.onAck(tcb, segment, tcb.sndUna - priorUna, duplicate, priorInFlight, TcpSender.sendMss(tcb), report);
        } else if (Seq.before(segment.ack(), priorUna)) {
            recovery.onOldAck(tcb, segment, TcpSender.sendMss(tcb), report); // a late D-SACK may undo a recovery
        }
        boolean finAcked = tcb.finQueued && tcb.sndNxt == tcb.finSeq + 1 && tcb.sndUna == tcb.sndNxt;
        switch (tcb.state) {
            case FIN_WAIT1 -> {
                if (finAcked) {
                    states.setState(tcb, TcpState.FIN_WAIT2, "our FIN was acknowledged");
                    if (tcb.orphan) {
                        states.armFinWait2Timeout(tcb);
                        // tcp_rcv_state_process() TCP_FIN_WAIT1: with tcp_fin_timeout <= TCP_TIMEWAIT_LEN and no FIN
                        // on this segment, tcp_time_wait(sk, TCP_FIN_WAIT2, tmo) turns the orphan into a time-wait
                        // socket in its FIN_WAIT2 substate
                        if (!segment.has(TcpFlags.FIN) && sysctls.get(Sysctls.TCP_FIN_TIMEOUT) * 1000 <= TcpEngine.TIME_WAIT_MS) {
                            tcb.timeWaitSock = true;
                        }
                    }
                }
            }
            case CLOSING -> {
                if (finAcked) {
                    states.enterTimeWait(tcb, "our FIN was acknowledged in CLOSING");
                }
            }
            case LAST_ACK -> {
                if (finAcked) {
                    report.step("tcp.closed", "the ACK of our FIN ends the connection: removed from the established table, buffers freed");
                    // tcp_rcv_state_process(): tcp_done(), goto consume: no tcp_data_snd_check(), so no
                    // tcp_check_space() growing sk_sndbuf (tcp_done()'s sk_state_change() wakes everyone)
                    states.closeTcb(tcb, "our FIN was acknowledged in LAST_ACK");
                    states.wakeOwner(tcb, report);
                    return false;
                }
            }
            default -> {
            }
        }
        sender.transmitPending(tcb, report);
        checkSpace(tcb, spaceFreed, report);
        return true;
    }

    /**
     * tcp_data_snd_check(): after what the ACK allowed was sent, tcp_check_space() gives a socket marked SOCK_NOSPACE
     * its chance: tcp_new_space() may grow sk_sndbuf, then sk_stream_write_space() wakes writers and EPOLLOUT
     * watchers if it is writeable (the kernel's wake() applies that test).
     */
    private void checkSpace(Tcb tcb, boolean spaceFreed, PacketReport report) {
        if (!spaceFreed || tcb.socket == null) {
            return;
        }
        if (tcb.socket.noSpace()) {
            int before = tcb.sendBuffer.sndBuf(tcb, sysctls);
            tcb.sendBuffer.newSpace(tcb, sysctls);
            int after = tcb.sendBuffer.sndBuf(tcb, sysctls);
            if (after != before && report != null && report.tracing()) {
                int cwnd = tcb.cwnd;
                report.step("tcp.sndbuf", () -> "sk_sndbuf grows " + before + " -> " + after + " bytes: room for two windows of "
                        + cwnd + " segments (tcp_new_space() -> tcp_sndbuf_expand())");
            }
        }
        boolean noSpace = tcb.socket.noSpace();
        if (noSpace && tcb.sendBuffer.writeable(tcb, sysctls)) {
            // tcp_check_space(): sk_stream_write_space() cleared SOCK_NOSPACE, so the sndbuf-limited time ends now,
            // judged on the queue as the ACK left it: the writer it wakes runs only afterwards
            tcb.sendBuffer.chrono().stop(Chrono.SNDBUF_LIMITED, clock.now(), tcb.sendQueue.isEmpty());
        }
        host.wake(tcb.socket, TcpHost.WRITE_SPACE, report); // writers blocked on a full send buffer
        if (noSpace && tcb.sendBuffer.writeable(tcb, sysctls)) {
            // sk_stream_write_space() clears SOCK_NOSPACE whether or not anyone sleeps
            tcb.socket.noSpace(false);
        }
    }

    private void peerReset(Tcb tcb, PacketReport report) {
        Errno error = tcb.state == TcpState.CLOSE_WAIT ? Errno.EPIPE : Errno.ECONNRESET;
        boolean report1 = tcb.state == TcpState.ESTABLISHED || tcb.state == TcpState.FIN_WAIT1
                || tcb.state == TcpState.FIN_WAIT2 || tcb.state == TcpState.CLOSE_WAIT || tcb.fastOpenChild;
        if (report1 && !tcb.orphan) {
            tcb.pendingError = error;
        }
        tcb.reset = true;
        report.step("tcp.rst", "RST at RCV.NXT: connection reset" + (report1 && !tcb.orphan
                ? "; queued data stays readable, then the next call reports " + error : ""));
        states.closeTcb(tcb, "peer sent RST");
        report.verdict("reset by peer");
        if (tcb.socket != null) {
            host.wake(tcb.socket, report);
        }
    }

    /**
     * RFC 9293 §3.10.7.4 acceptability test (Figure in "first check sequence number"), with Linux's tcp_sequence()
     * exceptions: a FIN may lie just past the window (a bare FIN at a zero window is taken: some stacks send them in a
     * loop), and a segment that starts in the window but ends beyond it is taken only while the receive queue is
     * empty (then tcp_data_queue() queues it whole).
     */
    private static boolean acceptable(Tcb tcb, Segment segment) {
        int window = tcb.rcvWnd();
        int length = segment.length();
        if (segment.has(TcpFlags.FIN) && !segment.has(TcpFlags.SYN) && segment.payload().length == 0 && segment.seq() == tcb.rcvNxt) {
            return true; // tcp_sequence(): !after(end_seq - th->fin, rcv_nxt + window), even at a zero window
        }
        if (length == 0) {
            return window == 0 ? segment.seq() == tcb.rcvNxt : Seq.inWindow(segment.seq(), tcb.rcvNxt, window);
        }
        if (window == 0) {
            return false;
        }
        if (Seq.inWindow(segment.seq(), tcb.rcvNxt, window)) {
            return !endsBeyondWindow(tcb, segment);
        }
        return Seq.inWindow(segment.seq() + length - 1, tcb.rcvNxt, window);
    }

    /** tcp_sequence(): the segment ends past RCV.NXT + RCV.WND while the receive queue holds data (INVALID_END_SEQUENCE). */
    private static boolean endsBeyondWindow(Tcb tcb, Segment segment) {
        int end = segment.seq() + segment.payload().length;
        return Seq.after(end, tcb.rcvNxt + tcb.rcvWnd()) && tcb.receiveQueued() > 0;
    }
}
