package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.time.VirtualClock;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.Seq;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOption;
import io.vkernel.kernel.wire.TcpOptions;

import java.util.ArrayList;
import java.util.List;

import static io.vkernel.kernel.tcp.TcpEngine.ADVERTISED_MSS;
import static io.vkernel.kernel.tcp.TcpEngine.DELACK_MS;
import static io.vkernel.kernel.tcp.TcpEngine.MAX_QUICKACKS;

/**
 * What a connection puts on the wire: its segments with the window and options both sides agreed on
 * (tcp_options_write()), SYN and SYN-ACK options in Linux's order, ACK policy (quick-ack, then delayed ACKs)
 * and the two kinds of reset: an active one from the connection, and one answering a single segment.
 */
final class TcpOutput {

    private final VirtualClock clock;
    private final IsnGenerator isns;
    private final TcpHost host;
    private final ChallengeAckLimit challengeLimit;
    private final Sysctls sysctls;

    TcpOutput(VirtualClock clock, IsnGenerator isns, TcpHost host, Sysctls sysctls) {
        this.sysctls = sysctls;
        this.clock = clock;
        this.isns = isns;
        this.host = host;
        this.challengeLimit = new ChallengeAckLimit(clock, sysctls, host);
    }

    /**
     * A segment of an established connection: our window scaled as negotiated, timestamps when both sides use them.
     * One segment: its callers (the RTO's and the loss probe's resends, the window probe) send at most one MSS.
     */
    Segment out(Tcb tcb, int flags, int seq, int ack, byte[] payload) {
        return out(tcb, flags, seq, ack, payload, null);
    }

    /**
     * A segment with exactly the flags the caller chose: a retransmission of whole skbs, given the flags of its last
     * skb ({@link SkbCuts#push}) since the cuts of the retransmission queue, not the pacing rate of now, decide how it
     * leaves; or one segment of a software-segmented packet ({@link SoftwareGso}).
     */
    Segment outExact(Tcb tcb, int flags, int seq, int ack, byte[] payload) {
        return out(tcb, flags, seq, ack, payload, Boolean.FALSE);
    }

    /**
     * As above; {@code gsoPush} says whether the last GSO packet of this send carries PSH by __tcp_transmit_skb()'s
     * rule when the caller knows how Linux cut it (new data from tcp_write_xmit()), null for one segment.
     */
    Segment out(Tcb tcb, int flags, int seq, int ack, byte[] payload, Boolean gsoPush) {
        tcb.unackedBytes = 0; // every segment of the connection carries the ACK
        if (payload != null && payload.length > 0) {
            // tcp_event_data_sent(): CA_EVENT_TX_START when nothing is in flight, then tp->lsndtime
            if (tcb.sndNxt == tcb.sndUna || Recovery.pipe(tcb, Math.max(1, TcpSender.sendMss(tcb))) == 0) {
                tcb.cc.onTxStart(tcb, clock.now(), tcb.lastDataSent);
            }
            tcb.lastDataSent = clock.now();
            // tcp_event_data_sent(): data that answers within ato of the last data received (once the delayed-ACK
            // engine runs, icsk_ack.ato != 0) counts as a reply: pingpong mode (tcp_pingpong_thresh 1)
            if (tcb.dataReceived && clock.now() - tcb.lastDataRecv < DELACK_MS) {
                tcb.pingpong = true;
            }
        }
        if (tcb.delackTimer != null) {
            tcb.delackTimer.cancel();
            tcb.delackTimer = null;
        }
        // tcp_select_window(): the window the buffer backs now, never less than what is left of the last offer
        int window = Math.min(65535, RcvSpace.select(tcb, sysctls) >> tcb.rcvWscale);
        TcpOptions options;
        if (tcb.accEcn != null) {
            tcb.accEcn.optSentWithDsack = false; // tcp_options_write(): set again below only if the option goes
        }
        if (tcb.accEcn != null && tcb.accEcn.wantsOption(tcb, clock.now())) {
            options = accEcnOptions(tcb);
        } else if (tcb.rcvSack != null && !tcb.rcvSack.isEmpty()) {
            // tcp_options_write(): TS first, then nop,nop,sack with the blocks that still fit
            TcpOption sack = tcb.rcvSack.option(tcb.tsOk);
            options = tcb.tsOk
                    ? TcpOptions.of(new TcpOption.Nop(), new TcpOption.Nop(), new TcpOption.Timestamps(tsVal(tcb), tcb.tsRecent),
                            new TcpOption.Nop(), new TcpOption.Nop(), sack)
                    : TcpOptions.of(new TcpOption.Nop(), new TcpOption.Nop(), sack);
        } else {
            options = tcb.tsOk
                    ? TcpOptions.of(new TcpOption.Nop(), new TcpOption.Nop(), new TcpOption.Timestamps(tsVal(tcb), tcb.tsRecent))
                    : TcpOptions.NONE;
        }
        int mss = TcpSender.sendMss(tcb);
        if (payload != null && (flags & TcpFlags.SYN) == 0 && payload.length > mss && Boolean.TRUE.equals(gsoPush)) {
            // __tcp_transmit_skb(): every GSO packet (tcp_skb_pcount() > 1) carries PSH, to flush GRO at the receiver,
            // wherever the skb was cut (cwnd, window, a retransmission); a last packet of one MSS keeps its own flags
            flags |= TcpFlags.PSH;
        }
        int length = payload == null ? 0 : payload.length;
        int tos = Ecn.tos(tcb, tos(tcb), flags, seq, length); // tcp_ecn_send(): ECT(0) on new data, CWR and ECE flags
        flags = Ecn.flags(tcb, flags, seq, length);
        if (tcb.accEcn != null && tcb.accEcn.on) {
            tos = AccEcn.tos(tcb, tos); // tcp_ecn_send() in AccECN mode: ECT(0) on every segment, ACE = CE count + 5
            flags = AccEcn.flags(tcb, flags);
        }
        return new Segment(tcb.tuple().local(), tcb.tuple().remote(), flags, seq, ack, window, 0, payload, options, tos);
    }

