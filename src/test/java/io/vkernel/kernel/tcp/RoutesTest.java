package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.time.VirtualClock;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The route's metrics and the path MTUs ICMP teaches it (__ip_rt_update_pmtu(), find_exception(),
 * ipv4_default_advmss(), tcp_init_cwnd()), at the edges: 552 as the floor, the ten-minute expiry to the
 * millisecond, a locked MTU, the advmss floor of 256.
 */
class RoutesTest {

    private static final Endpoint PEER = Endpoint.parse("192.168.1.100:54321");
    private static final int PEER_ADDRESS = PEER.address();
    private static final int OTHER_ADDRESS = Endpoint.parse("192.168.1.101:54321").address();

    private final Sysctls sysctls = new Sysctls();
    private final VirtualClock clock = new VirtualClock();
    private final Routes routes = new Routes(sysctls, clock);

    @Test
    void learnedMtu_appliesToItsDestinationOnly_andExpiresAfterExactlyTenMinutes() {
        assertThat(routes.learn(PEER_ADDRESS, 1400)).isEqualTo(1400);
        assertThat(routes.mtu(PEER_ADDRESS)).isEqualTo(1400);
        assertThat(routes.mtu(OTHER_ADDRESS)).isEqualTo(1500);
        clock.advance(Routes.MTU_EXPIRES_MS - 1);
        assertThat(routes.mtu(PEER_ADDRESS)).as("one ms before mtu_expires").isEqualTo(1400);
        clock.advance(1);
        assertThat(routes.mtu(PEER_ADDRESS)).as("at mtu_expires the exception is gone").isEqualTo(1500);
        // dropped on that lookup: a larger MTU learned now is not compared against the old 1400
        assertThat(routes.learn(PEER_ADDRESS, 1450)).isEqualTo(1450);
    }

    @Test
    void learn_neverRaises_andTakesAtLeast552() {
        assertThat(routes.learn(PEER_ADDRESS, 1500)).as("not below the route's").isEqualTo(1500);
        assertThat(routes.learn(PEER_ADDRESS, 1499)).isEqualTo(1499);
        assertThat(routes.learn(PEER_ADDRESS, 1499)).isEqualTo(1499);
        assertThat(routes.learn(PEER_ADDRESS, 1600)).as("a larger value changes nothing").isEqualTo(1499);
        assertThat(routes.learn(PEER_ADDRESS, 300)).as("raised to min_pmtu").isEqualTo(Routes.MIN_PMTU);
        assertThat(routes.mtu(PEER_ADDRESS)).isEqualTo(552);
        assertThat(routes.learn(PEER_ADDRESS, 100)).isEqualTo(552);
    }

    @Test
    void learnedMtu_keepsItsExpiryWhenNotLowered() {
        routes.learn(PEER_ADDRESS, 1400);
        clock.advance(300_000);
        assertThat(routes.learn(PEER_ADDRESS, 1450)).isEqualTo(1400);
        assertThat(routes.learn(PEER_ADDRESS, 1400)).as("the same MTU again: no new exception").isEqualTo(1400);
        clock.advance(300_000);
        assertThat(routes.mtu(PEER_ADDRESS)).as("expired at the first lesson's 600 s").isEqualTo(1500);
    }

    @Test
    void lockedRoute_ignoresIcmp_andAnExceptionLearnedBeforeTheLock() {
        routes.learn(PEER_ADDRESS, 1000);
        sysctls.set(Sysctls.ROUTE_MTU_LOCK, 1);
        assertThat(routes.mtuLocked()).isTrue();
        assertThat(routes.mtu(PEER_ADDRESS)).isEqualTo(1500);
        assertThat(routes.learn(PEER_ADDRESS, 800)).isEqualTo(1500);
        sysctls.set(Sysctls.ROUTE_MTU_LOCK, 0);
        assertThat(routes.mtuLocked()).isFalse();
        assertThat(routes.mtu(PEER_ADDRESS)).as("the exception outlived the lock").isEqualTo(1000);
    }

    @Test
    void routeMtuBelowTheLearnedOne_wins() {
        routes.learn(PEER_ADDRESS, 1400);
        sysctls.set(Sysctls.ROUTE_MTU, 1300);
        assertThat(routes.routeMtu()).isEqualTo(1300);
        assertThat(routes.mtu(PEER_ADDRESS)).isEqualTo(1300);
    }

    @Test
    void advMss_isTheRoutesAdvmss_elseMtuLess40_butAtLeast256() {
        assertThat(routes.advMss()).isEqualTo(1460);
        sysctls.set(Sysctls.ROUTE_MTU, 296);
        assertThat(routes.advMss()).isEqualTo(256);
        sysctls.set(Sysctls.ROUTE_MTU, 297);
        assertThat(routes.advMss()).isEqualTo(257);
        sysctls.set(Sysctls.ROUTE_MTU, 200);
        assertThat(routes.advMss()).isEqualTo(Routes.MIN_ADVMSS);
        sysctls.set(Sysctls.ROUTE_ADVMSS, 1);
        assertThat(routes.advMss()).isEqualTo(1);
        routes.learn(PEER_ADDRESS, 600);
        sysctls.set(Sysctls.ROUTE_ADVMSS, 0);
        sysctls.set(Sysctls.ROUTE_MTU, 1500);
        assertThat(routes.advMss()).as("never from a learned MTU").isEqualTo(1460);
    }

    @Test
    void init_givesANewConnectionThePathMtuAdvmssAndInitcwnd() {
        routes.learn(PEER_ADDRESS, 1280);
        Tcb tcb = new Tcb(new FourTuple(PEER, Endpoint.parse("10.0.0.50:8080")), TcpState.SYN_SENT, 0);
        routes.init(tcb);
        assertThat(tcb.pmtu).isEqualTo(1280);
        assertThat(tcb.mtup.dstMtu).isEqualTo(1280);
        assertThat(tcb.routeAdvMss).isEqualTo(1460);
        assertThat(tcb.cwnd).isEqualTo(Recovery.INITIAL_CWND);
        assertThat(tcb.routes).isSameAs(routes);

        sysctls.set(Sysctls.ROUTE_INITCWND, 1);
        assertThat(routes.initCwnd()).isEqualTo(1);
        sysctls.set(Sysctls.ROUTE_INITCWND, 42);
        Tcb other = new Tcb(new FourTuple(Endpoint.parse("192.168.1.101:54321"), Endpoint.parse("10.0.0.50:8080")),
                TcpState.SYN_SENT, 0);
        routes.init(other);
        assertThat(other.cwnd).isEqualTo(42);
        assertThat(other.pmtu).isEqualTo(1500);
    }
}
