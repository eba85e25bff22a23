package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.time.VirtualClock;
import io.vkernel.kernel.trace.EventType;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.Seq;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOption;

/**
 * Congestion window and loss recovery as tcp_ack() runs them after the cumulative ACK is applied: slow start and
 * congestion avoidance through the connection's {@link CongestionControl}, the CA state machine of
 * tcp_fastretrans_alert() (Open, Disorder, Recovery, Loss), fast retransmit after three duplicate ACKs or three
 * SACKed segments, Proportional Rate Reduction while recovering (RFC 6937, tcp_cwnd_reduction()), and the RTO's
 * Loss state with cwnd 1 (tcp_enter_loss()). In flight counts what the SACK scoreboard says the network still holds
 * (tcp_packets_in_flight(): out - SACKed - lost + retransmitted).
 */
import java.util.List;

final class Recovery {

    /** TCP_INIT_CWND (RFC 6928). */
    static final int INITIAL_CWND = 10;
    /** TCP_INFINITE_SSTHRESH. */
    static final int INFINITE_SSTHRESH = 0x7fffffff;
    /** The duplicate-ACK threshold, tp->reordering's default (TCP_FASTRETRANS_THRESH). */
    static final int DUP_THRESH = 3;
    /** The name of RACK's reordering timer in the clock (ICSK_TIME_REO_TIMEOUT). */
    static final String REORDER_TIMER = "rack-reorder";
    /** TCP_TIMEOUT_MIN: two jiffies (HZ=1000) added to the reordering wait, as tcp_rack_mark_lost() does. */
    static final long TIMEOUT_MIN_MS = 2;

    private final TcpOutput output;
    private final TcpHost host;
    private final VirtualClock clock;
    private final Sysctls sysctls;
    /** Set once the timers exist (they in turn call back here on a timeout). */
    private TcpTimers timers;
    private LossProbe lossProbe;

    void setTimers(TcpTimers timers, LossProbe lossProbe) {
        this.timers = timers;
        this.lossProbe = lossProbe;
    }

    Recovery(TcpOutput output, TcpHost host, VirtualClock clock, Sysctls sysctls) {
        this.sysctls = sysctls;
        this.output = output;
        this.host = host;
        this.clock = clock;
    }

    /** RACK runs for SACK connections while net.ipv4.tcp_recovery has bit 1 (tcp_is_rack()); Linux's default. */
    boolean rackOn(Tcb tcb) {
        return tcb.sackOk && (sysctls.getInt(Sysctls.TCP_RECOVERY) & 1) != 0;
    }

    /** tcp_rack_mark_lost(): the reordering timer takes the retransmission timer's slot for the wait, plus TCP_TIMEOUT_MIN. */
    private void armReorderTimer(Tcb tcb, long waitMs, PacketReport report) {
        TcpTimers.cancelRetransmit(tcb);
        tcb.retransmitTimer = clock.schedule(waitMs + TIMEOUT_MIN_MS, REORDER_TIMER, tcb.tuple().toString(),
                () -> reorderTimeout(tcb));
        if (report != null && report.tracing()) {
            report.step("tcp.rack", "a segment sent earlier than the one just delivered is still missing: RACK waits "
                    + (waitMs + TIMEOUT_MIN_MS) + " ms more (RTT + reordering window " + tcb.rack.reorderWindow(tcb,
                    tcb.scoreboard.sackedBytes() / Math.max(1, TcpSender.sendMss(tcb)), tcb.srttMs)
                    + " ms) before calling it lost");
        }
    }

    /**
     * tcp_rack_reo_timeout(): the reordering window has passed; what is now late is lost, recovery starts (PRR with
     * one segment delivered) and the lost segments are resent; then the RTO is armed again.
     */
    void reorderTimeout(Tcb tcb) {
        tcb.retransmitTimer = null;
        if (tcb.sndUna == tcb.sndNxt || tcb.state == TcpState.CLOSE || tcb.state == TcpState.TIME_WAIT) {
            return;
        }
        int mss = TcpSender.sendMss(tcb);
        tcb.rack.reorderTimeouts++;
        int priorLost = tcb.rack.lostNotResent();
        tcb.rack.detectLoss(tcb, tcb.scoreboard.sackedBytes() / mss, clock.now());
        if (tcb.rack.lostNotResent() != priorLost && tcb.caState != CaState.LOSS) {
            host.event(EventType.TIMER_FIRED, tcb.tuple().toString(), "RACK reordering timer: segments sent before the "
                    + "last one delivered are now lost (tcp_rack_reo_timeout())");
            if (tcb.caState != CaState.RECOVERY) {
                enterRecovery(tcb, "RACK reordering timer", null);
                proportionalRateReduction(tcb, 1, false, mss, null);
            } else {
                resendLost(tcb, cwndRoom(tcb, mss) / mss, mss, null);
            }
        }
        timers.armRetransmit(tcb); // tcp_rearm_rto()
    }

    /** tcp_cong_avoid_ai(): one more segment each time {@code w} segments have been acknowledged. */
    static void additiveIncrease(Tcb tcb, int w, int acked) {
        if (tcb.cwndCnt >= w) {
            tcb.cwndCnt = 0;
            tcb.cwnd++;
        }
        tcb.cwndCnt += acked;
        if (tcb.cwndCnt >= w) {
            int delta = tcb.cwndCnt / w;
            tcb.cwndCnt -= delta * w;
            tcb.cwnd += delta;
        }
    }

