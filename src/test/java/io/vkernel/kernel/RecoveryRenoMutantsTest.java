package io.vkernel.kernel;

import io.vkernel.kernel.tcp.CaState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which ACKs count as a segment that left the network on a connection without SACK (tcp_add_reno_sack() is called
 * only for a duplicate ACK: no data, no window change, SND.UNA unmoved), as the data segments sent in reply show:
 * each counted duplicate lets one new segment go (limited transmit, RFC 3042). MSS 1000, 100 ms handshake RTT, GSO
 * off; offsets are from the first data byte.
 */
class RecoveryRenoMutantsTest {

    private final TcpFixture t = new TcpFixture();
    private int base;

    private List<Integer> dataSent(PacketReport reply) {
        return reply.sentSegments().stream().filter(s -> s.length() > 0).map(s -> s.seq() - base).toList();
    }

    private PacketReport dupAck() {
        return t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base, "");
    }

    @Test
    void aDataSegmentFromThePeerThatAcknowledgesNothingNew_isNoDuplicate_andLetsNoNewSegmentGo() {
        base = t.establishedOneSegmentPerMss(false);
        t.write(20_000);
        t.advanceSeconds(0.1);
        assertThat(dataSent(dupAck())).containsExactly(10_000);
        // the peer's own data, acknowledging nothing new: FLAG_DATA makes it no duplicate (tcp_ack())
        PacketReport data = t.peer.sendAt(TcpFlags.ACK | TcpFlags.PSH, t.peer.sndNxt(), base, "x");
        t.peer.jumpTo(t.peer.sndNxt() + 1);
        assertThat(dataSent(data)).isEmpty();
        assertThat(t.tcb().caState()).isEqualTo(CaState.DISORDER);
        assertThat(dataSent(dupAck())).as("the second duplicate").containsExactly(11_000);
        assertThat(dataSent(dupAck())).as("the third: fast retransmit").containsExactly(0);
        assertThat(t.tcb().caState()).isEqualTo(CaState.RECOVERY);
    }
}
