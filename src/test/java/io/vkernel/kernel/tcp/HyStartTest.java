package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * HyStart (tcp_cubic.c hystart_update(), Linux 6.18) ACK by ACK on the millisecond clock: the ACK train ends slow
 * start once ACKs less than 2 ms apart have kept coming for half the minimum RTT (plus hystart_ack_delay()), the delay
 * detector once the 9th sample of a round exceeds the minimum RTT by an eighth of it clamped to 4-16 ms; each detector
 * alone under tcp_cubic.hystart_detect, the low-window floor, and the samples discarded after a CUBIC epoch start.
 */
class HyStartTest {

    private static final int MSS = 1000;

    private final Sysctls sysctls = new Sysctls();
    private final Tcb tcb = new Tcb(new FourTuple(Endpoint.parse("192.168.0.1:8080"), Endpoint.parse("192.0.2.1:40000")),
            TcpState.ESTABLISHED, 0);
    private final HyStart hyStart = new HyStart();

    HyStartTest() {
        tcb.iss = 1000;
        tcb.sndUna = 1001; // the first round ends when SND.UNA passes ISS + 1
        tcb.sndNxt = 101_001;
        tcb.cwnd = 20;
        tcb.ssthresh = Integer.MAX_VALUE;
        tcb.srttMs = -1; // no pacing rate: hystart_ack_delay() adds nothing
    }

    private void ack(long nowMs, long rttUs) {
        hyStart.acked(tcb, rttUs, nowMs, -1, sysctls, MSS);
    }

    /** ACKs 1 ms apart from {@code fromMs}, each with a 10 ms sample; returns the time slow start ended, or -1. */
    private long train(long fromMs, long toMs, long stepMs, long rttUs) {
        for (long t = fromMs; t <= toMs; t += stepMs) {
            ack(t, rttUs);
            if (hyStart.found) {
                return t;
            }
        }
        return -1;
    }

    @Test
    void ackTrain_endsSlowStartOnceItLastsMoreThanHalfTheMinRtt() {
        sysctls.set(Sysctls.TCP_CUBIC_HYSTART_DETECT, HyStart.ACK_TRAIN);
        assertThat(train(100, 200, 1, 10_000)).as("5 ms is not more than 10 / 2; 6 ms is").isEqualTo(106);
        assertThat(tcb.ssthresh).as("ssthresh = cwnd").isEqualTo(20);
        assertThat(hyStart.delayMinUs).isEqualTo(10_000);
    }

