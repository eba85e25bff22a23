package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.time.VirtualClock;
import io.vkernel.kernel.trace.EventType;
import io.vkernel.kernel.wire.Seq;
import io.vkernel.kernel.wire.TcpFlags;

import static io.vkernel.kernel.tcp.TcpEngine.RTO_MAX_MS;
import static io.vkernel.kernel.tcp.TcpEngine.RTO_MIN_MS;

/**
 * The timers of an established connection: retransmission with an RFC 6298 RTO (tcp_retransmit_timer()),
 * zero-window probes (tcp_probe_timer()) and keepalive (tcp_keepalive_timer()). The handshake and close timers
 * (SYN and SYN-ACK retries, TIME_WAIT, FIN_WAIT2) stay with the paths that arm them ({@link ActiveOpen}, {@link PassiveOpen}, {@link TcpStates}).
 */
final class TcpTimers {

    private final TcpStates states;
    private final Recovery recovery;
    private final TcpOutput output;
    private final VirtualClock clock;
    private final Sysctls sysctls;
    private final TcpHost host;

    TcpTimers(TcpStates states, Recovery recovery, TcpOutput output, VirtualClock clock, Sysctls sysctls, TcpHost host) {
        this.states = states;
        this.recovery = recovery;
        this.output = output;
        this.clock = clock;
        this.sysctls = sysctls;
        this.host = host;
    }

    void startRttTiming(Tcb tcb, int endSeq) {
        startRttTiming(tcb, endSeq, clock.now());
    }

    /** The same for a packet that leaves at {@code sentAt} (its EDT departure under fq, Fq); see the note below. */
    void startRttTiming(Tcb tcb, int endSeq, long sentAt) {
        if (tcb.rttSentAt < 0 || !Seq.after(tcb.rttSeq, tcb.sndUna)) { // a timing already acknowledged is stale (below)
            tcb.rttSeq = endSeq;
            tcb.rttSentAt = sentAt;
        }
    }
    // Linux times each skb from its own (last) transmission (tcp_clean_rtx_queue()), so an ACK can never be timed from a
    // segment it does not cover. Here one timing runs at a time, ended by sampleRtt(); an ACK that moves SND.UNA without
    // it (the one completing a simultaneous open, TcpInput.simultaneousOpenAck(); a Fast Open child's SND.UNA starts
    // past its SYN-ACK) leaves a stale timing, which the next send replaces rather than a window probe's ACK reading it.

    /**
     * tcp_clean_rtx_queue() and tcp_ack_update_rtt(): an ACK of new data measures the RTT from the first newly
     * acknowledged segment that was sent only once (Karn: none if a retransmitted one is among them); the handshake
     * is timed by its SYN or SYN-ACK, a FIN sent on its own by its own first transmission. The sample feeds Linux's
     * estimator (RttEstimator).
     */
    void sampleRtt(Tcb tcb, int ack) {
        sampleRtt(tcb, ack, -1);
    }

    /** As above; {@code tsEcrDelta} is now minus the ACK's echoed TSval (ms), -1 without one: the fallback sample. */
    void sampleRtt(Tcb tcb, int ack, long tsEcrDelta) {
        long r = -1;
        boolean retransAcked = false;
        long firstSent = -1;
        long lastSent = -1;
        for (Rack.Sent piece : tcb.rack.sent) {
            if (Seq.after(piece.end, ack)) {
                break;
            }
            if (piece.retransmitted) {
                retransAcked = true;
            } else if (!piece.delivered) {
                lastSent = piece.sentAt;
                if (firstSent < 0) {
                    firstSent = piece.sentAt;
                }
            }
        }
        long caRtt = -1;
        if (firstSent >= 0 && !retransAcked) {
            r = clock.now() - firstSent;
            caRtt = clock.now() - lastSent;
        } else if (tcb.rttSentAt >= 0 && !Seq.before(ack, tcb.rttSeq) && tcb.rack.sent.isEmpty()) {
            r = clock.now() - tcb.rttSentAt; // the handshake's SYN or SYN-ACK
        } else if (!retransAcked && tcb.finSentAt >= 0 && Seq.after(ack, tcb.finSeq)) {
            r = clock.now() - tcb.finSentAt; // a FIN sent on its own: its skb is the first one newly acknowledged
            caRtt = r;
        } else if (tsEcrDelta >= 0) {
            r = tsEcrDelta; // tcp_rtt_tsopt_us(): RTTM by the echoed timestamp when Karn forbids the other
            caRtt = r;
        }
        tcb.rtt.caRttUs = caRtt < 0 ? -1 : caRtt * 1000;
        if (tcb.rttSentAt >= 0 && !Seq.before(ack, tcb.rttSeq)) {
            tcb.rttSentAt = -1;
        }
        if (r < 0) {
            return;
        }
        tcb.rack.onRtt(r); // tcp_update_rtt_min()
        tcb.rtt.sample(tcb, r * 1000);
    }

