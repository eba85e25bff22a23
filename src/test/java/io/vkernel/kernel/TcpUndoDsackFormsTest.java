package io.vkernel.kernel;

import io.vkernel.kernel.tcp.CaState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOption;
import io.vkernel.kernel.wire.TcpOptions;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The second form of D-SACK (RFC 2883 §4, tcp_check_dsack()): a first block above the cumulative ACK is a duplicate
 * report when it lies inside the second block. Undo counts it against the retransmissions of the episode like the
 * first form, so a recovery whose every retransmission is reported twice is undone (TCPDSACKUndo).
 */
class TcpUndoDsackFormsTest {

    private final TcpFixture t = new TcpFixture();
    private int base;

    private long counter(SnmpCounter c) {
        return t.kernel.inspect(k -> k.snmp().get(c));
    }

    /** An ACK of {@code ack} with the SACK blocks given as start, end pairs, in order. */
    private PacketReport sack(int ack, int... edges) {
        ByteBuffer blocks = ByteBuffer.allocate(4 * edges.length);
        for (int edge : edges) {
            blocks.putInt(edge);
        }
        TcpOptions options = TcpOptions.of(new TcpOption.Nop(), new TcpOption.Nop(), new TcpOption.Unknown(5, blocks.array()));
        return t.kernel.receive(new Segment(Endpoint.parse(TcpFixture.CLIENT), Endpoint.parse(TcpFixture.SERVER), TcpFlags.ACK,
                t.peer.sndNxt(), ack, 65535, 0, new byte[0], options));
    }

    /** Ten segments out; the first two missing, the next four SACKed: both holes are resent, recovery with ssthresh 7. */
    private void bothHeadSegmentsResent() {
        base = t.establishedOneSegmentPerMss(true);
        done(t.kernel.write(t.pid, t.fd, new byte[10_000], new PacketReport(null)));
        t.advanceSeconds(0.1);
        sack(base, base + 2000, base + 3000);
        sack(base, base + 2000, base + 4000);
        sack(base, base + 2000, base + 5000);
        sack(base, base + 2000, base + 6000);
        assertThat(t.tcb().caState()).isEqualTo(CaState.RECOVERY);
        assertThat(t.tcb().ssthresh()).isEqualTo(7);
        assertThat(t.peer.received()).filteredOn(s -> s.seq() == base + 1000).as("the second hole resent").hasSize(2);
        assertThat(t.peer.received()).filteredOn(s -> s.seq() == base).as("the first hole resent").hasSize(2);
    }

    @Test
    void dsackInsideTheSecondBlock_thenBelowTheAck_undoesTheRecovery() {
        bothHeadSegmentsResent();
        // the second hole's original was only late: its resend is reported as a duplicate, above the ACK (form 2)
        sack(base, base + 1000, base + 2000, base + 1000, base + 6000);
        assertThat(t.tcb().caState()).as("one retransmission not yet shown a duplicate").isEqualTo(CaState.RECOVERY);
        // then the first hole's resend too, below the ACK (form 1)
        sack(base + 6000, base, base + 1000);
        assertThat(counter(SnmpCounter.TCP_DSACK_UNDO)).isEqualTo(1);
        assertThat(t.tcb().ssthresh()).as("ssthresh before the recovery: infinite").isGreaterThan(1000);
        assertThat(t.tcb().cwnd()).as("at least the 10 before the recovery (this ACK's delivery may add)").isGreaterThanOrEqualTo(10);
    }

    @Test
    void aFirstBlockAboveTheAck_notInsideTheSecond_isAnOrdinarySack_andUndoesNothing() {
        bothHeadSegmentsResent();
        sack(base, base + 1000, base + 2000, base + 3000, base + 6000);
        sack(base + 6000, base, base + 1000);
        assertThat(counter(SnmpCounter.TCP_DSACK_UNDO)).isZero();
        assertThat(t.tcb().cwnd()).isLessThan(10);
    }

    @Test
    void anEmptyOrReversedDsackBlock_isIgnored() {
        bothHeadSegmentsResent();
        sack(base + 6000, base + 1000, base + 1000);
        sack(base + 6000, base + 1000, base);
        assertThat(counter(SnmpCounter.TCP_DSACK_UNDO)).isZero();
        sack(base + 6000, base, base + 1000);
        sack(base + 6000, base + 1000, base + 2000);
        assertThat(counter(SnmpCounter.TCP_DSACK_UNDO)).as("both resends reported twice").isEqualTo(1);
    }

    @Test
    void aSecondSpuriousRecovery_undoneByDsack_restoresTheFiniteSsthreshItStartedFrom() {
        base = t.establishedOneSegmentPerMss(true);
        done(t.kernel.write(t.pid, t.fd, new byte[10_000], new PacketReport(null)));
        t.advanceSeconds(0.1);
        sack(base, base + 1000, base + 2000);
        sack(base, base + 1000, base + 3000);
        sack(base, base + 1000, base + 4000);
        t.advanceSeconds(0.1);
        sack(base + 10_000); // the recovery point, no D-SACK: the reduction stays
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
        assertThat(t.tcb().ssthresh()).isEqualTo(7);
        assertThat(t.tcb().cwnd()).as("ssthresh, then CUBIC's first step (tcp_cong_control() in Open)").isEqualTo(8);

        int second = base + 10_000;
        done(t.kernel.write(t.pid, t.fd, new byte[7000], new PacketReport(null)));
        t.advanceSeconds(0.1);
        sack(second, second + 1000, second + 2000);
        sack(second, second + 1000, second + 3000);
        sack(second, second + 1000, second + 4000);
        assertThat(t.tcb().caState()).isEqualTo(CaState.RECOVERY);
        assertThat(t.tcb().ssthresh()).as("reduced again").isLessThan(7);
        sack(second + 7000, second, second + 1000); // the only retransmission arrived twice
        assertThat(counter(SnmpCounter.TCP_FULL_UNDO)).isEqualTo(1);
        assertThat(t.tcb().ssthresh()).as("tcp_current_ssthresh() when it began: max(7, 3/4 of cwnd 8)").isEqualTo(7);
        assertThat(t.tcb().cwnd()).as("back to the cwnd before it").isGreaterThanOrEqualTo(8);
    }
}
