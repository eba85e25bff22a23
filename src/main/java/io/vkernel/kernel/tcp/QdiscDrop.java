package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.time.VirtualClock;
import io.vkernel.kernel.trace.EventType;
import io.vkernel.kernel.trace.PacketReport;

/**
 * A root qdisc that holds nothing ({@code tc qdisc replace dev tun0 root pfifo limit 0}, vkernel.qdisc_limit=0)
 * drops every packet TCP hands it, and TCP notices: __tcp_transmit_skb() gets NET_XMIT_DROP from the qdisc and
 * calls tcp_enter_cwr(); tcp_write_xmit() stops with the skb still unsent (SND.NXT does not move, nothing is in
 * flight), and a retransmission that fails is not counted (tcp_retransmit_skb() returns the error). With data waiting
 * and nothing in flight, __tcp_push_pending_frames() arms the probe timer (tcp_check_probe_timer()), which keeps
 * trying every TCP_RESOURCE_PROBE_INTERVAL (tcp_send_probe0(): "local congestion"), counting icsk_probes_out
 * (tcpi_probes) without backing off, until TCP_USER_TIMEOUT or tcp_retries2 ends the connection (tcp_probe_timer()).
 */
final class QdiscDrop {

    /** TCP_RESOURCE_PROBE_INTERVAL: HZ/2. */
    static final long RESOURCE_PROBE_INTERVAL_MS = 500;
    /** TCP_TIMEOUT_MIN: 2 jiffies at HZ=1000. */
    static final long TIMEOUT_MIN_MS = 2;
    private static final long RTO_MIN_MS = 200;

    private QdiscDrop() {
    }

    /** __tcp_transmit_skb() after a NET_XMIT_DROP: tcp_enter_cwr(); the caller leaves the bytes unsent. */
    static void dropped(Tcb tcb, int bytes, boolean retransmission, TcpHost host, Recovery recovery, PacketReport report) {
        host.event(EventType.CONGESTION, tcb.tuple().toString(), "the qdisc dropped a " + bytes + "-byte "
                + (retransmission ? "retransmission" : "packet") + " (NET_XMIT_DROP): not sent, cwnd reduced (tcp_enter_cwr())");
        if (report != null && report.tracing()) {
            report.step("tcp.qdisc", () -> bytes + " bytes not sent: the device's qdisc holds no packets (limit 0) and "
                    + "dropped them; TCP counts them as unsent and enters CWR (__tcp_transmit_skb(), NET_XMIT_DROP)");
        }
        recovery.enterCwrOnLocalDrop(tcb, report);
    }

    /** tcp_check_probe_timer(): nothing in flight and data waits, so ICSK_TIME_PROBE0 after tcp_probe0_base(). */
    static void armProbe(Tcb tcb, VirtualClock clock, Sysctls sysctls, TcpSender sender, TcpTimers timers) {
        if (tcb.sndNxt != tcb.sndUna || (tcb.corkProbeTimer != null && !tcb.corkProbeTimer.isCancelled())) {
            return;
        }
        schedule(tcb, Math.max(tcb.rtoMs, RTO_MIN_MS), clock, sysctls, sender, timers);
    }

    private static void schedule(Tcb tcb, long delayMs, VirtualClock clock, Sysctls sysctls, TcpSender sender, TcpTimers timers) {
        tcb.corkProbeTimer = clock.schedule(delayMs, "probe0", tcb.tuple().toString(),
                () -> probeTimer(tcb, clock, sysctls, sender, timers));
    }

    /** tcp_probe_timer() and tcp_send_probe0() for data the qdisc would not take. */
    private static void probeTimer(Tcb tcb, VirtualClock clock, Sysctls sysctls, TcpSender sender, TcpTimers timers) {
        tcb.corkProbeTimer = null;
        if (tcb.state == TcpState.CLOSE || tcb.state == TcpState.TIME_WAIT) {
            return;
        }
        if (tcb.sndNxt != tcb.sndUna || !sender.hasUnsent(tcb)) {
            tcb.zeroWindowProbes = 0;
            tcb.probesStampMs = -1;
            return;
        }
        long now = clock.now();
        long userTimeout = UserTimeout.of(tcb);
        if (tcb.probesStampMs < 0) {
            tcb.probesStampMs = now;
        } else if (userTimeout > 0 && now - tcb.probesStampMs >= userTimeout) {
            timers.abortTimedOut(tcb, "TCP_USER_TIMEOUT (" + userTimeout + " ms) passed while the qdisc dropped every probe");
            return;
        }
        if (tcb.zeroWindowProbes >= sysctls.getInt(Sysctls.TCP_RETRIES2)) {
            timers.abortTimedOut(tcb, tcb.zeroWindowProbes + " probes could not leave (tcp_retries2)");
            return;
        }
        // tcp_send_probe0() -> tcp_write_wakeup(): one segment of what waits; the qdisc may take it now
        if (!sysctls.qdiscDrops()) {
            if (tcb.sndWnd == 0) {
                timers.probeZeroWindow(tcb); // nothing fits a zero window, so SND.UNA - 1 goes
                return;
            }
            // nothing is in flight and bytes wait, so an open window always lets this send some of them
            sender.sendProbeSegment(tcb);
            tcb.zeroWindowProbes = 0;
            tcb.zeroWindowBackoff = 0;
            tcb.probesStampMs = -1;
            return;
        }
        tcb.zeroWindowProbes++;
        long timeout = RESOURCE_PROBE_INTERVAL_MS; // local congestion: retry conservatively, no backoff
        if (userTimeout > 0) {
            // tcp_clamp_probe0_to_user_timeout()
            long remaining = Math.max(userTimeout - Math.max(0, now - tcb.probesStampMs), TIMEOUT_MIN_MS);
            timeout = Math.min(remaining, timeout);
        }
        schedule(tcb, timeout, clock, sysctls, sender, timers);
    }
}
