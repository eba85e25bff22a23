package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.socket.SyscallException;
import io.vkernel.kernel.time.VirtualClock;
import io.vkernel.kernel.trace.EventType;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Seq;
import io.vkernel.kernel.wire.TcpFlags;

import static io.vkernel.kernel.tcp.TcpEngine.DEFAULT_MSS;

/**
 * The send side (Linux tcp_sendmsg_locked(), tcp_write_xmit(), tcp_push(); gVisor's snd.go): write() into the send
 * buffer with its push marks, the MSS and GSO size goal, and transmission within the peer's window, the congestion
 * window and Nagle, then a queued FIN.
 */
final class TcpSender {

    private final VirtualClock clock;
    private final Sysctls sysctls;
    private final TcpHost host;
    private final TcpOutput output;
    private final TcpTimers timers;
    private final LossProbe lossProbe;

    TcpSender(VirtualClock clock, Sysctls sysctls, TcpHost host, TcpOutput output, TcpTimers timers, LossProbe lossProbe) {
        this.lossProbe = lossProbe;
        this.clock = clock;
        this.sysctls = sysctls;
        this.host = host;
        this.output = output;
        this.timers = timers;
    }

    /** sk_gso_max_size: 64 KB less MAX_TCP_HEADER + 1, as sk_setup_caps() leaves it. */
    static final int GSO_MAX_BYTES = 65536 - 321;

    /** tcp_sendmsg(): copies into the send buffer as room allows and transmits at the peer's MSS; 0 = would block. */
    public int write(Tcb tcb, byte[] data, PacketReport report) {
        return write(tcb, data, false, false, report);
    }

    /**
     * tcp_sendmsg() with flags: MSG_MORE pushes with TCP_NAGLE_CORK and leaves the end unmarked (tcp_push(): no
     * PSH while more is coming), so a partial segment waits; MSG_EOR closes the tail skb, so the next write's bytes
     * never join it (tcp_skb_can_collapse_to()) and no segment spans the record's end.
     */
    public int write(Tcb tcb, byte[] data, boolean more, boolean eor, PacketReport report) {
        if (tcb.pendingError != null) {
            Errno error = tcb.pendingError;
            tcb.pendingError = null;
            throw new SyscallException(error);
        }
        if (tcb.reset || tcb.writeShutdown || tcb.state == TcpState.CLOSE) {
            throw new SyscallException(Errno.EPIPE);
        }
        // tcp_sendmsg_locked(): a passive Fast Open child may send before the handshake ends (tcp_passive_fastopen())
        if (tcb.state != TcpState.ESTABLISHED && tcb.state != TcpState.CLOSE_WAIT && !tcb.fastOpenChild) {
            throw new SyscallException(Errno.EPIPE);
        }
        // sk_sndbuf: SO_SNDBUF's doubled value when set, else tcp_wmem[1]
        int soSndBuf = tcb.socket == null ? 0 : tcb.socket.options().sndBuf;
        int limit = soSndBuf > 0 ? soSndBuf : sysctls.getInt(Sysctls.TCP_WMEM_DEFAULT);
        int take = Math.min(data.length, Math.max(0, limit - tcb.sendQueue.size()));
        int oldEnd = tcb.sndUna + tcb.sendQueue.size();
        if (take > 0 && oldEnd == tcb.sndNxt) {
            restartAfterIdle(tcb, report); // tcp_skb_entail() -> tcp_slow_start_after_idle_check()
        }
        tcb.sendQueue.append(data, 0, take);
        if (take > 0) {
            markPushes(tcb, oldEnd, oldEnd + take, more);
            tcb.tailEor = eor && take == data.length;
        }
        transmitPending(tcb, report, true, more, false);
        return take;
    }

