package io.vkernel.kernel;

import io.vkernel.kernel.tcp.CaState;
import io.vkernel.kernel.trace.EventType;
import io.vkernel.kernel.trace.KernelEvent;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * tcp_enter_loss() more than once: ssthresh is taken from cwnd once per episode (a second RTO in Loss keeps it, and
 * an RTO during fast recovery keeps the recovery's), each timeout counts in TcpTimeouts and resends the head alone,
 * and a D-SACK for the only retransmission of an RTO undoes it (tcp_try_undo_loss(), TcpExtTCPLossUndo).
 * MSS 1000, a 100 ms handshake RTT, GSO off, no tail loss probe (tcp_early_retrans 2) so the RTO fires first.
 */
class RecoveryTimeoutTest {

    private final TcpFixture t = new TcpFixture();

    private List<String> congestionEvents() {
        return t.kernel.inspect(k -> k.events().after(0, 10_000)).stream()
                .filter(e -> e.type() == EventType.CONGESTION).map(KernelEvent::detail).toList();
    }

    private long counter(SnmpCounter c) {
        return t.kernel.inspect(k -> k.snmp().get(c));
    }

    private int established() {
        t.kernel.inspect(k -> {
            k.sysctls().set(Sysctls.TCP_EARLY_RETRANS, 2);
            return null;
        });
        return t.establishedOneSegmentPerMss(true);
    }

    private void write(int bytes) {
        done(t.kernel.write(t.pid, t.fd, new byte[bytes], new PacketReport(null)));
    }

    @Test
    void aSecondTimeoutInLoss_keepsTheFirstSsthresh_andResendsTheHeadAgain() {
        int base = established();
        write(5000);
        t.kernel.advance(300);
        assertThat(t.tcb().ssthresh()).isEqualTo(7);
        int before = t.peer.received().size();
        t.kernel.advance(599);
        assertThat(t.peer.received()).hasSize(before);
        t.kernel.advance(1); // the RTO doubled: 600 ms
        assertThat(t.peer.received().subList(before, t.peer.received().size())).extracting(Segment::seq)
                .containsExactly(base);
        assertThat(t.tcb().caState()).isEqualTo(CaState.LOSS);
        assertThat(t.tcb().cwnd()).isEqualTo(1);
        assertThat(t.tcb().ssthresh()).as("not recomputed from cwnd 1").isEqualTo(7);
        assertThat(congestionEvents()).containsExactly(
                "OPEN -> LOSS: retransmission timeout (tcp_enter_loss()), cwnd 1, ssthresh 7",
                "LOSS -> LOSS: retransmission timeout (tcp_enter_loss()), cwnd 1, ssthresh 7");
        assertThat(counter(SnmpCounter.TCP_TIMEOUTS)).isEqualTo(2);
        assertThat(counter(SnmpCounter.TCP_RETRANS_SEGS)).isEqualTo(2);
        assertThat(t.tcb().totalRetransmits()).isEqualTo(2);
    }

    @Test
    void aTimeoutDuringFastRecovery_keepsTheRecoverysSsthresh() {
        int base = established();
        write(10_000);
        t.advanceSeconds(0.1);
        t.peer.sendSack(base, base + 1000, base + 2000);
        t.peer.sendSack(base, base + 1000, base + 3000);
        t.peer.sendSack(base, base + 1000, base + 4000);
        assertThat(t.tcb().caState()).isEqualTo(CaState.RECOVERY);
        assertThat(t.tcb().ssthresh()).isEqualTo(7);
        t.advanceSeconds(1.0);
        assertThat(t.tcb().caState()).isEqualTo(CaState.LOSS);
        assertThat(t.tcb().cwnd()).isEqualTo(1);
        assertThat(t.tcb().ssthresh()).as("tcp_enter_loss() in Recovery keeps ssthresh (7, not 7 x 0.7)").isEqualTo(7);
        assertThat(congestionEvents()).contains(
                "RECOVERY -> LOSS: retransmission timeout (tcp_enter_loss()), cwnd 1, ssthresh 7");
    }

    @Test
    void dsackForTheOnlyTimeoutRetransmission_undoesTheLoss() {
        int base = established();
        write(5000);
        t.kernel.advance(300);
        assertThat(t.tcb().caState()).isEqualTo(CaState.LOSS);
        t.kernel.advance(10);
        // the originals all arrived; the resent head arrives twice: the ACK of everything carries its D-SACK
        t.peer.sendSack(base + 5000, base, base + 1000);
        assertThat(t.tcb().caState()).as("a SACK connection returns to Open").isEqualTo(CaState.OPEN);
        assertThat(t.tcb().cwnd()).as("cwnd back to 10 (tcp_undo_cwnd_reduction())").isEqualTo(10); // and not grown: 5 in flight never filled it
        assertThat(t.tcb().ssthresh()).as("ssthresh back to infinite").isEqualTo(Integer.MAX_VALUE);
        assertThat(counter(SnmpCounter.TCP_LOSS_UNDO)).isEqualTo(1);
        assertThat(t.tcb().retransmits()).isZero();
        assertThat(congestionEvents()).as("the undo and the return to Open, each once").containsExactly(
                "OPEN -> LOSS: retransmission timeout (tcp_enter_loss()), cwnd 1, ssthresh 7",
                "undo: the retransmission timeout was spurious; cwnd 10, ssthresh infinite",
                "LOSS -> OPEN: spurious timeout undone (tcp_try_undo_loss()) (cwnd 10, ssthresh infinite)");
    }

    @Test
    void withoutUndo_theAckOfEverythingEndsLoss_andCwndGrowsFromOne() {
        int base = established();
        write(5000);
        t.kernel.advance(300);
        t.kernel.advance(10);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 5000, "");
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
        assertThat(t.tcb().ssthresh()).isEqualTo(7);
        assertThat(counter(SnmpCounter.TCP_LOSS_UNDO)).isZero();
    }
}
