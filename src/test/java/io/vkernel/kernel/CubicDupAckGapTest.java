package io.vkernel.kernel;

import io.vkernel.kernel.tcp.CaState;
import io.vkernel.kernel.trace.PacketReport;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An ACK that does not advance SND.UNA never runs congestion avoidance (tcp_cong_control(): tcp_may_raise_cwnd()
 * wants FLAG_DATA_ACKED while tp->reordering is the sysctl's 3), even when CUBIC's curve has moved on since the last
 * ACK that did: bictcp_update() would recompute ca->cnt there, and tcp_cong_avoid_ai() would pay out the segments
 * already counted in snd_cwnd_cnt. MSS 1000, a 100 ms handshake RTT, GSO off, SACK; offsets from the first data byte.
 */
class CubicDupAckGapTest {

    private final TcpFixture t = new TcpFixture();
    private int base;

    private PacketReport ack(int ack, int... edges) {
        return t.peer.sendSackBlocksFrom(base, ack, edges);
    }

    private List<List<Integer>> sent(PacketReport reply) {
        return TcpFixture.dataSegments(reply, base);
    }

    /**
     * A fast retransmit at cwnd 10 (ssthresh 7, W_max 10), the ACK ending recovery (cwnd 7 + 1: CUBIC's epoch starts,
     * its target 8), then 10 ms later an ACK of 6 of the 8 segments in flight: the target is still 8, so ca->cnt is
     * 100 x cwnd and those 6 (with 2 left from the first ACK) stay counted in snd_cwnd_cnt: 8. Then 250 ms pass.
     * Answers SND.UNA's offset; 8 segments are in flight above it.
     */
    private int eightSegmentsCountedAtCwnd8() {
        t.sysctl(Sysctls.TCP_EARLY_RETRANS, 2); // no loss probe between the ACKs below
        base = t.establishedOneSegmentPerMss(true);
        t.sysctl(Sysctls.TCP_WMEM_DEFAULT, 1 << 20);
        t.write(100_000);
        t.advanceSeconds(0.1);
        ack(0, 1000, 2000);
        ack(0, 1000, 3000);
        ack(0, 1000, 4000); // the fast retransmit: ssthresh 7, W_max 10
        t.advanceSeconds(0.1);
        ack(t.tcb().sndNxt() - base); // the recovery point and all after it: Open, cwnd 7 + 1, the epoch starts
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
        assertThat(t.tcb().cwnd()).isEqualTo(8);
        int nxt = t.tcb().sndNxt() - base;
        t.advanceSeconds(0.01);
        assertThat(sent(ack(nxt - 2000))).hasSize(6); // six left the network, six new go: cwnd still 8
        assertThat(t.tcb().cwnd()).isEqualTo(8);
        // 260 ms into the epoch the curve back to W_max 10 (K = 2003/1024 s) is at 9: ca->cnt would be 8 / (9 - 8).
        // (t adds delay_min, 0 here as no RTT sample reached CUBIC; Linux's SACK RTT would make it 100 ms: still 9)
        t.advanceSeconds(0.25);
        return nxt - 2000;
    }

    @Test
    void aDuplicateAckWhenTheCubicTargetHasRisen_growsNothingAndSendsNothing_theNextAckThatDeliversDoes() {
        int una = eightSegmentsCountedAtCwnd8();
        // a duplicate ACK without SACK blocks: Open stays Open, and cwnd 8 is full
        assertThat(sent(ack(una))).isEmpty();
        assertThat(t.tcb().cwnd()).isEqualTo(8);
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
        t.advanceSeconds(0.01);
        // the next segment acknowledged: bictcp_update() finds the target at 9, and the 8 + 1 counted earn one more
        assertThat(sent(ack(una + 1000))).hasSize(2);
        assertThat(t.tcb().cwnd()).isEqualTo(9);
    }

    @Test
    void aDuplicateAckSackingASegmentWhenTheCubicTargetHasRisen_letsOnlyThatSegmentBeReplaced() {
        int una = eightSegmentsCountedAtCwnd8();
        // it SACKs [SND.UNA + 1000, SND.UNA + 2000): Disorder, one segment delivered but SND.UNA did not advance, so
        // only the SACKed one is replaced (tcp_may_raise_cwnd() is false)
        assertThat(sent(ack(una, una + 1000, una + 2000))).hasSize(1);
        assertThat(t.tcb().cwnd()).isEqualTo(8);
        assertThat(t.tcb().caState()).isEqualTo(CaState.DISORDER);
    }

    // tcp_may_raise_cwnd(): once tp->reordering exceeds net.ipv4.tcp_reordering, read at each ACK, any forward
    // progress (FLAG_FORWARD_PROGRESS: data ACKed or newly SACKed) grows cwnd, not only FLAG_DATA_ACKED. The
    // connection took tp->reordering 3 at creation (tcp_init_sock()); lowering the sysctl to 2 afterwards puts it above.

    @Test
    void withReorderingAboveTheSysctl_aDuplicateAckWithoutSack_stillGrowsNothingAndSendsNothing() {
        int una = eightSegmentsCountedAtCwnd8();
        t.sysctl(Sysctls.TCP_REORDERING, 2);
        // neither SND.UNA advanced nor anything newly SACKed: no FLAG_FORWARD_PROGRESS, tcp_cong_avoid() does not run
        assertThat(sent(ack(una))).isEmpty();
        assertThat(t.tcb().cwnd()).isEqualTo(8);
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
    }

    @Test
    void withReorderingAboveTheSysctl_aDuplicateAckSackingASegment_growsCwndAndSendsOneMore() {
        int una = eightSegmentsCountedAtCwnd8();
        t.sysctl(Sysctls.TCP_REORDERING, 2);
        // the newly SACKed segment is forward progress: bictcp_update() finds the target at 9, and the 8 + 1 counted
        // earn one more; the SACKed one is replaced and one more goes (the same ACK at the sysctl's 3 sends only one)
        assertThat(sent(ack(una, una + 1000, una + 2000))).hasSize(2);
        assertThat(t.tcb().cwnd()).isEqualTo(9);
        assertThat(t.tcb().caState()).isEqualTo(CaState.DISORDER);
    }
}
