package io.vkernel.kernel.tcp;

import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * CUBIC's window (RFC 9438, tcp_cubic.c) as the ACK path drives it: the multiplicative decrease with fast
 * convergence, then growth in congestion avoidance one ACKed segment at a time, with a 100 ms RTT. The expected
 * windows follow from W(t) = C (t - K)^3 + W_max with C = 0.4 and beta = 717/1024, worked out in each comment.
 */
class CubicTest {

    private final Cubic cubic = Cubic.INSTANCE;
    private final Tcb tcb = new Tcb(new FourTuple(Endpoint.parse("192.168.1.100:54321"), Endpoint.parse("10.0.0.50:8080")),
            TcpState.ESTABLISHED, 0);

    private Cubic.State state() {
        return (Cubic.State) tcb.ccState;
    }

    /** n ACKs of one segment each, all at virtual time {@code nowMs}. */
    private void acks(int n, long nowMs) {
        for (int i = 0; i < n; i++) {
            cubic.congestionAvoidance(tcb, 1, nowMs);
        }
    }

    /** A loss at cwnd 100 (W_max = 100), then congestion avoidance from ssthresh = 70. */
    private void afterALossAt100() {
        tcb.cwnd = 100;
        tcb.srttMs = 100;
        assertThat(cubic.ssthresh(tcb)).isEqualTo(70);
        tcb.cwnd = 70;
    }

    @Test
    void ssthresh_isBetaTimesCwnd_andRemembersWmax_lowerWithFastConvergence() {
        assertThat(cubic.name()).isEqualTo("cubic");
        tcb.cwnd = 100;
        assertThat(cubic.ssthresh(tcb)).as("100 x 717/1024").isEqualTo(70);
        assertThat(state().lastMaxCwnd).isEqualTo(100);
        tcb.cwnd = 80;
        assertThat(cubic.ssthresh(tcb)).isEqualTo(56);
        assertThat(state().lastMaxCwnd).as("a loss below W_max: 80 x (1024 + 717) / 2048").isEqualTo(68);
        tcb.cwnd = 68;
        cubic.ssthresh(tcb);
        assertThat(state().lastMaxCwnd).as("a loss at W_max itself keeps it").isEqualTo(68);
        tcb.cwnd = 5;
        assertThat(cubic.ssthresh(tcb)).isEqualTo(3);
        tcb.cwnd = 2;
        assertThat(cubic.ssthresh(tcb)).as("never below 2").isEqualTo(2);
        assertThat(state().epochStart).as("a loss ends the epoch").isEqualTo(-1);
    }

    @Test
    void belowWmax_theConcaveRegion_growsOneSegmentPer33Acks() {
        afterALossAt100();
        acks(1, 10_000);
        assertThat(state().epochStart).isEqualTo(10_000);
        assertThat(state().originPoint).isEqualTo(100);
        assertThat(state().k).as("K = cbrt((100 - 70) / 0.4)").isCloseTo(Math.cbrt(75), within(1e-9));
        // one RTT ahead W(0.1) = 100 + 0.4 (0.1 - 4.217)^3 = 72.08: 70 / 2.08 -> one more segment per 33 ACKs
        acks(31, 10_000);
        assertThat(tcb.cwnd).isEqualTo(70);
        acks(1, 10_000);
        assertThat(tcb.cwnd).isEqualTo(71);
        acks(40, 10_000);
        assertThat(tcb.cwnd).as("at 71 the target is 1.08 away: one per 65 ACKs").isEqualTo(71);
    }

    @Test
    void aboveWmax_theConvexRegion_growsOneSegmentPerTwoAcks() {
        afterALossAt100();
        acks(1, 10_000);
        // ten seconds later W(10.1) = 100 + 0.4 (10.1 - 4.217)^3 = 181: the increment is capped at 1 per 2 ACKs
        acks(6, 20_000);
        assertThat(tcb.cwnd).isEqualTo(73);
    }

    @Test
    void atTheTarget_growthNearlyStops() {
        afterALossAt100();
        acks(1, 10_000);
        tcb.cwnd = 99;
        tcb.cwndCnt = 0;
        acks(200, 10_000);
        assertThat(tcb.cwnd).as("cwnd above W(t) grows by 1/(100 cwnd) per ACK").isEqualTo(99);
    }

    @Test
    void onLoss_startsANewEpoch_soTheCurveRestartsFromTheTime() {
        afterALossAt100();
        acks(1, 10_000);
        cubic.onLoss(tcb);
        acks(20, 20_000);
        assertThat(state().epochStart).isEqualTo(20_000);
        assertThat(tcb.cwnd).as("back at the concave start, not 10 s along the curve").isEqualTo(70);
    }

    @Test
    void beforeAnyLoss_growthIsAtLeastTheRenoFriendlyRate() {
        tcb.cwnd = 10;
        tcb.srttMs = 100;
        int[] after = new int[41];
        for (int i = 1; i <= 40; i++) {
            acks(1, 1000);
            after[i] = tcb.cwnd;
        }
        assertThat(state().originPoint).as("no W_max yet: the curve starts at cwnd").isEqualTo(10);
        assertThat(state().k).isZero();
        // the cubic term is tiny one RTT in, so the 20-ACK floor and then the Reno estimate
        // (3 x 717 / (2048 - 717) = 1.62 segments per window of ACKs) set the pace
        assertThat(after[7]).isEqualTo(10);
        assertThat(after[8]).isEqualTo(11);
        assertThat(after[15]).isEqualTo(12);
        assertThat(after[23]).isEqualTo(13);
        assertThat(after[32]).isEqualTo(14);
        assertThat(after[40]).isEqualTo(15);
        assertThat(state().tcpCwnd).isGreaterThan(15).isLessThan(16);
    }
}
