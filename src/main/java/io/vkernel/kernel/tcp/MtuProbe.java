package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Seq;
import io.vkernel.kernel.wire.TcpFlags;

/**
 * Packetization-layer path MTU discovery (RFC 4821) as Linux does it with {@code net.ipv4.tcp_mtu_probing=2}
 * ({@code icsk_mtup}): a binary search between {@code search_low} (tcp_base_mss as an MTU) and {@code search_high}
 * (the peer's MSS as an MTU). tcp_mtu_probe() sends one segment of the middle size ahead of the MSS-sized ones; when it
 * is acknowledged (tcp_mtup_probe_success()) search_low rises to it and the MSS with it; a retransmission leaves it
 * inconclusive. While probing is on, the MSS never exceeds search_low's
 * (tcp_sync_mss()). Also the connection's view of its route (dst_mtu() of its cached route, refreshed when a
 * packet leaves, as ip_queue_xmit()'s __sk_dst_check() re-routes after 'ip route change'), which tcp_current_mss()
 * compares with the MTU the MSS was last computed for (icsk_pmtu_cookie, {@code tcb.pmtu}).
 */
final class MtuProbe {

    /** net.ipv4.tcp_probe_threshold: below this gap between search_high and search_low no more probing. */
    static final int PROBE_THRESHOLD = 8;
    private static final int HEADERS = 40;
    /** TCP_MIN_SND_MSS (net.ipv4.tcp_min_snd_mss's default): __tcp_mtu_to_mss() never goes below it. */
    static final int MIN_SND_MSS = 48;

    boolean initialized;
    boolean enabled;
    int searchHigh;
    int searchLow;
    /** The MTU of the probe in flight (icsk_mtup.probe_size), 0 = none. */
    int probeSize;
    int probeSeqStart;
    int probeSeqEnd;
    /** tcp_mtu_to_mss(search_low) without the timestamp option, applied by the last tcp_sync_mss(); 0 = none. */
    int clamp;
    /** dst_mtu() of the connection's cached route. */
    int dstMtu = IcmpErrors.ROUTE_MTU;

    /** rx_opt.mss_clamp: the peer's MSS, capped by TCP_MAXSEG. */
    private static int mssClamp(Tcb tcb) {
        return Math.min(tcb.peerMss, tcb.advMss);
    }

    private static int tsLen(Tcb tcb) {
        return tcb.tsOk ? 12 : 0;
    }

    /** tcp_mtu_to_mss(): the payload of a packet of {@code mtu} bytes, with the timestamp option if used. */
    static int mtuToMss(Tcb tcb, int mtu) {
        return Math.max(MIN_SND_MSS, Math.min(mtu - HEADERS, mssClamp(tcb))) - tsLen(tcb);
    }

    /**
     * tcp_mtup_init(), from tcp_init_transfer() once the connection is established (and, for an active open, already
     * from tcp_connect_init(), whose tcp_sync_mss() applies search_low at once). Done lazily at the first send.
     */
    static void init(Tcb tcb, Sysctls sysctls) {
        MtuProbe m = tcb.mtup;
        m.initialized = true;
        m.enabled = sysctls.get(Sysctls.TCP_MTU_PROBING) > 1;
        m.searchHigh = mssClamp(tcb) + HEADERS;
        m.searchLow = sysctls.getInt(Sysctls.TCP_BASE_MSS) + HEADERS + tsLen(tcb);
        m.probeSize = 0;
        if (tcb.listener == null && m.enabled) {
            m.clamp = m.searchLow - HEADERS - tsLen(tcb);
        }
    }

    /** tcp_sync_mss(): the MSS recomputed for {@code pmtu}; with probing on, never above search_low's. */
    static void sync(Tcb tcb, int pmtu) {
        MtuProbe m = tcb.mtup;
        if (m.searchHigh > pmtu) {
            m.searchHigh = pmtu;
        }
        tcb.pmtu = pmtu;
        m.clamp = m.enabled ? m.searchLow - HEADERS - tsLen(tcb) : 0;
    }

    /** tcp_current_mss(): resynchronises when the route's MTU is no longer the one the MSS was computed for. */
    static void currentMss(Tcb tcb, Sysctls sysctls) {
        if (!tcb.mtup.initialized && tcb.state != TcpState.SYN_SENT && tcb.state != TcpState.SYN_RECV) {
            init(tcb, sysctls);
        }
        if (tcb.mtup.dstMtu != tcb.pmtu) {
            sync(tcb, tcb.mtup.dstMtu);
        }
    }