    /**
     * tcp_slow_start_after_idle_check() and tcp_cwnd_restart() (RFC 2861): with nothing in flight and no data sent
     * for more than an RTO, ssthresh keeps at least 3/4 of cwnd (tcp_current_ssthresh()) and cwnd halves once per
     * RTO of idleness, down to the initial window at most.
     */
    private void restartAfterIdle(Tcb tcb, PacketReport report) {
        if (sysctls.getInt(Sysctls.TCP_SLOW_START_AFTER_IDLE) == 0 || tcb.sndNxt != tcb.sndUna) {
            return;
        }
        long idle = clock.now() - tcb.lastDataSent;
        if (idle <= tcb.rtoMs) {
            return;
        }
        if (tcb.caState != CaState.RECOVERY && tcb.caState != CaState.CWR) {
            tcb.ssthresh = Math.max(tcb.ssthresh, (tcb.cwnd >> 1) + (tcb.cwnd >> 2));
        }
        int restart = Math.min(Recovery.INITIAL_CWND, tcb.cwnd);
        int cwnd = tcb.cwnd;
        for (long delta = idle - tcb.rtoMs; delta > 0 && cwnd > restart; delta -= tcb.rtoMs) {
            cwnd >>= 1;
        }
        int before = tcb.cwnd;
        tcb.cwnd = Math.max(cwnd, restart);
        tcb.cwndCnt = 0;
        if (tcb.cwnd != before) {
            host.event(EventType.CONGESTION, tcb.tuple().toString(), "idle " + idle + " ms > RTO " + tcb.rtoMs
                    + " ms: cwnd restarts " + before + " -> " + tcb.cwnd + " (tcp_slow_start_after_idle)");
            if (report.tracing()) {
                long rto = tcb.rtoMs;
                int after = tcb.cwnd;
                report.step("tcp.cwnd", () -> "idle for " + idle + " ms, more than one RTO (" + rto + " ms): cwnd "
                        + before + " -> " + after + ", slow start again (tcp_cwnd_restart(), RFC 2861)");
            }
        }
    }

