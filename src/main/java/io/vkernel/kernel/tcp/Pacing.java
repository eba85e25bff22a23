package io.vkernel.kernel.tcp;

/**
 * The pacing rate Linux keeps for every TCP socket even without the fq qdisc (tcp_update_pacing_rate(): 200 % of
 * cwnd x MSS / SRTT in slow start, 120 % after it), and what it decides without fq: how many segments one GSO packet
 * may carry (tcp_tso_autosize(): about 1 ms of data at that rate, at least tcp_min_tso_segs = 2). A cwnd's worth of
 * data leaves as several such packets, and since __tcp_transmit_skb() sets PSH on every packet of more than one
 * segment, the flags of a burst's last packet depend on how the burst was cut.
 */
final class Pacing {

    /** sysctl_tcp_pacing_ss_ratio and sysctl_tcp_pacing_ca_ratio (percent), Linux's defaults (Sysctls has the settings). */
    static final int SS_RATIO = 200;
    static final int CA_RATIO = 120;
    /** sysctl_tcp_min_tso_segs. */
    static final int MIN_TSO_SEGS = 2;
    /** sk_pacing_shift: GSO packets of about 1 ms (2^-10 s) of data. */
    static final int PACING_SHIFT = 10;
    /** sysctl_tcp_tso_rtt_log: small RTTs allow bigger packets. */
    static final int TSO_RTT_LOG = 9;
    /** GSO_LEGACY_MAX_SIZE, sk_gso_max_size of the tun device packetdrill uses. */
    static final int GSO_MAX_SIZE = 65536;

    private Pacing() {
    }

    /** sk_pacing_rate in bytes per second; Long.MAX_VALUE before any RTT sample (~0UL). */
    static long rate(Tcb tcb, int mss) {
        if (tcb.srttMs < 0) {
            return Long.MAX_VALUE;
        }
        boolean slowStart = tcb.cwnd < tcb.ssthresh / 2;
        // net.ipv4.tcp_pacing_ss_ratio / tcp_pacing_ca_ratio; a Tcb built without a route has Linux's defaults
        int ratio = tcb.routes != null ? tcb.routes.pacingRatio(slowStart) : slowStart ? SS_RATIO : CA_RATIO;
        int packetsOut = (tcb.sndNxt - tcb.sndUna + mss - 1) / mss;
        long srttUs = Math.max(1, tcb.srttMs * 1000);
        return (long) mss * ratio / 100 * Math.max(tcb.cwnd, packetsOut) * 1_000_000L / srttUs;
    }

    /** tcp_tso_autosize() via tcp_tso_segs(): the most segments one GSO packet carries. */
    static int tsoSegs(Tcb tcb, int mss) {
        return tsoSegs(tcb, mss, MIN_TSO_SEGS);
    }

    /** tcp_tso_segs() with the tcp_min_tso_segs sysctl's value. */
    static int tsoSegs(Tcb tcb, int mss, int minTsoSegs) {
        long rate = rate(tcb, mss);
        long bytes = rate == Long.MAX_VALUE ? GSO_MAX_SIZE : rate >> PACING_SHIFT;
        long minRttUs = (tcb.rack.minRttMs >= 0 ? tcb.rack.minRttMs : Math.max(0, tcb.srttMs)) * 1000;
        long r = minRttUs >> TSO_RTT_LOG;
        if (r < 32) {
            bytes += GSO_MAX_SIZE >> r;
        }
        bytes = Math.min(bytes, GSO_MAX_SIZE);
        return (int) Math.max(bytes / Math.max(1, mss), minTsoSegs);
    }

    /**
     * How many segments the next GSO packet of tcp_write_xmit() carries: tcp_tso_segs(), cut by tcp_cwnd_test(),
     * which lets at most half the cwnd go in one packet ("ensure we have at least 2 GSO packets in flight").
     */
    static int packetSegs(Tcb tcb, int mss, int minTsoSegs, int inFlightSegments) {
        int quota = Math.min(Math.max(tcb.cwnd >> 1, 1), tcb.cwnd - inFlightSegments);
        return Math.max(1, Math.min(tsoSegs(tcb, mss, minTsoSegs), quota));
    }

    /**
     * Whether the last GSO packet of a send of {@code segments} MSS carries PSH by __tcp_transmit_skb()'s rule
     * (tcp_skb_pcount() > 1): the send leaves as packets of {@link #tsoSegs} segments, the last one holding the rest.
     * packetdrill reads such a train as one packet with the last packet's flags (aggregate_packets()).
     */
    static boolean lastPacketIsGso(Tcb tcb, int segments, int mss) {
        return lastPacketIsGso(tcb, segments, mss, MIN_TSO_SEGS);
    }

    /**
     * Whether the last GSO packet of a burst of new data ({@code segments} MSS from tcp_write_xmit(), with
     * {@code inFlight} segments already out) has more than one segment: each packet carries at most tcp_tso_segs(),
     * half the cwnd and what cwnd still allows (tcp_cwnd_test()), so with cwnd 2 or 3 a burst leaves as one-segment
     * packets, none of them with PSH unless a write ended there.
     */
    static boolean lastPacketOfBurstIsGso(Tcb tcb, int segments, int mss, int minTsoSegs, int inFlight) {
        int tso = tsoSegs(tcb, mss, minTsoSegs);
        int remaining = segments;
        int last = 0;
        int out = inFlight;
        while (remaining > 0) {
            int quota = Math.min(Math.max(tcb.cwnd >> 1, 1), tcb.cwnd - out);
            last = Math.max(1, Math.min(Math.min(tso, remaining), quota));
            out += last;
            remaining -= last;
        }
        return last >= 2;
    }

    static boolean lastPacketIsGso(Tcb tcb, int segments, int mss, int minTsoSegs) {
        if (segments < 2) {
            return false;
        }
        int perPacket = tsoSegs(tcb, mss, minTsoSegs);
        return (segments - 1) % perPacket + 1 >= 2;
    }
}
