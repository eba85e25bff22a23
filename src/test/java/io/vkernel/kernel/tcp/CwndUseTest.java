package io.vkernel.kernel.tcp;

import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** When ACKs may grow cwnd (tcp_cwnd_validate(), tcp_is_cwnd_limited()). */
class CwndUseTest {

    private static final int MSS = 1000;
    private final Tcb tcb = new Tcb(new FourTuple(Endpoint.parse("192.168.1.100:54321"), Endpoint.parse("10.0.0.50:8080")),
            TcpState.ESTABLISHED, 0);

    @Test
    void aFullWindow_staysCwndLimitedUntilItIsAcknowledged() {
        tcb.cwnd = 10;
        tcb.sndUna = 1;
        tcb.sndNxt = 10_001;
        tcb.cwndUse.validate(tcb, true, MSS);
        tcb.cwnd = 18; // ACKs arrive, nothing more is sent
        tcb.sndUna = 8001;
        assertThat(tcb.cwndUse.isCwndLimited(tcb)).isTrue();
    }

    @Test
    void appLimitedSlowStart_growsToTwiceWhatWasInFlight() {
        tcb.cwnd = 10;
        tcb.sndUna = 1;
        tcb.sndNxt = 9001;
        tcb.cwndUse.validate(tcb, false, MSS);
        tcb.cwnd = 17;
        assertThat(tcb.cwndUse.isCwndLimited(tcb)).isTrue();
        tcb.cwnd = 18;
        assertThat(tcb.cwndUse.isCwndLimited(tcb)).as("2 x 9 reached").isFalse();
    }

    @Test
    void congestionAvoidance_growsOnlyWhenCwndLimited() {
        tcb.cwnd = 10;
        tcb.ssthresh = 8;
        tcb.sndUna = 1;
        tcb.sndNxt = 3001;
        tcb.cwndUse.validate(tcb, false, MSS);
        assertThat(tcb.cwndUse.isCwndLimited(tcb)).isFalse();
    }

    @Test
    void aNewWindow_forgetsTheOldOne() {
        tcb.cwnd = 10;
        tcb.sndUna = 1;
        tcb.sndNxt = 10_001;
        tcb.cwndUse.validate(tcb, true, MSS);
        tcb.sndUna = 10_001; // all acknowledged; the next write sends 2 segments
        tcb.sndNxt = 12_001;
        tcb.cwnd = 20;
        tcb.cwndUse.validate(tcb, false, MSS);
        assertThat(tcb.cwndUse.isCwndLimited(tcb)).isFalse();
        assertThat(tcb.cwndUse.maxPacketsOut).isEqualTo(2);
    }

    @Test
    void atSsthresh_slowStartIsOver_soTwiceWhatWasUsedNoLongerCounts() {
        tcb.cwnd = 10;
        tcb.ssthresh = 10; // tcp_in_slow_start(): cwnd < ssthresh
        tcb.sndUna = 1;
        tcb.sndNxt = 9001;
        tcb.cwndUse.validate(tcb, false, MSS);
        assertThat(tcb.cwndUse.isCwndLimited(tcb)).isFalse();
        tcb.ssthresh = 11;
        assertThat(tcb.cwndUse.isCwndLimited(tcb)).as("10 < 2 x 9 in slow start").isTrue();
    }

    @Test
    void cwndLimitedLaterInTheSameWindow_isRecorded_evenWithNoMoreInFlight() {
        tcb.cwnd = 6;
        tcb.sndUna = 1;
        tcb.sndNxt = 3001;
        tcb.cwndUse.validate(tcb, false, MSS);
        assertThat(tcb.cwndUse.isCwndLimited(tcb)).isFalse();
        tcb.sndUna = 1001; // one ACK, one more segment sent: still three out, and now cwnd stopped the sender
        tcb.sndNxt = 4001;
        tcb.cwndUse.validate(tcb, true, MSS);
        assertThat(tcb.cwndUse.isCwndLimited(tcb)).isTrue();
        assertThat(tcb.cwndUse.usageSeq).as("a new window from the current SND.NXT").isEqualTo(4001);
    }

    @Test
    void aCwndLimitedWindow_isNotForgottenByAnAppLimitedSendInsideIt() {
        tcb.cwnd = 10;
        tcb.sndUna = 1;
        tcb.sndNxt = 10_001;
        tcb.cwndUse.validate(tcb, true, MSS);
        tcb.sndUna = 3001; // part of the window acknowledged, twelve out after a small write
        tcb.sndNxt = 15_001;
        tcb.cwnd = 14;
        tcb.cwndUse.validate(tcb, false, MSS);
        assertThat(tcb.cwndUse.cwndLimited).isTrue();
        assertThat(tcb.cwndUse.maxPacketsOut).isEqualTo(10);
        assertThat(tcb.cwndUse.usageSeq).isEqualTo(10_001);
        tcb.sndUna = 9001; // fewer out, still inside the window
        tcb.cwndUse.validate(tcb, false, MSS);
        assertThat(tcb.cwndUse.isCwndLimited(tcb)).isTrue();
    }

    @Test
    void asManyInFlightAsBefore_doesNotExtendTheWindow() {
        tcb.cwnd = 4;
        tcb.sndUna = 1;
        tcb.sndNxt = 5001; // five out, app-limited
        tcb.cwndUse.validate(tcb, false, MSS);
        tcb.sndUna = 2001; // two ACKed, two more sent: five out again
        tcb.sndNxt = 7001;
        tcb.cwndUse.validate(tcb, false, MSS);
        assertThat(tcb.cwndUse.usageSeq).as("the window still ends where it began").isEqualTo(5001);
        tcb.sndUna = 5001; // the first window is acknowledged; two out now
        tcb.cwndUse.validate(tcb, false, MSS);
        assertThat(tcb.cwndUse.maxPacketsOut).isEqualTo(2);
        assertThat(tcb.cwndUse.isCwndLimited(tcb)).as("cwnd 4 is not below 2 x 2").isFalse();
    }

    @Test
    void aPartSegmentInFlight_countsAsAWholeOne() {
        tcb.cwnd = 10;
        tcb.sndUna = 1;
        tcb.sndNxt = 4501; // four and a half segments: five packets (tcp_packets_in_flight() counts skbs)
        tcb.cwndUse.validate(tcb, false, MSS);
        assertThat(tcb.cwndUse.maxPacketsOut).isEqualTo(5);
        assertThat(tcb.cwndUse.isCwndLimited(tcb)).as("10 is not below 2 x 5").isFalse();
    }
}
