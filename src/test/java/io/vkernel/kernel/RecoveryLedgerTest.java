package io.vkernel.kernel;

import io.vkernel.kernel.tcp.CaState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Corners of loss recovery that PIT showed no test reached (the survivors in quality/equivalent-mutants/tcp/
 * Recovery.tsv): PRR in CWR while the sender is application-limited, the D-SACK undo of a timeout waiting for an
 * ACK that advances SND.UNA, PRR's rounding with Reno's ssthresh. MSS 1000, a 100 ms handshake RTT, GSO off; offsets
 * are from the first byte of data; cwnd is what {@code ss -ti} shows.
 */
class RecoveryLedgerTest {

    private final TcpFixture t = new TcpFixture();
    private int base;

    private PacketReport ack(int ack, int... edges) {
        return t.peer.sendSackBlocksFrom(base, ack, edges);
    }

    private PacketReport ece(int offset) {
        return t.peer.sendAt(TcpFlags.ACK | TcpFlags.ECE, t.peer.sndNxt(), base + offset, "");
    }

    private List<List<Integer>> sent(PacketReport reply) {
        return reply.sentSegments().stream().filter(s -> s.length() > 0).map(s -> List.of(s.seq() - base, s.length())).toList();
    }

    @Test
    void cwrWhileApplicationLimited_prrGivesOneMoreOnlyWhenSndUnaAdvances_andNothingForAnAckDeliveringNothing() {
        base = t.establishedOneSegmentPerMss(false, TcpFlags.ECE | TcpFlags.CWR);
        t.write(3000); // three segments in flight, cwnd 10: the application, not cwnd, limits the sender
        t.advanceSeconds(0.1);
        ece(1000);
        assertThat(t.tcb().caState()).isEqualTo(CaState.CWR);
        assertThat(t.tcb().ssthresh()).isEqualTo(7);
        // tcp_cwnd_reduction(): 2 in flight, below ssthresh 7 (delta 5): sndcnt = min(5, max(prr_delivered 1 -
        // prr_out 0, delivered 1) + 1), the + 1 because SND.UNA advanced and nothing was newly lost; cwnd = 2 + 2
        assertThat(t.tcb().cwnd()).isEqualTo(4);
        // the peer's data acknowledges nothing and is no duplicate (it carries data): nothing delivered, so
        // tcp_cwnd_reduction() returns at once (newly_acked_sacked <= 0) and cwnd stays
        t.peer.data("x");
        assertThat(t.tcb().cwnd()).isEqualTo(4);
        // a duplicate ACK on this non-SACK connection delivers one segment (tcp_add_reno_sack()) but does not advance
        // SND.UNA: 1 in flight (2 out, 1 taken as SACKed), sndcnt = min(6, max(2 - 0, 1)) = 2 without the + 1
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 1000, "");
        assertThat(t.tcb().caState()).isEqualTo(CaState.CWR);
        assertThat(t.tcb().cwnd()).isEqualTo(3);
    }

    @Test
    void inLoss_duplicateAcksThatDsackEveryRetransmission_undoOnlyOnceSndUnaAdvances() {
        t.sysctl(Sysctls.TCP_EARLY_RETRANS, 2); // no loss probe: the RTO comes first
        base = t.establishedOneSegmentPerMss(true);
        t.write(10_000);
        t.advanceSeconds(0.3); // the RTO resends the head
        assertThat(t.tcb().caState()).isEqualTo(CaState.LOSS);
        t.advanceSeconds(0.01);
        // the original head arrived (not the resend: no D-SACK yet); everything but [1000, 2000) is SACKed
        assertThat(sent(ack(1000, 2000, 10_000))).containsExactly(List.of(1000, 1000));
        assertThat(t.tcb().totalRetransmits()).isEqualTo(2);
        // two duplicate ACKs, each D-SACKing [0, 1000) below the cumulative ACK: "dumb counting" takes one
        // retransmission off undo_retrans each, so after the second every retransmission is proven a duplicate
        ack(1000, 0, 1000, 2000, 10_000);
        ack(1000, 0, 1000, 2000, 10_000);
        // tcp_process_loss(): tcp_try_undo_loss() runs only for an ACK that advances SND.UNA
        assertThat(t.tcb().caState()).isEqualTo(CaState.LOSS);
        assertThat(t.counter(SnmpCounter.TCP_LOSS_UNDO)).isZero();
        ack(2000, 2000, 10_000);
        assertThat(t.counter(SnmpCounter.TCP_LOSS_UNDO)).isEqualTo(1);
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
    }

    @Test
    void renoPrr_roundsTheShareUp_onlyWhereDeliveredTimesSsthreshIsNotAMultipleOfPriorCwnd() {
        base = t.establishedOneSegmentPerMss(true);
        TcpFixture.done(t.kernel.setsockopt(t.pid, t.fd, "TCP_CONGESTION", "reno")); // ssthresh = cwnd / 2
        t.write(20_000);
        t.advanceSeconds(0.1);
        assertThat(sent(ack(0, 1000, 2000))).containsExactly(List.of(10_000, 1000));
        assertThat(sent(ack(0, 1000, 3000))).containsExactly(List.of(11_000, 1000));
        assertThat(sent(ack(0, 1000, 4000))).as("RACK: the head is lost").containsExactly(List.of(0, 1000));
        assertThat(t.tcb().ssthresh()).isEqualTo(5);
        // 12 out, 3 SACKed, the head lost: 8 in flight > ssthresh 5, so sndcnt = ceil(prr_delivered 1 x ssthresh 5 /
        // prior_cwnd 10) - prr_out 0 = 1 (the fast retransmit), cwnd = 8 + 1
        assertThat(t.tcb().cwnd()).isEqualTo(9);
        // prr_delivered 2: ceil(2 x 5 / 10) = 1, already sent: nothing goes, cwnd = 8 in flight + 0
        assertThat(sent(ack(0, 1000, 5000))).isEmpty();
        assertThat(t.tcb().cwnd()).isEqualTo(8);
        // prr_delivered 3: ceil(15 / 10) = 2, one sent: one new segment
        assertThat(sent(ack(0, 1000, 6000))).containsExactly(List.of(12_000, 1000));
        assertThat(t.tcb().cwnd()).isEqualTo(8);
    }
}
