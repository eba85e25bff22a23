package io.vkernel.kernel;

import io.vkernel.kernel.tcp.CaState;
import io.vkernel.kernel.trace.PacketReport;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A cumulative ACK that covers only data SACKed before still runs congestion avoidance: tcp_clean_rtx_queue() sets
 * FLAG_DATA_ACKED for every acknowledged data skb, SACKed or not, so tcp_may_raise_cwnd() holds and tcp_cong_control()
 * calls tcp_cong_avoid() with acked_sacked 0; bictcp_update() then recomputes ca->cnt and tcp_cong_avoid_ai() pays out
 * what snd_cwnd_cnt already holds. MSS 1000, a 100 ms handshake RTT, GSO off, SACK, RACK off (dupthresh); offsets from
 * the first data byte.
 */
class CubicAckOfSackedDataTest {

    private final TcpFixture t = new TcpFixture();
    private int base;

    private PacketReport ack(int ack, int... edges) {
        return t.peer.sendSackBlocksFrom(base, ack, edges);
    }

    private List<List<Integer>> sent(PacketReport reply) {
        return TcpFixture.dataSegments(reply, base);
    }

    @Test
    void anAckOfOnlySackedData_whenTheCubicTargetHasRisen_growsCwndAndSendsOneMore() {
        t.sysctl(Sysctls.TCP_EARLY_RETRANS, 2); // no loss probe while the ACKs below wait
        t.sysctl(Sysctls.TCP_RECOVERY, 0); // no RACK: one SACKed segment is Disorder, not a loss
        base = t.establishedOneSegmentPerMss(true);
        t.sysctl(Sysctls.TCP_WMEM_DEFAULT, 1 << 20);
        t.write(100_000);
        t.advanceSeconds(0.1);
        ack(0, 1000, 4000); // three segments SACKed above the head: fast retransmit, ssthresh 7, W_max 10
        t.advanceSeconds(0.1);
        ack(t.tcb().sndNxt() - base); // the recovery point: Open, cwnd 7 + 1, CUBIC's epoch starts (target 8)
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
        assertThat(t.tcb().cwnd()).isEqualTo(8);
        int una = t.tcb().sndUna() - base;
        // seven ACKs of one segment each, 10 ms apart: the target is still cwnd 8, so ca->cnt is 100 x cwnd and each
        // segment stays counted in snd_cwnd_cnt (7)
        for (int i = 1; i <= 7; i++) {
            t.advanceSeconds(0.01);
            assertThat(sent(ack(una + 1000 * i))).hasSize(1);
        }
        una += 7000;
        assertThat(t.tcb().cwnd()).isEqualTo(8);
        t.advanceSeconds(0.01);
        // the segment above SND.UNA arrives first (Disorder; a SACK does not raise cwnd), then the ACK of the head
        // alone: snd_cwnd_cnt 8, still below ca->cnt
        assertThat(sent(ack(una, una + 1000, una + 2000))).hasSize(1);
        assertThat(t.tcb().caState()).isEqualTo(CaState.DISORDER);
        t.advanceSeconds(0.01);
        assertThat(sent(ack(una + 1000, una + 1000, una + 2000))).hasSize(1);
        assertThat(t.tcb().cwnd()).isEqualTo(8);
        int nxt = t.tcb().sndNxt() - base;
        // 250 ms later the curve back to W_max 10 is at 9: ca->cnt 8 / (9 - 8) = 8 <= snd_cwnd_cnt. The ACK of the
        // SACKed segment delivers nothing new, yet cwnd grows to 9 and one more segment goes
        t.advanceSeconds(0.25);
        assertThat(sent(ack(una + 2000))).containsExactly(List.of(nxt, 1000));
        assertThat(t.tcb().cwnd()).isEqualTo(9);
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
    }

    /**
     * The same at cwnd == ssthresh: tcp_in_slow_start() is cwnd < ssthresh, so cubictcp_cong_avoid() goes on to
     * bictcp_update() and tcp_cong_avoid_ai() even with acked 0. Recovery ends on an ACK that delivers only two
     * segments (the rest were SACKed before), so cwnd stays at ssthresh 7 while CUBIC's epoch starts (W_max 10, target
     * 8, ca->cnt 7 / (8 - 7) = 7; snd_cwnd_cnt 2; ack_cnt stays far below the TCP-friendly step of 13).
     */
    @Test
    void anAckOfOnlySackedData_atCwndEqualToSsthresh_stillGrowsCwndAndSendsOneMore() {
        t.sysctl(Sysctls.TCP_EARLY_RETRANS, 2);
        t.sysctl(Sysctls.TCP_RECOVERY, 0);
        base = t.establishedOneSegmentPerMss(true);
        t.sysctl(Sysctls.TCP_WMEM_DEFAULT, 1 << 20);
        t.write(100_000);
        int high = t.tcb().sndNxt() - base;
        assertThat(high).isEqualTo(10_000);
        t.advanceSeconds(0.1);
        ack(0, 1000, 4000); // fast retransmit: ssthresh 7, W_max 10, high_seq 10000
        ack(0, 1000, high - 1000); // all but the head and the last segment SACKed
        assertThat(t.tcb().caState()).isEqualTo(CaState.RECOVERY);
        t.advanceSeconds(0.1);
        ack(high); // the recovery point: Open, cwnd = ssthresh 7; two segments delivered, snd_cwnd_cnt 2 < ca->cnt 7
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
        assertThat(t.tcb().cwnd()).isEqualTo(7);
        assertThat(t.tcb().ssthresh()).isEqualTo(7);
        int una = t.tcb().sndUna() - base;
        t.advanceSeconds(0.01);
        // the segment above SND.UNA first (Disorder), then the head alone: snd_cwnd_cnt 3, still below ca->cnt 7
        assertThat(sent(ack(una, una + 1000, una + 2000))).hasSize(1);
        assertThat(t.tcb().caState()).isEqualTo(CaState.DISORDER);
        t.advanceSeconds(0.01);
        assertThat(sent(ack(una + 1000, una + 1000, una + 2000))).hasSize(1);
        assertThat(t.tcb().cwnd()).isEqualTo(7);
        int nxt = t.tcb().sndNxt() - base;
        // 250 ms later the curve back to W_max 10 is at 9: ca->cnt 7 / (9 - 7) = 3 <= snd_cwnd_cnt. The ACK of the
        // SACKed segment delivers nothing new, yet at cwnd == ssthresh it still grows cwnd to 8 and one more goes
        t.advanceSeconds(0.25);
        assertThat(sent(ack(una + 2000))).containsExactly(List.of(nxt, 1000));
        assertThat(t.tcb().cwnd()).isEqualTo(8);
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
    }
}
