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
}
