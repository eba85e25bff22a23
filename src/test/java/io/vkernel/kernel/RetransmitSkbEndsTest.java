package io.vkernel.kernel;

import io.vkernel.kernel.tcp.CaState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.IcmpMessage;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * tcp_xmit_retransmit_queue() resends the retransmission queue skb by skb: an skb that cwnd does not take whole is cut
 * at what is left (__tcp_retransmit_skb(): tcp_fragment() at segs x MSS), one shorter than an MSS takes in the
 * one-segment skbs after it that fit (tcp_retrans_try_collapse()), and TcpRetransSegs counts the segments that leave.
 * The skbs here come from a 2-segment first packet (MSS 1000, GSO off, SACK, 100 ms RTT, no loss probe), cut at one
 * MSS by the RTO's resend of the head (tcp_retransmit_skb(head, 1)), then resent at MSS 800 after ICMP lowered the
 * path MTU (tcp_simple_retransmit()). Offsets are from the first data byte.
 */
class RetransmitSkbEndsTest {

    private static final Endpoint CLIENT = Endpoint.parse(TcpFixture.CLIENT);
    private static final Endpoint SERVER = Endpoint.parse(TcpFixture.SERVER);

    private final TcpFixture t = new TcpFixture();
    private int base;

    /** Writes {@code bytes} (one skb of two segments), lets the RTO resend the head, then lowers the MSS to 800. */
    private void timeoutThenMss800(int bytes) {
        t.sysctl(Sysctls.TCP_EARLY_RETRANS, 2); // no tail loss probe: only the RTO cuts the skb
        base = t.establishedOneSegmentPerMss(true);
        t.write(bytes);
        assertThat(TcpFixture.summary(t.peer.received(), base)).endsWith(". 0:1000", "P. 1000:" + bytes);
        int before = t.peer.received().size();
        t.kernel.advance(t.tcb().rtoMs());
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly(". 0:1000");
        before = t.peer.received().size();
        t.kernel.receiveRaw(IcmpMessage.encode(CLIENT.address(), SERVER.address(), IcmpMessage.DEST_UNREACH,
                IcmpMessage.FRAG_NEEDED, 840, new FourTuple(CLIENT, SERVER), t.tcb().sndUna(), 0));
        // cwnd 1 in Loss: the first 800 bytes of the head skb [0, 1000), which is cut there
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly(". 0:800");
        assertThat(t.tcb().caState()).isEqualTo(CaState.LOSS);
        t.advanceSeconds(0.1);
    }

    @Test
    void afterTheRtoCutTheHeadAtOneMss_theNextResendStopsAtThatCut_andCutsTheNextSkbAtTheBudget() {
        timeoutThenMss800(2000);
        int before = t.peer.received().size();
        long retransSegs = t.counter(SnmpCounter.TCP_RETRANS_SEGS);
        t.peer.sendSackBlocksFrom(base, 800); // slow start in Loss: cwnd 2, two segments may go
        // [800, 1000) is what is left of the RTO's skb [0, 1000); the skb [1000, 2000) is two segments at MSS 800,
        // one more than the budget, so it is cut at 1800 (Linux sends exactly these two)
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly(". 800:1000", ". 1000:1800");
        assertThat(t.counter(SnmpCounter.TCP_RETRANS_SEGS) - retransSegs).isEqualTo(2);
        assertThat(t.tcb().totalRetransmits()).as("the RTO's, the ICMP's and these two").isEqualTo(4);
    }

    @Test
    void aResendShorterThanAnMss_takesInTheSmallSkbAfterIt_asOneSegment() {
        timeoutThenMss800(1600);
        int before = t.peer.received().size();
        long retransSegs = t.counter(SnmpCounter.TCP_RETRANS_SEGS);
        t.peer.sendSackBlocksFrom(base, 800);
        // [800, 1000) and the 600-byte skb [1000, 1600) fill exactly one MSS of 800: tcp_retrans_try_collapse() merges
        // them, so one segment leaves, with the write's PSH, and counts once
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly("P. 800:1600");
        assertThat(t.counter(SnmpCounter.TCP_RETRANS_SEGS) - retransSegs).isEqualTo(1);
    }
}