    /** After a packet left: __sk_dst_check() found the route changed and took the new one. */
    static void refreshDst(Tcb tcb) {
        if (tcb.routes != null) {
            tcb.mtup.dstMtu = tcb.routes.mtu(tcb.tuple().remote().address());
        }
    }

    /** tcp_mtu_probe()'s answer when tcp_write_xmit() must send nothing now: wait for cwnd or window to drain. */
    static final int WAIT = 0;
    /** tcp_mtu_probe()'s answer when no probe goes and tcp_write_xmit() goes on as usual. */
    static final int NONE = -1;

    /**
     * tcp_mtu_probe(): the size of the probe to send now from SND.NXT; {@link #NONE} when none goes (probing off, one
     * in flight, not in Open state, cwnd below 11, SACK blocks pending, the search done, too little data or too small
     * a window, or cwnd short of room for it and two more with nothing in flight); {@link #WAIT} when it would reach
     * past the window's end or cwnd lacks room for it and two more while packets are in flight ("Do we need to wait
     * to drain cwnd?"), where tcp_write_xmit() returns at once and sends nothing.
     */
    static int probeNow(Tcb tcb, int unsent, int mss, int pipeSegments, int reordering) {
        MtuProbe m = tcb.mtup;
        if (!m.initialized || !m.enabled || m.probeSize != 0 || tcb.caState != CaState.OPEN || tcb.cwnd < 11
                || !tcb.scoreboard.isEmpty()) {
            return NONE;
        }
        int probe = mtuToMss(tcb, (m.searchHigh + m.searchLow) >> 1);
        int sizeNeeded = probe + (reordering + 1) * mss;
        if (probe > mtuToMss(tcb, m.searchHigh) || m.searchHigh - m.searchLow < PROBE_THRESHOLD) {
            return NONE; // tcp_mtu_check_reprobe(): net.ipv4.tcp_probe_interval (10 min) is not modelled
        }
        if (unsent < sizeNeeded || tcb.sndWnd < sizeNeeded) {
            return NONE;
        }
        if (Seq.after(tcb.sndNxt + sizeNeeded, tcb.sndUna + tcb.sndWnd)) {
            return WAIT;
        }
        if (pipeSegments + 2 > tcb.cwnd) {
            return pipeSegments == 0 ? NONE : WAIT; // "With none in flight, don't stall"
        }
        return probe;
    }

    /** The probe has left: it is remembered by its MTU and sequence range. */
    static void sent(Tcb tcb, int start, int end, PacketReport report) {
        MtuProbe m = tcb.mtup;
        m.probeSize = end - start + HEADERS + tsLen(tcb);
        m.probeSeqStart = start;
        m.probeSeqEnd = end;
        report.step("tcp.mtup", () -> "MTU probe: " + (end - start) + " bytes (a " + m.probeSize + "-byte packet, between "
                + m.searchLow + " and " + m.searchHigh + ") ahead of the MSS-sized segments (tcp_mtu_probe())");
    }

    /** tcp_clean_rtx_queue(): the probe is acknowledged (tcp_mtup_probe_success()). */
    static void onAck(Tcb tcb, PacketReport report) {
        MtuProbe m = tcb.mtup;
        if (m.probeSize == 0 || Seq.after(m.probeSeqEnd, tcb.sndUna)) {
            return;
        }
        int mtu = tcb.pmtu;
        int before = TcpSender.sendMss(tcb) + HEADERS + tsLen(tcb); // tcp_mss_to_mtu(mss_cache)
        tcb.cwnd = Math.max(1, (int) ((long) tcb.cwnd * before / m.probeSize));
        tcb.cwndCnt = 0;
        tcb.ssthresh = Undo.currentSsthresh(tcb);
        m.searchLow = m.probeSize;
        int size = m.probeSize;
        m.probeSize = 0;
        sync(tcb, mtu);
        if (report != null) {
            report.step("tcp.mtup", () -> "the " + size + "-byte MTU probe was acknowledged: search_low = " + size
                    + ", cwnd " + tcb.cwnd + " (tcp_mtup_probe_success())");
        }
    }

    /**
     * tcp_retransmit_skb(): any retransmission leaves the probe inconclusive (probe_size = 0). tcp_mtup_probe_failed(),
     * which lowers search_high when fast recovery starts at the probe, is not modelled.
     */
    static void onRetransmit(Tcb tcb) {
        tcb.mtup.probeSize = 0;
    }

    /** The flags of the probe: an ACK, no PSH (tcp_mtu_probe() builds it with TCPHDR_ACK). */
    static int flags() {
        return TcpFlags.ACK;
    }
}
