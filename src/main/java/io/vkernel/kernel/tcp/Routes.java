package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.time.VirtualClock;

import java.util.HashMap;
import java.util.Map;

/**
 * The route every connection of this kernel takes (tun0's, to the peer), with the metrics {@code ip route change DST
 * via GW dev tun0 advmss N mtu [lock] M initcwnd K} gives it, kept as the settings {@code vkernel.route.*}, and the
 * path MTUs ICMP "fragmentation needed" taught it, per destination (Linux's route exceptions, {@code fnhe}, which
 * {@code __ip_rt_update_pmtu()} records and which expire after {@code net.ipv4.route.mtu_expires}, 600 s).
 */
final class Routes {

    /** net.ipv4.route.min_adv_mss (ip_rt_min_advmss). */
    static final int MIN_ADVMSS = 256;
    /** net.ipv4.route.mtu_expires (ip_rt_mtu_expires): a learned path MTU is forgotten after 10 minutes. */
    static final long MTU_EXPIRES_MS = 600_000;
    /** net.ipv4.route.min_pmtu (ip_rt_min_pmtu): a smaller MTU in an ICMP message is raised to it. */
    static final int MIN_PMTU = 552;

    private record Learned(int mtu, long expires) {
    }

    private final Sysctls sysctls;
    private final VirtualClock clock;
    /** Destination address -> the path MTU an ICMP message taught (fib_nh_exception's fnhe_pmtu). */
    private final Map<Integer, Learned> exceptions = new HashMap<>();

    Routes(Sysctls sysctls, VirtualClock clock) {
        this.sysctls = sysctls;
        this.clock = clock;
    }

    /**
     * What a new connection takes from the route: dst_mtu() as its path MTU (tcp_sync_mss()), the advmss its SYN
     * offers (tcp_advertise_mss()), and its first cwnd (tcp_init_cwnd(), applied by tcp_init_transfer()).
     */
    void init(Tcb tcb) {
        tcb.pmtu = mtu(tcb.tuple().remote().address());
        tcb.mtup.dstMtu = tcb.pmtu;
        tcb.routes = this;
        tcb.routeAdvMss = advMss();
        tcb.cwnd = initCwnd();
    }

    /**
     * tcp_update_pacing_rate()'s percentage: net.ipv4.tcp_pacing_ss_ratio in slow start, tcp_pacing_ca_ratio after
     * it (the namespace's settings, which a connection reaches through its route here).
     */
    int pacingRatio(boolean slowStart) {
        return sysctls.getInt(slowStart ? Sysctls.TCP_PACING_SS_RATIO : Sysctls.TCP_PACING_CA_RATIO);
    }

    /** The route's own MTU (RTAX_MTU, else the device's 1500). */
    int routeMtu() {
        return sysctls.getInt(Sysctls.ROUTE_MTU);
    }

    /** dst_metric_locked(dst, RTAX_MTU): 'mtu lock M' keeps ICMP from lowering the path MTU. */
    boolean mtuLocked() {
        return sysctls.get(Sysctls.ROUTE_MTU_LOCK) != 0;
    }

    /** dst_mtu() towards {@code address}: a learned, unexpired path MTU below the route's, else the route's. */
    int mtu(int address) {
        int route = routeMtu();
        Learned learned = exceptions.get(address);
        if (learned == null) {
            return route;
        }
        if (clock.now() >= learned.expires()) {
            exceptions.remove(address); // find_exception(): an expired exception is dropped on lookup
            return route;
        }
        return mtuLocked() ? route : Math.min(route, learned.mtu());
    }

    /**
     * dst_metric_advmss() -> ipv4_default_advmss(): the route's advmss, else its MTU less 40 (at least 256). Since
     * Linux 6.18 the route's MTU, never one learned from ICMP: a SYN-ACK to a peer behind a small hop still offers
     * the interface's MSS (the selftest tcp_advmss_pmtu_ipv4).
     */
    int advMss() {
        int advmss = sysctls.getInt(Sysctls.ROUTE_ADVMSS);
        return advmss > 0 ? advmss : Math.max(routeMtu() - 40, MIN_ADVMSS);
    }

    /** tcp_init_cwnd(): the route's initcwnd, else TCP_INIT_CWND. */
    int initCwnd() {
        int initcwnd = sysctls.getInt(Sysctls.ROUTE_INITCWND);
        return initcwnd > 0 ? initcwnd : Recovery.INITIAL_CWND;
    }

    /**
     * __ip_rt_update_pmtu(): an ICMP "fragmentation needed" with {@code mtu} for {@code address}. Nothing changes on a
     * locked route or when the path MTU is already at most that; a value below 552 is raised to 552 (and then only
     * if that is lower). Returns the path MTU towards {@code address} afterwards.
     */
    int learn(int address, int mtu) {
        if (mtuLocked()) {
            return routeMtu();
        }
        int current = mtu(address);
        int pmtu = Math.max(mtu, MIN_PMTU);
        if (pmtu < current) {
            exceptions.put(address, new Learned(pmtu, clock.now() + MTU_EXPIRES_MS));
            return pmtu;
        }
        return current;
    }
}