    /** tcp_options_write() with the AccECN option: TS, then the option (as many counters as fit), then SACK. */
    private TcpOptions accEcnOptions(Tcb tcb) {
        List<TcpOption> list = new ArrayList<>();
        if (tcb.tsOk) {
            list.add(new TcpOption.Nop());
            list.add(new TcpOption.Nop());
            list.add(new TcpOption.Timestamps(tsVal(tcb), tcb.tsRecent));
        }
        boolean dsack = tcb.rcvSack != null && tcb.rcvSack.duplicatePending(); // tp->rx_opt.dsack before SACK is written
        TcpOption sack = tcb.rcvSack != null && !tcb.rcvSack.isEmpty() ? tcb.rcvSack.option(tcb.tsOk) : null;
        int before = list.size();
        sack = tcb.accEcn.appendOption(list, sack, clock.now());
        tcb.accEcn.optSentWithDsack = list.size() > before && dsack; // tcp_options_write(): accecn_opt_sent_w_dsack
        if (sack != null) {
            if (list.size() == before) {
                list.add(new TcpOption.Nop());
                list.add(new TcpOption.Nop());
            }
            list.add(sack);
        }
        return new TcpOptions(list);
    }

    /**
     * The IPv4 TOS byte of the connection's segments: the socket's IP_TOS (inet->tos, written into iph->tos by
     * __ip_queue_xmit()); before accept() the listener's, which the SYN-ACK carries (tcp_v4_send_synack()) and the
     * child inherits (sk_clone_lock()).
     */
    static int tos(Tcb tcb) {
        if (tcb.socket != null) {
            return tcb.socket.options().tos;
        }
        if (tcb.inherited != null) {
            return tcb.inherited.tos;
        }
        return tcb.listener != null ? tcb.listener.options().tos : 0;
    }

