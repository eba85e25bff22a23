package io.vkernel.kernel.tcp;

import io.vkernel.kernel.demux.BindTable;
import io.vkernel.kernel.demux.EstablishedTable;
import io.vkernel.kernel.demux.JenkinsHash;
import io.vkernel.kernel.demux.PortAllocator;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Ephemeral ports: connect()'s keyed choice (RFC 6056 Algorithm 4, __inet_hash_connect(): even ports first) and
 * bind() to port 0's (inet_csk_find_open_port(): odd ports first, SO_REUSEADDR searching the lower half first).
 * Each range is used up one port at a time, binding every port handed out, to see the order of the whole search.
 * Lives beside Tcb to put a connection in the established table.
 */
class PortAllocatorTest {

    private static final int LOCAL = Endpoint.parse("10.0.0.50:0").address();
    private static final Endpoint SERVER = Endpoint.parse("192.0.2.1:80");
    private static final Endpoint ANY = Endpoint.parse("0.0.0.0:0");

    private final BindTable binds = new BindTable();
    private final EstablishedTable established = new EstablishedTable(new JenkinsHash(1), 16);

    private static BindTable.Owner bound(int port) {
        return new BindTable.Probe(new Endpoint(LOCAL, port), false);
    }

    /** A port held by a connection (connect()'s own autobind), which another connect() may share. */
    private static BindTable.Owner connectionOn(int port) {
        return new BindTable.Owner() {
            @Override
            public Endpoint localEndpoint() {
                return new Endpoint(LOCAL, port);
            }

            @Override
            public boolean reuseAddr() {
                return false;
            }

            @Override
            public boolean listening() {
                return false;
            }

            @Override
            public boolean connection() {
                return true;
            }
        };
    }

    @Test
    void connect_startsAtAKeyedHashOfTheDestination() {
        PortAllocator ports = new PortAllocator(42);
        assertThat(ports.pick(LOCAL, SERVER, 32768, 60999, binds, established)).isEqualTo(44966);
        assertThat(ports.pick(LOCAL, Endpoint.parse("192.0.2.1:81"), 32768, 60999, binds, established)).isEqualTo(34642);
        assertThat(ports.pick(LOCAL, Endpoint.parse("192.0.2.2:80"), 32768, 60999, binds, established)).isEqualTo(43944);
        assertThat(ports.pick(Endpoint.parse("10.0.0.51:0").address(), SERVER, 32768, 60999, binds, established)).isEqualTo(57488);
        assertThat(new PortAllocator(7).pick(LOCAL, SERVER, 32768, 60999, binds, established)).as("another secret").isEqualTo(58082);
        assertThat(ports.pick(LOCAL, SERVER, 32768, 60999, binds, established)).as("the same inputs, the same port").isEqualTo(44966);
    }

