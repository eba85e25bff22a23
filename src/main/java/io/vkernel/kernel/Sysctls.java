package io.vkernel.kernel;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The kernel's tunables, named as under /proc/sys with Linux's defaults (see the reference catalog §0.1).
 * Each has an allowed range; {@link #set} rejects values outside it with a message naming the range.
 */
public final class Sysctls {

    public static final String SOMAXCONN = "net.core.somaxconn";
    public static final String TCP_FIN_TIMEOUT = "net.ipv4.tcp_fin_timeout";
    public static final String TCP_ABORT_ON_OVERFLOW = "net.ipv4.tcp_abort_on_overflow";
    public static final String TCP_SYNACK_RETRIES = "net.ipv4.tcp_synack_retries";
    public static final String TCP_RMEM_DEFAULT = "net.ipv4.tcp_rmem.default";
    public static final String TCP_WMEM_DEFAULT = "net.ipv4.tcp_wmem.default";
    public static final String RLIMIT_NOFILE = "rlimit.nofile";
    public static final String TCP_SYN_RETRIES = "net.ipv4.tcp_syn_retries";
    public static final String TCP_SYN_LINEAR_TIMEOUTS = "net.ipv4.tcp_syn_linear_timeouts";
    public static final String TCP_RETRIES2 = "net.ipv4.tcp_retries2";
    public static final String TCP_ORPHAN_RETRIES = "net.ipv4.tcp_orphan_retries";
    public static final String TCP_KEEPALIVE_TIME = "net.ipv4.tcp_keepalive_time";
    public static final String TCP_KEEPALIVE_INTVL = "net.ipv4.tcp_keepalive_intvl";
    public static final String TCP_KEEPALIVE_PROBES = "net.ipv4.tcp_keepalive_probes";
    public static final String PORT_RANGE_LOW = "net.ipv4.ip_local_port_range.low";
    public static final String PORT_RANGE_HIGH = "net.ipv4.ip_local_port_range.high";
    public static final String TCP_RFC1337 = "net.ipv4.tcp_rfc1337";
    public static final String VKERNEL_TRACE = "vkernel.trace";
    public static final String TCP_SYNCOOKIES = "net.ipv4.tcp_syncookies";
    public static final String TCP_INVALID_RATELIMIT = "net.ipv4.tcp_invalid_ratelimit";
    public static final String TCP_CHALLENGE_ACK_LIMIT = "net.ipv4.tcp_challenge_ack_limit";
    // net.ipv4.tcp_rmem / tcp_wmem are three values in Linux ("min default max"); each is its own name here.
    public static final String TCP_RMEM_MIN = "net.ipv4.tcp_rmem.min";
    public static final String TCP_RMEM_MAX = "net.ipv4.tcp_rmem.max";
    public static final String TCP_WMEM_MIN = "net.ipv4.tcp_wmem.min";
    public static final String TCP_WMEM_MAX = "net.ipv4.tcp_wmem.max";
    public static final String CORE_RMEM_MAX = "net.core.rmem_max";
    public static final String CORE_WMEM_MAX = "net.core.wmem_max";
    public static final String CORE_RMEM_DEFAULT = "net.core.rmem_default";
    public static final String CORE_WMEM_DEFAULT = "net.core.wmem_default";
    public static final String TCP_TIMESTAMPS = "net.ipv4.tcp_timestamps";
    public static final String TCP_WINDOW_SCALING = "net.ipv4.tcp_window_scaling";
    public static final String TCP_SACK = "net.ipv4.tcp_sack";
    public static final String TCP_DSACK = "net.ipv4.tcp_dsack";
    /** Linux takes a name; here 0 = reno, 1 = cubic (the script runner translates "reno"/"cubic"). */
    public static final String TCP_CONGESTION_CONTROL = "net.ipv4.tcp_congestion_control";
    public static final String TCP_SLOW_START_AFTER_IDLE = "net.ipv4.tcp_slow_start_after_idle";
    public static final String TCP_RECOVERY = "net.ipv4.tcp_recovery";
    public static final String TCP_EARLY_RETRANS = "net.ipv4.tcp_early_retrans";
    /** tcp_tso_segs(): the fewest segments one GSO packet may carry, whatever the pacing rate. */
    public static final String TCP_MIN_TSO_SEGS = "net.ipv4.tcp_min_tso_segs";
    /** tcp_update_pacing_rate(): sk_pacing_rate as a percentage of cwnd x MSS / SRTT, in slow start and after it. */
    public static final String TCP_PACING_SS_RATIO = "net.ipv4.tcp_pacing_ss_ratio";
    public static final String TCP_PACING_CA_RATIO = "net.ipv4.tcp_pacing_ca_ratio";
    /** The initial reordering degree of a connection (tp->reordering, dupthresh); SACK may raise it. */
    public static final String TCP_REORDERING = "net.ipv4.tcp_reordering";
    /** The ceiling reordering detection may raise tp->reordering to (tcp_check_sack_reordering()). */
    public static final String TCP_MAX_REORDERING = "net.ipv4.tcp_max_reordering";
    /** tcp_cubic's module parameters (/sys/module/tcp_cubic/parameters/NAME on Linux): HyStart. */
    public static final String TCP_CUBIC_HYSTART = "tcp_cubic.hystart";
    public static final String TCP_CUBIC_HYSTART_DETECT = "tcp_cubic.hystart_detect";
    public static final String TCP_CUBIC_HYSTART_LOW_WINDOW = "tcp_cubic.hystart_low_window";
    public static final String TCP_CUBIC_HYSTART_ACK_DELTA_US = "tcp_cubic.hystart_ack_delta_us";
    /** vkernel's own: 1 = the NIC offers GSO/TSO, so the stack may send super-segments (ethtool -K dev gso|tso on). */
    public static final String VKERNEL_GSO = "vkernel.gso";
    /**
     * vkernel's own: the root qdisc of the device ('tc qdisc replace dev tun0 root pfifo|fq'): 0 = pfifo (packets leave
     * at once, in order), 1 = fq (each flow's packets leave at its pacing rate, sch_fq.c).
     */
    public static final String VKERNEL_QDISC = "vkernel.qdisc";
    /** vkernel's own: the root qdisc's packet limit ('pfifo limit N'); 0 drops every packet (NET_XMIT_DROP). */
    public static final String VKERNEL_QDISC_LIMIT = "vkernel.qdisc_limit";
    public static final String TCP_SHRINK_WINDOW = "net.ipv4.tcp_shrink_window";
    /** tcp_notsent_lowat(): the default TCP_NOTSENT_LOWAT; UINT_MAX (tcp_sk_init()) leaves it off. */
    public static final String TCP_NOTSENT_LOWAT = "net.ipv4.tcp_notsent_lowat";
    /** tcp_tso_should_defer(): a GSO packet waits for the next ACK unless 1/divisor of the window can go now. */
    public static final String TCP_TSO_WIN_DIVISOR = "net.ipv4.tcp_tso_win_divisor";
    /** TCP Fast Open (RFC 7413): bit 0x1 client, 0x2 server, 0x4 client without cookie, 0x200 server without cookie, 0x400 every listener. */
    public static final String TCP_FASTOPEN = "net.ipv4.tcp_fastopen";
    /** The server's cookie key, net.ipv4.tcp_fastopen_key "k0-k1-k2-k3": its four 32-bit words, .0 to .3. */
    public static final String TCP_FASTOPEN_KEY = "net.ipv4.tcp_fastopen_key";
    public static final String TCP_ECN = "net.ipv4.tcp_ecn";
    public static final String TCP_ECN_FALLBACK = "net.ipv4.tcp_ecn_fallback";
    /** Accurate ECN's option on established connections: 0 never, 1 when owed (and as a beacon), 2 on every segment. */
    public static final String TCP_ECN_OPTION = "net.ipv4.tcp_ecn_option";
    public static final String TCP_ECN_OPTION_BEACON = "net.ipv4.tcp_ecn_option_beacon";
    /** The route's metrics, as 'ip route change DST via GW dev tun0 advmss N mtu [lock] M initcwnd K' sets them (Routes). */
    public static final String ROUTE_MTU = "vkernel.route.mtu";
    public static final String ROUTE_MTU_LOCK = "vkernel.route.mtu_lock";
    public static final String ROUTE_ADVMSS = "vkernel.route.advmss";
    public static final String ROUTE_INITCWND = "vkernel.route.initcwnd";
    /** packetdrill's --mss: the gso_size its tun gives injected TCP packets (virtio_net_hdr), 0 for none. */
    public static final String RX_GSO_SIZE = "vkernel.rx_gso_size";
    /** Packetization-layer path MTU discovery (RFC 4821, MtuProbe): 2 probes from the start of every connection. */
    public static final String TCP_MTU_PROBING = "net.ipv4.tcp_mtu_probing";
    public static final String TCP_BASE_MSS = "net.ipv4.tcp_base_mss";

    private record Spec(long defaultValue, long min, long max, String description) {
    }

    private static final Map<String, Spec> SPECS = new LinkedHashMap<>();

    static {
        SPECS.put(SOMAXCONN, new Spec(4096, 0, 65535, "cap on every listen() backlog"));
        SPECS.put(TCP_FIN_TIMEOUT, new Spec(60, 1, 3600, "seconds an orphaned FIN_WAIT2 connection waits for the peer's FIN"));
        SPECS.put(TCP_ABORT_ON_OVERFLOW, new Spec(0, 0, 1, "1: answer a final ACK that finds the accept queue full with RST instead of dropping it"));
        SPECS.put(TCP_SYNACK_RETRIES, new Spec(5, 0, 255, "SYN-ACK retransmissions before a half-open request is dropped"));
        SPECS.put(TCP_RMEM_DEFAULT, new Spec(131072, 4096, 64L * 1024 * 1024, "initial receive buffer limit of a new connection, bytes"));
        SPECS.put(TCP_WMEM_DEFAULT, new Spec(16384, 4096, 64L * 1024 * 1024, "initial send buffer limit of a new connection, bytes"));
        SPECS.put(RLIMIT_NOFILE, new Spec(1024, 4, 1 << 20, "RLIMIT_NOFILE soft limit given to new processes"));
        SPECS.put(TCP_SYN_RETRIES, new Spec(6, 1, 127, "exponential SYN retransmissions of connect() before ETIMEDOUT"));
        SPECS.put(TCP_SYN_LINEAR_TIMEOUTS, new Spec(4, 0, 32, "SYN retransmissions with a linear 1 s timeout before the exponential ones"));
        SPECS.put(TCP_RETRIES2, new Spec(15, 1, 255, "data retransmissions before the connection fails with ETIMEDOUT"));
        SPECS.put(TCP_ORPHAN_RETRIES, new Spec(0, 0, 255, "retransmissions for an orphaned connection; 0 means 8"));
        SPECS.put(TCP_KEEPALIVE_TIME, new Spec(7200, 1, 32767, "seconds idle before the first keepalive probe (SO_KEEPALIVE)"));
        SPECS.put(TCP_KEEPALIVE_INTVL, new Spec(75, 1, 32767, "seconds between keepalive probes"));
        SPECS.put(TCP_KEEPALIVE_PROBES, new Spec(9, 1, 127, "unanswered probes before the connection is reset with ETIMEDOUT"));
        SPECS.put(PORT_RANGE_LOW, new Spec(32768, 1, 65535, "lowest ephemeral port connect() picks"));
        SPECS.put(PORT_RANGE_HIGH, new Spec(60999, 1, 65535, "highest ephemeral port connect() picks"));
        SPECS.put(TCP_RFC1337, new Spec(0, 0, 1, "1: a RST does not end TIME_WAIT early (RFC 1337)"));
        SPECS.put(TCP_SYNCOOKIES, new Spec(1, 0, 2, "1: answer SYNs with a cookie once a listener has more pending requests than its backlog; 0: drop them; 2: always"));
        SPECS.put(TCP_INVALID_RATELIMIT, new Spec(500, 0, 3_600_000, "ms: at most one duplicate or challenge ACK per connection "
                + "this often in answer to invalid segments (__tcp_oow_rate_limited())"));
        // tcp_sk_init(): INT_MAX since Linux 6.0 (commit 79e3602caa6f), which turns the per-netns budget off
        SPECS.put(TCP_NOTSENT_LOWAT, new Spec(0xFFFF_FFFFL, 0, 0xFFFF_FFFFL, "bytes written but not yet sent above which "
                + "poll() stops reporting POLLOUT, for sockets without TCP_NOTSENT_LOWAT"));
        SPECS.put(TCP_TSO_WIN_DIVISOR, new Spec(3, 0, 255, "a send that only part of cwnd allows waits for the next ACK "
                + "unless at least 1/divisor of the window can go (tcp_tso_should_defer()); 0: wait for at most 3 MSS"));
        SPECS.put(TCP_CHALLENGE_ACK_LIMIT, new Spec(Integer.MAX_VALUE, 0, Integer.MAX_VALUE, "challenge ACKs per second for "
                + "the whole kernel (RFC 5961 §7), randomised around this value; 2147483647 means no limit"));
        SPECS.put(TCP_RMEM_MIN, new Spec(4096, 1, 64L * 1024 * 1024, "tcp_rmem min: the receive buffer a socket keeps under memory pressure, bytes"));
        SPECS.put(TCP_RMEM_MAX, new Spec(6291456, 4096, 1L << 30, "tcp_rmem max: how far receive autotuning may grow a buffer, bytes"));
        SPECS.put(TCP_WMEM_MIN, new Spec(4096, 1, 64L * 1024 * 1024, "tcp_wmem min, bytes"));
        SPECS.put(TCP_WMEM_MAX, new Spec(4194304, 4096, 1L << 30, "tcp_wmem max: how far send autotuning may grow a buffer, bytes"));
        SPECS.put(CORE_RMEM_MAX, new Spec(212992, 2304, Integer.MAX_VALUE, "largest SO_RCVBUF a process may ask for (before doubling), bytes"));
        SPECS.put(CORE_WMEM_MAX, new Spec(212992, 4608, Integer.MAX_VALUE, "largest SO_SNDBUF a process may ask for (before doubling), bytes"));
        SPECS.put(CORE_RMEM_DEFAULT, new Spec(212992, 2304, Integer.MAX_VALUE, "default receive buffer of non-TCP sockets, bytes"));
        SPECS.put(CORE_WMEM_DEFAULT, new Spec(212992, 4608, Integer.MAX_VALUE, "default send buffer of non-TCP sockets, bytes"));
        SPECS.put(TCP_TIMESTAMPS, new Spec(1, 0, 2, "1: offer and accept TCP timestamps (RFC 7323)"));
        SPECS.put(TCP_WINDOW_SCALING, new Spec(1, 0, 1, "1: offer and accept window scaling (RFC 7323)"));
        SPECS.put(TCP_SACK, new Spec(1, 0, 1, "1: offer and accept selective acknowledgments (RFC 2018)"));
        SPECS.put(TCP_DSACK, new Spec(1, 0, 1, "1: report duplicate segments with D-SACK blocks (RFC 2883)"));
        SPECS.put(TCP_CONGESTION_CONTROL, new Spec(1, 0, 1, "congestion control of new connections: 0 = reno, 1 = cubic"));
        SPECS.put(TCP_SLOW_START_AFTER_IDLE, new Spec(1, 0, 1, "1: after more than one RTO without sending, cwnd "
                + "restarts from the initial window, halved once per RTO idle (RFC 2861, tcp_cwnd_restart())"));
        SPECS.put(TCP_RECOVERY, new Spec(1, 0, 7, "bit 1: RACK loss detection (RFC 8985): a segment is lost once one sent "
                + "after it is delivered and a reordering window has passed, with the reordering timer"));
        SPECS.put(TCP_EARLY_RETRANS, new Spec(3, 0, 4, "3 or 4: tail loss probes (RFC 8985 §7) after 2 x SRTT with "
                + "nothing acknowledged; 0-2: none"));
        SPECS.put(TCP_MIN_TSO_SEGS, new Spec(2, 1, 255, "the fewest segments one GSO packet carries (tcp_tso_segs()); "
                + "more are put in one when the pacing rate allows about 1 ms of data"));
        // sysctl_net_ipv4.c: proc_dointvec_minmax from 0 to 1000; 0 makes the rate 0, which paces nothing
        SPECS.put(TCP_PACING_SS_RATIO, new Spec(200, 0, 1000, "pacing rate in slow start (cwnd below half of ssthresh), "
                + "percent of cwnd x MSS / SRTT (tcp_update_pacing_rate())"));
        SPECS.put(TCP_PACING_CA_RATIO, new Spec(120, 0, 1000, "pacing rate after slow start, percent of cwnd x MSS / SRTT"));
        SPECS.put(TCP_REORDERING, new Spec(3, 1, 300, "initial reordering degree of a connection (TCP_INFO tcpi_reordering, "
                + "the duplicate-ACK threshold); SACK reordering detection raises it per connection"));
        SPECS.put(TCP_MAX_REORDERING, new Spec(300, 1, 65535, "the most reordering detection may raise a connection's "
                + "reordering degree to (tcp_check_sack_reordering())"));
        SPECS.put(TCP_CUBIC_HYSTART, new Spec(1, 0, 1, "tcp_cubic module parameter: 1 lets CUBIC leave slow start "
                + "early when HyStart sees the queue build (hystart_update())"));
        SPECS.put(TCP_CUBIC_HYSTART_DETECT, new Spec(3, 0, 3, "tcp_cubic module parameter: HyStart's detectors, "
                + "1 = ACK train, 2 = delay increase, 3 = both"));
        SPECS.put(TCP_CUBIC_HYSTART_LOW_WINDOW, new Spec(16, 0, 1 << 20, "tcp_cubic module parameter: the cwnd "
                + "(segments) from which HyStart watches"));
        SPECS.put(TCP_CUBIC_HYSTART_ACK_DELTA_US, new Spec(2000, 0, 1_000_000, "tcp_cubic module parameter: ACKs "
                + "closer than this (us) belong to one ACK train"));
        SPECS.put(TCP_FASTOPEN, new Spec(1, 0, 0xFFFF_FFFFL, "TCP Fast Open (RFC 7413) bits: 0x1 client (sendto MSG_FASTOPEN), "
                + "0x2 server, 0x4 client sends data without a cookie, 0x200 server takes data without a cookie, 0x400 every "
                + "listener is Fast Open with its backlog as queue length (no setsockopt TCP_FASTOPEN needed)"));
        SPECS.put(TCP_ECN, new Spec(2, 0, 5, "ECN (RFC 3168): 1 asks for it on outgoing connections (ECE and CWR on the SYN) "
                + "and accepts it on incoming ones, 2 only accepts it, 0 neither; then new data goes out ECT(0), CE marks are "
                + "echoed with ECE and an ECE reduces cwnd once per window (CWR state). Accurate ECN (RFC 9768): 3 asks for "
                + "it (AE, CWR and ECE on the SYN) and accepts it, 4 accepts it and asks for classic ECN, 5 only accepts it"));
        SPECS.put(TCP_ECN_OPTION, new Spec(2, 0, 2, "Accurate ECN option (byte counters of ECT(1), CE, ECT(0) received) on "
                + "established connections: 0 never, 1 after a change of the IP ECN field and as a beacon, 2 on every segment"));
        SPECS.put(TCP_ECN_OPTION_BEACON, new Spec(3, 0, 255, "with tcp_ecn_option 1: the option goes at least this many "
                + "times per smoothed RTT"));
        SPECS.put(TCP_ECN_FALLBACK, new Spec(1, 0, 1, "1: a retransmitted SYN drops ECE and CWR, in case a middlebox "
                + "discards ECN-setup SYNs (tcp_ecn_clear_syn())"));
        for (int i = 0; i < 4; i++) {
            // Linux draws a random key at the first Fast Open use (tcp_fastopen_init_key_once()); vkernel's is fixed
            SPECS.put(TCP_FASTOPEN_KEY + "." + i, new Spec(0x5EED_0000L + i, 0, 0xFFFF_FFFFL, "word " + i
                    + " of the Fast Open cookie key (net.ipv4.tcp_fastopen_key is the four words as %08x-%08x-%08x-%08x)"));
        }
        SPECS.put(ROUTE_MTU, new Spec(1500, 68, 65535, "the route's MTU (ip route ... mtu M): the largest packet a connection "
                + "sends before path MTU discovery lowers it; 1500 is tun0's Ethernet MTU"));
        SPECS.put(ROUTE_MTU_LOCK, new Spec(0, 0, 1, "1: the route's MTU is locked (ip route ... mtu lock M): ICMP "
                + "'fragmentation needed' no longer lowers it (__ip_rt_update_pmtu())"));
        SPECS.put(ROUTE_ADVMSS, new Spec(0, 0, 65495, "the route's advmss (ip route ... advmss N): the MSS a SYN or SYN-ACK "
                + "offers; 0: the route's MTU less 40 (ipv4_default_advmss())"));
        SPECS.put(ROUTE_INITCWND, new Spec(0, 0, 65535, "the route's initcwnd (ip route ... initcwnd K): a new connection's "
                + "first cwnd in segments; 0: TCP_INIT_CWND, 10 (tcp_init_cwnd())"));
        SPECS.put(TCP_MTU_PROBING, new Spec(0, 0, 2, "2: path MTU probing (RFC 4821) on every connection: segments no larger "
                + "than tcp_base_mss's until probes of a larger size are acknowledged (tcp_mtu_probe()); 1 (only after an ICMP "
                + "black hole is suspected) is not modelled and acts as 0"));
        SPECS.put(TCP_BASE_MSS, new Spec(1024, 48, 65495, "the MSS MTU probing starts its search from (search_low, tcp_mtup_init())"));
        SPECS.put(RX_GSO_SIZE, new Spec(0, 0, 65535, "an inbound TCP packet with more payload than this arrives as one GRO "
                + "packet of segments this size (gso_size, as packetdrill --mss writes it to its tun): the receiver measures "
                + "the peer's segment size from it (tcp_measure_rcv_mss()); 0: every packet is one segment"));
        SPECS.put(TCP_SHRINK_WINDOW, new Spec(0, 0, 1, "1 lets the advertised window shrink when the buffer fills, with a window scale (__tcp_select_window()); 0 never shrinks an offered window (RFC 7323 §2.4)"));
        SPECS.put(VKERNEL_GSO, new Spec(1, 0, 1, "segmentation offload (GSO/TSO, as 'ethtool -K dev gso on'): 1 hands the NIC one super-segment of up to 64 KB, 0 MSS-sized segments"));
        SPECS.put(VKERNEL_QDISC, new Spec(0, 0, 1, "root qdisc of the device, as 'tc qdisc replace dev tun0 root ...': "
                + "0 = pfifo (packets leave at once, in order), 1 = fq (each connection's packets leave paced at its pacing "
                + "rate, sk_pacing_rate: 200 % of cwnd x MSS / SRTT in slow start, 120 % after)"));
        // pfifo's default limit is the device's tx_queue_len (500 for a tun device, TUN_READQ_SIZE)
        SPECS.put(VKERNEL_QDISC_LIMIT, new Spec(500, 0, Integer.MAX_VALUE, "packets the root qdisc may hold, as 'tc qdisc "
                + "... pfifo limit N'; vkernel's device sends at once so only 0 matters: every packet is dropped at the qdisc "
                + "(NET_XMIT_DROP), TCP counts it as not sent and retries (tcp_write_xmit(), TCP_RESOURCE_PROBE_INTERVAL)"));
        SPECS.put(VKERNEL_TRACE, new Spec(1, 0, 1, "vkernel's own switch: 0 skips per-packet explanations and packet events (the fast path)"));
    }

    private final Map<String, Long> values = new LinkedHashMap<>();
    /** vkernel.trace, read on every packet, kept apart from the map. */
    private boolean tracing = true;
    /** vkernel.gso, read on every transmit, kept apart from the map. */
    private boolean gso = true;
    /** vkernel.qdisc == 1 and vkernel.qdisc_limit == 0, read on every transmit. */
    private boolean fq;
    private boolean qdiscDrops;

    /**
     * The tunables the TCP engine reads on every segment, by the constant that names them: {@link #get} answers
     * these from {@link #hot} (kept equal to the map by {@link #set}) instead of a map lookup per read. A name
     * passed as another String instance with the same text still finds its value in the map.
     */
    private static final String[] HOT = {RX_GSO_SIZE, TCP_MIN_TSO_SEGS, ROUTE_MTU, TCP_SHRINK_WINDOW, TCP_RECOVERY,
        TCP_SLOW_START_AFTER_IDLE, TCP_DSACK,
        // read by every retransmission timeout and every new connection (a replay fires thousands of them)
        TCP_RETRIES2, TCP_ORPHAN_RETRIES, TCP_REORDERING, TCP_MAX_REORDERING, TCP_SYNCOOKIES, TCP_EARLY_RETRANS,
        TCP_MTU_PROBING, TCP_BASE_MSS,
        // read by every pacing rate (Pacing.rate(): several per packet sent)
        TCP_PACING_SS_RATIO, TCP_PACING_CA_RATIO};
    private final long[] hot = new long[HOT.length];

    public Sysctls() {
        SPECS.forEach((name, spec) -> values.put(name, spec.defaultValue()));
        for (int i = 0; i < HOT.length; i++) {
            hot[i] = values.get(HOT[i]);
        }
    }

    /**
     * The place of {@code name} in {@link #HOT}, compared by reference (the engine passes the constants): where the
     * JIT inlines a call with a constant name this folds to a constant, so the read is one array load.
     */
    private static int hotIndex(String name) {
        if (name == RX_GSO_SIZE) {
            return 0;
        }
        if (name == TCP_MIN_TSO_SEGS) {
            return 1;
        }
        if (name == ROUTE_MTU) {
            return 2;
        }
        if (name == TCP_SHRINK_WINDOW) {
            return 3;
        }
        if (name == TCP_RECOVERY) {
            return 4;
        }
        if (name == TCP_SLOW_START_AFTER_IDLE) {
            return 5;
        }
        if (name == TCP_DSACK) {
            return 6;
        }
        if (name == TCP_RETRIES2) {
            return 7;
        }
        if (name == TCP_ORPHAN_RETRIES) {
            return 8;
        }
        if (name == TCP_REORDERING) {
            return 9;
        }
        if (name == TCP_MAX_REORDERING) {
            return 10;
        }
        if (name == TCP_SYNCOOKIES) {
            return 11;
        }
        if (name == TCP_EARLY_RETRANS) {
            return 12;
        }
        if (name == TCP_MTU_PROBING) {
            return 13;
        }
        if (name == TCP_BASE_MSS) {
            return 14;
        }
        if (name == TCP_PACING_SS_RATIO) {
            return 15;
        }
        if (name == TCP_PACING_CA_RATIO) {
            return 16;
        }
        return -1;
    }

    public long get(String name) {
        int index = hotIndex(name);
        if (index >= 0) {
            return hot[index];
        }
        Long value = values.get(name);
        if (value == null) {
            throw new IllegalArgumentException(unknown(name));
        }
        return value;
    }

    public int getInt(String name) {
        return (int) get(name);
    }

    public void set(String name, long value) {
        Spec spec = SPECS.get(name);
        if (spec == null) {
            throw new IllegalArgumentException(unknown(name));
        }
        if (value < spec.min() || value > spec.max()) {
            throw new IllegalArgumentException(name + " must be between " + spec.min() + " and " + spec.max() + ", got " + value);
        }
        values.put(name, value);
        for (int i = 0; i < HOT.length; i++) {
            if (HOT[i].equals(name)) {
                hot[i] = value;
            }
        }
        if (name.equals(VKERNEL_TRACE)) {
            tracing = value != 0;
        }
        if (name.equals(VKERNEL_GSO)) {
            gso = value != 0;
        }
        if (name.equals(VKERNEL_QDISC) || name.equals(VKERNEL_QDISC_LIMIT)) {
            fq = values.get(VKERNEL_QDISC) == 1;
            qdiscDrops = values.get(VKERNEL_QDISC_LIMIT) == 0;
        }
    }

    public boolean tracing() {
        return tracing;
    }

    public boolean gso() {
        return gso;
    }

    /** The root qdisc is fq: packets leave paced (sch_fq.c). */
    public boolean fq() {
        return fq;
    }

    /** The root qdisc drops every packet (pfifo limit 0): a transmit fails with NET_XMIT_DROP. */
    public boolean qdiscDrops() {
        return qdiscDrops;
    }

    public static boolean exists(String name) {
        return SPECS.containsKey(name);
    }

    public static String describe(String name) {
        return SPECS.get(name).description();
    }

    public Map<String, Long> all() {
        return Collections.unmodifiableMap(values);
    }

    private static String unknown(String name) {
        return "unknown sysctl '" + name + "': known are " + String.join(", ", SPECS.keySet());
    }
}
