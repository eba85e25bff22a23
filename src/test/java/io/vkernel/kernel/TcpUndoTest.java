package io.vkernel.kernel;

import io.vkernel.kernel.tcp.CaState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Undo of a spurious cwnd reduction (tcp_try_undo_recovery(), tcp_try_undo_dsack()): when D-SACKs show that every
 * retransmission of a recovery reached the peer twice, cwnd and ssthresh go back to what they were; when one did not,
 * the reduction stays.
 */
class TcpUndoTest {

    private final TcpFixture t = new TcpFixture();

    /** Established with a 100 ms handshake RTT, MSS 1000, SACK on, GSO off (one segment per MSS). */
    private int established() {
        return t.establishedOneSegmentPerMss(true);
    }

    private long counter(SnmpCounter c) {
        return t.kernel.inspect(k -> k.snmp().get(c));
    }

    /** Ten segments out, three SACKed above the first: the first is resent and recovery runs with ssthresh 7. */
    private int fastRetransmitOfTheFirst() {
        int base = established();
        done(t.kernel.write(t.pid, t.fd, new byte[10_000], new PacketReport(null)));
        t.advanceSeconds(0.1);
        t.peer.sendSack(base, base + 1000, base + 2000);
        t.peer.sendSack(base, base + 1000, base + 3000);
        PacketReport third = t.peer.sendSack(base, base + 1000, base + 4000);
        assertThat(third.sentSegments()).extracting(Segment::seq).containsExactly(base);
        assertThat(t.tcb().caState()).isEqualTo(CaState.RECOVERY);
        assertThat(t.tcb().ssthresh()).isEqualTo(7);
        return base;
    }

    @Test
    void dsackForTheOnlyRetransmission_endsRecoveryWithCwndRestored() {
        int base = fastRetransmitOfTheFirst();
        t.advanceSeconds(0.1);
        t.peer.sendSack(base + 10_000, base, base + 1000); // D-SACK: the resent first segment arrived twice

        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
        assertThat(t.tcb().cwnd()).as("cwnd before the recovery").isEqualTo(10);
        assertThat(t.tcb().ssthresh()).as("ssthresh before the recovery: still infinite").isGreaterThan(1000);
        assertThat(counter(SnmpCounter.TCP_FULL_UNDO)).isEqualTo(1);
    }

    @Test
    void noDsack_theReductionStays() {
        int base = fastRetransmitOfTheFirst();
        t.advanceSeconds(0.1);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 10_000, "");

        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
        assertThat(t.tcb().cwnd()).as("tcp_end_cwnd_reduction(): cwnd = ssthresh").isEqualTo(7);
        assertThat(counter(SnmpCounter.TCP_FULL_UNDO)).isZero();
        assertThat(counter(SnmpCounter.TCP_DSACK_UNDO)).isZero();
    }

    @Test
    void lateDsackBelowSndUna_undoesTheFinishedRecovery() {
        int base = fastRetransmitOfTheFirst();
        t.advanceSeconds(0.1);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 10_000, "");
        assertThat(t.tcb().cwnd()).isEqualTo(7);

        t.peer.sendSack(base + 9000, base, base + 1000); // reordered on the way back: below SND.UNA, with the D-SACK
        assertThat(t.tcb().cwnd()).isEqualTo(10);
        assertThat(counter(SnmpCounter.TCP_DSACK_UNDO)).isEqualTo(1);

        done(t.kernel.write(t.pid, t.fd, new byte[12_000], new PacketReport(null)));
        List<Segment> sent = t.peer.received();
        assertThat(sent.subList(sent.size() - 10, sent.size())).as("a full cwnd of 10 leaves")
                .allMatch(s -> s.length() == 1000);
        assertThat(sent.get(sent.size() - 1).seq()).isEqualTo(base + 19_000);
    }

    @Test
    void dsackForDataNeverRetransmitted_undoesNothing() {
        int base = fastRetransmitOfTheFirst();
        t.advanceSeconds(0.1);
        // a D-SACK for the fifth segment, which was sent once: the peer got a network duplicate, not our retransmission
        t.peer.sendSack(base + 10_000, base + 4000, base + 5000);
        assertThat(t.tcb().cwnd()).isEqualTo(7);
        assertThat(counter(SnmpCounter.TCP_FULL_UNDO)).isZero();
    }
}