    /** The first byte not presumed lost: everything the peer lacks below it is lost (tcp_mark_head_lost(), IsLost()). */
    private static int lossLine(Tcb tcb, int mss) {
        return switch (tcb.caState) {
            case LOSS -> tcb.highSeq;
            case RECOVERY -> {
                int line = tcb.sackOk ? tcb.scoreboard.lossLine(tcb.sndUna, mss) : tcb.sndUna;
                if (!tcb.rack.enabled) {
                    // without RACK the head is lost once recovery starts, and again on each partial ACK
                    // (tcp_update_scoreboard(), tcp_newreno_mark_lost()); with RACK only RACK marks (tcp_identify_packet_loss())
                    int head = Math.min(tcb.sndUna + mss, tcb.highSeq);
                    line = Seq.after(head, line) ? head : line;
                }
                int rack = tcb.rack.lostLine(tcb.sndUna); // what RACK marked lost (sndUna when RACK is off)
                yield Seq.after(rack, line) ? rack : line;
            }
            default -> tcb.sndUna;
        };
    }

    /** tp->lost_out in bytes: what is presumed lost and not SACKed since, resent or not. */
    static int lostBytes(Tcb tcb, int mss) {
        int line = lossLine(tcb, mss);
        return Seq.after(line, tcb.sndUna) ? tcb.scoreboard.unsackedIn(tcb.sndUna, line) : 0;
    }

    /** tp->retrans_out in bytes: retransmitted, still unacknowledged and not SACKed. */
    static int retransOutBytes(Tcb tcb) {
        return Seq.after(tcb.retransmitHigh, tcb.sndUna) && tcb.caState != CaState.OPEN
                ? tcb.scoreboard.unsackedIn(tcb.sndUna, tcb.retransmitHigh) - relostBytes(tcb) : 0;
    }

    /** tcp_packets_in_flight() in bytes: outstanding, less what the peer holds, less what is lost and not resent. */
    static int pipe(Tcb tcb, int mss) {
        int outstanding = tcb.sndNxt - tcb.sndUna;
        int sacked = tcb.sackOk ? tcb.scoreboard.sackedBytes() : Math.min(outstanding, tcb.renoSacked * mss);
        int line = lossLine(tcb, mss);
        int from = Seq.after(tcb.retransmitHigh, tcb.sndUna) ? tcb.retransmitHigh : tcb.sndUna;
        int lostNotResent = tcb.scoreboard.unsackedIn(from, line) + relostBytes(tcb);
        return Math.max(0, outstanding - sacked - lostNotResent);
    }

    /** tcp_cwnd_test(): how many bytes cwnd lets leave now, whole segments, counting segments in flight. */
    static int cwndRoom(Tcb tcb, int mss) {
        int inFlightSegments = (pipe(tcb, mss) + mss - 1) / mss;
        return Math.max(0, tcb.cwnd - inFlightSegments) * mss;
    }