    void armRetransmit(Tcb tcb) {
        if (tcb.retransmitTimer != null && !tcb.retransmitTimer.isCancelled()) {
            return;
        }
        tcb.retransmitTimer = clock.schedule(tcb.rtoMs, "retransmit", tcb.tuple().toString(), () -> retransmitTimeout(tcb));
    }

    static void cancelRetransmit(Tcb tcb) {
        if (tcb.retransmitTimer != null) {
            tcb.retransmitTimer.cancel();
            tcb.retransmitTimer = null;
        }
    }

    /**
     * tcp_retransmit_timer(): resend the oldest unacknowledged segment, double the RTO (capped at 120 s) and give
     * up after tcp_retries2 (tcp_orphan_retries, 0 meaning 8, for an orphan) with ETIMEDOUT and no RST.
     */
    void retransmitTimeout(Tcb tcb) {
        tcb.retransmitTimer = null;
        if (tcb.sndUna == tcb.sndNxt || tcb.state == TcpState.CLOSE || tcb.state == TcpState.TIME_WAIT) {
            return;
        }
        int orphanRetries = sysctls.getInt(Sysctls.TCP_ORPHAN_RETRIES);
        int limit = tcb.orphan ? (orphanRetries == 0 ? 8 : orphanRetries) : sysctls.getInt(Sysctls.TCP_RETRIES2);
        UserTimeout.stampFirstRetransmission(tcb, clock.now());
        // tcp_write_timeout(): TCP_USER_TIMEOUT, when set, replaces the retry count with a deadline
        if (UserTimeout.of(tcb) > 0 ? UserTimeout.expired(tcb, clock.now()) : tcb.retransmits >= limit) {
            host.event(EventType.TIMER_FIRED, tcb.tuple().toString(), tcb.retransmits
                    + " retransmissions unanswered: the connection fails with ETIMEDOUT (no RST is sent)");
            if (!tcb.orphan) {
                tcb.pendingError = tcb.softError != null ? tcb.softError : Errno.ETIMEDOUT; // tcp_write_err(): sk_err_soft ?: ETIMEDOUT
            }
            states.closeTcb(tcb, "retransmission timeout");
            states.wakeOwner(tcb, null);
            return;
        }
        tcb.retransmits++;
        tcb.rttSentAt = -1; // Karn's algorithm: no RTT sample from a retransmitted segment
        MtuProbe.onRetransmit(tcb); // tcp_retransmit_skb(): an MTU probe in flight proves nothing now
        int inFlightData = Math.min(tcb.sndNxt - tcb.sndUna, tcb.sendQueue.size());
        if (inFlightData > 0) {
            // tcp_retransmit_skb(head, 1): the head skb cut at one MSS (tcp_fragment() moves PSH to the rest), or whole
            // and collapsed with the small skbs after it up to a SACKed one (tcp_retrans_try_collapse())
            int mss = TcpSender.sendMss(tcb);
            int headEnd = tcb.sndUna + inFlightData;
            int sacked = tcb.scoreboard.nextSackedAfter(tcb.sndUna, headEnd);
            headEnd = Seq.before(sacked, headEnd) ? sacked : headEnd;
            int size = SkbCuts.retransmission(tcb, tcb.sndUna, headEnd, 1, mss)[0] - tcb.sndUna;
            byte[] chunk = tcb.sendQueue.peek(0, size);
            int push = SkbCuts.push(tcb, tcb.sndUna, tcb.sndUna + size, mss) ? TcpFlags.PSH : 0;
            int fin = TcpSender.finRidesOn(tcb, tcb.sndUna + size) && tcb.sndNxt == tcb.finSeq + 1 ? TcpFlags.FIN : 0;
            host.transmit(output.out(tcb, TcpFlags.ACK | push | fin, tcb.sndUna, tcb.rcvNxt, chunk), null);
            SkbCuts.cutAt(tcb.rack, tcb.sndUna + size); // tcp_retransmit_skb(head, 1): tcp_fragment() at one MSS
            recovery.onRetransmitTimeout(tcb, tcb.sndUna + size);
            tcb.rack.onSent(tcb.sndUna, tcb.sndUna + size, size, clock.now(), true);
        } else if (tcb.finQueued) {
            host.transmit(output.out(tcb, TcpFlags.FIN | TcpFlags.ACK, tcb.finSeq, tcb.rcvNxt, null), null);
            tcb.finSentAt = -1; // Karn
        }
        host.event(EventType.TIMER_FIRED, tcb.tuple().toString(), new RetransmissionLine(tcb.retransmits, tcb.rtoMs,
                Math.min(RTO_MAX_MS, tcb.rtoMs * 2)));
        tcb.rtoMs = Math.min(RTO_MAX_MS, tcb.rtoMs * 2);
        if (UserTimeout.of(tcb) > 0) {
            cancelRetransmit(tcb);
            tcb.retransmitTimer = clock.schedule(UserTimeout.clampRto(tcb, clock.now()), "retransmit", tcb.tuple().toString(),
                    () -> retransmitTimeout(tcb));
        } else {
            armRetransmit(tcb);
        }
    }

