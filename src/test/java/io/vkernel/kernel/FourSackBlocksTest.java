package io.vkernel.kernel;

import io.vkernel.kernel.tcp.CaState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Segment;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An ACK with four SACK blocks (all an option without timestamps holds): four separate SACKed segments above four
 * holes. RACK marks the holes lost at once (reordering 3 is met) and recovery resends the first of them. SACK, MSS 1000,
 * 100 ms handshake RTT, GSO off; offsets from the first data byte.
 */
class FourSackBlocksTest {

    private final TcpFixture t = new TcpFixture();

    @Test
    void fourSackedSegmentsAboveFourHoles_startRecovery_withTheFirstHoleResent() {
        int base = t.establishedOneSegmentPerMss(true);
        t.write(10_000);
        t.advanceSeconds(0.1);
        PacketReport reply = t.peer.sendSackBlocksFrom(base, 0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000);
        assertThat(t.tcb().caState()).isEqualTo(CaState.RECOVERY);
        List<List<Integer>> resent = reply.sentSegments().stream().filter(s -> s.length() > 0)
                .map((Segment s) -> List.of(s.seq() - base, s.length())).toList();
        assertThat(resent).first().isEqualTo(List.of(0, 1000));
    }

    @Test
    void aSackBlockForTheFirstUnacknowledgedSegment_tagsItLikeAnyOther() {
        int base = t.establishedOneSegmentPerMss(true);
        t.write(5000);
        t.advanceSeconds(0.1);
        // tcp_is_sackblock_valid(): a block starting at SND.UNA is valid; the head's skb is tagged SACKed
        t.peer.sendSackBlocksFrom(base, 0, 0, 1000);
        assertThat(io.vkernel.kernel.tcp.TcpInfo.of(t.tcb()).get("tcpi_sacked")).isEqualTo(1L);
        assertThat(t.tcb().sndUna()).isEqualTo(base);
    }
}