    /**
     * After the cumulative ACK of {@code segment} was applied ({@code ackedBytes} newly acknowledged): reads its SACK
     * blocks, moves the CA state machine, sets cwnd, and resends what is presumed lost.
     */
    void onAck(Tcb tcb, Segment segment, int ackedBytes, boolean duplicate, int priorInFlight, int mss, PacketReport report) {
        int priorSegments = (priorInFlight + mss - 1) / mss;
        if (tcb.caState == CaState.OPEN) {
            tcb.undo.retransStampMs = -1; // tcp_fastretrans_alert(): in Open, nothing retransmitted is outstanding
        }
        if (tcb.sackOk) {
            tcb.undo.onDsack(tcb, segment, tcb.sndUna - ackedBytes, mss); // before the ACKed pieces leave
        }
        int newlySacked = 0;
        int sackedBefore = tcb.scoreboard.sackedBytes();
        if (tcb.sackOk) {
            tcb.scoreboard.acked(tcb.sndUna);
            for (TcpOption option : segment.options().list()) {
                newlySacked += tcb.scoreboard.update(option, segment.ack(), tcb.sndUna, tcb.sndNxt, tcb.rack);
            }
        }
        tcb.rack.onDelivered(tcb.sndUna, tcb.scoreboard, clock.now(),
                tcb.caState != CaState.LOSS || tcb.undo.marked, mss);
        tcb.cc.acked(tcb, tcb.rtt.caRttUs, clock.now(), sysctls, mss); // tcp_clean_rtx_queue() -> ->pkts_acked()
        if (ackedBytes > 0) {
            tcb.dupAcks = 0;
        } else if (duplicate) {
            tcb.dupAcks++;
        }
        // tp->delivered: what the cumulative ACK covers that was not SACKed before, plus what is newly SACKed
        int deliveredBytes = Math.max(0, ackedBytes + tcb.scoreboard.sackedBytes() - sackedBefore);
        int delivered = (deliveredBytes + mss - 1) / mss;
        if (!tcb.sackOk) {
            delivered = renoSacks(tcb, ackedBytes, duplicate, mss);
        }
        tcb.delivered += delivered;
        if (tcb.accEcn != null) {
            // tcp_ack() -> tcp_accecn_process(): CE marks the peer reports in ACE (and its option) are FLAG_ECE
            boolean tsProgress = tcb.tsOk && segment.timestamps() != null && segment.timestamps().value() != tcb.tsRecentPrior;
            int ce = AccEcn.ackProcessed(tcb, segment, new AccEcn.Ack(deliveredBytes > 0, tsProgress, false, delivered, deliveredBytes));
            tcb.ecnEcho |= ce > 0;
        }
        int priorLossLine = lossLine(tcb, mss);
        boolean rack = rackOn(tcb);
        tcb.rack.enabled = rack;
        if (!Seq.before(tcb.sndUna, tcb.highSeq) && (tcb.caState == CaState.RECOVERY
                || tcb.caState == CaState.LOSS && !(ackedBytes > 0 && tcb.undo.mayUndo(tcb, segment)))) {
            // tcp_fastretrans_alert(): the recovery point is acknowledged, so the episode ends (its "D" step, or
            // tcp_process_loss()) before tcp_identify_packet_loss() runs RACK; the state is then Open and the same ACK
            // goes on as in Open (below)
            endEpisode(tcb, segment, report);
        }
        if (rack && tcb.rack.advanced) {
            tcb.rack.advanced = false;
            long wait = tcb.rack.detectLoss(tcb, tcb.scoreboard.sackedBytes() / mss, clock.now());
            if (wait > 0) {
                armReorderTimer(tcb, wait, report);
            }
        }
        switch (tcb.caState) {
            case RECOVERY -> {
                if (ackedBytes > 0 && tryUndoPartial(tcb, segment, report)
                        || tcb.undo.marked && tcb.undo.retrans == 0 && tryUndoDsack(tcb, report)) {
                    // the reduction was undone: back to Open or Disorder (tcp_try_keep_open()), cwnd grows again
                    tryKeepOpen(tcb, report);
                    grow(tcb, mayRaiseCwnd(tcb, ackedBytes, delivered), delivered, priorSegments, report);
                } else {
                    boolean newlyLost = Seq.after(lossLine(tcb, mss), priorLossLine);
                    proportionalRateReduction(tcb, delivered, ackedBytes > 0 && !newlyLost, mss, report);
                }
            }
            case LOSS -> {
                if (ackedBytes > 0 && tryUndoLoss(tcb, segment, report)) {
                    grow(tcb, true, delivered, priorSegments, report); // FLAG_DATA_ACKED: SND.UNA advanced
                    break;
                }
                // tcp_cong_control(): Loss is no cwnd reduction (tcp_in_cwnd_reduction()), so cwnd grows only if
                // tcp_may_raise_cwnd(): a SACK-only ACK leaves cwnd as it is, and SACKs free room by lowering in-flight
                grow(tcb, mayRaiseCwnd(tcb, ackedBytes, delivered), delivered, priorSegments, report);
                resendLost(tcb, cwndRoom(tcb, mss) / mss, mss, report);
            }
            default -> {
                if (tcb.caState == CaState.CWR && !Seq.before(tcb.sndUna, tcb.highSeq) && tcb.sndUna != tcb.highSeq) {
                    // tcp_fastretrans_alert(): CWR ends once something above high_seq is ACKed (so our CWR got
                    // through); tcp_end_cwnd_reduction() settles cwnd at ssthresh
                    if (tcb.ssthresh < INFINITE_SSTHRESH) {
                        tcb.cwnd = tcb.ssthresh;
                    }
                    setState(tcb, CaState.OPEN, "the window reduced for ECN is acknowledged: cwnd = ssthresh = " + tcb.ssthresh, report);
                }
                if (tcb.undo.marked && tcb.undo.retrans == 0) {
                    tryUndoDsack(tcb, report); // a late D-SACK proves the last recovery spurious
                }
                // tcp_time_to_recover(): with RACK only a segment marked lost starts recovery; without it, dupthresh:
                // tcp_dupack_heuristics() is sacked_out + 1, which counts SACKed segments on a SACK connection (a
                // duplicate ACK that SACKs nothing new adds nothing) and duplicate ACKs only without SACK
                boolean timeToRecover;
                if (rack) {
                    timeToRecover = Seq.after(tcb.rack.lostLine(tcb.sndUna), tcb.sndUna);
                } else {
                    timeToRecover = tcb.sackOk
                            ? tcb.scoreboard.sackedBytes() >= tcb.rack.reordering * mss
                            : tcb.dupAcks >= tcb.rack.reordering;
                }
                if (timeToRecover && tcb.sndNxt != tcb.sndUna) {
                    enterRecovery(tcb, rack ? "RACK marked a segment lost" : null, report);
                    proportionalRateReduction(tcb, delivered, false, mss, report);
                } else if (tcb.ecnEcho || tcb.caState == CaState.CWR) {
                    // tcp_try_to_open(): an ECE enters CWR (tcp_enter_cwr()); tcp_cong_control() then reduces cwnd by PRR
                    if (tcb.ecnEcho && tcb.caState != CaState.CWR) {
                        enterCwr(tcb, report);
                    }
                    if (delivered > 0) {
                        boolean newlyLost = Seq.after(lossLine(tcb, mss), priorLossLine);
                        proportionalRateReduction(tcb, delivered, ackedBytes > 0 && !newlyLost, mss, report);
                    }
                } else if (!tcb.scoreboard.isEmpty() || (tcb.dupAcks > 0 && !tcb.sackOk)) {
                    if (tcb.caState != CaState.DISORDER) {
                        setState(tcb, CaState.DISORDER, "SACK or duplicate ACK: a segment may be lost", report);
                    }
                    grow(tcb, mayRaiseCwnd(tcb, ackedBytes, delivered), delivered, priorSegments, report);
                } else {
                    if (tcb.caState == CaState.DISORDER) {
                        setState(tcb, CaState.OPEN, "no more holes", report);
                    }
                    tcb.dupAcks = tcb.sackOk ? 0 : tcb.dupAcks;
                    if (!tcb.sackOk && tcb.dupAcks == 0) {
                        tcb.renoSacked = 0;
                    }
                    grow(tcb, mayRaiseCwnd(tcb, ackedBytes, delivered), delivered, priorSegments, report);
                }
            }
        }
        lossProbe.onAck(tcb, segment.ack(), ackedBytes > 0, dsack(segment), duplicate && newlySacked == 0);
        if (ackedBytes > 0 && tcb.sndUna != tcb.sndNxt) {
            lossProbe.schedule(tcb, true); // tcp_set_xmit_timer(): a probe instead of the RTO when it may go
        }
    }