    /**
     * tcp_probe_timer(): while the peer advertises a zero window and data waits, probe it with SEQ = SND.UNA - 1 so
     * a lost window update cannot stall the connection; the interval backs off like the RTO, and after tcp_retries2
     * probes in a row with no ACK between them the connection fails with ETIMEDOUT (an answered probe resets the
     * count, tcp_ack(), so a live peer with a closed window is probed for as long as it answers).
     */
    void armPersist(Tcb tcb) {
        // tcp_check_probe_timer(): a socket has one ICSK_TIME_PROBE0 timer; one TCP_CORK or a qdisc drop armed
        // already probes the window when it fires (tcp_write_wakeup())
        if (tcb.persistTimer != null && !tcb.persistTimer.isCancelled()
                || tcb.corkProbeTimer != null && !tcb.corkProbeTimer.isCancelled()) {
            return;
        }
        schedulePersist(tcb, Math.min(RTO_MAX_MS, tcb.rtoMs << Math.min(tcb.zeroWindowBackoff, 10)));
    }

    private void schedulePersist(Tcb tcb, long delay) {
        tcb.persistTimer = clock.schedule(delay, "zero-window-probe", tcb.tuple().toString(), () -> {
            tcb.persistTimer = null;
            if (tcb.state == TcpState.CLOSE || tcb.sndWnd > 0) {
                return;
            }
            probeZeroWindow(tcb);
        });
    }

    /**
     * tcp_probe_timer() with the peer's window shut: after tcp_retries2 unanswered probes ETIMEDOUT, else
     * tcp_send_probe0() -> tcp_write_wakeup() sends SND.UNA - 1; a probe the qdisc drops ("local congestion") is
     * tried again after TCP_RESOURCE_PROBE_INTERVAL without backing off, one it takes backs the timer off.
     */
    void probeZeroWindow(Tcb tcb) {
        if (tcb.zeroWindowProbes >= sysctls.getInt(Sysctls.TCP_RETRIES2)) {
            host.event(EventType.TIMER_FIRED, tcb.tuple().toString(), tcb.zeroWindowProbes
                    + " zero-window probes unanswered: the connection fails with ETIMEDOUT");
            tcb.pendingError = tcb.orphan ? null : Errno.ETIMEDOUT;
            states.closeTcb(tcb, "zero-window probes unanswered");
            states.wakeOwner(tcb, null);
            return;
        }
        boolean dropped = sysctls.qdiscDrops();
        tcb.zeroWindowProbes++;
        host.event(EventType.TIMER_FIRED, tcb.tuple().toString(), "zero-window probe #" + tcb.zeroWindowProbes);
        host.transmit(output.out(tcb, TcpFlags.ACK, tcb.sndUna - 1, tcb.rcvNxt, null), null);
        if (dropped) {
            schedulePersist(tcb, QdiscDrop.RESOURCE_PROBE_INTERVAL_MS);
            return;
        }
        tcb.zeroWindowBackoff++; // tcp_send_probe0()
        armPersist(tcb);
    }

