package io.vkernel.kernel;

import io.vkernel.kernel.nic.WireRecord;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * net.ipv4.tcp_pacing_ss_ratio and tcp_pacing_ca_ratio set sk_pacing_rate in tcp_update_pacing_rate(): the ratio
 * (percent) times cwnd x MSS / SRTT, the first while cwnd is below half of ssthresh, the other after. Under fq each
 * packet past the first ten segments pushes the next one back by its length at that rate
 * (tcp_update_skb_after_send()), and a rate of 0 paces nothing. sysctl_net_ipv4.c takes 0 to 1000.
 */
class PacingRatioSysctlTest {

    private final TcpFixture t = new TcpFixture();

    /** fq, MSS 1000, a 100 ms handshake; ten segments out and acknowledged 100 ms later (cwnd 20, still slow start);
     * then 20 more written, which leave as ten GSO packets of two segments. Answers each packet's departure time in ms
     * after the ACK (before any retransmission: the RTO is 300 ms). */
    private List<Long> departuresOfTheSecondFlight() {
        t.kernel.sysctl(Sysctls.VKERNEL_QDISC, 1);
        int base = t.establishedBy(p -> p.mss = 1000, 0, 0.1);
        t.write(10_000);
        t.advanceSeconds(0.1);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 10_000, "");
        long ackedAt = t.kernel.inspect(k -> k.clock().now());
        t.write(20_000);
        t.advanceSeconds(0.2);
        return t.kernel.inspect(k -> k.nic().wire(0, Integer.MAX_VALUE)).stream()
                .filter(r -> !r.inbound() && r.segment().payload().length > 0 && r.segment().seq() - base >= 10_000)
                .map(r -> r.timeMs() - ackedAt).toList();
    }

    /** 200 % of cwnd 20 x 1000 B per 100 ms: 400 000 B/s, 5 ms per packet; the first slot halved by idle credit. */
    private static final List<Long> PACED = List.of(0L, 3L, 8L, 13L, 18L, 23L, 28L, 33L, 38L, 43L);

    @Test
    void defaults_paceTheSecondFlight_fiveMsPerTwoSegments() {
        assertThat(departuresOfTheSecondFlight()).isEqualTo(PACED);
    }

    @Test
    void ssRatio100_halvesTheRate() {
        t.kernel.sysctl(Sysctls.TCP_PACING_SS_RATIO, 100);
        assertThat(departuresOfTheSecondFlight()).containsExactly(0L, 5L, 15L, 25L, 35L, 45L, 55L, 65L, 75L, 85L);
    }

    @Test
    void ssRatioZero_leavesTheSecondFlightUnpaced() {
        t.kernel.sysctl(Sysctls.TCP_PACING_SS_RATIO, 0);
        assertThat(departuresOfTheSecondFlight()).hasSize(10).containsOnly(0L);
    }

    @Test
    void caRatioZero_doesNotApplyInSlowStart() {
        t.kernel.sysctl(Sysctls.TCP_PACING_CA_RATIO, 0);
        assertThat(departuresOfTheSecondFlight()).isEqualTo(PACED);
    }

    @Test
    void ratiosRange_fromZeroToAThousand() {
        t.kernel.sysctl(Sysctls.TCP_PACING_SS_RATIO, 1000);
        t.kernel.sysctl(Sysctls.TCP_PACING_CA_RATIO, 0);
        assertThatThrownBy(() -> t.kernel.sysctl(Sysctls.TCP_PACING_SS_RATIO, 1001))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> t.kernel.sysctl(Sysctls.TCP_PACING_CA_RATIO, -1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
