package io.vkernel.kernel;

import io.vkernel.kernel.tcp.CaState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What cwnd does, and what leaves, on each ACK of a loss or an ECN episode (tcp_fastretrans_alert(),
 * tcp_cwnd_reduction(), tcp_end_cwnd_reduction(), tcp_add_reno_sack()): the segments a tcpdump of the sender shows
 * after every ACK, and cwnd as {@code ss -ti} shows it. Connections here have MSS 1000, a 100 ms handshake RTT and
 * GSO off, so every segment is one MSS; offsets are from the first byte of data.
 */
class RecoveryCwndTest {

    private final TcpFixture t = new TcpFixture();
    private int base;

    /** The offsets of the segments sent in reply. */
    private List<Integer> sent(PacketReport reply) {
        return reply.sentSegments().stream().map(s -> s.seq() - base).toList();
    }

    private PacketReport ack(int offset) {
        return t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + offset, "");
    }

    private PacketReport ece(int offset) {
        return t.peer.sendAt(TcpFlags.ACK | TcpFlags.ECE, t.peer.sndNxt(), base + offset, "");
    }

    @Test
    void fastRetransmitOfOneSegment_countsOneInTcpRetransSegs() {
        base = t.establishedOneSegmentPerMss(true);
        t.write(10_000);
        t.advanceSeconds(0.1);
        t.peer.sendSack(base, base + 1000, base + 2000);
        t.peer.sendSack(base, base + 1000, base + 3000);
        PacketReport third = t.peer.sendSack(base, base + 1000, base + 4000);
        assertThat(sent(third)).containsExactly(0);
        assertThat(t.counter(SnmpCounter.TCP_RETRANS_SEGS)).isEqualTo(1);
        assertThat(t.tcb().totalRetransmits()).isEqualTo(1);
    }

    @Test
    void sackOnlyAcksInDisorder_doNotGrowCwnd() {
        // tcp_may_raise_cwnd(): without reordering above tcp_reordering only an ACK advancing SND.UNA raises cwnd
        base = t.establishedOneSegmentPerMss(true);
        t.write(10_000);
        t.advanceSeconds(0.1);
        t.peer.sendSack(base, base + 1000, base + 2000);
        assertThat(t.tcb().caState()).isEqualTo(CaState.DISORDER);
        assertThat(t.tcb().cwnd()).isEqualTo(10);
        t.peer.sendSack(base, base + 1000, base + 3000);
        assertThat(t.tcb().cwnd()).isEqualTo(10);
    }

    @Test
    void eceAck_entersCwr_andPrrBringsCwndDownToSsthreshOverTheNextAcks() {
        base = t.establishedOneSegmentPerMss(false, TcpFlags.ECE | TcpFlags.CWR);
        assertThat(t.tcb().ecnOk()).isTrue();
        t.write(10_000);
        t.advanceSeconds(0.1);
        ece(1000);
        assertThat(t.tcb().caState()).isEqualTo(CaState.CWR);
        assertThat(t.tcb().ssthresh()).isEqualTo(7);
        // RFC 6937: 9 in flight > ssthresh 7, so cwnd = in flight + ceil(delivered x 7 / 10) - sent = 9 + 1
        assertThat(t.tcb().cwnd()).isEqualTo(10);
        ack(2000);
        assertThat(t.tcb().cwnd()).as("8 in flight + ceil(2 x 7 / 10)").isEqualTo(10);
        ack(3000);
        assertThat(t.tcb().cwnd()).as("7 in flight = ssthresh: one more than in flight").isEqualTo(8);
        ack(4000);
        assertThat(t.tcb().cwnd()).as("6 in flight, room 1 below ssthresh").isEqualTo(7);
        ack(10_000);
        assertThat(t.tcb().cwnd()).isEqualTo(7);
        assertThat(t.tcb().caState()).as("nothing above the reduction point is acknowledged yet").isEqualTo(CaState.CWR);
    }

    @Test
    void cwrEnds_whenDataSentAfterTheEceIsAcked_andCwndSettlesAtSsthresh() {
        base = t.establishedOneSegmentPerMss(false, TcpFlags.ECE | TcpFlags.CWR);
        t.write(11_000);
        t.advanceSeconds(0.1);
        PacketReport reply = ece(1000);
        assertThat(sent(reply)).as("cwnd 10, 9 in flight: the eleventh segment goes, carrying CWR").containsExactly(10_000);
        assertThat(reply.sentSegments().get(0).has(TcpFlags.CWR)).isTrue();
        assertThat(t.tcb().cwnd()).isEqualTo(10);
        ack(11_000);
        // tcp_end_cwnd_reduction(): cwnd = ssthresh (7), then this ACK's ten delivered segments grow it by one
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
        assertThat(t.tcb().cwnd()).isEqualTo(8);
    }

    @Test
    void withoutSack_aPartialAckBackToOpen_forgetsTheDuplicateAcks() {
        base = t.establishedOneSegmentPerMss(false);
        t.write(20_000);
        t.advanceSeconds(0.1);
        assertThat(sent(ack(0))).as("limited transmit (RFC 3042)").containsExactly(10_000);
        assertThat(sent(ack(0))).containsExactly(11_000);
        PacketReport back = ack(1000);
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
        assertThat(t.tcb().cwnd()).isEqualTo(11);
        // tcp_reset_reno_sack(): the two duplicates no longer count as delivered, so 11 are in flight, cwnd is full
        assertThat(sent(back)).isEmpty();
        assertThat(sent(ack(1000))).containsExactly(12_000);
        assertThat(sent(ack(1000))).containsExactly(13_000);
        assertThat(sent(ack(1000))).as("the third duplicate since the reset").containsExactly(1000);
        assertThat(t.tcb().caState()).isEqualTo(CaState.RECOVERY);
    }

    @Test
    void withoutSack_eachDuplicateAndPartialAckInRecovery_sendsWhatPrrAllows() {
        base = t.establishedOneSegmentPerMss(false);
        t.write(30_000);
        t.advanceSeconds(0.1);
        assertThat(sent(ack(0))).containsExactly(10_000);
        assertThat(sent(ack(0))).containsExactly(11_000);
        assertThat(sent(ack(0))).as("fast retransmit").containsExactly(0);
        assertThat(t.tcb().cwnd()).isEqualTo(9);
        // each duplicate is a segment that left the network (tcp_add_reno_sack()); PRR sends 7 for every 10 of them
        assertThat(sent(ack(0))).containsExactly(12_000);
        assertThat(sent(ack(0))).containsExactly(13_000);
        assertThat(sent(ack(0))).isEmpty();
        assertThat(sent(ack(0))).isEmpty();
        assertThat(sent(ack(0))).containsExactly(14_000);
        assertThat(t.tcb().cwnd()).isEqualTo(7);
        // a partial ACK: the next hole is lost (tcp_newreno_mark_lost()) and resent first
        assertThat(sent(ack(1000))).containsExactly(1000, 15_000);
        assertThat(sent(ack(3000))).containsExactly(3000, 16_000);
        assertThat(sent(ack(3000))).containsExactly(17_000);
        assertThat(sent(ack(3000))).containsExactly(18_000);
        assertThat(sent(ack(6000))).containsExactly(6000, 19_000);
        assertThat(t.counter(SnmpCounter.TCP_RETRANS_SEGS)).isEqualTo(4);
        assertThat(sent(ack(12_000))).as("the recovery point").isEmpty();
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
        assertThat(t.tcb().cwnd()).isEqualTo(7);
    }
}
