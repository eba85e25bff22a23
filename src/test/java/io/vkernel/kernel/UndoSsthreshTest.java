package io.vkernel.kernel;

import io.vkernel.kernel.tcp.CaState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What an undo restores when the reduction it undoes began above an earlier one's ssthresh: tcp_enter_recovery()
 * saves prior_ssthresh = tcp_current_ssthresh() = max(ssthresh, 3/4 cwnd), and tcp_undo_cwnd_reduction() puts it
 * back when it is higher. Reno, MSS 1000, GSO off: a first real loss halves cwnd 10 to 5, congestion avoidance grows
 * it one segment per round to 12, and a second, spurious recovery is undone by a D-SACK.
 */
class UndoSsthreshTest {

    private final TcpFixture t = new TcpFixture();

    private long counter(SnmpCounter c) {
        return t.kernel.inspect(k -> k.snmp().get(c));
    }

    private void ackTo(int ack) {
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), ack, "");
    }

    /** Three SACKs above SND.UNA: RACK calls the head lost and fast recovery resends it. */
    private void fastRetransmitOfTheHead() {
        int una = t.tcb().sndUna();
        t.advanceSeconds(0.1);
        t.peer.sendSack(una, una + 1000, una + 2000);
        t.peer.sendSack(una, una + 1000, una + 3000);
        t.peer.sendSack(una, una + 1000, una + 4000);
        assertThat(t.tcb().caState()).isEqualTo(CaState.RECOVERY);
    }

    /** Reno after a real loss (ssthresh 5) and seven rounds of congestion avoidance: cwnd 12, ssthresh still 5. */
    private void renoAtCwnd12AfterARealLoss() {
        t.kernel.inspect(k -> {
            k.sysctls().set(Sysctls.TCP_WMEM_DEFAULT, 1 << 20);
            return null;
        });
        t.establishedOneSegmentPerMss(true);
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_CONGESTION", "reno"));
        done(t.kernel.write(t.pid, t.fd, new byte[400_000], new PacketReport(null)));

        fastRetransmitOfTheHead();
        t.advanceSeconds(0.1);
        ackTo(t.tcb().sndNxt()); // the resent head arrived: a real loss, not undone
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
        assertThat(t.tcb().ssthresh()).isEqualTo(5);
        // cwnd = ssthresh 5 (tcp_end_cwnd_reduction()), then this ACK's own round of congestion avoidance: tcp_ack()
        // runs tcp_cong_control() after tcp_fastretrans_alert() has opened
        assertThat(t.tcb().cwnd()).isEqualTo(6);

        for (int round = 0; round < 6; round++) {
            t.advanceSeconds(0.1);
            ackTo(t.tcb().sndNxt()); // a whole window acknowledged: one segment more (tcp_cong_avoid_ai())
        }
        assertThat(t.tcb().cwnd()).isEqualTo(12);
        assertThat(t.tcb().ssthresh()).isEqualTo(5);
    }

    @Test
    void aSpuriousSecondRecovery_undoneByDsack_restoresThreeQuartersOfItsCwndAsSsthresh() {
        renoAtCwnd12AfterARealLoss();
        int una = t.tcb().sndUna();
        fastRetransmitOfTheHead();
        int end = t.tcb().sndNxt(); // the recovery point
        assertThat(t.tcb().ssthresh()).as("Reno halves 12").isEqualTo(6);
        t.advanceSeconds(0.1);
        t.peer.sendSack(end, una, una + 1000); // everything arrived, the resent head twice
        assertThat(counter(SnmpCounter.TCP_FULL_UNDO)).isEqualTo(1);
        assertThat(t.tcb().ssthresh()).as("max(5, 12/2 + 12/4) = 9, not the 5 before the episode").isEqualTo(9);
        assertThat(t.tcb().cwnd()).as("tcp_reno_undo_cwnd(): max(cwnd, prior_cwnd)").isEqualTo(12);
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
    }

    @Test
    void aSpuriousTimeoutFromOpen_undoneByDsack_restoresThreeQuartersOfItsCwndAsSsthresh() {
        t.kernel.inspect(k -> {
            k.sysctls().set(Sysctls.TCP_EARLY_RETRANS, 2); // no loss probe: the RTO comes first
            return null;
        });
        renoAtCwnd12AfterARealLoss();
        int una = t.tcb().sndUna();
        int end = t.tcb().sndNxt();
        t.kernel.advance(t.tcb().rtoMs()); // nothing acknowledged since the last ACK: the RTO resends the head
        assertThat(counter(SnmpCounter.TCP_TIMEOUTS)).isEqualTo(1);
        assertThat(t.tcb().ssthresh()).as("Reno halves 12").isEqualTo(6);
        // tcp_enter_loss() from Open saved prior_ssthresh = tcp_current_ssthresh() = max(5, 12/2 + 12/4) = 9
        t.peer.sendSack(end, una, una + 1000); // everything arrived, the resent head twice
        assertThat(counter(SnmpCounter.TCP_LOSS_UNDO)).isEqualTo(1);
        assertThat(t.tcb().ssthresh()).isEqualTo(9);
        // cwnd back to prior_cwnd 12, then the twelve segments this ACK delivered add one in congestion avoidance
        assertThat(t.tcb().cwnd()).isEqualTo(13);
    }
}
