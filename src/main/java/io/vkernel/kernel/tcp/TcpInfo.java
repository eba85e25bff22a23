package io.vkernel.kernel.tcp;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * getsockopt(TCP_INFO) with Linux's field names (struct tcp_info, include/uapi/linux/tcp.h), filled by
 * tcp_get_info() from the connection: times in microseconds, segments counted in MSS units. Only fields vkernel
 * models are present, the congestion state among them (cwnd, ssthresh, ca_state, lost, sacked, retransmissions).
 */
public final class TcpInfo {

    /** The field names {@link #of} fills, for callers that check a name before reading it. */
    public static final List<String> FIELDS = List.of("tcpi_state", "tcpi_ca_state", "tcpi_retransmits", "tcpi_probes",
            "tcpi_backoff", "tcpi_options", "tcpi_snd_wscale", "tcpi_rcv_wscale", "tcpi_rto", "tcpi_ato", "tcpi_snd_mss",
            "tcpi_unacked", "tcpi_retrans", "tcpi_rtt", "tcpi_rttvar", "tcpi_snd_ssthresh", "tcpi_snd_cwnd", "tcpi_advmss",
            "tcpi_pmtu", "tcpi_rcv_space", "tcpi_total_retrans", "tcpi_bytes_acked", "tcpi_bytes_received",
            "tcpi_snd_wnd", "tcpi_rcv_wnd", "tcpi_lost", "tcpi_sacked", "tcpi_rcv_mss", "tcpi_rcv_rtt",
            "tcpi_reordering", "tcpi_reord_seen", "tcpi_delivered",
            "tcpi_last_data_sent", "tcpi_last_data_recv", "tcpi_busy_time", "tcpi_rwnd_limited", "tcpi_sndbuf_limited",
            "tcpi_notsent_bytes", "tcpi_min_rtt", "tcpi_delivered_ce", "tcpi_received_ce", "tcpi_delivered_e1_bytes",
            "tcpi_delivered_e0_bytes", "tcpi_delivered_ce_bytes", "tcpi_received_e1_bytes", "tcpi_received_e0_bytes",
            "tcpi_received_ce_bytes", "tcpi_accecn_fail_mode", "tcpi_accecn_opt_seen");

    private TcpInfo() {
    }

    /**
     * TCP_INFO without the fields measured from now (tcpi_last_data_sent, tcpi_last_data_recv), for callers
     * without the kernel's clock at hand; {@link #of(Tcb, long)} fills every field.
     */
    public static Map<String, Long> of(Tcb tcb) {
        return fill(tcb, -1);
    }

    /** TCP_INFO as getsockopt() answers it at {@code nowMs} on the kernel's virtual clock. */
    public static Map<String, Long> of(Tcb tcb, long nowMs) {
        return fill(tcb, nowMs);
    }

