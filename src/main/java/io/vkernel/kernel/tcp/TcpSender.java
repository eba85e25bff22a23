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
    private final Recovery recovery;

    TcpSender(VirtualClock clock, Sysctls sysctls, TcpHost host, TcpOutput output, TcpTimers timers, LossProbe lossProbe,
            Recovery recovery) {
        this.lossProbe = lossProbe;
        this.recovery = recovery;
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
        return write(tcb, data, more, eor, null, report);
    }

    /** tcp_sendmsg() with MSG_ZEROCOPY: {@code zerocopyIov} the iovec lengths (see {@link ZeroCopyFrags}), else null. */
    public int write(Tcb tcb, byte[] data, boolean more, boolean eor, int[] zerocopyIov, PacketReport report) {
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
        MtuProbe.currentMss(tcb, sysctls); // tcp_send_mss() -> tcp_current_mss()
        return copyIntoSkbs(tcb, data, more, eor, zerocopyIov == null ? null : new ZeroCopyFrags(zerocopyIov), report);
    }

    /**
     * tcp_sendmsg_locked() from a buffer the process cannot read (a NULL pointer): the same checks as {@link #write},
     * then, where there is room for bytes (the open tail skb, or sk_stream_memory_free() for a new one), the copy
     * from user memory faults and nothing was copied, so the call fails with EFAULT (do_error: sk_stream_error());
     * the empty skb is removed again (tcp_remove_empty_skb()), nothing is queued or sent. Without room the call waits
     * for space as any write does: returns false.
     */
    public boolean faultingWrite(Tcb tcb) {
        write(tcb, new byte[0], false, false, null);
        SendBuffer buffer = tcb.sendBuffer;
        int tailLength = buffer.openTailLength(tcb);
        if ((tailLength >= 0 && tailLength < sizeGoal(tcb)) || buffer.memoryFree(tcb, sysctls)) {
            throw new SyscallException(Errno.EFAULT);
        }
        return false;
    }

    /**
     * tcp_sendmsg_locked()'s loop: the bytes join the unsent tail skb up to size_goal, then fill new skbs, each
     * allowed only while sk_stream_memory_free() (SendBuffer); a full skb leaves at once if it is the first unsent
     * one (tcp_push_one()), or with everything pending if more than half the peer's largest window went unpushed
     * (forced_push(): PSH, TCP_NAGLE_PUSH). So the copying and the sending interleave, and where the copying stops
     * depends on what already left. At the end tcp_push() marks the write's last byte (unless MSG_MORE) and sends.
     */
    private int copyIntoSkbs(Tcb tcb, byte[] data, boolean more, boolean eor, ZeroCopyFrags zerocopy, PacketReport report) {
        SendBuffer buffer = tcb.sendBuffer;
        int goal = sizeGoal(tcb);
        if (Seq.before(tcb.pushedSeq, tcb.sndUna)) {
            tcb.pushedSeq = tcb.sndUna;
        }
        int copied = 0;
        int skbsBuilt = 0;
        boolean noSpace = false;
        boolean fragsFull = false;
        while (copied < data.length) {
            int tailLength = fragsFull ? -1 : buffer.openTailLength(tcb);
            fragsFull = false;
            int copy = tailLength >= 0 ? goal - tailLength : 0;
            if (copy <= 0) {
                if (!buffer.memoryFree(tcb, sysctls)) {
                    noSpace = true; // wait_for_space
                    break;
                }
                if (SendBuffer.writeSeq(tcb) == tcb.sndNxt) {
                    restartAfterIdle(tcb, report); // tcp_skb_entail() -> tcp_slow_start_after_idle_check()
                    buffer.chrono().start(Chrono.BUSY, clock.now()); // tcp_add_write_queue_tail() on an empty queue
                }
                buffer.entail(tcb);
                tcb.tailEor = false;
                skbsBuilt++;
                tailLength = 0;
                copy = goal;
            } else if (copied == 0) {
                tcb.pushMarks.removeLastIf(SendBuffer.writeSeq(tcb)); // the first bytes added clear the tail's PSH
            }
            copy = Math.min(copy, data.length - copied);
            if (zerocopy != null) {
                copy = zerocopy.take(copy, buffer.tailFrags());
                if (copy == 0) {
                    // skb_zerocopy_iter_stream() -> -EMSGSIZE: tcp_mark_push(), goto new_segment
                    int end = SendBuffer.writeSeq(tcb);
                    tcb.pushMarks.add(end);
                    tcb.pushedSeq = end;
                    fragsFull = true;
                    continue;
                }
                buffer.pinnedIntoTail(zerocopy.fragsAfter);
            } else {
                buffer.copiedIntoTail();
            }
            // PSH is a flag of the skb (tcp_mark_push()): bytes a write adds to a marked tail after its first copy
            // (which cleared it) move the mark to the skb's new end
            int before = SendBuffer.writeSeq(tcb);
            boolean tailMarked = copied > 0 && tailLength > 0 && tcb.pushMarks.isMark(before);
            if (tailMarked) {
                tcb.pushMarks.removeLastIf(before);
            }
            tcb.sendQueue.append(data, copied, copy);
            copied += copy;
            int end = SendBuffer.writeSeq(tcb);
            buffer.extendTail(end);
            if (tailMarked) {
                tcb.pushMarks.add(end);
            }
            if (copied == data.length || tailLength + copy < goal) {
                continue;
            }
            if (forcedPush(tcb, end)) {
                tcb.pushMarks.add(end);
                tcb.pushedSeq = end;
                transmitPending(tcb, report, true, false, true);
            } else if (end - (tailLength + copy) == tcb.sndNxt) {
                transmitPending(tcb, report, true, false, true, true); // tcp_push_one(): the skb is the send head
            }
        }
        if (copied > 0) {
            int end = SendBuffer.writeSeq(tcb);
            tcb.tailEor = eor && copied == data.length;
            if (tcb.tailEor) {
                buffer.markTailEor();
            }
            // tcp_push(): PSH on the tail unless MSG_MORE (which a wait for space drops) or a forced push
            if (!more || noSpace || forcedPush(tcb, end)) {
                tcb.pushMarks.add(end);
                tcb.pushedSeq = end;
            }
            transmitPending(tcb, report, true, more && !noSpace, noSpace);
        }
        if (report != null && report.tracing()) {
            int written = copied;
            int built = skbsBuilt;
            boolean full = noSpace;
            long queued = buffer.wmemQueued(tcb);
            int limit = buffer.sndBuf(tcb, sysctls);
            long notSent = SendBuffer.notSent(tcb);
            long lowat = buffer.notsentLowat(tcb, sysctls);
            report.step("tcp.sndbuf", () -> written + " of " + data.length + " bytes copied into the send queue ("
                    + built + " new skb" + (built == 1 ? "" : "s") + " of up to " + goal + " bytes); sk_wmem_queued "
                    + queued + " (" + SendBuffer.SKB_OVERHEAD + " per skb + bytes) of sk_sndbuf " + limit
                    + (lowat < 0xFFFF_FFFFL ? ", " + notSent + " bytes not sent, TCP_NOTSENT_LOWAT " + lowat : "")
                    + (full ? ": no room for another skb (sk_stream_memory_free()), the write stops here" : ""));
        }
        return copied;
    }

    /** forced_push(): more than half the peer's largest window written since the last PSH. */
    private static boolean forcedPush(Tcb tcb, int writeSeq) {
        return Seq.after(writeSeq, tcb.pushedSeq + (maxWindow(tcb) >> 1));
    }

    /**
     * tcp_slow_start_after_idle_check() and tcp_cwnd_restart() (RFC 2861): with nothing in flight and no data sent
     * for more than an RTO, ssthresh keeps at least 3/4 of cwnd (tcp_current_ssthresh()) and cwnd halves once per
     * RTO of idleness, down to the initial window at most.
     */
    void restartAfterIdle(Tcb tcb, PacketReport report) {
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
        int restart = Math.min(tcb.routes != null ? tcb.routes.initCwnd() : Recovery.INITIAL_CWND, tcb.cwnd); // tcp_init_cwnd()
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
            if (report != null && report.tracing()) {
                long rto = tcb.rtoMs;
                int after = tcb.cwnd;
                report.step("tcp.cwnd", () -> "idle for " + idle + " ms, more than one RTO (" + rto + " ms): cwnd "
                        + before + " -> " + after + ", slow start again (tcp_cwnd_restart(), RFC 2861)");
            }
        }
    }

    private static int maxWindow(Tcb tcb) {
        return Math.max(tcb.maxSndWnd, tcb.sndWnd);
    }

    /**
     * tcp_current_mss(): the peer's MSS (at most what a 1500-byte MTU carries, at least TCP_MIN_SND_MSS) less the
     * timestamp option, and never more than half the largest window the peer offered (tcp_sync_mss() ->
     * tcp_bound_to_half_wnd()); then less the AccECN option the segments will carry, which tcp_current_mss()
     * subtracts from that mss_cache.
     */
    static int sendMss(Tcb tcb) {
        // tcp_sync_mss() -> __tcp_mtu_to_mss(): a peer MSS below TCP_MIN_SND_MSS (48) is raised to it
        int mss = Math.max(MtuProbe.MIN_SND_MSS, Math.min(Math.min(tcb.peerMss, tcb.advMss), tcb.pmtu - 40));
        mss = (tcb.mtup.clamp > 0 ? Math.min(mss, tcb.mtup.clamp) : mss) - (tcb.tsOk ? 12 : 0); // MTU probing's search_low
        int window = Math.max(tcb.maxSndWnd, tcb.sndWnd);
        int cutoff = window > DEFAULT_MSS ? window >> 1 : window;
        if (cutoff > 0 && mss > cutoff) {
            mss = Math.max(cutoff, 68 - (tcb.tsOk ? 32 : 20));
        }
        return mss - AccEcn.mssReserve(tcb); // tcp_current_mss(): the AccECN option the segments will carry
    }

    /**
     * tcp_xmit_size_goal(): a send is built in super-segments of whole MSS up to 64 KB, bounded by half the peer's
     * largest window (tcp_bound_to_half_wnd()). With the device's offloads off too: TCP always uses GSO
     * (sk_setup_caps() sets NETIF_F_GSO for every TCP socket), the stack segments in software before the device.
     */
    private int sizeGoal(Tcb tcb) {
        int mss = sendMss(tcb);
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
        transmitPending(tcb, report, fromWrite, more, forcePush, false);
    }

    /** {@code pushOne}: tcp_push_one(), which sends the one full skb at once (no tcp_tso_should_defer()). */
    private void transmitPending(Tcb tcb, PacketReport report, boolean fromWrite, boolean more, boolean forcePush, boolean pushOne) {
        MtuProbe.currentMss(tcb, sysctls);
        int probed = pushOne ? MtuProbe.NONE : mtuProbe(tcb, report);
        if (probed == MtuProbe.WAIT) {
            return; // tcp_write_xmit(): tcp_mtu_probe() returned 0, nothing goes until cwnd or the window drains
        }
        int inFlight = tcb.sndNxt - tcb.sndUna;
        int unsent = tcb.sendQueue.size() - Math.min(inFlight, tcb.sendQueue.size());
        int mss = sendMss(tcb);
        int maxSegment = sizeGoal(tcb);
        boolean sentAny = probed > 0; // tcp_write_xmit(): sent_pkts = 1 after a probe
        boolean hadUnsent = unsent > 0;
        boolean limitedByCwnd = false;
        int minTsoSegs = sysctls.getInt(Sysctls.TCP_MIN_TSO_SEGS);
        boolean rwndLimited = false;
        boolean qdiscDropped = false;
        while (unsent > 0) {
            int usable = tcb.sndWnd - (tcb.sndNxt - tcb.sndUna);
            int want = Math.min(unsent, maxSegment);
            // tcp_write_xmit(): one skb per packet at most (tcp_mss_split_point() never reaches past skb->len)
            int skbEnd = tcb.sendBuffer.skbEnd(tcb, tcb.sndNxt);
            if (Seq.after(skbEnd, tcb.sndNxt)) {
                want = Math.min(want, skbEnd - tcb.sndNxt);
            }
            int mark = tcb.pushMarks.nextAfter(tcb.sndNxt, tcb.sndNxt + want);
            want = Math.min(want, mark - tcb.sndNxt);
            int room = Recovery.cwndRoom(tcb, mss);
            want = Math.min(want, gsoPacket(tcb, mss, minTsoSegs));
            if (pushOne) {
                // tcp_push_one() -> tcp_write_xmit(push_one): one skb, cut by tcp_mss_split_point() to one GSO packet
                // (tcp_tso_segs(), and what tcp_cwnd_test() lets one packet carry: half the cwnd at most); the rest stays in a tail skb (tso_fragment()) the write may refill
                int inFlightSegments = (Recovery.pipe(tcb, mss) + mss - 1) / mss;
                want = Math.min(want, Pacing.packetSegs(tcb, mss, minTsoSegs, inFlightSegments) * mss);
            }
            int size = Math.min(Math.min(want, usable), room);
            boolean windowShut = usable < Math.min(want, mss); // tcp_snd_wnd_test(): the first MSS must fit
            if (windowShut) {
                size = 0;
            }
            boolean deferredForWindow = false;
            if (size > mss && !pushOne) {
                TsoDefer.Verdict verdict = TsoDefer.judge(tcb, clock, sysctls, want, room, usable, mss, sentAny);
                int allowed = verdict.sendable();
                // tcp_tso_should_defer() says what it waits for: is_cwnd_limited reaches tcp_cwnd_validate() (a cwnd
                // that is exactly this skb, less than the peer's window, counts), is_rwnd_limited the chronograph
                limitedByCwnd |= verdict.cwndLimited();
                deferredForWindow = verdict.rwndLimited();
                if (allowed < size && report != null && report.tracing()) {
                    int waiting = size - allowed;
                    report.step("tcp.tso", () -> waiting + " bytes wait for the next ACK to make a bigger TSO packet "
                            + "(tcp_tso_should_defer())");
                }
                size = allowed;
            }
            if (size <= 0) {
                // tcp_write_xmit() tests cwnd (tcp_cwnd_test()) before the window: a full cwnd breaks out first
                rwndLimited = deferredForWindow || room > 0 && (windowShut || (size == 0 && usable <= 0));
                if (tcb.sndWnd == 0 && tcb.sndNxt == tcb.sndUna) {
                    timers.armPersist(tcb); // nothing in flight to bring a window update: probe for it
                } else if (windowShut && tcb.sndNxt == tcb.sndUna) {
                    CorkProbe.arm(tcb, clock, this); // tcp_check_probe_timer(): tcp_write_wakeup() sends what fits
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
            if (sysctls.qdiscDrops()) {
                // __tcp_transmit_skb() got NET_XMIT_DROP: tcp_write_xmit() stops, the skb stays the send head
                QdiscDrop.dropped(tcb, size, false, host, recovery, report);
                qdiscDropped = true;
                break;
            }
            byte[] chunk = tcb.sendQueue.peek(tcb.sndNxt - tcb.sndUna, size);
            // a cut by cwnd gets PSH only as a GSO packet does (TcpOutput.out(), Pacing), not from the write
            boolean push = tcb.pushMarks.isMark(tcb.sndNxt + size) || (fromWrite && size == usable && size < unsent);
            // tcp_send_fin(): a FIN queued behind unsent data rides on the tail skb, so the last bytes carry it
            // (tso_fragment() keeps FIN and PSH on the tail piece); it needs one more byte of window
            boolean fin = finRidesOn(tcb, tcb.sndNxt + size) && size < usable;
            int flags = TcpFlags.ACK | (push ? TcpFlags.PSH : 0) | (fin ? TcpFlags.FIN : 0);
            // tcp_cwnd_test(): a packet carries at most half the cwnd and what cwnd leaves ("at least 2 GSO packets in flight")
            int perPacket = Pacing.packetSegs(tcb, mss, minTsoSegs, (Recovery.pipe(tcb, mss) + mss - 1) / mss);
            boolean paced = sysctls.fq() && sysctls.gso();
            long departs = Fq.departure(tcb, size, (size + mss - 1) / mss, clock.now(), mss, paced);
            if ((sysctls.gso() && !AccEcn.segmentsInSoftware(tcb)) || size <= mss) {
                int inFlightSegments = (Recovery.pipe(tcb, mss) + mss - 1) / mss;
                boolean gsoPush = Pacing.lastPacketOfBurstIsGso(tcb, (size + mss - 1) / mss, mss, minTsoSegs, inFlightSegments);
                io.vkernel.kernel.wire.Segment segment = output.out(tcb, flags, tcb.sndNxt, tcb.rcvNxt, chunk, gsoPush);
                if (departs > clock.now()) {
                    // sch_fq holds the packet until its departure time (fq_dequeue())
                    clock.schedule(departs - clock.now(), "fq", tcb.tuple().toString(), () -> host.transmit(segment, null));
                } else {
                    host.transmit(segment, report);
                }
            } else {
                SoftwareGso.transmit(host, output, tcb, flags, chunk, perPacket, mss, report);
            }
            tcb.rack.onSent(tcb.sndNxt, tcb.sndNxt + size, mss, departs, false);
            SkbCuts.firstSent(tcb.rack, tcb.sndNxt, tcb.sndNxt + size, perPacket, mss);
            sentAny = true;
            timers.startRttTiming(tcb, tcb.sndNxt + size, departs);
            tcb.sendBuffer.sent(tcb.sndNxt, tcb.sndNxt + size);
            tcb.sndNxt += size;
            if (small) {
                tcb.sndSml = tcb.sndNxt;
            }
            unsent -= size;
            if (fin) {
                tcb.sndNxt += 1;
            }
            if (tcb.caState == CaState.RECOVERY || tcb.caState == CaState.CWR) {
                tcb.prrOut += (size + mss - 1) / mss; // tcp_write_xmit(): new data counts in prr_out too (tcp_in_cwnd_reduction())
            }
            timers.armRetransmit(tcb);
            if (pushOne) {
                break; // tcp_write_xmit(): "if (push_one) break;"
            }
        }
        if (sentAny) {
            lossProbe.schedule(tcb, false); // tcp_write_xmit() -> tcp_schedule_loss_probe()
            MtuProbe.refreshDst(tcb);
        }
        if (qdiscDropped) {
            QdiscDrop.armProbe(tcb, clock, sysctls, this, timers); // __tcp_push_pending_frames() -> tcp_check_probe_timer()
            return;
        }
        if (hadUnsent) {
            // tcp_write_xmit(): is_cwnd_limited |= tcp_packets_in_flight() >= cwnd; then tcp_cwnd_validate()
            limitedByCwnd |= (Recovery.pipe(tcb, mss) + mss - 1) / mss >= tcb.cwnd;
            if (sentAny || limitedByCwnd) {
                tcb.cwndUse.validate(tcb, limitedByCwnd, mss);
            }
            chronoAfterXmit(tcb, rwndLimited, sentAny, unsent);
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
            tcb.finAlone = true; // left on its own (the window stopped it behind the data): resent on its own
            tcb.finSentAt = clock.now();
            tcb.sndNxt += 1;
            timers.armRetransmit(tcb);
            lossProbe.schedule(tcb, false);
        }
    }

    /**
     * tcp_mtu_probe(): with net.ipv4.tcp_mtu_probing=2, one segment of the size MTU probing tries next leaves ahead
     * of the MSS-sized ones (see {@link MtuProbe}), built from the head of the unsent data, without PSH; cwnd drops by
     * one, as the probe counts as two packets. Answers the probe's size, {@link MtuProbe#NONE} or {@link MtuProbe#WAIT}.
     * A probe the qdisc drops is not sent (tcp_transmit_skb() fails, so -1): its bytes stay the send head.
     */
    private int mtuProbe(Tcb tcb, PacketReport report) {
        int inFlight = tcb.sndNxt - tcb.sndUna;
        int unsent = tcb.sendQueue.size() - Math.min(inFlight, tcb.sendQueue.size());
        int mss = sendMss(tcb);
        int probe = MtuProbe.probeNow(tcb, unsent, mss, (Recovery.pipe(tcb, mss) + mss - 1) / mss, tcb.rack.reordering);
        if (probe <= 0) {
            return probe;
        }
        if (sysctls.qdiscDrops()) {
            QdiscDrop.dropped(tcb, probe, false, host, recovery, report);
            return MtuProbe.NONE;
        }
        int start = tcb.sndNxt;
        byte[] chunk = tcb.sendQueue.peek(start - tcb.sndUna, probe);
        host.transmit(output.out(tcb, MtuProbe.flags(), start, tcb.rcvNxt, chunk, false), report);
        tcb.cwnd -= 1; // "Decrement cwnd here because we are sending effectively two packets."
        tcb.rack.onSent(start, start + probe, probe, clock.now(), false);
        SkbCuts.firstSent(tcb.rack, start, start + probe, 1, probe);
        timers.startRttTiming(tcb, start + probe);
        tcb.sendBuffer.sent(start, start + probe);
        tcb.sndNxt += probe;
        timers.armRetransmit(tcb);
        MtuProbe.sent(tcb, start, start + probe, report);
        MtuProbe.refreshDst(tcb);
        return probe;
    }

    /**
     * The most bytes the next super-segment carries: tcp_write_xmit() cuts a burst at tcp_mss_split_point() into GSO
     * packets of tcp_tso_autosize() segments (tcp_min_tso_segs, 2, at packetdrill's RTTs; more at a fast pacing
     * rate), each at most half the cwnd (tcp_cwnd_test()). Fast Open's resent SYN data followed by new data shows
     * the 2-segment packets (2920 then 1660 bytes in gtests' syn-data-only-syn-acked).
     */
    private int gsoPacket(Tcb tcb, int mss, int minTsoSegs) {
        if (!sysctls.gso()) {
            return Integer.MAX_VALUE;
        }
        int inFlightSegments = (Recovery.pipe(tcb, mss) + mss - 1) / mss;
        return Pacing.packetSegs(tcb, mss, minTsoSegs, inFlightSegments) * mss;
    }

    /**
     * The end of tcp_write_xmit(): the rwnd-limited chronograph runs while the peer's window stops the sending;
     * tcp_cwnd_validate() starts the sndbuf-limited one when everything written went out, cwnd was not the limit, and
     * the application is waiting for send-buffer space (SOCK_NOSPACE).
     */
    private void chronoAfterXmit(Tcb tcb, boolean rwndLimited, boolean sentAny, int unsent) {
        Chrono chrono = tcb.sendBuffer.chrono();
        long now = clock.now();
        if (rwndLimited) {
            chrono.start(Chrono.RWND_LIMITED, now);
        } else {
            chrono.stop(Chrono.RWND_LIMITED, now, tcb.sendQueue.isEmpty());
        }
        // tcp_cwnd_validate()'s "else" branch: !tcp_is_cwnd_limited(), which in slow start also holds while cwnd is
        // below twice the packets that were out (the window is still growing into the buffer, not starved by it)
        if (sentAny && !tcb.cwndUse.isCwndLimited(tcb) && unsent == 0 && tcb.socket != null && tcb.socket.noSpace()
                && (tcb.state == TcpState.ESTABLISHED || tcb.state == TcpState.CLOSE_WAIT)) {
            chrono.start(Chrono.SNDBUF_LIMITED, now);
        }
    }

    /** tcp_write_wakeup() from the probe timer: what fits the peer's window, or SND.UNA - 1 when it is shut. */
    void writeWakeup(Tcb tcb) {
        if (tcb.sndWnd == 0) {
            timers.probeZeroWindow(tcb);
            return;
        }
        sendProbeSegment(tcb);
    }

    /**
     * tcp_write_wakeup() from the probe timer: one segment of what waits, at most an MSS and the peer's window,
     * with PSH, whatever Nagle or the cork would hold.
     */
    void sendProbeSegment(Tcb tcb) {
        if (sysctls.qdiscDrops()) {
            return; // the qdisc would drop it: tcp_write_wakeup() fails (QdiscDrop re-arms the timer)
        }
        int inFlight = tcb.sndNxt - tcb.sndUna;
        int unsent = tcb.sendQueue.size() - Math.min(inFlight, tcb.sendQueue.size());
        int size = Math.min(unsent, Math.min(sendMss(tcb), tcb.sndWnd - inFlight));
        if (size <= 0) {
            return;
        }
        byte[] chunk = tcb.sendQueue.peek(inFlight, size);
        boolean fin = finRidesOn(tcb, tcb.sndNxt + size) && size < tcb.sndWnd - inFlight;
        host.transmit(output.out(tcb, TcpFlags.ACK | TcpFlags.PSH | (fin ? TcpFlags.FIN : 0), tcb.sndNxt, tcb.rcvNxt, chunk), null);
        timers.startRttTiming(tcb, tcb.sndNxt + size);
        tcb.sendBuffer.sent(tcb.sndNxt, tcb.sndNxt + size);
        tcb.sndNxt += size + (fin ? 1 : 0);
        if (size < sendMss(tcb)) {
            tcb.sndSml = tcb.sndNxt;
        }
        timers.armRetransmit(tcb);
    }

    /** Whether bytes wait in the send queue that were never sent (tcp_send_head()). */
    boolean hasUnsent(Tcb tcb) {
        return tcb.sendQueue.size() > tcb.sndNxt - tcb.sndUna;
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

    /**
     * Whether a data packet ending at {@code end} carries the FIN: the FIN was set on the unsent tail skb
     * (tcp_send_fin()) and the packet holds that skb's last bytes, sent or resent.
     */
    static boolean finRidesOn(Tcb tcb, int end) {
        return tcb.finQueued && !tcb.finAlone && end == tcb.finSeq;
    }

    void queueFin(Tcb tcb, PacketReport report) {
        tcb.finQueued = true;
        tcb.finSeq = tcb.sndUna + tcb.sendQueue.size();
        // tcp_send_fin(): FIN on the unsent tail skb when there is one, else an skb of its own
        tcb.finAlone = tcb.finSeq == tcb.sndNxt;
        transmitPending(tcb, report);
    }
}
