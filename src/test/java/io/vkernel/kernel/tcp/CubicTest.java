package io.vkernel.kernel.tcp;

import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * CUBIC's window (RFC 9438, tcp_cubic.c) as the ACK path drives it, in Linux's integer arithmetic
 * (bictcp_update()): time in 1/1024 s, the target one minimum RTT (here 100 ms) ahead, K from cubic_root(),
 * C = 410 / 1024, beta = 717/1024. Each expected window is worked out in the comment next to it.
 */
class CubicTest {

    private final Cubic cubic = Cubic.INSTANCE;
    private final Tcb tcb = new Tcb(new FourTuple(Endpoint.parse("192.168.1.100:54321"), Endpoint.parse("10.0.0.50:8080")),
            TcpState.ESTABLISHED, 0);

    private Cubic.State state() {
        if (tcb.ccState == null) {
            tcb.ccState = new Cubic.State();
        }
        return (Cubic.State) tcb.ccState;
    }

    /** n ACKs of one segment each, all at virtual time {@code nowMs}. */
    private void acks(int n, long nowMs) {
        for (int i = 0; i < n; i++) {
            cubic.congestionAvoidance(tcb, 1, nowMs);
        }
    }

    /** A loss at cwnd 100 (W_max = 100), then congestion avoidance from ssthresh = 70, with a 100 ms minimum RTT. */
    private void afterALossAt100() {
        tcb.cwnd = 100;
        tcb.srttMs = 100;
        assertThat(cubic.ssthresh(tcb)).isEqualTo(70);
        state().hystart.delayMinUs = 100_000;
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
    void cubicRoot_isTheIntegerCubeRootLinuxComputes() {
        assertThat(Cubic.cubicRoot(27)).as("from the table alone").isEqualTo(3);
        assertThat(Cubic.cubicRoot(8_000_000)).isEqualTo(200);
        assertThat(Cubic.cubicRoot(1_000_000_000)).isEqualTo(1000);
        // K for W_max - cwnd = 30: cbrt(30 / 0.4) = 4.217 s = 4318 / 1024 s; one Newton step from the table lands at 4316
        assertThat(Cubic.cubicRoot((1L << 40) / 410 * 30)).isEqualTo(4316);
    }

    @Test
    void belowWmax_theConcaveRegion_growsOneSegmentPer23Acks() {
        afterALossAt100();
        acks(1, 10_000);
        assertThat(state().epochStart).isEqualTo(10_000);
        assertThat(state().originPoint).isEqualTo(100);
        assertThat(state().k).isEqualTo(4316);
        // t = 100 ms ahead = 102 / 1024 s; offs = 4316 - 102 = 4214; 410 x 4214^3 >> 40 = 27: target 73, cnt 70 / 3 = 23
        assertThat(state().cnt).isEqualTo(23);
        acks(21, 10_000);
        assertThat(tcb.cwnd).isEqualTo(70);
        acks(1, 10_000);
        assertThat(tcb.cwnd).as("the 23rd ACK").isEqualTo(71);
        acks(22, 10_000);
        assertThat(tcb.cwnd).as("within the same jiffy cnt is not recomputed: 23 more ACKs per segment").isEqualTo(71);
        acks(1, 10_000);
        assertThat(tcb.cwnd).isEqualTo(72);
    }

    @Test
    void aboveWmax_theConvexRegion_growsOneSegmentPerTwoAcks() {
        afterALossAt100();
        acks(1, 10_000);
        // ten seconds later the target is far above cwnd: cnt = 70 / (target - 70) = 0, raised to the floor of 2
        for (int i = 0; i < 6; i++) {
            acks(1, 20_000 + i);
        }
        assertThat(state().cnt).isEqualTo(2);
        assertThat(tcb.cwnd).as("7 ACKs: 1 of them at cnt 23, then one segment per 2").isEqualTo(73);
    }

    @Test
    void atTheTarget_growthNearlyStops() {
        afterALossAt100();
        acks(1, 10_000);
        tcb.cwnd = 99;
        tcb.cwndCnt = 0;
        // 50 ms on, t = 153 / 1024 s, the target 100 - (410 x 4163^3 >> 40) = 74 is below cwnd: cnt = 100 x 99
        acks(200, 10_050);
        assertThat(state().cnt).isEqualTo(9900);
        assertThat(tcb.cwnd).isEqualTo(99);
    }

    @Test
    void onLoss_startsANewEpoch_soTheCurveRestartsFromTheTime() {
        afterALossAt100();
        acks(1, 10_000);
        cubic.onLoss(tcb);
        acks(20, 20_000);
        assertThat(state().epochStart).isEqualTo(20_000);
        assertThat(tcb.cwnd).as("back at the concave start (cnt 23), not 10 s along the curve").isEqualTo(70);
    }

    @Test
    void beforeAnyLoss_growthIsAtLeastTheRenoFriendlyRate() {
        tcb.cwnd = 10;
        tcb.srttMs = 100;
        state().hystart.delayMinUs = 100_000;
        int[] after = new int[41];
        for (int i = 1; i <= 40; i++) {
            acks(1, 1000 + 50L * i);
            after[i] = tcb.cwnd;
        }
        assertThat(state().originPoint).as("no W_max yet: the curve starts at cwnd").isEqualTo(10);
        assertThat(state().k).isZero();
        // the cubic term is tiny, so cnt is capped at 20 (no loss yet); the Reno estimate counts ACKs in units of
        // 10 x 15 >> 3 = 18: on the 19th ACK it reaches 11 > cwnd, cnt becomes 10 / 1 and the 18 credits give a segment
        assertThat(after[18]).isEqualTo(10);
        assertThat(after[19]).isEqualTo(11);
        assertThat(after[33]).isEqualTo(11);
        assertThat(after[34]).isEqualTo(12);
    }

    @Test
    void txStartAfterIdle_movesTheEpochByTheIdleTime_neverPastNow() {
        afterALossAt100();
        acks(1, 10_000);
        cubic.onTxStart(tcb, 12_000, 11_000);
        assertThat(state().epochStart).as("idle since 11 s: one second is not time along the curve").isEqualTo(11_000);
        cubic.onTxStart(tcb, 15_000, 5_000);
        assertThat(state().epochStart).as("11 s + 10 s idle is capped at now").isEqualTo(15_000);
    }

    @Test
    void retransmitTimeout_forgetsWmax_soGrowthAfterItIsTheNoLossCurve() {
        afterALossAt100();
        acks(1, 10_000);
        cubic.onRetransmitTimeout(tcb, 10_000);
        assertThat(state().lastMaxCwnd).as("bictcp_reset() after ssthresh was taken").isZero();
        assertThat(state().hystart.delayMinUs).isZero();
        tcb.cwnd = 20;
        acks(1, 11_000);
        assertThat(state().originPoint).isEqualTo(20);
        assertThat(state().cnt).as("no W_max: at most 20 ACKs per segment").isEqualTo(20);
    }

    @Test
    void theMinimumRttIsRoundedUpToWholeMs_whichDecidesTheAckWhereCntChanges() {
        afterALossAt100();
        acks(1, 10_000);
        assertThat(state().cnt).isEqualTo(23);
        // 46 ms on: t = (46 + 100) ms = 149 / 1024 s, offs 4167, 410 x 4167^3 >> 40 = 26: target 74, cnt 70 / 4 = 17.
        // usecs_to_jiffies() rounds up; a minimum RTT taken as 99 ms would give t = 148, delta 27, target 73, cnt 23
        acks(1, 10_046);
        assertThat(state().cnt).isEqualTo(17);
    }

    @Test
    void justPastK_theConvexRegionStartsFromWmax_slowly() {
        afterALossAt100();
        acks(1, 10_000); // K = 4316 / 1024 s
        tcb.cwnd = 95;
        // 4120 ms on: t = 4220 ms = 4321 / 1024 s, 5 past K: 410 x 5^3 >> 40 = 0, target W_max 100: cnt 95 / 5 = 19
        acks(1, 14_120);
        assertThat(state().cnt).isEqualTo(19);
    }

    @Test
    void anEpochStartedAtClockZero_isAnEpoch() {
        // the virtual clock starts at 0 ms, so "no epoch" is -1 here (Linux's epoch_start 0 would be "unset")
        afterALossAt100();
        acks(1, 0);
        assertThat(state().epochStart).isZero();
        assertThat(state().cnt).isEqualTo(23);
        tcb.cwnd = 71;
        acks(1, 0);
        assertThat(state().cnt).as("the same jiffy: the cubic target is not recomputed (it would give 71 / 2 = 35)").isEqualTo(23);
        tcb.cwnd = 70;
        acks(1, 2000);
        assertThat(state().epochStart).as("the epoch goes on").isZero();
        // t = 2100 ms = 2150 / 1024 s, offs 2166, 410 x 2166^3 >> 40 = 3: target 97, cnt 70 / 27 = 2
        assertThat(state().cnt).isEqualTo(2);
    }

    @Test
    void txStartAfterIdle_movesAnEpochThatBeganAtClockZero() {
        afterALossAt100();
        acks(1, 0);
        cubic.onTxStart(tcb, 1000, 400);
        assertThat(state().epochStart).isEqualTo(600);
    }

    @Test
    void theRenoFriendlyEstimate_capsCnt_atCwndOverItsLead() {
        tcb.cwnd = 10;
        tcb.srttMs = 100;
        state().hystart.delayMinUs = 100_000;
        acks(1, 1000);
        assertThat(state().cnt).as("no W_max: capped at 20").isEqualTo(20);
        // 40 segments in one ACK: 41 ACKed in units of 18 make the Reno estimate 12, two ahead of cwnd 10: cnt 10 / 2
        cubic.congestionAvoidance(tcb, 40, 1100);
        assertThat(state().cnt).isEqualTo(5);
        assertThat(tcb.cwnd).as("41 ACKed at 5 per segment: 8 more").isEqualTo(18);
    }

    @Test
    void withinHzOver32OfTheLastUpdateAtTheSameCwnd_onlyTheAckCountMoves() {
        tcb.cwnd = 10;
        tcb.srttMs = 100;
        state().hystart.delayMinUs = 100_000;
        acks(1, 1000);
        cubic.congestionAvoidance(tcb, 20, 1031); // 31 ms = HZ / 32: bictcp_update() returns at once
        assertThat(state().cnt).isEqualTo(20);
        assertThat(tcb.cwnd).as("21 ACKed at 20 per segment").isEqualTo(11);
        assertThat(state().ackCnt).isEqualTo(21);
        tcb.cwnd = 10; // held at 10 so the estimate below compares with the same cwnd
        acks(1, 1032);
        assertThat(state().cnt).as("now the Reno estimate (22 ACKed: 11) caps it at 10 / 1").isEqualTo(10);
    }

    @Test
    void cubicRoot_ofSevenBitValues_takesTheNewtonStep() {
        assertThat(Cubic.cubicRoot(63)).as("six bits: the table alone").isEqualTo(4);
        assertThat(Cubic.cubicRoot(64)).isEqualTo(4);
        assertThat(Cubic.cubicRoot(100)).isEqualTo(5);
    }

    @Test
    void afterATimeout_hyStartsAckTrainIsTimedFromTheTimeout() {
        io.vkernel.kernel.Sysctls sysctls = new io.vkernel.kernel.Sysctls();
        tcb.iss = 1000;
        tcb.sndUna = 1001;
        tcb.sndNxt = 101_001;
        tcb.srttMs = -1; // no pacing rate: no ACK-delay allowance
        cubic.onRetransmitTimeout(tcb, 5000); // a new HyStart round from 5 s, ending at SND.NXT
        tcb.cwnd = 20;
        tcb.ssthresh = Integer.MAX_VALUE;
        long exitAt = -1;
        for (long now = 5001; now <= 5100 && exitAt < 0; now++) {
            cubic.acked(tcb, 10_000, now, sysctls, 1000);
            if (state().hystart.found) {
                exitAt = now;
            }
        }
        // ACKs 1 ms apart since the timeout: more than half the 10 ms minimum RTT after 5000 ms ends slow start
        assertThat(exitAt).isEqualTo(5006);
        assertThat(tcb.ssthresh).isEqualTo(20);
    }
}