    /**
     * The recovery point (high_seq) is acknowledged and no loss undo took this ACK: tcp_try_undo_recovery() undoes the
     * reduction if every retransmission was spurious, else tcp_end_cwnd_reduction() settles cwnd at ssthresh (after
     * Recovery); either way the state is Open. SACK tags and lost marks of what is still outstanding (above high_seq)
     * stay, as they stay on Linux's skbs until acknowledged: tcp_try_to_open() then makes it Disorder, or
     * tcp_time_to_recover() starts a new recovery, on this same ACK.
     */
    private void endEpisode(Tcb tcb, Segment segment, PacketReport report) {
        boolean loss = tcb.caState == CaState.LOSS;
        if (!loss) {
            tcb.renoSacked = 0; // tcp_reset_reno_sack(), before the undo
        }
        boolean undone = tryUndoRecovery(tcb, segment, report);
        if (loss) {
            setState(tcb, CaState.OPEN, "everything outstanding at the timeout is acknowledged"
                    + (undone ? "; the timeout was spurious, cwnd back to " + tcb.cwnd : ""), report);
        } else if (undone) {
            setState(tcb, CaState.OPEN, "recovery point acknowledged and every retransmission was spurious: "
                    + "cwnd back to " + tcb.cwnd + " (tcp_try_undo_recovery())", report);
        } else {
            // tcp_end_cwnd_reduction()
            if (tcb.ssthresh < INFINITE_SSTHRESH && tcb.undo.marked) {
                tcb.cwnd = tcb.ssthresh;
            }
            setState(tcb, CaState.OPEN, "recovery point acknowledged: cwnd = ssthresh = " + tcb.ssthresh, report);
        }
    }

    /** A D-SACK: the first SACK block lies at or below the cumulative ACK (RFC 2883 §4). */
    private static boolean dsack(Segment segment) {
        for (TcpOption option : segment.options().list()) {
            if (option instanceof TcpOption.Unknown u && u.kind() == ReceiverSack.KIND_SACK && u.value().length >= 8) {
                byte[] v = u.value();
                int end = ((v[4] & 0xff) << 24) | ((v[5] & 0xff) << 16) | ((v[6] & 0xff) << 8) | (v[7] & 0xff);
                return !Seq.after(end, segment.ack());
            }
        }
        return false;
    }

    /**
     * Without SACK each duplicate ACK stands for a segment that left the network (tcp_add_reno_sack(), at most all but
     * the holes: tcp_limit_reno_sacked()), which is what lets one new segment go per duplicate ACK (limited transmit,
     * RFC 3042); a cumulative ACK takes them back (tcp_remove_reno_sacks()). Returns the segments delivered.
     */
    private static int renoSacks(Tcb tcb, int ackedBytes, boolean duplicate, int mss) {
        int delivered = 0;
        if (ackedBytes > 0) {
            int acked = (ackedBytes + mss - 1) / mss;
            delivered = Math.max(acked - tcb.renoSacked, 1);
            tcb.renoSacked = acked - 1 >= tcb.renoSacked ? 0 : tcb.renoSacked - (acked - 1);
        } else if (duplicate) {
            tcb.renoSacked++;
            delivered = 1;
        }
        int packetsOut = (tcb.sndNxt - tcb.sndUna + mss - 1) / mss;
        int holes = Math.min(Math.max(1, lostBytes(tcb, mss) / mss), packetsOut);
        if (tcb.renoSacked + holes > packetsOut) {
            tcb.renoSacked = Math.max(0, packetsOut - holes);
        }
        return delivered;
    }

    /** tcp_enter_recovery(): ssthresh from the algorithm, PRR starts, the recovery point is SND.NXT. */
    private void enterRecovery(Tcb tcb, String why, PacketReport report) {
        // tcp_retrans_stamp_cleanup(), tcp_init_undo(), prior_ssthresh = tcp_current_ssthresh()
        if (!anyRetransDone(tcb)) {
            tcb.undo.retransStampMs = -1;
        }
        tcb.undo.priorSsthresh = Undo.currentSsthresh(tcb);
        tcb.undo.init(tcb.sndUna, retransOutBytes(tcb) / Math.max(1, TcpSender.sendMss(tcb)));
        tcb.priorCwnd = tcb.cwnd;
        tcb.ssthresh = tcb.cc.ssthresh(tcb);
        tcb.cc.onLoss(tcb);
        tcb.prrDelivered = 0;
        tcb.prrOut = 0;
        tcb.highSeq = tcb.sndNxt;
        tcb.retransmitHigh = tcb.sndUna;
        tcb.cwndCnt = 0;
        tcb.rack.tlpHighSeq = null;
        host.count(tcb.sackOk ? SnmpCounter.TCP_SACK_RECOVERY : SnmpCounter.TCP_RENO_RECOVERY);
        setState(tcb, CaState.RECOVERY, (why != null ? why : tcb.sackOk ? "three segments SACKed" : "three duplicate ACKs")
                + ": fast retransmit, ssthresh = " + tcb.ssthresh + " (" + tcb.cc.name() + "), recovery point "
                + Seq.unsigned(tcb.highSeq), report);
    }

