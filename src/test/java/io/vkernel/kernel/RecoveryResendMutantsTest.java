package io.vkernel.kernel;

import io.vkernel.kernel.tcp.CaState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.Segment;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What is resent, and when recovery starts, as the segments on the wire show: a SACK connection with RACK off
 * recovers once three segments are SACKed (tcp_time_to_recover(): sacked_out + 1 > tp->reordering), and in Loss
 * tcp_xmit_retransmit_queue() resends the un-SACKed holes in order, as many segments as cwnd allows. SACK, MSS 1000,
 * 100 ms handshake RTT, GSO off; offsets are from the first data byte.
 */
class RecoveryResendMutantsTest {

    private final TcpFixture t = new TcpFixture();
    private int base;

    private PacketReport ack(int ack, int... edges) {
        return t.peer.sendSackBlocksFrom(base, ack, edges);
    }

    private List<List<Integer>> sent(PacketReport reply) {
        return TcpFixture.dataSegments(reply, base);
    }

    @Test
    void rackOff_oneAckSackingThreeSegments_startsRecovery() {
        t.sysctl(Sysctls.TCP_RECOVERY, 0);
        base = t.establishedOneSegmentPerMss(true);
        t.write(10_000);
        t.advanceSeconds(0.1);
        PacketReport reply = ack(0, 1000, 4000); // one duplicate ACK, three segments SACKed
        assertThat(t.tcb().caState()).isEqualTo(CaState.RECOVERY);
        assertThat(sent(reply)).first().isEqualTo(List.of(0, 1000));
        assertThat(t.counter(SnmpCounter.TCP_SACK_RECOVERY)).isEqualTo(1);
    }

    @Test
    void rackOff_twoSackedSegments_areNotYetALoss() {
        t.sysctl(Sysctls.TCP_RECOVERY, 0);
        base = t.establishedOneSegmentPerMss(true);
        t.write(10_000);
        t.advanceSeconds(0.1);
        assertThat(sent(ack(0, 1000, 3000))).isEmpty();
        assertThat(t.tcb().caState()).isEqualTo(CaState.DISORDER);
    }

    @Test
    void rackOff_duplicateAcksThatSackNothingNew_areNoLoss_onASackConnection() {
        t.sysctl(Sysctls.TCP_RECOVERY, 0);
        base = t.establishedOneSegmentPerMss(true);
        t.write(10_000);
        t.advanceSeconds(0.1);
        // four duplicate ACKs, each SACKing the same two segments: tcp_dupack_heuristics() is sacked_out + 1 = 3 on a
        // SACK connection, not the count of duplicate ACKs, so tcp_time_to_recover() waits for a third SACKed segment
        for (int i = 0; i < 4; i++) {
            assertThat(sent(ack(0, 1000, 3000))).isEmpty();
        }
        assertThat(t.tcb().caState()).isEqualTo(CaState.DISORDER);
        assertThat(t.counter(SnmpCounter.TCP_SACK_RECOVERY)).isZero();
        assertThat(sent(ack(0, 1000, 4000))).first().isEqualTo(List.of(0, 1000));
        assertThat(t.tcb().caState()).isEqualTo(CaState.RECOVERY);
    }

    @Test
    void rackOff_twoHolesBelowThreeSackedSegments_areBothLost_andBothResent() {
        t.sysctl(Sysctls.TCP_RECOVERY, 0);
        base = t.establishedOneSegmentPerMss(true);
        t.write(10_000);
        t.advanceSeconds(0.1);
        // tcp_mark_head_lost(): every hole with tp->reordering SACKed segments above it is lost (RFC 6675 IsLost())
        PacketReport reply = ack(0, 2000, 5000);
        assertThat(t.tcb().caState()).isEqualTo(CaState.RECOVERY);
        assertThat(sent(reply)).containsExactly(List.of(0, 1000), List.of(1000, 1000));
    }

    @Test
    void rackOff_duplicateAcksWithoutSackBlocks_onASackConnection_startNoRecovery() {
        t.sysctl(Sysctls.TCP_RECOVERY, 0);
        base = t.establishedOneSegmentPerMss(true);
        t.write(10_000);
        t.advanceSeconds(0.1);
        // tcp_time_to_recover() counts SACKed segments on a SACK connection (tcp_dupack_heuristics()), not duplicates
        for (int i = 0; i < 4; i++) {
            assertThat(sent(ack(0))).isEmpty();
        }
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
        assertThat(t.counter(SnmpCounter.TCP_SACK_RECOVERY)).isZero();
    }