    /**
     * SYN and SYN-ACK with the options in Linux's order (tcp_options_write()): mss, then sackOK and TS together
     * (or nop,nop before either alone), then nop,wscale. A SYN offers all of them; a SYN-ACK only what the SYN did.
     */
    Segment synSegment(Tcb tcb, int flags, int ack) {
        boolean active = (flags & TcpFlags.ACK) == 0;
        // tcp_syn_options(): a SYN offers what the sysctls allow; a SYN-ACK only what both agreed on
        boolean sack = active ? sysctls.get(Sysctls.TCP_SACK) != 0 : tcb.sackOk;
        boolean ts = active ? sysctls.get(Sysctls.TCP_TIMESTAMPS) != 0 : tcb.tsOk;
        boolean wscale = active ? sysctls.get(Sysctls.TCP_WINDOW_SCALING) != 0 : tcb.wscaleOk;
        List<TcpOption> list = new ArrayList<>();
        list.add(new TcpOption.Mss(Math.min(tcb.advMss, tcb.routeAdvMss))); // tcp_advertise_mss(), tcp_make_synack()
        if (ts) {
            if (sack) {
                list.add(new TcpOption.SackPermitted());
            } else {
                list.add(new TcpOption.Nop());
                list.add(new TcpOption.Nop());
            }
            list.add(new TcpOption.Timestamps(tsVal(tcb), active ? 0 : tcb.tsRecent));
        } else if (sack) {
            list.add(new TcpOption.Nop());
            list.add(new TcpOption.Nop());
            list.add(new TcpOption.SackPermitted());
        }
        boolean accEcnOption = !active && tcb.accEcn != null && tcb.state == TcpState.SYN_RECV && AccEcn.synAckOption(tcb)
                && list.stream().mapToInt(TcpOption::size).sum() + 12 <= TcpOptions.MAX_LENGTH;
        if (accEcnOption) {
            // tcp_synack_options(): the AccECN option after mss and TS, before a lone sackOK; nop-padded
            int at = ts ? list.size() : 1;
            list.add(at, AccEcn.synAckOption());
            list.add(at + 1, new TcpOption.Nop());
        }
        if (wscale) {
            list.add(new TcpOption.Nop());
            list.add(new TcpOption.WindowScale(tcb.offeredWscale));
        }
        if (!active && tcb.synAckFastOpen != null) {
            // tcp_synack_options(): the Fast Open cookie last, when it fits; tcp_options_write() pads a 34 with nop,nop
            int used = list.stream().mapToInt(TcpOption::size).sum();
            int need = (tcb.synAckFastOpen.size() + 3) & ~3;
            if (used + need <= TcpOptions.MAX_LENGTH) {
                list.add(tcb.synAckFastOpen);
                for (int pad = tcb.synAckFastOpen.size(); pad < need; pad++) {
                    list.add(new TcpOption.Nop());
                }
            }
        }
        // the window field of SYN and SYN-ACK is never scaled (RFC 7323 §2.2)
        int window = Math.min(65535, tcb.initialWindow());
        tcb.rcvSpace.synWindow = window; // tcp_select_initial_window(): rcv_wnd = min(space, U16_MAX)
        flags = active ? flags : Ecn.synAckFlags(tcb, flags); // tcp_ecn_make_synack()
        if (!active && tcb.accEcn != null && tcb.state == TcpState.SYN_RECV) {
            flags = AccEcn.synAckFlags(tcb, flags); // tcp_accecn_echo_syn_ect(): the SYN's IP ECN field in ACE
        }
        return new Segment(tcb.tuple().local(), tcb.tuple().remote(), flags, tcb.iss, ack, window, 0, null, new TcpOptions(list), tos(tcb));
    }

    /** What both SYNs agreed on (RFC 7323, RFC 2018): timestamps, SACK permitted, window scaling. */
    void negotiateOptions(Tcb tcb, Segment syn, boolean passive) {
        // tcp_parse_options(): a SYN's TS, sackOK and wscale count only where the sysctls enable them
        TcpOption.Timestamps ts = sysctls.get(Sysctls.TCP_TIMESTAMPS) != 0 ? syn.timestamps() : null;
        tcb.tsOk = ts != null;
        if (ts != null) {
            tcb.tsRecent = ts.value();
            if (passive) {
                tcb.tsOffset = isns.tsOffset(tcb.tuple());
            }
        }
        tcb.sackOk = syn.sackPermitted() && sysctls.get(Sysctls.TCP_SACK) != 0;
        tcb.wscaleOk = syn.windowScale() >= 0 && sysctls.get(Sysctls.TCP_WINDOW_SCALING) != 0;
        tcb.sndWscale = tcb.wscaleOk ? Math.min(14, syn.windowScale()) : 0;
        tcb.rcvWscale = tcb.wscaleOk ? tcb.offeredWscale : 0;
    }