    /**
     * tcp_enter_cwr() and tcp_init_cwnd_reduction(): the peer echoed a CE mark, so cwnd comes down by the algorithm's
     * ssthresh, through PRR over the next window, without retransmitting anything; CWR goes out on the next new data.
     */
    private void enterCwr(Tcb tcb, PacketReport report) {
        enterCwr(tcb, "ECE: a router marked our data Congestion Experienced (RFC 3168 §6.1.2)", report);
    }

    /**
     * tcp_enter_cwr() from __tcp_transmit_skb() when the local qdisc refused a packet (NET_XMIT_DROP, "local
     * congestion"): the same reduction, entered only from Open or Disorder.
     */
    void enterCwrOnLocalDrop(Tcb tcb, PacketReport report) {
        tcb.undo.priorSsthresh = 0;
        if (tcb.caState.ordinal() < CaState.CWR.ordinal()) {
            enterCwr(tcb, "the local qdisc dropped a packet (NET_XMIT_DROP)", report);
        }
    }

    private void enterCwr(Tcb tcb, String why, PacketReport report) {
        tcb.undo.priorSsthresh = 0;
        tcb.undo.marked = false;
        tcb.highSeq = tcb.sndNxt;
        tcb.rack.tlpHighSeq = null;
        tcb.cwndCnt = 0;
        tcb.priorCwnd = tcb.cwnd;
        tcb.prrDelivered = 0;
        tcb.prrOut = 0;
        tcb.ssthresh = tcb.cc.ssthresh(tcb);
        tcb.ecnFlags |= Ecn.QUEUE_CWR; // tcp_ecn_queue_cwr()
        setState(tcb, CaState.CWR, why + ": ssthresh = "
                + tcb.ssthresh + " (" + tcb.cc.name() + "), cwnd comes down by PRR", report);
    }

    /**
     * tcp_cwnd_reduction() (RFC 6937): while more than ssthresh is in flight, send in proportion to what is
     * delivered (prr_delivered x ssthresh / prior_cwnd - prr_out); below it, slow-start back up to ssthresh, at most
     * one segment more than delivered (PRR-SSRB). The fast retransmit itself always goes.
     */
    private void proportionalRateReduction(Tcb tcb, int delivered, boolean unaAdvanced, int mss, PacketReport report) {
        tcb.prrDelivered += delivered;
        int inFlight = (pipe(tcb, mss) + mss - 1) / mss;
        int delta = tcb.ssthresh - inFlight;
        int sndcnt;
        if (delta < 0) {
            long share = ((long) tcb.prrDelivered * tcb.ssthresh + tcb.priorCwnd - 1) / Math.max(1, tcb.priorCwnd);
            sndcnt = (int) share - tcb.prrOut;
        } else {
            // tcp_cwnd_reduction(): one more than delivered only when SND.UNA advanced and nothing was newly lost
            sndcnt = Math.min(delta, Math.max(tcb.prrDelivered - tcb.prrOut, delivered) + (unaAdvanced ? 1 : 0));
        }
        sndcnt = Math.max(sndcnt, tcb.prrOut == 0 ? 1 : 0);
        tcb.cwnd = Math.max(1, inFlight + sndcnt);
        int sent = resendLost(tcb, sndcnt, mss, report);
        tcb.prrOut += sent;
    }

    /**
     * tcp_xmit_retransmit_queue(): resend lost, un-SACKed data in order, at most {@code budget} segments; with GSO a
     * retransmission may carry several of them at once (__tcp_retransmit_skb() with segs > 1).
     */
    private int resendLost(Tcb tcb, int budget, int mss, PacketReport report) {
        int line = lossLine(tcb, mss);
        int seq = Seq.after(tcb.retransmitHigh, tcb.sndUna) ? tcb.retransmitHigh : tcb.sndUna;
        int dataEnd = tcb.sndUna + tcb.sendQueue.size();
        int sent = resendRelost(tcb, budget, mss, report);
        while (sent < budget) {
            seq = tcb.scoreboard.skipSacked(seq);
            if (!Seq.before(seq, line) || !Seq.before(seq, dataEnd)) {
                break;
            }
            int limit = Seq.before(line, dataEnd) ? line : dataEnd;
            int sacked = tcb.scoreboard.nextSackedAfter(seq, limit);
            limit = Seq.before(sacked, limit) ? sacked : limit;
            // skb by skb, as many segments as the budget leaves (TCP always builds GSO packets; SoftwareGso cuts them
            // when offload is off), up to the first skb that carries PSH
            int[] train = SkbCuts.retransmission(tcb, seq, limit, budget - sent, mss);
            int end = train[0];
            int size = end - seq;
            if (size <= 0) {
                break;
            }
            if (sysctls.qdiscDrops()) {
                // tcp_retransmit_skb() failed (NET_XMIT_DROP): not retransmitted, tcp_xmit_retransmit_queue() stops
                QdiscDrop.dropped(tcb, size, true, host, this, report);
                break;
            }
            retransmit(tcb, seq, end, mss, report);
            seq = end;
            tcb.retransmitHigh = end;
            sent += train[1];
        }
        return sent;
    }

