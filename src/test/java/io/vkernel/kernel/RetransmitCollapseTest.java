package io.vkernel.kernel;

import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.tcp.CaState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * tcp_retrans_try_collapse() merges a resent skb shorter than one MSS with the one-segment skbs after it while the
 * whole fits in one MSS, across the ends of writes (tcp_skb_can_collapse() stops only at MSG_EOR), and the merged skb
 * carries the PSH of each (tcp_collapse_retrans() ORs tcp_flags). With TCP_NODELAY every write below is an skb of its
 * own (MSS 1000, GSO off, SACK, 100 ms RTT, no loss probe). Offsets are from the first data byte.
 */
class RetransmitCollapseTest {

    private final TcpFixture t = new TcpFixture();
    private int base;

    /** TCP_NODELAY writes of {@code sizes} bytes, all sent at once. */
    private void nodelayWrites(int... sizes) {
        t.sysctl(Sysctls.TCP_EARLY_RETRANS, 2); // no tail loss probe: the RTO resends first
        base = t.establishedOneSegmentPerMss(true);
        TcpFixture.done(t.kernel.setsockopt(t.pid, t.fd, "TCP_NODELAY", 1, true));
        int end = 0;
        for (int size : sizes) {
            t.write(size);
            end += size;
        }
        assertThat(t.tcb().sndNxt() - base).as("all sent at once").isEqualTo(end);
    }

    @Test
    void afterTheRto_theResendMergesTwoSmallWritesIntoOneSegment_withPsh() {
        nodelayWrites(1000, 1000, 300, 300);
        int before = t.peer.received().size();
        t.kernel.advance(t.tcb().rtoMs());
        // the head skb is one full MSS: nothing fits after it
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly("P. 0:1000");
        assertThat(t.tcb().caState()).isEqualTo(CaState.LOSS);
        t.advanceSeconds(0.1);
        before = t.peer.received().size();
        long retransSegs = t.counter(SnmpCounter.TCP_RETRANS_SEGS);
        t.peer.sendSackBlocksFrom(base, 1000); // slow start in Loss: cwnd 2
        // [1000, 2000) is one MSS and goes alone; the skbs [2000, 2300) and [2300, 2600) fill 600 of 1000 bytes and
        // leave as one segment (Linux: 2000:2600 P.), where a resend stopping at each write end would send 2000:2300
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly("P. 1000:2000", "P. 2000:2600");
        assertThat(t.counter(SnmpCounter.TCP_RETRANS_SEGS) - retransSegs).isEqualTo(2);
    }

    @Test
    void aSmallSkbAfterAFullOneOfTheSameResend_takesInTheNextWrite() {
        nodelayWrites(2500, 300);
        int before = t.peer.received().size();
        t.kernel.advance(t.tcb().rtoMs());
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly(". 0:1000");
        t.advanceSeconds(0.1);
        before = t.peer.received().size();
        t.peer.sendSackBlocksFrom(base, 1000); // cwnd 2
        // the skbs [1000, 2000) and [2000, 2500) of the first write, the second taking in the 300-byte write: two
        // segments, where stopping at the first write's end would leave [2500, 2800) for the next round
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly(". 1000:2000", "P. 2000:2800");
    }

    @Test
    void theRtoResendOfASmallHeadSkb_takesInTheNextSmallWrite_andStopsWhereTheMssIsFull() {
        nodelayWrites(300, 300, 1000);
        int before = t.peer.received().size();
        long retransSegs = t.counter(SnmpCounter.TCP_RETRANS_SEGS);
        t.kernel.advance(t.tcb().rtoMs());
        // tcp_retransmit_skb(head, 1): [0, 300) takes in [300, 600); [600, 1600) would pass one MSS and stays
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly("P. 0:600");
        assertThat(t.counter(SnmpCounter.TCP_RETRANS_SEGS) - retransSegs).isEqualTo(1);
        t.advanceSeconds(0.1);
        before = t.peer.received().size();
        t.peer.sendSackBlocksFrom(base, 600);
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly("P. 600:1600");
    }

    @Test
    void anSkbEndingAMsgEorWrite_takesInNothingMore() {
        t.sysctl(Sysctls.TCP_EARLY_RETRANS, 2);
        base = t.establishedOneSegmentPerMss(true);
        TcpFixture.done(t.kernel.setsockopt(t.pid, t.fd, "TCP_NODELAY", 1, true));
        t.write(200);
        TcpFixture.done(t.kernel.send(t.pid, t.fd, new byte[200], Syscalls.MSG_EOR, new PacketReport(null)));
        t.write(200);
        int before = t.peer.received().size();
        t.kernel.advance(t.tcb().rtoMs());
        // [0, 200) takes in [200, 400), which ends a record: tcp_collapse_retrans() gives the merged skb its eor, and
        // tcp_skb_can_collapse() then lets nothing join it, though [400, 600) would fit in the MSS
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly("P. 0:400");
        t.advanceSeconds(0.1);
        before = t.peer.received().size();
        t.peer.sendSackBlocksFrom(base, 400);
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly("P. 400:600");
    }

    @Test
    void theEorMarkLeavesWithItsAckedSkb_theNextSmallSkbsCollapseAgain() {
        t.sysctl(Sysctls.TCP_EARLY_RETRANS, 2);
        base = t.establishedOneSegmentPerMss(true);
        TcpFixture.done(t.kernel.setsockopt(t.pid, t.fd, "TCP_NODELAY", 1, true));
        TcpFixture.done(t.kernel.send(t.pid, t.fd, new byte[300], Syscalls.MSG_EOR, new PacketReport(null)));
        t.write(300);
        t.write(300);
        t.peer.sendSackBlocksFrom(base, 300); // the record's skb is acknowledged and freed, its eor bit with it
        int before = t.peer.received().size();
        t.kernel.advance(t.tcb().rtoMs());
        // [300, 600) takes in [600, 900): no skb left ends a MSG_EOR write
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly("P. 300:900");
    }

    @Test
    void aSackedSkbEndsTheRtoCollapse() {
        t.sysctl(Sysctls.TCP_RECOVERY, 0); // no RACK: one duplicate ACK marks nothing lost, so the RTO resends first
        nodelayWrites(300, 300, 300);
        t.peer.sendSackBlocksFrom(base, 0, 600, 900);
        int before = t.peer.received().size();
        t.kernel.advance(t.tcb().rtoMs());
        // tcp_can_collapse(): [600, 900) is SACKed, so [0, 300) takes in [300, 600) only
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly("P. 0:600");
        assertThat(t.tcb().caState()).isEqualTo(CaState.LOSS);
    }
}
