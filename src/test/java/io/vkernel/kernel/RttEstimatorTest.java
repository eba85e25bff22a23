package io.vkernel.kernel;

import io.vkernel.kernel.tcp.TcpInfo;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The RTT estimator as TCP_INFO shows it (tcp_rtt_estimator(), tcp_set_rto()): each ACK of new data is a sample R;
 * SRTT += (R - SRTT)/8, the mean deviation mdev += (|SRTT - R| - mdev)/4 (tcpi_rttvar), and RTO = SRTT + 4 x the
 * largest mdev of the window but never less than SRTT + 200 ms (tcp_rto_min), in whole ms rounded up; a
 * retransmitted segment gives no sample (Karn). The handshake here takes no time, so the first sample is 0.
 */
class RttEstimatorTest {

    private final TcpFixture t = new TcpFixture().established();

    private Map<String, Long> info() {
        return t.kernel.inspect(k -> TcpInfo.of(t.tcb()));
    }

    /** Writes a little, and the peer acknowledges it {@code ms} later. */
    private void roundTrip(long ms) {
        t.write("ping");
        t.kernel.advance(ms);
        t.peer.consumeSent();
        t.peer.ack();
    }

    private void assertEstimate(long srttMs, long rttvarMs, long rtoMs) {
        assertThat(info()).containsEntry("tcpi_rtt", srttMs * 1000)
                .containsEntry("tcpi_rttvar", rttvarMs * 1000)
                .containsEntry("tcpi_rto", rtoMs * 1000);
        assertThat(t.tcb().srttMs()).isEqualTo(srttMs);
        assertThat(t.tcb().rtoMs()).isEqualTo(rtoMs);
    }

    @Test
    void samples_moveSrttByAnEighth_andRttvarByAQuarter() {
        assertEstimate(0, 0, 200);
        roundTrip(160);
        // SRTT = 0 + 160 / 8 = 20; mdev = 0 + (160 - 0) / 4 = 40 (x 4 = 160 < tcp_rto_min); RTO = 20 + 200
        assertEstimate(20, 40, 220);
        roundTrip(190);
        // SRTT = 20 + 170 / 8 = 41.25; mdev = 40 + (170 - 40) / 4 = 72.5, x 4 = 290 > 200; RTO = 41.25 + 290
        assertEstimate(41, 72, 332);
        roundTrip(300);
        // SRTT = 73.6; mdev = 72.5 + (258.75 - 72.5) / 4 = 119, x 4 = 476.5; RTO = 73.6 + 476.5
        assertEstimate(73, 119, 550);
        roundTrip(30);
        // SRTT = 73.6 - 43.6 / 8 = 68.2; the error 43.6 is below mdev, so mdev x 4 falls from 476 to 400 (tcpi_rttvar
        // 100); the RTO's variance term moves only a quarter of the way down to it, 457.4: RTO = 68.2 + 457.4
        assertEstimate(68, 100, 526);
    }

    @Test
    void aRetransmittedSegment_givesNoSample() {
        roundTrip(160);
        assertEstimate(20, 40, 220);
        t.write("pong");
        t.kernel.advance(250);
        assertThat(info()).as("the RTO fired once and doubled").containsEntry("tcpi_retransmits", 1L)
                .containsEntry("tcpi_rto", 440_000L);
        t.kernel.advance(50);
        t.peer.consumeSent();
        t.peer.ack();
        assertThat(t.tcb().srttMs()).as("Karn: the 300 ms is not a sample").isEqualTo(20);
        assertThat(info()).containsEntry("tcpi_rttvar", 40_000L);
        roundTrip(80);
        // the next clean sample counts again: SRTT = 20 + 60 / 8 = 27.5; mdev = 40 + (60 - 40) / 4 = 45; RTO = 27.5 + 200
        assertEstimate(27, 45, 228);
    }
}