    /** __tcp_retransmit_skb() for [seq, end): one packet, PSH only if the end is where a write ended. */
    private void retransmit(Tcb tcb, int seq, int end, int mss, PacketReport report) {
        int size = end - seq;
        MtuProbe.onRetransmit(tcb);
        byte[] chunk = tcb.sendQueue.peek(seq - tcb.sndUna, size);
        SkbCuts.cutAt(tcb.rack, end); // __tcp_retransmit_skb(): tcp_fragment() when the budget ends inside an skb
        int push = SkbCuts.push(tcb, seq, end, mss) ? TcpFlags.PSH : 0;
        int fin = TcpSender.finRidesOn(tcb, end) && tcb.sndNxt == tcb.finSeq + 1 ? TcpFlags.FIN : 0; // the FIN's skb
        if (sysctls.gso()) {
            host.transmit(output.outExact(tcb, TcpFlags.ACK | push | fin, seq, tcb.rcvNxt, chunk), report);
        } else {
            // each skb a packet of its own (tcp_xmit_retransmit_queue()), cut at the MSS in software
            SoftwareGso.transmit(host, output, tcb, TcpFlags.ACK | push | fin, seq, chunk, SkbCuts.skbEnds(tcb.rack, seq, end), mss, report);
        }
        tcb.rack.onSent(seq, end, mss, clock.now(), true);
        int segs = SkbCuts.segments(tcb.rack, seq, end, mss);
        tcb.undo.onRetransmit(segs, clock.now());
        // tcp_retransmit_skb(): tp->total_retrans and TCP_MIB_RETRANSSEGS count segments (tcp_skb_pcount()), not packets
        tcb.totalRetransmits += segs;
        for (int i = 0; i < segs; i++) {
            host.count(SnmpCounter.TCP_RETRANS_SEGS);
        }
        tcb.rttSentAt = -1; // Karn: no RTT sample across a retransmission
    }

    /**
     * Retransmissions lost again. tcp_rack_detect_loss() also marks a retransmitted skb lost once its new transmit
     * time plus the reordering window has passed, and tcp_mark_skb_lost() then clears TCPCB_SACKED_RETRANS;
     * tcp_xmit_retransmit_queue() walks the whole retransmission queue from its head and resends every skb that is
     * lost and not SACKED_RETRANS, so these go before anything above the retransmission high-water mark. Resent one
     * MSS piece at a time, as the pieces were when first retransmitted. Returns the segments sent.
     */
    private int resendRelost(Tcb tcb, int budget, int mss, PacketReport report) {
        if (!Seq.after(tcb.retransmitHigh, tcb.sndUna) || tcb.caState == CaState.OPEN) {
            return 0;
        }
        int sent = 0;
        for (Rack.Sent piece : List.copyOf(tcb.rack.sent)) {
            if (sent >= budget || !Seq.before(piece.start, tcb.retransmitHigh)) {
                break;
            }
            if (!isRelost(tcb, piece)) {
                continue;
            }
            retransmit(tcb, piece.start, piece.end, mss, report);
            sent++;
        }
        return sent;
    }

    private static boolean isRelost(Tcb tcb, Rack.Sent piece) {
        return piece.lost && piece.retransmitted && !piece.retransPending && !piece.delivered
                && !Seq.after(piece.end, tcb.retransmitHigh) && Seq.before(piece.start, tcb.sndUna + tcb.sendQueue.size())
                && tcb.scoreboard.unsackedIn(piece.start, piece.end) > 0;
    }

    /** Bytes below the retransmission high-water mark that were resent and are lost again (no longer in retrans_out). */
    static int relostBytes(Tcb tcb) {
        if (!Seq.after(tcb.retransmitHigh, tcb.sndUna) || tcb.caState == CaState.OPEN) {
            return 0;
        }
        int bytes = 0;
        for (Rack.Sent piece : tcb.rack.sent) {
            if (!Seq.before(piece.start, tcb.retransmitHigh)) {
                break;
            }
            if (isRelost(tcb, piece)) {
                bytes += tcb.scoreboard.unsackedIn(piece.start, piece.end);
            }
        }
        return bytes;
    }

    /**
     * tcp_may_raise_cwnd(): once reordering above net.ipv4.tcp_reordering was seen, any forward progress grows cwnd
     * (FLAG_FORWARD_PROGRESS: data ACKed, or newly SACKed; a duplicate ACK without SACK sets neither); otherwise only an
     * ACK that advances SND.UNA does (FLAG_DATA_ACKED, set by tcp_clean_rtx_queue() even when all it covers was SACKed
     * before; RFC 5681). Either way cwnd grows by everything the ACK delivered (tcp_cong_control(): acked_sacked).
     */
    private boolean mayRaiseCwnd(Tcb tcb, int ackedBytes, int delivered) {
        if (tcb.rack.reordering > sysctls.getInt(io.vkernel.kernel.Sysctls.TCP_REORDERING)) {
            return ackedBytes > 0 || tcb.sackOk && delivered > 0;
        }
        return ackedBytes > 0;
    }

    /**
     * Slow start up to ssthresh (tcp_slow_start()), then the algorithm's congestion avoidance, but only while cwnd is
     * what limits the sender (tcp_is_cwnd_limited(): the window was cwnd-limited, or in slow start cwnd is below
     * twice the most segments in flight in it; CwndUse). Only if {@code mayRaise} (tcp_may_raise_cwnd()); then even an
     * ACK that delivered nothing new ({@code acked} 0: it covers only SACKed data) runs tcp_cong_avoid(): slow start
     * adds nothing, but bictcp_update() and tcp_cong_avoid_ai() may pay out segments counted earlier.
     */
    private void grow(Tcb tcb, boolean mayRaise, int acked, int priorSegments, PacketReport report) {
        boolean limited = tcb.cwndUse.isCwndLimited(tcb);
        if (!mayRaise || !limited) {
            return;
        }
        if (tcb.cwnd < tcb.ssthresh) {
            int room = tcb.ssthresh - tcb.cwnd;
            int step = Math.min(acked, room);
            tcb.cwnd += step;
            acked -= step;
            if (acked <= 0) {
                return;
            }
        }
        tcb.cc.congestionAvoidance(tcb, acked, clock.now());
    }

