package io.vkernel.kernel;

import io.vkernel.kernel.tcp.CaState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Loss detection as Linux runs it by default: RACK's reordering window and timer, the tail loss probe (RFC 8985),
 * and limited transmit on a connection without SACK (RFC 3042).
 */
class TcpLossDetectionTest {

    private final TcpFixture t = new TcpFixture();

    /** Established with a 100 ms handshake RTT, MSS 1000, GSO off (one segment per MSS). */
    private int established(boolean sack) {
        return t.establishedOneSegmentPerMss(sack);
    }

    /** What the kernel sent after the first {@code skip} segments it ever sent us. */
    private List<Segment> sentSince(int skip) {
        List<Segment> all = t.peer.received();
        return all.subList(skip, all.size());
    }

    @Test
    void sackedLastSegment_othersAreLostOnlyAfterTheReorderingWindow() {
        int base = established(true);
        t.write(4000);
        int before = t.peer.received().size();
        PacketReport sack = t.peer.sendSack(base, base + 3000, base + 4000);
        assertThat(sack.sentSegments()).as("RACK waits min_rtt / 4 before calling earlier segments lost").isEmpty();
        assertThat(t.tcb().caState()).isEqualTo(CaState.DISORDER);

        t.advanceSeconds(0.026);
        assertThat(sentSince(before)).isEmpty();
        t.advanceSeconds(0.001); // 25 ms window + TCP_TIMEOUT_MIN
        assertThat(sentSince(before)).singleElement().satisfies(s -> {
            assertThat(s.seq()).isEqualTo(base);
            assertThat(s.length()).isEqualTo(1000);
        });
        assertThat(t.tcb().caState()).isEqualTo(CaState.RECOVERY);
    }

    @Test
    void rackOff_theSameSackWaitsForTheRetransmissionTimer() {
        t.kernel.inspect(k -> {
            k.sysctls().set(Sysctls.TCP_RECOVERY, 0);
            k.sysctls().set(Sysctls.TCP_EARLY_RETRANS, 0);
            return null;
        });
        int base = established(true);
        t.write(4000);
        int before = t.peer.received().size();
        t.peer.sendSack(base, base + 3000, base + 4000);
        t.advanceSeconds(0.2);
        assertThat(sentSince(before)).as("one SACKed segment is below dupthresh, and no timer but the RTO runs").isEmpty();
        t.advanceSeconds(0.11);
        assertThat(sentSince(before)).singleElement().satisfies(s -> assertThat(s.seq()).isEqualTo(base));
        assertThat(t.tcb().caState()).isEqualTo(CaState.LOSS);
    }

    @Test
    void tailLost_aProbeResendsTheLastSegmentAfterTwoSrtt_beforeTheRto() {
        int base = established(true);
        t.write(3000);
        int before = t.peer.received().size();
        t.advanceSeconds(0.201);
        assertThat(sentSince(before)).isEmpty();
        t.advanceSeconds(0.001); // 2 x SRTT (100 ms) + 2 ms
        assertThat(sentSince(before)).singleElement().satisfies(s -> {
            assertThat(s.seq()).as("the last segment").isEqualTo(base + 2000);
            assertThat(s.length()).isEqualTo(1000);
        });
        assertThat(t.tcb().caState()).as("a probe is no recovery").isEqualTo(CaState.OPEN);
        assertThat(t.tcb().totalRetransmits()).isEqualTo(1);
        assertThat(t.tcb().retransmits()).as("nor a timeout").isZero();

        t.advanceSeconds(0.1); // one RTT: a SACK sooner could be for the original, not the probe (tcp_rack_advance())
        PacketReport sack = t.peer.sendSack(base, base + 2000, base + 3000);
        assertThat(sack.sentSegments()).as("the probe's SACK lets RACK find the rest lost at once")
                .extracting(Segment::seq).containsExactly(base);
    }

    @Test
    void tailLossProbe_sendsNewDataWhenSomeWaits() {
        int base = established(true);
        t.sysctl(Sysctls.TCP_WMEM_DEFAULT, 1 << 20);
        t.write(15_000); // ten segments leave (cwnd 10), five wait
        int before = t.peer.received().size();
        t.advanceSeconds(0.202);
        assertThat(sentSince(before)).singleElement().satisfies(s -> {
            assertThat(s.seq()).as("new data beyond cwnd").isEqualTo(base + 10_000);
            assertThat(s.length()).isEqualTo(1000);
        });
        assertThat(t.tcb().totalRetransmits()).isZero();
    }

    @Test
    void tcpEarlyRetransBelowThree_noProbe_theRtoResendsTheHead() {
        t.sysctl(Sysctls.TCP_EARLY_RETRANS, 2);
        int base = established(true);
        t.write(3000);
        int before = t.peer.received().size();
        t.advanceSeconds(0.299);
        assertThat(sentSince(before)).isEmpty();
        t.advanceSeconds(0.002); // RTO = SRTT + 4 x RTTVAR = 300 ms
        assertThat(sentSince(before)).extracting(Segment::seq).containsExactly(base);
    }

    @Test
    void noSack_eachOfTheFirstDuplicateAcksLetsOneNewSegmentGo() {
        int base = established(false);
        t.sysctl(Sysctls.TCP_WMEM_DEFAULT, 1 << 20);
        t.write(13_000);
        PacketReport first = t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base, "");
        assertThat(first.sentSegments()).extracting(Segment::seq).containsExactly(base + 10_000);
        PacketReport second = t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base, "");
        assertThat(second.sentSegments()).extracting(Segment::seq).containsExactly(base + 11_000);
        assertThat(t.tcb().cwnd()).as("limited transmit leaves cwnd alone").isEqualTo(10);
        assertThat(t.tcb().caState()).isEqualTo(CaState.DISORDER);
    }
}
