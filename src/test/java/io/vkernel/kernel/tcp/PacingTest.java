package io.vkernel.kernel.tcp;

import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The pacing rate and GSO packet size Linux derives from cwnd and SRTT (tcp_update_pacing_rate(),
 * tcp_tso_autosize()), and which bursts therefore end in a GSO packet that carries PSH.
 */
class PacingTest {

    private static final int MSS = 1000;
    private final Tcb tcb = new Tcb(new FourTuple(Endpoint.parse("192.168.1.100:54321"), Endpoint.parse("10.0.0.50:8080")),
            TcpState.ESTABLISHED, 0);

    @Test
    void slowStart_twiceCwndTimesMssPerSrtt() {
        tcb.cwnd = 10;
        tcb.srttMs = 100;
        assertThat(Pacing.rate(tcb, MSS)).as("200 %% of 10 x 1000 B per 100 ms").isEqualTo(200_000);
        tcb.ssthresh = 7; // cwnd >= ssthresh / 2: 120 %
        assertThat(Pacing.rate(tcb, MSS)).isEqualTo(120_000);
    }

    @Test
    void noRttYet_unlimited_oneGsoPacketOf64KB() {
        assertThat(Pacing.rate(tcb, MSS)).isEqualTo(Long.MAX_VALUE);
        assertThat(Pacing.tsoSegs(tcb, MSS)).isEqualTo(65);
    }

    @Test
    void slowRate_packetsOfTwoSegments_anOddBurstEndsInOneSegmentWithoutForcedPsh() {
        tcb.cwnd = 7;
        tcb.ssthresh = 7;
        tcb.srttMs = 10; // 840 000 B/s: 820 B per ms, under one MSS, so tcp_min_tso_segs = 2
        assertThat(Pacing.tsoSegs(tcb, MSS)).isEqualTo(2);
        assertThat(Pacing.lastPacketIsGso(tcb, 7, MSS)).as("2 + 2 + 2 + 1").isFalse();
        assertThat(Pacing.lastPacketIsGso(tcb, 10, MSS)).as("five packets of 2").isTrue();
        assertThat(Pacing.lastPacketIsGso(tcb, 1, MSS)).isFalse();
    }

    @Test
    void fastRate_moreSegmentsPerPacket() {
        tcb.cwnd = 100;
        tcb.srttMs = 10; // 20 MB/s: 19 531 B per ms
        assertThat(Pacing.tsoSegs(tcb, MSS)).isEqualTo(19);
        assertThat(Pacing.lastPacketIsGso(tcb, 20, MSS)).as("19 + 1").isFalse();
        assertThat(Pacing.lastPacketIsGso(tcb, 21, MSS)).as("19 + 2").isTrue();
    }
}