    /**
     * tcp_enter_loss() from the retransmission timer: ssthresh from the algorithm (once per episode), cwnd 1,
     * everything outstanding presumed lost; the timer itself resends the head.
     */
    void onRetransmitTimeout(Tcb tcb, int resentEnd) {
        // tcp_enter_loss(): a new episode (not a timeout inside an unfinished one) can be undone later
        if (tcb.caState == CaState.OPEN || tcb.caState == CaState.DISORDER || !Seq.after(tcb.highSeq, tcb.sndUna)
                || tcb.caState == CaState.LOSS && tcb.retransmits <= 1) {
            tcb.undo.priorSsthresh = tcb.caState == CaState.RECOVERY ? tcb.ssthresh : Undo.currentSsthresh(tcb);
            tcb.undo.init(tcb.sndUna, 0);
        }
        tcb.undo.onRetransmit(1, clock.now());
        if (tcb.caState != CaState.LOSS || tcb.retransmits == 0) {
            tcb.priorCwnd = tcb.cwnd;
            tcb.ssthresh = tcb.caState == CaState.RECOVERY ? tcb.ssthresh : tcb.cc.ssthresh(tcb);
        }
        tcb.cc.onLoss(tcb);
        tcb.cc.onRetransmitTimeout(tcb, clock.now());
        host.count(SnmpCounter.TCP_TIMEOUTS);
        host.count(SnmpCounter.TCP_RETRANS_SEGS);
        tcb.cwnd = 1;
        tcb.cwndCnt = 0;
        tcb.highSeq = tcb.sndNxt;
        tcb.retransmitHigh = resentEnd;
        tcb.dupAcks = 0;
        tcb.renoSacked = 0;
        tcb.rack.onTimeout();
        tcb.rack.tlpHighSeq = null;
        CaState previous = tcb.caState;
        tcb.caState = CaState.LOSS;
        tcb.totalRetransmits++;
        host.event(EventType.CONGESTION, tcb.tuple().toString(), previous + " -> LOSS: retransmission timeout (tcp_enter_loss()), "
                + "cwnd 1, ssthresh " + tcb.ssthresh);
    }

    /**
     * tcp_simple_retransmit(), after ICMP lowered the path MTU (tcp_v4_mtu_reduced()): every unSACKed skb whose
     * segments are now larger than the MSS is lost; if any is, the connection enters Loss without touching cwnd
     * ("units changed, not the amount of data in the network"): high_seq = SND.NXT, ssthresh = tcp_current_ssthresh(),
     * no undo; then tcp_xmit_retransmit_queue() resends at the new MSS what cwnd allows. vkernel's Loss state presumes
     * everything below high_seq lost, so a small skb between large ones is resent too (Linux resends only the large).
     * Returns whether anything was marked lost.
     */
    boolean simpleRetransmit(Tcb tcb, PacketReport report) {
        int mss = TcpSender.sendMss(tcb);
        boolean lost = false;
        List<Rack.Sent> skb = new java.util.ArrayList<>();
        for (Rack.Sent piece : tcb.rack.sent) {
            skb.add(piece);
            if (!piece.skbEnd) {
                continue;
            }
            // tcp_skb_seglen(): gso_size for an skb of several segments, its length for one
            int seglen = skb.get(0).end - skb.get(0).start;
            if (seglen > mss) {
                for (Rack.Sent p : skb) {
                    if (!p.delivered) {
                        p.lost = true;
                        p.retransPending = false;
                        lost = true;
                    }
                }
            }
            skb.clear();
        }
        if (!lost) {
            report.step("tcp.icmp", "nothing outstanding is larger than the new MSS " + mss + ": nothing to resend");
            return false;
        }
        if (tcb.caState != CaState.LOSS) {
            tcb.highSeq = tcb.sndNxt;
            tcb.ssthresh = Undo.currentSsthresh(tcb);
            tcb.undo.priorSsthresh = 0;
            tcb.undo.marked = false;
            tcb.dupAcks = 0;
            setState(tcb, CaState.LOSS, "path MTU lowered: what no longer fits is lost (tcp_simple_retransmit())", report);
        }
        tcb.retransmitHigh = tcb.sndUna;
        int sent = resendLost(tcb, cwndRoom(tcb, mss) / mss, mss, report);
        if (sent > 0) {
            // tcp_xmit_retransmit_queue(): resending the head re-arms the RTO, replacing a pending loss probe
            TcpTimers.cancelRetransmit(tcb);
            timers.armRetransmit(tcb);
        }
        report.step("tcp.icmp", "resent " + sent + " segment(s) of at most " + mss + " bytes, cwnd " + tcb.cwnd
                + " unchanged (tcp_simple_retransmit(), tcp_xmit_retransmit_queue())");
        return true;
    }

    /** tcp_any_retrans_done(): retransmitted data outstanding, or the head was ever retransmitted. */
    private static boolean anyRetransDone(Tcb tcb) {
        return Seq.after(tcb.retransmitHigh, tcb.sndUna) && tcb.caState != CaState.OPEN
                || !tcb.rack.sent.isEmpty() && tcb.rack.sent.get(0).retransmitted;
    }

    /**
     * tcp_try_undo_recovery(): the recovery point is acknowledged; if every retransmission was D-SACKed or the ACKs
     * echo timestamps older than the first one, the reduction is undone (TCPFullUndo, or TCPLossUndo after an RTO).
     */
    private boolean tryUndoRecovery(Tcb tcb, Segment segment, PacketReport report) {
        if (!tcb.undo.mayUndo(tcb, segment)) {
            return false;
        }
        boolean loss = tcb.caState == CaState.LOSS;
        tcb.undo.undoCwndReduction(tcb, false);
        if (loss) {
            tcb.undo.lossUndos++;
        } else {
            tcb.undo.fullUndos++;
        }
        host.count(loss ? SnmpCounter.TCP_LOSS_UNDO : SnmpCounter.TCP_FULL_UNDO);
        undone(tcb, loss ? "the retransmission timeout was spurious" : "the fast retransmit was spurious", report);
        return true;
    }