    @Test
    void ackTrain_acksExactly2msApartStillCount_threeApartBreakIt() {
        sysctls.set(Sysctls.TCP_CUBIC_HYSTART_DETECT, HyStart.ACK_TRAIN);
        assertThat(train(100, 200, 2, 10_000)).isEqualTo(106);

        HyStartTest other = new HyStartTest();
        other.sysctls.set(Sysctls.TCP_CUBIC_HYSTART_DETECT, HyStart.ACK_TRAIN);
        other.ack(100, 10_000);
        assertThat(other.train(103, 200, 1, 10_000)).as("a 3 ms gap ends the train for the round").isEqualTo(-1);
        assertThat(other.tcb.ssthresh).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void ackTrain_thresholdIncludesTheAckDelayAllowance_fromThePacingRate() {
        sysctls.set(Sysctls.TCP_CUBIC_HYSTART_DETECT, HyStart.ACK_TRAIN);
        // 9 ms minimum RTT; with a pacing rate of 2 x 10^7 B/s 4 x 64 KiB take 13 ms: capped at 1 ms, (9 + 1) / 2 = 5 ms
        tcb.srttMs = 10;
        assertThat(train(100, 200, 1, 9_000)).isEqualTo(106);

        // cwnd 1000 at 1 ms SRTT: 2 x 10^9 B/s, 131 us: (9 + 0.131) / 2 < 5 ms
        HyStartTest fast = new HyStartTest();
        fast.sysctls.set(Sysctls.TCP_CUBIC_HYSTART_DETECT, HyStart.ACK_TRAIN);
        fast.tcb.srttMs = 1;
        fast.tcb.cwnd = 1000;
        assertThat(fast.train(100, 200, 1, 9_000)).isEqualTo(105);

        HyStartTest none = new HyStartTest();
        none.sysctls.set(Sysctls.TCP_CUBIC_HYSTART_DETECT, HyStart.ACK_TRAIN);
        assertThat(none.train(100, 200, 1, 9_000)).as("no SRTT, no allowance: 4.5 ms").isEqualTo(105);
    }

    @Test
    void ackTrainAlone_ignoresRisingDelay() {
        sysctls.set(Sysctls.TCP_CUBIC_HYSTART_DETECT, HyStart.ACK_TRAIN);
        ack(100, 10_000);
        tcb.sndUna = 2001; // a new round
        assertThat(train(110, 300, 5, 50_000)).as("ACKs 5 ms apart, each 40 ms late").isEqualTo(-1);
    }

    @Test
    void delay_theNinthSampleOfARoundAboveMinRttPlusFourMs_endsSlowStart_evenFromAnAckTrain() {
        sysctls.set(Sysctls.TCP_CUBIC_HYSTART_DETECT, HyStart.DELAY);
        ack(100, 10_000);
        tcb.sndUna = 2001; // the round ends: the next ACK starts a new one, ending at SND.NXT
        for (int i = 1; i <= 8; i++) {
            ack(100 + i, 14_001);
            assertThat(hyStart.found).as("sample %d of the round", i).isFalse();
        }
        ack(109, 14_001);
        assertThat(hyStart.found).isTrue();
        assertThat(tcb.ssthresh).isEqualTo(20);
    }

    /** Nine samples of {@code rttUs} in a new round after a first sample of {@code minUs}: whether slow start ended. */
    private static boolean delayExits(long minUs, long rttUs) {
        HyStartTest t = new HyStartTest();
        t.sysctls.set(Sysctls.TCP_CUBIC_HYSTART_DETECT, HyStart.DELAY);
        t.ack(100, minUs);
        t.tcb.sndUna = 2001;
        for (int i = 1; i <= 9; i++) {
            t.ack(100 + 10L * i, rttUs);
        }
        return t.hyStart.found;
    }

    @Test
    void delay_thresholdIsAnEighthOfTheMinRtt_clampedTo4And16ms() {
        assertThat(delayExits(10_000, 14_000)).as("10 ms: + 4 ms (1.25 clamped up)").isFalse();
        assertThat(delayExits(10_000, 14_001)).isTrue();
        assertThat(delayExits(100_000, 112_500)).as("100 ms: + 12.5 ms").isFalse();
        assertThat(delayExits(100_000, 112_501)).isTrue();
        assertThat(delayExits(200_000, 216_000)).as("200 ms: + 16 ms (25 clamped down)").isFalse();
        assertThat(delayExits(200_000, 216_001)).isTrue();
    }

    @Test
    void samples_ofZeroCountAsOneMicrosecond_andWithinASecondOfAnEpochStartAreDiscarded() {
        hyStart.acked(tcb, 0, 100, -1, sysctls, MSS);
        assertThat(hyStart.delayMinUs).isEqualTo(1);

        HyStart h = new HyStart();
        h.acked(tcb, 5000, 500, 0, sysctls, MSS);
        assertThat(h.delayMinUs).as("epoch at time 0, 500 ms ago").isZero();
        h.acked(tcb, 5000, 5999, 5000, sysctls, MSS);
        assertThat(h.delayMinUs).as("999 ms after the epoch").isZero();
        h.acked(tcb, 5000, 6000, 5000, sysctls, MSS);
        assertThat(h.delayMinUs).isEqualTo(5000);
        h.acked(tcb, -1, 7000, -1, sysctls, MSS);
        assertThat(h.delayMinUs).as("no sample").isEqualTo(5000);
    }

    @Test
    void detection_startsAtHystartLowWindow_onlyInSlowStart_andOnlyWhenEnabled() {
        tcb.cwnd = 16;
        assertThat(train(100, 200, 1, 10_000)).as("cwnd 16 = hystart_low_window").isEqualTo(106);

        HyStartTest small = new HyStartTest();
        small.tcb.cwnd = 15;
        assertThat(small.train(100, 200, 1, 10_000)).isEqualTo(-1);

        HyStartTest avoidance = new HyStartTest();
        avoidance.tcb.ssthresh = 20;
        assertThat(avoidance.train(100, 200, 1, 10_000)).as("cwnd = ssthresh: not slow start").isEqualTo(-1);

        HyStartTest off = new HyStartTest();
        off.sysctls.set(Sysctls.TCP_CUBIC_HYSTART, 0);
        assertThat(off.train(100, 200, 1, 10_000)).isEqualTo(-1);
    }

    @Test
    void aLoss_forgetsTheMinRtt_andStartsANewRoundNow() {
        sysctls.set(Sysctls.TCP_CUBIC_HYSTART_DETECT, HyStart.ACK_TRAIN);
        assertThat(train(100, 200, 1, 10_000)).isEqualTo(106);
        hyStart.onLoss(tcb, 107_000);
        tcb.ssthresh = Integer.MAX_VALUE; // in slow start again
        assertThat(hyStart.found).isFalse();
        assertThat(hyStart.delayMinUs).isZero();
        ack(108, 10_000);
        assertThat(hyStart.found).as("the train restarted at the loss, 1 ms ago").isFalse();
        assertThat(train(109, 200, 1, 10_000)).isEqualTo(113);
    }
}
