package io.vkernel.kernel.tcp;

import io.vkernel.kernel.time.VirtualClock;

/**
 * Data held by TCP_CORK or MSG_MORE does not wait forever: when tcp_write_xmit() leaves it queued with nothing in
 * flight, __tcp_push_pending_frames() calls tcp_check_probe_timer(), which arms the probe timer (ICSK_TIME_PROBE0)
 * for tcp_probe0_base() = max(RTO, TCP_RTO_MIN); if nothing was sent meanwhile, tcp_probe_timer() ->
 * tcp_write_wakeup() sends what waits, one segment with PSH.
 */
final class CorkProbe {

    private static final long RTO_MIN_MS = 200;

    private CorkProbe() {
    }

    static void arm(Tcb tcb, VirtualClock clock, TcpSender sender) {
        if (tcb.corkProbeTimer != null && !tcb.corkProbeTimer.isCancelled()) {
            return;
        }
        tcb.corkProbeTimer = clock.schedule(Math.max(tcb.rtoMs, RTO_MIN_MS), "probe0", tcb.tuple().toString(), () -> {
            tcb.corkProbeTimer = null;
            // tcp_probe_timer(): nothing to do once something is in flight, or nothing waits, or the socket is gone
            if (tcb.state == TcpState.CLOSE || tcb.state == TcpState.TIME_WAIT || tcb.sndNxt != tcb.sndUna) {
                return;
            }
            sender.writeWakeup(tcb);
        });
    }
}
