package io.vkernel.kernel;

import io.vkernel.kernel.tcp.CaState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.Step;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.IcmpMessage;
import io.vkernel.kernel.wire.Segment;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * tcp_simple_retransmit() after ICMP "fragmentation needed" lowered the path MTU: what no longer fits is lost and
 * resent at once at the new MSS, in Loss but with cwnd unchanged; with nothing outstanding too large, nothing happens.
 * The trace says which.
 */
class RecoveryMtuTest {

    private static final Endpoint CLIENT = Endpoint.parse(TcpFixture.CLIENT);
    private static final Endpoint SERVER = Endpoint.parse(TcpFixture.SERVER);

    private final TcpFixture t = new TcpFixture();

    private static List<String> steps(PacketReport report) {
        return report.steps().stream().filter(s -> s.step().equals("tcp.icmp")).map(Step::detail).toList();
    }

    private PacketReport fragNeeded(int mtu) {
        FourTuple tuple = new FourTuple(CLIENT, SERVER);
        return t.kernel.receiveRaw(IcmpMessage.encode(CLIENT.address(), SERVER.address(), IcmpMessage.DEST_UNREACH,
                IcmpMessage.FRAG_NEEDED, mtu, tuple, t.tcb().sndUna(), 0));
    }

    @Test
    void fullSizedSegmentsInFlight_areResentAtTheNewMss_inLoss_withCwndUnchanged() {
        t.kernel.inspect(k -> {
            k.sysctls().set(Sysctls.VKERNEL_GSO, 0);
            return null;
        });
        t.established();
        int base = t.tcb().sndUna();
        done(t.kernel.write(t.pid, t.fd, new byte[2920], new PacketReport(null)));
        int before = t.peer.received().size();
        PacketReport icmp = fragNeeded(1280);
        List<Segment> resent = t.peer.received().subList(before, t.peer.received().size());
        assertThat(resent).extracting(s -> s.seq() - base, Segment::length)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(0, 1240), org.assertj.core.groups.Tuple.tuple(1240, 1240),
                        org.assertj.core.groups.Tuple.tuple(2480, 440));
        assertThat(steps(icmp)).containsExactly("fragmentation needed, MTU 1280: path MTU 1280, MSS 1460 -> 1240 "
                + "(tcp_v4_mtu_reduced(), tcp_sync_mss())", "resent 3 segment(s) of at most 1240 bytes, cwnd 10 unchanged "
                + "(tcp_simple_retransmit(), tcp_xmit_retransmit_queue())");
        assertThat(t.tcb().caState()).isEqualTo(CaState.LOSS);
        assertThat(t.tcb().cwnd()).as("units changed, not the amount of data in the network").isEqualTo(10);
        assertThat(t.tcb().totalRetransmits()).isEqualTo(3);
    }

    @Test
    void nothingLargerThanTheNewMss_outstanding_nothingIsResent() {
        t.established();
        t.write("small");
        int before = t.peer.received().size();
        PacketReport icmp = fragNeeded(1280);
        assertThat(steps(icmp)).containsExactly("fragmentation needed, MTU 1280: path MTU 1280, MSS 1460 -> 1240 "
                + "(tcp_v4_mtu_reduced(), tcp_sync_mss())", "nothing outstanding is larger than the new MSS 1240: nothing to resend");
        assertThat(t.peer.received()).hasSize(before);
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
    }

    @Test
    void theResendReArmsTheRetransmissionTimer_whichFiresOneRtoLater() {
        t.kernel.inspect(k -> {
            k.sysctls().set(Sysctls.VKERNEL_GSO, 0);
            k.sysctls().set(Sysctls.TCP_EARLY_RETRANS, 2); // no tail loss probe: the RTO is the only timer
            return null;
        });
        t.established();
        done(t.kernel.write(t.pid, t.fd, new byte[2920], new PacketReport(null)));
        t.kernel.advance(100);
        PacketReport icmp = fragNeeded(1280);
        assertThat(icmp.verdict()).isEqualTo("path MTU lowered to 1280; the segments too big for it resent");
        long rto = t.tcb().rtoMs();
        t.kernel.advance(rto - 1);
        assertThat(t.counter(io.vkernel.kernel.trace.SnmpCounter.TCP_TIMEOUTS))
                .as("tcp_xmit_retransmit_queue() restarted the RTO at the resend, 100 ms after the first send").isZero();
        t.kernel.advance(1);
        assertThat(t.counter(io.vkernel.kernel.trace.SnmpCounter.TCP_TIMEOUTS)).isEqualTo(1);
    }

    @Test
    void whenTheQdiscDropsTheResend_theRetransmissionTimerKeepsItsTime() {
        t.kernel.inspect(k -> {
            k.sysctls().set(Sysctls.VKERNEL_GSO, 0);
            k.sysctls().set(Sysctls.TCP_EARLY_RETRANS, 2); // no tail loss probe: the RTO is the only timer
            return null;
        });
        t.established();
        done(t.kernel.write(t.pid, t.fd, new byte[2920], new PacketReport(null)));
        long rto = t.tcb().rtoMs();
        t.kernel.advance(100);
        t.kernel.inspect(k -> {
            k.sysctls().set(Sysctls.VKERNEL_QDISC_LIMIT, 0); // from now on the qdisc refuses every packet
            return null;
        });
        PacketReport icmp = fragNeeded(1280);
        assertThat(steps(icmp)).last().asString().startsWith("resent 0 segment(s)");
        // nothing was resent, so tcp_xmit_retransmit_queue() did not restart the RTO: it fires one RTO after the
        // first send, not one RTO after the ICMP
        t.kernel.advance(rto - 100 - 1);
        assertThat(t.counter(io.vkernel.kernel.trace.SnmpCounter.TCP_TIMEOUTS)).isZero();
        t.kernel.advance(1);
        assertThat(t.counter(io.vkernel.kernel.trace.SnmpCounter.TCP_TIMEOUTS)).isEqualTo(1);
    }

    @Test
    void aSegmentExactlyTheNewMss_stillFits_andNothingIsResent() {
        t.established();
        t.write(1240);
        int before = t.peer.received().size();
        PacketReport icmp = fragNeeded(1280);
        assertThat(steps(icmp)).last().isEqualTo("nothing outstanding is larger than the new MSS 1240: nothing to resend");
        assertThat(icmp.verdict()).isEqualTo("path MTU lowered to 1280");
        assertThat(t.peer.received()).hasSize(before);
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
    }

    @Test
    void aLargeSkbBehindASmallOne_isStillFoundTooBig() {
        t.kernel.inspect(k -> {
            k.sysctls().set(Sysctls.VKERNEL_GSO, 0);
            return null;
        });
        t.established();
        int base = t.tcb().sndUna();
        t.write("small");
        done(t.kernel.write(t.pid, t.fd, new byte[1460], new PacketReport(null)));
        int before = t.peer.received().size();
        assertThat(t.peer.received().subList(before - 2, before)).extracting(Segment::length).containsExactly(5, 1460);
        PacketReport icmp = fragNeeded(1280);
        List<Segment> resent = t.peer.received().subList(before, t.peer.received().size());
        // Loss presumes everything below high_seq lost, so the small skb goes again too (Linux would resend only the large)
        assertThat(resent).extracting(s -> s.seq() - base, Segment::length)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(0, 5), org.assertj.core.groups.Tuple.tuple(5, 1240),
                        org.assertj.core.groups.Tuple.tuple(1245, 220));
        assertThat(t.tcb().caState()).isEqualTo(CaState.LOSS);
    }

    private List<String> resentSince(int before, int base) {
        return TcpFixture.summary(t.peer.received().subList(before, t.peer.received().size()), base);
    }

    @Test
    void aFastRetransmitOfHalfAnSkb_cutsIt_soAResendAtASmallerMssStartsItsSecondHalfAfresh() {
        int base = t.establishedOneSegmentPerMss(true);
        t.write(10_000);
        // ten segments in five 2-segment packets (PSH on each packet's last segment): five skbs of 2000 bytes
        assertThat(TcpFixture.summary(t.peer.received(), base).subList(1, 3)).containsExactly(". 0:1000", "P. 1000:2000");
        t.advanceSeconds(0.1);
        t.peer.sendSackBlocksFrom(base, 0, 4000, 5000);
        t.peer.sendSackBlocksFrom(base, 0, 4000, 6000);
        int before = t.peer.received().size();
        t.peer.sendSackBlocksFrom(base, 0, 4000, 7000);
        // PRR lets one segment go: __tcp_retransmit_skb() resends the first half of skb [0, 2000), cutting it there
        assertThat(resentSince(before, base)).containsExactly(". 0:1000");
        before = t.peer.received().size();
        fragNeeded(840);
        // tcp_simple_retransmit() at MSS 800: each skb goes as its own packet, cut at the new MSS, PSH on the last
        // segment of each multi-segment packet. [1000, 2000) is an skb of its own now, so it starts a new packet
        assertThat(resentSince(before, base)).startsWith(". 0:800", "P. 800:1000", ". 1000:1800", "P. 1800:2000");
        assertThat(t.tcb().caState()).isEqualTo(CaState.LOSS);
    }

    @Test
    void aSackOfPartOfAnSkb_cutsIt_soItsSmallRestStillFitsALowerMss() {
        int base = t.establishedOneSegmentPerMss(true);
        TcpFixture.done(t.kernel.setsockopt(t.pid, t.fd, "TCP_NODELAY", 1, true));
        t.write(500);
        t.write(1500); // one 2-segment packet: skb [500, 2000) of 1000-byte segments
        assertThat(TcpFixture.summary(t.peer.received(), base)).endsWith("P. 0:500", ". 500:1500", "P. 1500:2000");
        t.advanceSeconds(0.05);
        // [500, 1500) is SACKed: tcp_sacktag_walk() cuts the skb at the SACK's edge (tcp_match_skb_to_sack()), so
        // what is left of it, [1500, 2000), is a 500-byte skb of its own
        t.peer.sendSackBlocksFrom(base, 0, 500, 1500);
        int before = t.peer.received().size();
        PacketReport icmp = fragNeeded(840);
        // tcp_simple_retransmit(): neither unSACKed skb (500 bytes each) is larger than the new MSS 800
        assertThat(steps(icmp)).last().isEqualTo("nothing outstanding is larger than the new MSS 800: nothing to resend");
        assertThat(t.peer.received()).hasSize(before);
        assertThat(t.tcb().caState()).isEqualTo(CaState.DISORDER);
    }
}