    private static Map<String, Long> fill(Tcb tcb, long nowMs) {
        Map<String, Long> info = new LinkedHashMap<>();
        int mss = sndMss(tcb);
        boolean synced = tcb.state.isSynchronized();
        info.put("tcpi_state", (long) tcb.state.linuxNumber());
        // icsk_ca_state: CaState follows Linux's numbering (TCP_CA_Open 0 ... TCP_CA_Loss 4)
        info.put("tcpi_ca_state", (long) tcb.caState.ordinal());
        info.put("tcpi_retransmits", (long) tcb.retransmits);
        info.put("tcpi_probes", (long) tcb.zeroWindowProbes);
        info.put("tcpi_backoff", (long) tcb.retransmits);
        info.put("tcpi_options", (tcb.tsOk ? 1L : 0) | (tcb.sackOk ? 2L : 0) | (tcb.wscaleOk ? 4L : 0)
                | (tcb.synDataAcked ? 0x20L : 0) // TCPI_OPT_SYN_DATA
                | Ecn.infoOptions(tcb)); // TCPI_OPT_ECN, TCPI_OPT_ECN_SEEN
        info.put("tcpi_snd_wscale", tcb.wscaleOk ? (long) tcb.sndWscale : 0);
        info.put("tcpi_rcv_wscale", tcb.wscaleOk ? (long) tcb.rcvWscale : 0);
        info.put("tcpi_rto", tcb.rtoMs * 1000);
        info.put("tcpi_ato", TcpEngine.DELACK_MS * 1000L);
        info.put("tcpi_snd_mss", (long) mss);
        long inFlight = synced ? Integer.toUnsignedLong(tcb.sndNxt - tcb.sndUna) : 0;
        info.put("tcpi_unacked", (inFlight + mss - 1) / mss);
        info.put("tcpi_retrans", synced ? (long) (Recovery.retransOutBytes(tcb) + mss - 1) / mss : 0);
        info.put("tcpi_rtt", tcb.srttMs < 0 ? 0 : tcb.srttMs * 1000);
        info.put("tcpi_rttvar", tcb.rttvarMs * 1000);
        // TCP_INFINITE_SSTHRESH until the first loss (tcp_init_sock())
        info.put("tcpi_snd_ssthresh", (long) tcb.ssthresh);
        info.put("tcpi_snd_cwnd", (long) tcb.cwnd);
        info.put("tcpi_advmss", (long) Math.min(tcb.advMss, tcb.routeAdvMss)); // tp->advmss: tcp_mss_clamp(dst_metric_advmss())
        info.put("tcpi_pmtu", (long) tcb.pmtu);
        info.put("tcpi_rcv_space", (long) tcb.rcvWnd());
        info.put("tcpi_total_retrans", (long) tcb.totalRetransmits);
        info.put("tcpi_bytes_acked", synced ? Math.max(0, Integer.toUnsignedLong(tcb.sndUna - tcb.iss) - 1) : 0);
        info.put("tcpi_bytes_received", synced ? Math.max(0, Integer.toUnsignedLong(tcb.rcvNxt - tcb.irs) - 1
                - (tcb.finReceived ? 1 : 0)) : 0);
        info.put("tcpi_snd_wnd", (long) tcb.sndWnd);
        info.put("tcpi_rcv_wnd", (long) tcb.rcvWnd());
        // tp->lost_out and tp->sacked_out in segments: the SACK scoreboard, or the duplicate ACKs (tcp_add_reno_sack())
        info.put("tcpi_lost", synced ? (long) (Recovery.lostBytes(tcb, mss) + mss - 1) / mss : 0);
        info.put("tcpi_sacked", !synced ? 0 : tcb.sackOk ? (long) (tcb.scoreboard.sackedBytes() + mss - 1) / mss : tcb.renoSacked);
        // icsk_ack.rcv_mss (tcp_measure_rcv_mss()) and tp->rcv_rtt_est.rtt_us >> 3 (ReceiverRtt)
        info.put("tcpi_rcv_mss", (long) tcb.rcvMss);
        info.put("tcpi_rcv_rtt", tcb.rcvRttUs8 >> 3);
        info.put("tcpi_reordering", (long) tcb.rack.reordering); // tp->reordering
        info.put("tcpi_reord_seen", (long) tcb.rack.reordSeen);
        info.put("tcpi_delivered", (long) tcb.delivered);
        if (nowMs >= 0) {
            // tcp_get_info(): jiffies_to_msecs(now - tp->lsndtime) and (now - icsk_ack.lrcvtime), in ms
            info.put("tcpi_last_data_sent", Math.max(0, nowMs - tcb.lastDataSent));
            info.put("tcpi_last_data_recv", Math.max(0, nowMs - tcb.lastDataRecv));
            // tcp_get_info_chrono_stats(): busy time counts the limited times too (Chrono)
            long[] chrono = tcb.sendBuffer.chronoMicros(nowMs);
            info.put("tcpi_busy_time", chrono[0]);
            info.put("tcpi_rwnd_limited", chrono[1]);
            info.put("tcpi_sndbuf_limited", chrono[2]);
        }
        // write_seq - snd_nxt: what TCP_NOTSENT_LOWAT is compared with
        info.put("tcpi_notsent_bytes", synced ? SendBuffer.notSent(tcb) : 0);
        // tcp_min_rtt(): the smallest RTT seen, in us; ~0U before the first sample (minmax_reset() with ~0U)
        info.put("tcpi_min_rtt", tcb.rack.minRttMs >= 0 ? tcb.rack.minRttMs * 1000 : 0xFFFF_FFFFL);
        AccEcn.info(tcb, info); // Accurate ECN counters (tcp_get_info() since Linux 6.18)
        return Collections.unmodifiableMap(info);
    }

    /** tp->mss_cache: the peer's MSS less the timestamp option when both use it (tcp_sync_mss()). */
    /**
     * tp->mss_cache of a socket with a connection, as do_tcp_getsockopt(TCP_MAXSEG) reads it: TCP_MSS_DEFAULT while
     * a deferred Fast Open connect has not run tcp_connect_init(); from there until the peer's SYN, tcp_sync_mss()
     * on the route's MTU clamped to tcp_v4_connect()'s mss_clamp (TCP_MSS_DEFAULT, or {@code userMss}), less the
     * timestamp option tcp_connect_init() reserves when net.ipv4.tcp_timestamps is on ({@code timestamps}); after
     * it the send MSS. A closed connection keeps its last value (tcp_disconnect() does not reset mss_cache).
     */
    public static int mssCache(Tcb tcb, int userMss, boolean timestamps) {
        if (tcb.deferConnect) {
            return TcpEngine.DEFAULT_MSS;
        }
        boolean peerSyn = tcb.irs != 0 || tcb.rcvNxt != 0; // rcv_nxt = irs + 1: never both 0 once a SYN came in
        if (!peerSyn) {
            int clamp = userMss > 0 ? userMss : TcpEngine.DEFAULT_MSS;
            // __tcp_mtu_to_mss() floors at tcp_min_snd_mss (48) before tcp_mtu_to_mss() takes the options off
            return Math.max(48, Math.min(tcb.pmtu - 40, clamp)) - (timestamps ? 12 : 0);
        }
        return sndMss(tcb);
    }

    /** tp->mss_cache (tcp_sync_mss()): __tcp_mtu_to_mss() floors at TCP_MIN_SND_MSS (48) before the options go. */
    static int sndMss(Tcb tcb) {
        int mss = Math.max(MtuProbe.MIN_SND_MSS, Math.min(Math.min(tcb.peerMss, tcb.advMss), tcb.pmtu - 40));
        return (tcb.mtup.clamp > 0 ? Math.min(mss, tcb.mtup.clamp) : mss) - (tcb.tsOk ? 12 : 0);
    }
}
