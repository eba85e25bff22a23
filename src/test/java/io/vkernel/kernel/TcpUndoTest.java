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
        assertThat(t.congestionEvents()).contains("undo: the fast retransmit was spurious; cwnd 10, ssthresh infinite");
        // tcp_ack() runs tcp_cong_control() after tcp_fastretrans_alert() has opened: slow start by the 7 segments
        // newly ACKed (Linux also counts the D-SACKed copy as delivered, tcp_dsack_seen(); vkernel does not)
        assertThat(t.tcb().cwnd()).as("cwnd before the recovery, then slow start").isGreaterThanOrEqualTo(17);
        assertThat(t.tcb().ssthresh()).as("ssthresh before the recovery: still infinite").isGreaterThan(1000);
        assertThat(counter(SnmpCounter.TCP_FULL_UNDO)).isEqualTo(1);
    }

    @Test
    void noDsack_theReductionStays() {
        int base = fastRetransmitOfTheFirst();
        t.advanceSeconds(0.1);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 10_000, "");

        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
        // tcp_end_cwnd_reduction(): cwnd = ssthresh 7; then tcp_cong_control() in Open (tcp_ack() runs it after
        // tcp_fastretrans_alert()): CUBIC's new epoch aims at 8 on the way back to W_max 10, and 7 segments earn it
        assertThat(t.tcb().cwnd()).as("cwnd = ssthresh, plus CUBIC's first step").isEqualTo(8);
        assertThat(counter(SnmpCounter.TCP_FULL_UNDO)).isZero();
        assertThat(counter(SnmpCounter.TCP_DSACK_UNDO)).isZero();
    }

    @Test
    void lateDsackBelowSndUna_undoesTheFinishedRecovery() {
        int base = fastRetransmitOfTheFirst();
        t.advanceSeconds(0.1);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 10_000, "");
        assertThat(t.tcb().cwnd()).isEqualTo(8);

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
        assertThat(t.tcb().cwnd()).as("ssthresh 7, plus CUBIC's first step on the ACK that ends recovery").isEqualTo(8);
        assertThat(counter(SnmpCounter.TCP_FULL_UNDO)).isZero();
    }
}