    /** tcp_write_err(): the connection fails with ETIMEDOUT, no RST (tcp_done()). */
    void abortTimedOut(Tcb tcb, String why) {
        host.event(EventType.TIMER_FIRED, tcb.tuple().toString(), why + ": the connection fails with ETIMEDOUT");
        tcb.pendingError = tcb.orphan ? null : Errno.ETIMEDOUT;
        states.closeTcb(tcb, why);
        states.wakeOwner(tcb, null);
    }

    /**
     * keepalive_time_when(), keepalive_intvl_when(), keepalive_probes(): the socket's TCP_KEEPIDLE, TCP_KEEPINTVL or
     * TCP_KEEPCNT when set (a child still in the accept queue has its listener's), else the sysctl.
     */
    long keepalive(Tcb tcb, String sysctl) {
        io.vkernel.kernel.socket.SocketOptions options = tcb.socket != null ? tcb.socket.options() : tcb.inherited;
        int own = options == null ? 0 : switch (sysctl) {
            case Sysctls.TCP_KEEPALIVE_TIME -> options.keepIdle;
            case Sysctls.TCP_KEEPALIVE_INTVL -> options.keepIntvl;
            default -> options.keepCnt;
        };
        return own > 0 ? own : sysctls.get(sysctl);
    }

    /** Arms the keepalive timer when the socket has SO_KEEPALIVE (tcp_set_keepalive()); off by default. */
    void armKeepalive(Tcb tcb) {
        if (tcb.keepaliveTimer != null) {
            tcb.keepaliveTimer.cancel();
            tcb.keepaliveTimer = null;
        }
        boolean on = tcb.socket != null ? tcb.socket.options().keepAlive : tcb.inherited != null && tcb.inherited.keepAlive;
        if (!on || !(tcb.state == TcpState.ESTABLISHED || tcb.state == TcpState.CLOSE_WAIT || tcb.state == TcpState.FIN_WAIT2)) {
            return;
        }
        long idle = keepalive(tcb, Sysctls.TCP_KEEPALIVE_TIME) * 1000;
        long due = tcb.keepaliveProbes == 0 ? Math.max(0, tcb.lastHeard + idle - clock.now())
                : keepalive(tcb, Sysctls.TCP_KEEPALIVE_INTVL) * 1000;
        tcb.keepaliveTimer = clock.schedule(due, "keepalive", tcb.tuple().toString(), () -> keepaliveTimeout(tcb));
    }

    /** tcp_keepalive_timer(): probe an idle peer with SEQ = SND.UNA - 1; after the last probe, RST and ETIMEDOUT. */
    void keepaliveTimeout(Tcb tcb) {
        tcb.keepaliveTimer = null;
        long idle = keepalive(tcb, Sysctls.TCP_KEEPALIVE_TIME) * 1000;
        if (tcb.keepaliveProbes == 0 && clock.now() - tcb.lastHeard < idle) {
            armKeepalive(tcb);
            return;
        }
        if (tcb.keepaliveProbes >= keepalive(tcb, Sysctls.TCP_KEEPALIVE_PROBES)) {
            host.event(EventType.TIMER_FIRED, tcb.tuple().toString(), tcb.keepaliveProbes
                    + " keepalive probes unanswered: RST, and the next call fails with ETIMEDOUT");
            output.sendReset(tcb, null);
            tcb.pendingError = Errno.ETIMEDOUT;
            states.closeTcb(tcb, "keepalive timeout");
            states.wakeOwner(tcb, null);
            return;
        }
        tcb.keepaliveProbes++;
        host.event(EventType.TIMER_FIRED, tcb.tuple().toString(), "keepalive probe #" + tcb.keepaliveProbes);
        host.transmit(output.out(tcb, TcpFlags.ACK, tcb.sndUna - 1, tcb.rcvNxt, null), null);
        armKeepalive(tcb);
    }
}
