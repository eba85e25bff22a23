package io.vkernel.kernel;

import io.vkernel.kernel.tcp.TcpInfo;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The RTT estimator as TCP_INFO shows it (RFC 6298 §2, tcp_rtt_estimator()): each ACK of a timed segment is a
 * sample R; SRTT += (R - SRTT)/8, RTTVAR += (|SRTT - R| - RTTVAR)/4, RTO = SRTT + 4 RTTVAR, at least 200 ms; a
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
        // RTTVAR = (3 x 0 + |0 - 160|) / 4 = 40; SRTT = (7 x 0 + 160) / 8 = 20; RTO = 20 + 160 -> the 200 ms floor
        assertEstimate(20, 40, 200);
        roundTrip(190);
        // RTTVAR = (120 + 170) / 4 = 72; SRTT = (140 + 190) / 8 = 41; RTO = 41 + 288
        assertEstimate(41, 72, 329);
        roundTrip(300);
        // RTTVAR = (216 + 259) / 4 = 118; SRTT = (287 + 300) / 8 = 73; RTO = 73 + 472
        assertEstimate(73, 118, 545);
        roundTrip(30);
        // RTTVAR = (354 + 43) / 4 = 99; SRTT = (511 + 30) / 8 = 67; RTO = 67 + 396
        assertEstimate(67, 99, 463);
    }

    @Test
    void aRetransmittedSegment_givesNoSample() {
        roundTrip(160);
        assertEstimate(20, 40, 200);
        t.write("pong");
        t.kernel.advance(250);
        assertThat(info()).as("the RTO fired once and doubled").containsEntry("tcpi_retransmits", 1L)
                .containsEntry("tcpi_rto", 400_000L);
        t.kernel.advance(50);
        t.peer.consumeSent();
        t.peer.ack();
        assertThat(t.tcb().srttMs()).as("Karn: the 300 ms is not a sample").isEqualTo(20);
        assertThat(info()).containsEntry("tcpi_rttvar", 40_000L);
        roundTrip(80);
        // the next clean sample counts again: RTTVAR = (120 + 60) / 4 = 45; SRTT = (140 + 80) / 8 = 27; RTO = 27 + 180
        assertEstimate(27, 45, 207);
    }
}
