package io.vkernel.kernel;

import io.vkernel.kernel.tcp.TcpInfo;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * tcp_check_sack_reordering() raises tp->reordering only for a hole filled further below the highest SACK than the
 * degree already is, and then to at most net.ipv4.tcp_max_reordering. A connection that starts above that ceiling
 * (tcp_reordering 9, tcp_max_reordering 5) keeps its degree when the distance only equals it. SACK, MSS 1000, GSO off.
 */
class ReorderingCeilingTest {

    private final TcpFixture t = new TcpFixture();

    @Test
    void aHoleFilledExactlyTheDegreeBelowTheHighestSack_leavesTheDegree_evenAboveTheCeiling() {
        t.sysctl(Sysctls.TCP_REORDERING, 9);
        t.sysctl(Sysctls.TCP_MAX_REORDERING, 5);
        int base = t.establishedOneSegmentPerMss(true);
        t.write(10_000);
        t.advanceSeconds(0.1);
        t.peer.sendSackBlocksFrom(base, 0, 9000, 10_000);
        // [1000, 2000) SACKed below the highest SACK 10000: 9 segments, equal to the degree, so not "more"
        t.peer.sendSackBlocksFrom(base, 0, 1000, 2000, 9000, 10_000);
        Map<String, Long> info = TcpInfo.of(t.tcb());
        assertThat(info.get("tcpi_reordering")).isEqualTo(9L);
        assertThat(info.get("tcpi_reord_seen")).isEqualTo(1L);
    }

    @Test
    void aHoleFilledFurtherBelow_raisesTheDegree_onlyToTheCeiling() {
        t.sysctl(Sysctls.TCP_REORDERING, 8);
        t.sysctl(Sysctls.TCP_MAX_REORDERING, 5);
        int base = t.establishedOneSegmentPerMss(true);
        t.write(10_000);
        t.advanceSeconds(0.1);
        t.peer.sendSackBlocksFrom(base, 0, 9000, 10_000);
        t.peer.sendSackBlocksFrom(base, 0, 1000, 2000, 9000, 10_000); // 9 segments > 8: min(9, 5)
        Map<String, Long> info = TcpInfo.of(t.tcb());
        assertThat(info.get("tcpi_reordering")).isEqualTo(5L);
        assertThat(info.get("tcpi_reord_seen")).isEqualTo(1L);
    }
}
