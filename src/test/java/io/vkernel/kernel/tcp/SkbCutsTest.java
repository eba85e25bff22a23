package io.vkernel.kernel.tcp;

import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Where the retransmission queue is cut into skbs, and therefore which retransmissions carry PSH: a packet of more
 * than one segment always does (__tcp_transmit_skb()), one segment only where a write ended.
 */
class SkbCutsTest {

    private static final int MSS = 1000;
    private final Tcb tcb = new Tcb(new FourTuple(Endpoint.parse("192.168.1.100:54321"), Endpoint.parse("10.0.0.50:8080")),
            TcpState.ESTABLISHED, 0);

    /** 6000 bytes written at once and sent as packets of 2 segments: skbs 1:2001, 2001:4001, 4001:6001. */
    private void sendSixSegmentsInPacketsOfTwo() {
        tcb.rack.onSent(1, 6001, MSS, 0, false);
        SkbCuts.firstSent(tcb.rack, 1, 6001, 2, MSS);
        tcb.pushMarks.add(6001);
    }

    @Test
    void firstSend_oneSkbPerGsoPacket() {
        sendSixSegmentsInPacketsOfTwo();

        assertThat(SkbCuts.skbEnds(tcb.rack, 1, 6001)).containsExactly(2000, 4000, 6000);
        assertThat(SkbCuts.push(tcb, 2001, 4001, MSS)).as("a whole 2-segment skb leaves as a GSO packet").isTrue();
    }

    @Test
    void aRetransmissionAcrossTenSkbs_isCutAtEveryOneOfTheirEnds() {
        tcb.rack.onSent(1, 20_001, MSS, 0, false);
        SkbCuts.firstSent(tcb.rack, 1, 20_001, 2, MSS);

        assertThat(SkbCuts.skbEnds(tcb.rack, 1, 20_001))
                .containsExactly(2000, 4000, 6000, 8000, 10_000, 12_000, 14_000, 16_000, 18_000, 20_000);
        assertThat(SkbCuts.skbEnds(tcb.rack, 3001, 9001)).as("from inside an skb").containsExactly(1000, 3000, 5000, 6000);
    }

    @Test
    void rtoAndProbeCuts_twoOneSegmentSkbsResendWithoutPsh() {
        sendSixSegmentsInPacketsOfTwo();
        SkbCuts.cutAt(tcb.rack, 5001); // the loss probe resends 5001:6001 alone
        SkbCuts.cutAt(tcb.rack, 1001); // the RTO resends 1:1001 alone

        assertThat(SkbCuts.lastSkbStart(tcb.rack, 1001, 3001)).isEqualTo(2001);
        assertThat(SkbCuts.push(tcb, 1001, 3001, MSS)).as("1001:2001 and 2001:3001 are one segment each").isFalse();
        assertThat(SkbCuts.push(tcb, 3001, 6001, MSS)).as("ends where the write ended").isTrue();
        assertThat(SkbCuts.push(tcb, 3001, 5001, MSS)).as("ends with 4001:5001, cut by the probe").isFalse();
    }

    @Test
    void sackedSegment_cutsItsSkbFromBothNeighbours() {
        sendSixSegmentsInPacketsOfTwo();
        Rack.Sent before = tcb.rack.sent.get(2); // 2001:3001
        Rack.Sent sacked = tcb.rack.sent.get(3); // 3001:4001, already an skb end
        Rack.Sent inside = tcb.rack.sent.get(0); // 1:1001
        SkbCuts.sacked(sacked, before);

        assertThat(before.skbEnd).isTrue();
        assertThat(inside.skbEnd).isFalse();
        assertThat(SkbCuts.push(tcb, 2001, 3001, MSS)).isFalse();
        assertThat(SkbCuts.push(tcb, 1, 2001, MSS)).isTrue();
    }
}
