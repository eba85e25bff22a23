package io.vkernel.kernel;

import io.vkernel.kernel.tcp.CaState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.Segment;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the ACKs after a tail loss probe that resent the last segment decide (tcp_process_tlp_ack()): an ACK beyond
 * the probe without a D-SACK says the probe repaired a loss, so cwnd is reduced once (TcpExtTCPLossProbeRecovery, a
 * CONGESTION event); a D-SACK for the probe, or a pure duplicate ACK at the probe's end, says both copies arrived and
 * nothing is reduced. The ACK's SACK blocks and flags are read by Recovery.onAck (its dsack() and the arguments it
 * hands to LossProbe.onAck). SACK connection, MSS 1000, 100 ms handshake RTT, GSO off: the probe fires 202 ms after
 * the last send.
 */
class TlpAckMutantsTest {

    private final TcpFixture t = new TcpFixture();
    private int base;

    /** An ACK of {@code ack} with the SACK blocks given as start, end pairs (offsets from the first data byte). */
    private PacketReport ack(int ack, int... edges) {
        return t.peer.sendSackBlocksFrom(base, ack, edges);
    }

    /** Three segments out, nothing acknowledged: 202 ms later the probe resends the last one, [2000, 3000). */
    private void probeResendsTheLastSegment() {
        base = t.establishedOneSegmentPerMss(true);
        t.write(3000);
        int before = t.peer.received().size();
        t.advanceSeconds(0.202);
        List<Segment> probe = t.peer.received().subList(before, t.peer.received().size());
        assertThat(probe).extracting(s -> s.seq() - base, Segment::length).containsExactly(org.assertj.core.groups.Tuple.tuple(2000, 1000));
        assertThat(t.counter(SnmpCounter.TCP_LOSS_PROBES)).isEqualTo(1);
        assertThat(t.counter(SnmpCounter.TCP_RETRANS_SEGS)).isEqualTo(1);
    }

    private void assertNotReduced() {
        assertThat(t.counter(SnmpCounter.TCP_LOSS_PROBE_RECOVERY)).isZero();
        assertThat(t.tcb().ssthresh()).as("ssthresh still infinite").isEqualTo(Integer.MAX_VALUE);
        assertThat(t.tcb().cwnd()).isEqualTo(10);
        assertThat(t.congestionEvents()).isEmpty();
    }

    /** Reduced once from cwnd 10 (an ACK that did not grow it): CUBIC's ssthresh 10 x 717 / 1024. */
    private void assertReducedOnce() {
        assertReducedOnce(7);
    }

    private void assertReducedOnce(int ssthresh) {
        assertThat(t.counter(SnmpCounter.TCP_LOSS_PROBE_RECOVERY)).isEqualTo(1);
        assertThat(t.tcb().ssthresh()).isEqualTo(ssthresh);
        assertThat(t.tcb().cwnd()).as("min(cwnd, ssthresh)").isEqualTo(ssthresh);
        assertThat(t.congestionEvents()).containsExactly("the tail loss probe repaired a loss: cwnd reduced once to ssthresh "
                + ssthresh + " (tcp_process_tlp_ack(), CWR)");
    }

    @Test
    void aDsackForTheProbe_onTheAckOfEverything_reducesNothing_evenWhenLaterDataIsAcknowledged() {
        probeResendsTheLastSegment();
        ack(3000, 2000, 3000); // the original arrived, the probe's copy is reported a duplicate (RFC 2883 §4)
        t.write(1000);
        ack(4000);
        assertNotReduced();
    }

    @Test
    void aPlainAckBeyondTheProbe_saysItRepairedALoss_andCwndIsReducedOnce() {
        probeResendsTheLastSegment();
        t.write(1000);
        ack(4000);
        assertReducedOnce();
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
        t.write(1000);
        ack(5000);
        assertThat(t.counter(SnmpCounter.TCP_LOSS_PROBE_RECOVERY)).as("once per probe").isEqualTo(1);
    }

    @Test
    void anAckBeyondTheProbe_withAnOrdinarySackAboveIt_isNoDsack_andReducesCwndOnce() {
        probeResendsTheLastSegment();
        t.write(3000); // [3000, 6000) leaves; [4000, 5000) is lost
        ack(4000, 5000, 6000);
        // six in flight made cwnd the limit: slow start first grows it by the five delivered to 15, then 15 x 717 / 1024
        assertReducedOnce(10);
        assertThat(t.tcb().caState()).as("a hole below a SACK").isEqualTo(CaState.DISORDER);
    }

    @Test
    void anAckAtTheProbe_thenAPureDuplicate_sayBothCopiesArrived_andNothingIsReduced() {
        probeResendsTheLastSegment();
        t.write(2000); // [3000, 5000) in flight, so the duplicate below is read
        ack(3000); // the original's ACK: SND.UNA reaches the probe's end
        ack(3000); // the probe's duplicate ACK, with no D-SACK (tcp_process_tlp_ack()'s last case)
        ack(5000);
        assertNotReduced();
    }

    @Test
    void anAckAtTheProbe_withoutADuplicate_leavesTheProbeOpen_soTheNextAckBeyondReduces() {
        probeResendsTheLastSegment();
        t.write(2000);
        ack(3000);
        ack(5000);
        assertReducedOnce();
    }

    @Test
    void aDuplicateAckWithDataOutstanding_doesNotPostponeTheProbe() {
        base = t.establishedOneSegmentPerMss(true);
        t.write(3000);
        int before = t.peer.received().size();
        t.advanceSeconds(0.150);
        ack(0); // acknowledges nothing: tcp_set_xmit_timer() runs only when SND.UNA advances
        t.advanceSeconds(0.051);
        assertThat(t.peer.received()).hasSize(before);
        t.advanceSeconds(0.001);
        assertThat(t.peer.received().subList(before, t.peer.received().size())).extracting(s -> s.seq() - base)
                .containsExactly(2000);
    }
}