    /** tcp_try_undo_dsack(): D-SACKs reported every retransmission of the episode as a duplicate. */
    private boolean tryUndoDsack(Tcb tcb, PacketReport report) {
        if (!tcb.undo.marked || tcb.undo.retrans != 0) {
            return false;
        }
        tcb.undo.undoCwndReduction(tcb, false);
        tcb.undo.dsackUndos++;
        host.count(SnmpCounter.TCP_DSACK_UNDO);
        undone(tcb, "D-SACKs show every retransmission arrived twice", report);
        return true;
    }

    /**
     * tcp_try_undo_partial(): a partial ACK whose timestamp predates the first retransmission filled the hole with
     * the original segment (reordering, not loss); with no retransmission left in flight the reduction is undone.
     */
    private boolean tryUndoPartial(Tcb tcb, Segment segment, PacketReport report) {
        if (!tcb.undo.marked || !tcb.undo.packetDelayed(tcb, segment) || retransOutBytes(tcb) > 0) {
            return false;
        }
        tcb.undo.undoCwndReduction(tcb, true);
        tcb.undo.partialUndos++;
        host.count(SnmpCounter.TCP_PARTIAL_UNDO);
        undone(tcb, "the original segment arrived after all (its timestamp predates the retransmission)", report);
        return true;
    }

    /**
     * tcp_try_undo_loss() from tcp_process_loss(): an ACK advancing SND.UNA after an RTO acknowledges originals
     * (timestamp) or only D-SACKed retransmissions: the timeout was spurious; cwnd and ssthresh come back, nothing
     * stays marked lost, and a SACK connection returns to Open.
     */
    private boolean tryUndoLoss(Tcb tcb, Segment segment, PacketReport report) {
        if (!tcb.undo.mayUndo(tcb, segment)) {
            return false;
        }
        tcb.undo.undoCwndReduction(tcb, true);
        tcb.undo.lossUndos++;
        host.count(SnmpCounter.TCP_LOSS_UNDO);
        tcb.retransmits = 0;
        undone(tcb, "the retransmission timeout was spurious", report);
        if (tcb.sackOk) {
            setState(tcb, CaState.OPEN, "spurious timeout undone (tcp_try_undo_loss())", report);
        }
        return true;
    }

    /** tcp_try_keep_open(): Disorder while SACKed, lost or retransmitted data is outstanding, else Open. */
    private void tryKeepOpen(Tcb tcb, PacketReport report) {
        boolean leftOut = !tcb.scoreboard.isEmpty() || tcb.renoSacked > 0 || anyRetransDone(tcb);
        CaState next = leftOut ? CaState.DISORDER : CaState.OPEN;
        if (tcb.caState != next) {
            setState(tcb, next, "cwnd reduction undone", report);
            tcb.highSeq = tcb.sndNxt;
        }
    }

    private void undone(Tcb tcb, String why, PacketReport report) {
        host.event(EventType.CONGESTION, tcb.tuple().toString(), "undo: " + why + "; cwnd " + tcb.cwnd + ", ssthresh "
                + (tcb.ssthresh == INFINITE_SSTHRESH ? "infinite" : tcb.ssthresh));
        if (report != null && report.tracing()) {
            int cwnd = tcb.cwnd;
            report.step("tcp.undo", () -> "undo: " + why + " (cwnd back to " + cwnd + ")");
        }
    }

    /**
     * An ACK below SND.UNA (tcp_ack()'s old_ack path) is still read for its SACK blocks: a D-SACK that arrives after
     * recovery ended can prove the recovery spurious and undo it (tcp_try_undo_dsack()).
     */
    void onOldAck(Tcb tcb, Segment segment, int mss, PacketReport report) {
        if (!tcb.sackOk || !tcb.undo.onDsack(tcb, segment, tcb.sndUna, mss)) {
            return;
        }
        if (tcb.caState == CaState.OPEN || tcb.caState == CaState.DISORDER) {
            tryUndoDsack(tcb, report);
        } else if (tcb.caState == CaState.RECOVERY && tryUndoDsack(tcb, report)) {
            tryKeepOpen(tcb, report);
        }
    }

    private void setState(Tcb tcb, CaState next, String why, PacketReport report) {
        CaState previous = tcb.caState;
        tcb.caState = next;
        if (next == CaState.RECOVERY || next == CaState.CWR || (next == CaState.OPEN && previous != CaState.DISORDER)) {
            // tcp_set_ca_state(): the moves a learner watches for (ss -ti "ca_state"); Disorder comes and goes quietly
            host.event(EventType.CONGESTION, tcb.tuple().toString(), previous + " -> " + next + ": " + why + " (cwnd "
                    + tcb.cwnd + ", ssthresh " + (tcb.ssthresh == INFINITE_SSTHRESH ? "infinite" : tcb.ssthresh) + ")");
        }
        if (report != null && report.tracing()) {
            int cwnd = tcb.cwnd;
            int ssthresh = tcb.ssthresh;
            report.step("tcp.ca_state", () -> next + ": " + why + " (cwnd " + cwnd + ", ssthresh "
                    + (ssthresh == INFINITE_SSTHRESH ? "infinite" : String.valueOf(ssthresh)) + ")");
        }
    }
}