    @Test
    void connect_triesEvenPortsFromTheHash_thenOddOnes_andSkipsBoundPorts() {
        PortAllocator ports = new PortAllocator(42);
        List<Integer> handedOut = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            int port = ports.pick(LOCAL, SERVER, 2000, 2009, binds, established);
            handedOut.add(port);
            if (port > 0) {
                binds.add(bound(port));
            }
        }
        // the hash lands on 2008; the search goes round the range from there
        assertThat(handedOut).containsExactly(2008, 2000, 2002, 2004, 2006, 2009, 2001, 2003, 2005, 2007, -1);
    }

    @Test
    void connect_sharesPortsOtherConnectionsHold_butNotTheirFourTuple() {
        PortAllocator ports = new PortAllocator(42);
        binds.add(connectionOn(2008));
        assertThat(ports.pick(LOCAL, SERVER, 2000, 2009, binds, established)).as("a connection's port is not bound").isEqualTo(2008);
        Tcb taken = new Tcb(new FourTuple(SERVER, new Endpoint(LOCAL, 2008)), TcpState.TIME_WAIT, 0);
        established.insert(taken);
        assertThat(ports.pick(LOCAL, SERVER, 2000, 2009, binds, established)).as("the same 4-tuple (TIME_WAIT too)").isEqualTo(2000);
        assertThat(ports.pick(LOCAL, Endpoint.parse("192.0.2.1:81"), 2008, 2008, binds, established))
                .as("another destination may use the port").isEqualTo(2008);
        assertThat(ports.pick(LOCAL, SERVER, 2008, 2008, binds, established)).as("a one-port range, taken").isEqualTo(-1);
        assertThat(ports.pick(LOCAL, SERVER, 2009, 2008, binds, established)).as("an empty range").isEqualTo(-1);
    }

    /** bind() to port 0 until the range is used up, for many secrets (each starts at another random offset). */
    private List<Integer> bindAll(long secret, boolean reuseAddr, int low, int high) {
        PortAllocator ports = new PortAllocator(secret);
        BindTable table = new BindTable();
        List<Integer> handedOut = new ArrayList<>();
        for (int port = ports.pickForBind(ANY, reuseAddr, low, high, table); port >= 0;
                port = ports.pickForBind(ANY, reuseAddr, low, high, table)) {
            handedOut.add(port);
            table.add(new BindTable.Probe(new Endpoint(0, port), reuseAddr));
        }
        return handedOut;
    }

    private static List<Integer> odd(int from, int to) {
        return IntStream.range(from, to).filter(p -> (p & 1) == 1).boxed().toList();
    }

    private static List<Integer> even(int from, int to) {
        return IntStream.range(from, to).filter(p -> (p & 1) == 0).boxed().toList();
    }

    @Test
    void bindToPortZero_startsAtARandomOddPort() {
        assertThat(new PortAllocator(42).pickForBind(ANY, false, 32768, 60999, binds)).isEqualTo(57351);
        assertThat(new PortAllocator(7).pickForBind(ANY, false, 32768, 60999, binds)).isEqualTo(35905);
    }

    @Test
    void bindToPortZero_handsOutEveryOddPort_thenEveryEvenOne_thenFails() {
        for (long secret = 1; secret <= 40; secret++) {
            List<Integer> handedOut = bindAll(secret, false, 1000, 1009);
            assertThat(handedOut).as("secret %d", secret).hasSize(10);
            assertThat(handedOut.subList(0, 5)).as("secret %d", secret).containsExactlyInAnyOrderElementsOf(odd(1000, 1010));
            assertThat(handedOut.subList(5, 10)).as("secret %d", secret).containsExactlyInAnyOrderElementsOf(even(1000, 1010));
        }
    }

    @Test
    void bindToPortZero_withAnOddSizedRange_neverLeavesIt() {
        for (long secret = 1; secret <= 40; secret++) {
            List<Integer> handedOut = bindAll(secret, false, 1000, 1010);
            assertThat(handedOut).as("secret %d", secret).allMatch(p -> p >= 1000 && p <= 1010).doesNotHaveDuplicates();
            // each search covers 10 of the 11 ports from its random start, so the last even one may be missed
            assertThat(handedOut.size()).as("secret %d", secret).isBetween(10, 11);
            assertThat(handedOut.subList(0, 5)).as("secret %d", secret).containsExactlyInAnyOrderElementsOf(odd(1000, 1011));
            assertThat(handedOut.subList(5, handedOut.size())).as("secret %d", secret).allMatch(p -> (p & 1) == 0);
        }
    }

    @Test
    void bindToPortZero_withSoReuseaddr_usesUpTheLowerHalfFirst() {
        for (long secret = 1; secret <= 40; secret++) {
            List<Integer> handedOut = bindAll(secret, true, 1000, 1015);
            assertThat(handedOut).as("secret %d", secret).hasSize(16);
            assertThat(handedOut.subList(0, 4)).containsExactlyInAnyOrderElementsOf(odd(1000, 1008));
            assertThat(handedOut.subList(4, 8)).containsExactlyInAnyOrderElementsOf(even(1000, 1008));
            assertThat(handedOut.subList(8, 12)).containsExactlyInAnyOrderElementsOf(odd(1008, 1016));
            assertThat(handedOut.subList(12, 16)).containsExactlyInAnyOrderElementsOf(even(1008, 1016));
        }
        assertThat(bindAll(3, true, 1000, 1002)).as("under four ports there is one search").hasSize(2);
        assertThat(bindAll(3, true, 1000, 1003)).as("four ports: two halves of two").hasSize(4)
                .startsWith(1001, 1000);
    }

    @Test
    void bindToPortZero_neverPassesPort65535() {
        for (long secret = 1; secret <= 40; secret++) {
            assertThat(bindAll(secret, false, 65530, 65535)).as("secret %d", secret)
                    .containsExactlyInAnyOrder(65530, 65531, 65532, 65533, 65534, 65535);
        }
        assertThat(bindAll(5, false, 1000, 1000)).as("a one-port range").containsExactly(1000);
    }

    @Test
    void bindToPortZero_skipsPortsAnyoneHolds_reuseaddrOrNot() {
        for (int port = 1000; port <= 1009; port++) {
            if (port != 1004) {
                binds.add(new BindTable.Probe(new Endpoint(LOCAL, port), true));
            }
        }
        assertThat(new PortAllocator(9).pickForBind(ANY, true, 1000, 1009, binds)).isEqualTo(1004);
        assertThat(new PortAllocator(9).pickForBind(Endpoint.parse("10.0.0.51:0"), true, 1000, 1009, binds))
                .as("another address does not overlap").isIn(odd(1000, 1010));
    }

    @Test
    void bindToPortZero_withAnEmptyOrInvertedRange_findsNothing_reuseaddrOrNot() {
        PortAllocator ports = new PortAllocator(3);
        for (boolean reuseAddr : new boolean[] {false, true}) {
            assertThat(ports.pickForBind(ANY, reuseAddr, 1001, 1000, binds)).as("high = low - 1").isEqualTo(-1);
            assertThat(ports.pickForBind(ANY, reuseAddr, 1002, 1000, binds)).as("high = low - 2").isEqualTo(-1);
            assertThat(ports.pickForBind(ANY, reuseAddr, 1010, 1000, binds)).isEqualTo(-1);
        }
    }

    @Test
    void bindToPortZero_aSearchThatFails_drawsOneRandomOffset_asOneThatSucceedsAtOnce() {
        BindTable full = new BindTable();
        BindTable oneFree = new BindTable();
        for (int port = 1000; port <= 1009; port++) {
            full.add(new BindTable.Probe(new Endpoint(0, port), false));
            if (port != 1005) {
                oneFree.add(new BindTable.Probe(new Endpoint(0, port), false));
            }
        }
        for (long secret = 1; secret <= 20; secret++) {
            PortAllocator failed = new PortAllocator(secret);
            PortAllocator found = new PortAllocator(secret);
            assertThat(failed.pickForBind(ANY, false, 1000, 1009, full)).isEqualTo(-1);
            assertThat(found.pickForBind(ANY, false, 1000, 1009, oneFree)).isEqualTo(1005);
            assertThat(failed.pickForBind(ANY, false, 32768, 60999, binds)).as("secret %d: the next search starts alike", secret)
                    .isEqualTo(found.pickForBind(ANY, false, 32768, 60999, binds));
        }
    }
}