    /** TSval: a millisecond clock with a per-connection offset (Linux's ts_off from secure_tcp_ts_off()). */
    /** The virtual clock's time in milliseconds (tcp_jiffies32 at HZ=1000). */
    long now() {
        return clock.now();
    }

    long tsVal(Tcb tcb) {
        return (clock.now() + (tcb.tsOffset & 0xffffffffL)) & 0xffffffffL;
    }

    /**
     * __tcp_ack_snd_check(): in quick-ack mode every segment is ACKed at once; after it, an ACK goes out for every
     * second full-sized segment, or when the 40 ms delayed-ACK timer fires, unless data going the other way
     * carries it first.
     */
    void ackData(Tcb tcb, int bytes, PacketReport report) {
        // __tcp_ack_snd_check(): with more than one full frame unacknowledged the ACK goes now only if the window
        // would not shrink; __tcp_select_window() ends quick-ack mode once the buffer is half used
        boolean windowOpen = true;
        if (tcb.rcvSpace.initialized && tcb.rcvNxt - tcb.rcvSpace.rcvWup > tcb.rcvMss) {
            windowOpen = RcvSpace.freeWindow(tcb, sysctls, true) >= tcb.rcvSpace.rcvWnd;
        }
        if (tcb.hasOfo() || tcb.accEcn != null && tcb.accEcn.ackNow) {
            sendAck(tcb, report); // __tcp_ack_snd_check(): "We have out of order data": the ACK (with SACK) goes now; so does one owed
            // to an ECN field change (tcp_ecn_received_counters(): ICSK_ACK_NOW)
            return;
        }
        if (tcb.quickAcks > 0 && !tcb.pingpong) { // tcp_in_quickack_mode(): not in pingpong (interactive) mode
            tcb.quickAcks--;
            sendAck(tcb, report);
            return;
        }
        tcb.unackedBytes += bytes;
        int fullSegment = ADVERTISED_MSS - (tcb.tsOk ? 12 : 0);
        if (tcb.unackedBytes >= 2 * fullSegment && windowOpen) {
            sendAck(tcb, report);
            return;
        }
        if (report.tracing()) {
            report.step("tcp.delack", "ACK delayed up to " + DELACK_MS + " ms (quick-ack mode ended after " + MAX_QUICKACKS
                    + " segments): it goes with the next data, the next full segment, or when the timer fires");
        }
        scheduleDelayedAck(tcb);
    }

    /** tcp_send_delayed_ack(): the ACK leaves when the 40 ms timer fires, unless a segment carries it first. */
    void scheduleDelayedAck(Tcb tcb) {
        scheduleDelayedAck(tcb, DELACK_MS);
    }

    void scheduleDelayedAck(Tcb tcb, long delayMs) {
        if (tcb.delackTimer == null) {
            tcb.delackTimer = clock.schedule(delayMs, "delayed-ack", tcb.tuple().toString(), () -> {
                tcb.delackTimer = null;
                tcb.pingpong = false; // tcp_delack_timer_handler(): a delayed ACK missed, leave pingpong mode
                if (tcb.state != TcpState.CLOSE && tcb.state != TcpState.TIME_WAIT) {
                    sendAck(tcb, null);
                }
            });
        }
    }

    void sendAck(Tcb tcb, PacketReport report) {
        if (tcb.timeWaitSock) {
            host.transmit(timeWaitAck(tcb, false), report);
            return;
        }
        host.transmit(out(tcb, TcpFlags.ACK, tcb.sndNxt, tcb.rcvNxt, null), report);
    }