    /**
     * tcp_sendmsg_locked(): new bytes join an unsent tail skb (its PSH moves to the new end) or fill new skbs of
     * size_goal; each full skb is pushed with PSH when more than half the peer's largest window went unpushed
     * (forced_push(), tcp_mark_push()), and tcp_push() marks the end of the write.
     */
    private void markPushes(Tcb tcb, int oldEnd, int end, boolean more) {
        if (Seq.after(oldEnd, tcb.sndNxt) && !tcb.tailEor) {
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
        if (!more) {
            tcb.pushMarks.add(end);
            tcb.pushedSeq = end;
        }
    }

    private static int maxWindow(Tcb tcb) {
        return Math.max(tcb.maxSndWnd, tcb.sndWnd);
    }

    /**
     * tcp_current_mss(): the peer's MSS (at most what a 1500-byte MTU carries) less the timestamp option, and never
     * more than half the largest window the peer offered (tcp_sync_mss() -> tcp_bound_to_half_wnd()).
     */
    static int sendMss(Tcb tcb) {
        int mss = Math.min(tcb.peerMss, tcb.advMss) - (tcb.tsOk ? 12 : 0);
        int window = Math.max(tcb.maxSndWnd, tcb.sndWnd);
        int cutoff = window > DEFAULT_MSS ? window >> 1 : window;
        if (cutoff > 0 && mss > cutoff) {
            return Math.max(cutoff, 68 - (tcb.tsOk ? 32 : 20));
        }
        return mss;
    }

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

    void transmitPending(Tcb tcb, PacketReport report) {
        transmitPending(tcb, report, false, false, false);
    }

    /**
     * tcp_push_pending_frames() with TCP_NAGLE_PUSH, as setting TCP_NODELAY (or uncorking with it set) does: what
     * waits goes out now, partial segments too, whatever Nagle or TCP_CORK would hold.
     */
    void pushPending(Tcb tcb, PacketReport report) {
        transmitPending(tcb, report, false, false, true);
    }

    /**
     * tcp_write_xmit(): unsent bytes leave within the peer's window, cut at push marks, one MSS at a time or, with
     * GSO (vkernel.gso=1), as super-segments of up to 64 KB the way a tun device hands them to packetdrill; then a
     * queued FIN. A burst straight from write() that the window stops carries PSH on its last segment, as Linux's
     * do on the wire; later segments that end mid-write do not.
     */
    void transmitPending(Tcb tcb, PacketReport report, boolean fromWrite, boolean more, boolean forcePush) {
        int inFlight = tcb.sndNxt - tcb.sndUna;
        int unsent = tcb.sendQueue.size() - Math.min(inFlight, tcb.sendQueue.size());
        int mss = sendMss(tcb);
        int maxSegment = sizeGoal(tcb);
        boolean sentAny = false;
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
                break; // with data unsent, sndNxt != finSeq: nothing below goes either
            }
            // tcp_write_xmit(): Nagle and TCP_CORK judge only the last skb of the write queue; one that more data
            // follows (cut at an MSG_EOR record end) goes with TCP_NAGLE_PUSH
            boolean last = size >= unsent;
            if (size > mss && last && !forcePush && size % mss != 0 && (corked(tcb, more) || nagleHolds(tcb))) {
                size -= size % mss; // tcp_mss_split_point(): whole segments go, the partial tail waits
            }
            boolean small = size < mss;
            if (small && last && !forcePush && corked(tcb, more)) {
                if (report.tracing()) {
                    int waiting = size;
                    boolean msgMore = more;
                    report.step("tcp.cork", () -> waiting + " bytes wait: " + (msgMore ? "MSG_MORE" : "TCP_CORK")
                            + " holds a partial segment until it fills or is pushed (tcp_nagle_check(), TCP_NAGLE_CORK)");
                }
                if (tcb.sndNxt == tcb.sndUna) {
                    CorkProbe.arm(tcb, clock, this);
                }
                break; // with data unsent, sndNxt != finSeq: nothing below goes either
            }
            if (small && last && !forcePush && nagleHolds(tcb)) {
                if (report.tracing()) {
                    int waiting = size;
                    report.step("tcp.nagle", () -> waiting + " bytes wait: a smaller-than-MSS segment is still unacknowledged "
                            + "(Nagle's algorithm, tcp_nagle_check(); TCP_NODELAY turns it off)");
                }
                break; // with data unsent, sndNxt != finSeq: nothing below goes either
            }
            byte[] chunk = tcb.sendQueue.peek(tcb.sndNxt - tcb.sndUna, size);
            // a cut by cwnd gets PSH only as a GSO packet does (TcpOutput.out(), Pacing), not from the write
            boolean push = tcb.pushMarks.isMark(tcb.sndNxt + size) || (fromWrite && size == usable && size < unsent);
            int flags = TcpFlags.ACK | (push ? TcpFlags.PSH : 0);
            host.transmit(output.out(tcb, flags, tcb.sndNxt, tcb.rcvNxt, chunk), report);
            tcb.rack.onSent(tcb.sndNxt, tcb.sndNxt + size, mss, clock.now(), false);
            sentAny = true;
            timers.startRttTiming(tcb, tcb.sndNxt + size);
            tcb.sndNxt += size;
            if (small) {
                tcb.sndSml = tcb.sndNxt;
            }
            unsent -= size;
            if (tcb.caState == CaState.RECOVERY || tcb.caState == CaState.CWR) {
                tcb.prrOut += (size + mss - 1) / mss; // tcp_write_xmit(): new data counts in prr_out too (tcp_in_cwnd_reduction())
            }
            timers.armRetransmit(tcb);
        }
        if (sentAny) {
            lossProbe.schedule(tcb, false); // tcp_write_xmit() -> tcp_schedule_loss_probe()
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
            lossProbe.schedule(tcb, false);
        }
    }

    /**
     * tcp_write_wakeup() from the probe timer: one segment of what waits, at most an MSS and the peer's window,
     * with PSH, whatever Nagle or the cork would hold.
     */
    void sendProbeSegment(Tcb tcb) {
        int inFlight = tcb.sndNxt - tcb.sndUna;
        int unsent = tcb.sendQueue.size() - Math.min(inFlight, tcb.sendQueue.size());
        int size = Math.min(unsent, Math.min(sendMss(tcb), tcb.sndWnd - inFlight));
        if (size <= 0) {
            return;
        }
        byte[] chunk = tcb.sendQueue.peek(inFlight, size);
        host.transmit(output.out(tcb, TcpFlags.ACK | TcpFlags.PSH, tcb.sndNxt, tcb.rcvNxt, chunk), null);
        timers.startRttTiming(tcb, tcb.sndNxt + size);
        tcb.sndNxt += size;
        if (size < sendMss(tcb)) {
            tcb.sndSml = tcb.sndNxt;
        }
        timers.armRetransmit(tcb);
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

    /** TCP_NAGLE_CORK: TCP_CORK, or MSG_MORE for this write; a FIN behind the data always goes (tcp_nagle_test()). */
    private static boolean corked(Tcb tcb, boolean more) {
        return !tcb.finQueued && (more || (tcb.socket != null && tcb.socket.options().cork));
    }

    void queueFin(Tcb tcb, PacketReport report) {
        tcb.finQueued = true;
        tcb.finSeq = tcb.sndUna + tcb.sendQueue.size();
        transmitPending(tcb, report);
    }
}