    @Test
    void aHoleFilledFiveSegmentsBelowTheHighestSack_raisesTheReorderingDegree_asTcpInfoShows() {
        base = t.establishedOneSegmentPerMss(true);
        t.write(10_000);
        t.advanceSeconds(0.1);
        ack(0, 5000, 6000);
        // [1000, 2000), never retransmitted, is SACKed below the highest SACK 6000: tcp_check_sack_reordering() makes
        // the reordering degree (6000 - 1000) / 1000 = 5 segments, in Open (not Loss)
        ack(0, 1000, 2000, 5000, 6000);
        java.util.Map<String, Long> info = io.vkernel.kernel.tcp.TcpInfo.of(t.tcb());
        assertThat(info.get("tcpi_reordering")).isEqualTo(5L);
        assertThat(info.get("tcpi_reord_seen")).isEqualTo(1L);
    }

    @Test
    void inLoss_aPartialAckWithASackAboveIt_resendsTheHolesAroundIt_asManyAsCwndAllows() {
        t.sysctl(Sysctls.TCP_EARLY_RETRANS, 2);
        base = t.establishedOneSegmentPerMss(true);
        t.write(10_000);
        t.advanceSeconds(0.3); // the RTO: cwnd 1, the head resent
        assertThat(t.tcb().caState()).isEqualTo(CaState.LOSS);
        t.advanceSeconds(0.01);
        // the resent head arrived, and [2000, 3000) of the originals: slow start grows cwnd by both (acked and SACKed)
        PacketReport reply = ack(1000, 2000, 3000);
        assertThat(t.tcb().cwnd()).isEqualTo(3);
        // everything below the timeout's SND.NXT is lost: the holes on either side of the SACKed segment, three in all
        assertThat(sent(reply)).containsExactly(List.of(1000, 1000), List.of(3000, 1000), List.of(4000, 1000));
        assertThat(t.tcb().caState()).isEqualTo(CaState.LOSS);
    }

    @Test
    void aRetransmissionLostAgain_isResentOnceDataSentAfterItIsSackedAndTheReorderingWindowPassed() {
        base = t.establishedOneSegmentPerMss(true);
        t.sysctl(Sysctls.TCP_WMEM_DEFAULT, 1 << 20);
        t.write(30_000);
        t.advanceSeconds(0.1);
        assertThat(sent(ack(0, 1000, 2000))).containsExactly(List.of(10_000, 1000));
        assertThat(sent(ack(0, 1000, 3000))).containsExactly(List.of(11_000, 1000));
        assertThat(sent(ack(0, 1000, 4000))).as("RACK: the head is lost").containsExactly(List.of(0, 1000));
        assertThat(t.tcb().caState()).isEqualTo(CaState.RECOVERY);
        t.advanceSeconds(0.05);
        assertThat(sent(ack(0, 1000, 5000))).containsExactly(List.of(12_000, 1000));
        assertThat(sent(ack(0, 1000, 6000))).containsExactly(List.of(13_000, 1000));
        assertThat(t.tcb().cwnd()).isEqualTo(9);
        t.advanceSeconds(0.1);
        // [10000, 11000), sent before the resent head, is SACKed: [6000, 10000) is lost, the resend is not (yet)
        assertThat(sent(ack(0, 1000, 6000, 10_000, 11_000))).containsExactly(List.of(6000, 1000));
        assertThat(sent(ack(0, 1000, 6000, 10_000, 12_000))).containsExactly(List.of(7000, 1000));
        assertThat(t.tcb().cwnd()).isEqualTo(5);
        t.advanceSeconds(0.05);
        // [12000, 13000) left 50 ms after the resent head and is SACKed 150 ms later: the resend is lost too, and goes
        // again before any other hole (tcp_rack_detect_loss() on a retransmitted skb, tcp_xmit_retransmit_queue())
        assertThat(sent(ack(0, 1000, 6000, 10_000, 13_000))).containsExactly(List.of(0, 1000));
        assertThat(t.tcb().cwnd()).isEqualTo(4);
        assertThat(t.tcb().totalRetransmits()).isEqualTo(4);
        assertThat(t.counter(SnmpCounter.TCP_RETRANS_SEGS)).isEqualTo(4);
    }
}