    /**
     * tcp_v4_timewait_ack() -> tcp_v4_send_ack(): a time-wait socket's ACK has the ACK bit only (no ECE, CWR or
     * AccECN's ACE, which tcp_ecn_send() puts only on a full socket's segments) and the timestamps as its only
     * option; its IP ECN field is tw_tos's, kept from the full socket (ECT(0) under AccECN), except on an answer to
     * an out-of-window segment (TCP_TW_ACK_OOW clears INET_ECN_MASK).
     */
    private Segment timeWaitAck(Tcb tcb, boolean outOfWindow) {
        Segment full = out(tcb, TcpFlags.ACK, tcb.sndNxt, tcb.rcvNxt, null);
        TcpOptions options = tcb.tsOk
                ? TcpOptions.of(new TcpOption.Nop(), new TcpOption.Nop(), new TcpOption.Timestamps(tsVal(tcb), tcb.tsRecent))
                : TcpOptions.NONE;
        int tos = outOfWindow ? full.tos() & ~Ecn.MASK : full.tos();
        return new Segment(full.src(), full.dst(), TcpFlags.ACK, full.seq(), full.ack(), full.window(), 0, null, options, tos);
    }

    /**
     * tcp_send_dupack() behind tcp_oow_rate_limited(): the ACK to a segment outside the window. One that occupies
     * sequence space (data or FIN) without SYN is always answered — it is unlikely to be part of an ACK loop; a bare
     * ACK at most once per tcp_invalid_ratelimit per connection, the same clock challenge ACKs use.
     */
    void outOfWindowAck(Tcb tcb, Segment segment, SnmpCounter skipped, PacketReport report) {
        boolean loopable = segment.length() == 0 || segment.has(TcpFlags.SYN);
        if (loopable && challengeLimit.oowRateLimited(tcb)) {
            host.count(skipped);
            report.step("tcp.oow_ack", "no ACK this time: the last one to an invalid segment left less than "
                    + "tcp_invalid_ratelimit ago (tcp_oow_rate_limited())");
            return;
        }
        if (tcb.timeWaitSock) {
            host.transmit(timeWaitAck(tcb, true), report); // tcp_timewait_check_oow_rate_limit(): TCP_TW_ACK_OOW
            return;
        }
        sendAck(tcb, report);
    }

    /** tcp_send_challenge_ack(): an ACK that tells the real peer where we are, rate-limited (RFC 5961 §7). */
    void challengeAck(Tcb tcb, PacketReport report, String why) {
        String refused = challengeLimit.refuse(tcb);
        if (refused != null) {
            report.step("tcp.challenge_ack", () -> why + ": the segment is dropped, and no challenge ACK goes out: " + refused);
            report.verdict("challenge ack rate-limited");
            return;
        }
        host.count(SnmpCounter.TCP_CHALLENGE_ACK);
        report.step("tcp.challenge_ack", () -> why + ": challenge ACK (RFC 5961), the segment is dropped");
        sendAck(tcb, report);
        report.verdict("challenge ack");
    }

    /**
     * tcp_send_active_reset(): RST,ACK with SEQ=SND.NXT, ACK=RCV.NXT, sent through tcp_transmit_skb() like any
     * segment of the connection, so it carries the current window and, when agreed, timestamps.
     */
    void sendReset(Tcb tcb, PacketReport report) {
        host.transmit(out(tcb, TcpFlags.RST | TcpFlags.ACK, tcb.sndNxt, tcb.rcvNxt, null), report);
    }

    /**
     * tcp_v4_send_reset(): the reply to one segment, built from its own numbers — {@code <SEQ=SEG.ACK><CTL=RST>}
     * when it carried an ACK, else {@code <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>} — window 0, no options.
     */
    void resetFor(Segment segment, PacketReport report) {
        Segment reply;
        if (segment.has(TcpFlags.ACK)) {
            reply = new Segment(segment.dst(), segment.src(), TcpFlags.RST, segment.ack(), 0, 0, 0, null);
            report.step("tcp.reset", () -> "RST with <SEQ=SEG.ACK> = " + Seq.unsigned(segment.ack()) + " (RFC 9293 §3.10.7.1, tcp_v4_send_reset())");
        } else {
            int ack = segment.seq() + segment.length();
            reply = new Segment(segment.dst(), segment.src(), TcpFlags.RST | TcpFlags.ACK, 0, ack, 0, 0, null);
            report.step("tcp.reset", () -> "RST,ACK with <SEQ=0><ACK=SEG.SEQ+SEG.LEN> = " + Seq.unsigned(ack)
                    + " (RFC 9293 §3.10.7.1, tcp_v4_send_reset())");
        }
        host.transmit(reply, report);
    }
}
