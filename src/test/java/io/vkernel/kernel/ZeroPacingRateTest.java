package io.vkernel.kernel;

import io.vkernel.kernel.tcp.TcpInfo;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOption;
import io.vkernel.kernel.wire.TcpOptions;
import org.junit.jupiter.api.Test;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A pacing rate of 0 bytes a second, reached as Linux reaches it: tcp_update_pacing_rate() computes mss_cache x ratio
 * x max(cwnd, packets_out) / srtt_us in integers, so a small MSS, a small cwnd and a huge SRTT round it to 0. The peer
 * offers MSS 48 (TCP_MIN_SND_MSS; 36 bytes of data beside timestamps); an ACK of a retransmission whose TSecr echoes
 * a TSval about 2146000 ms old gives an RTT sample that large (tcp_rtt_tsopt_us() takes a delta below INT_MAX / 1000
 * ms), so SRTT passes 268 s (500 s after two), and 36 x 200 % x cwnd 2 or 3 bytes per 500 s is 0 bytes a second. The
 * echo is older than the retransmission, so the loss is undone (tcp_packet_delayed()): cwnd goes back to what it was
 * before that RTO, so an earlier RTO, answered normally, has already brought it down to 2.
 * tcp_update_skb_after_send() paces only with a rate ("rate != ~0UL &amp;&amp; rate"), so under fq back-to-back
 * segments leave together; hystart_ack_delay() returns 0 for no rate, so an ACK train ends slow start sooner.
 */
class ZeroPacingRateTest {

    /** Data per segment: the peer's MSS 48 less the 12 bytes of the timestamps option. */
    private static final int SEG = 36;

    private final TcpFixture t = new TcpFixture();
    private final Endpoint client = Endpoint.parse(TcpFixture.CLIENT);
    private final Endpoint server = Endpoint.parse(TcpFixture.SERVER);

    private void ack(int ack, long value, long echo) {
        t.kernel.receive(new Segment(client, server, TcpFlags.ACK, 1001, ack, 65535, 0, new byte[0],
                TcpOptions.of(new TcpOption.Timestamps(value, echo))));
    }

    /** A 100 ms handshake with timestamps and MSS 48, ten segments sent and acknowledged, one more resent by the RTO
     * and acknowledged (cwnd 2, ssthresh 14), then twice one more resent by the RTO and acknowledged 100 ms later by
     * an ACK echoing a TSval 2146000 ms older than the resent one's (a sample, below INT_MAX / 1000 ms): SRTT above
     * 500 s. Answers the first data byte; SND.UNA is then 13 segments on. */
    private int ancientEchoesAfterRtos() {
        Segment synAck = t.kernel.receive(new Segment(client, server, TcpFlags.SYN, 1000, 0, 65535, 1000, new byte[0],
                TcpOptions.of(new TcpOption.Mss(48), new TcpOption.Timestamps(1, 0)))).sentSegments().get(0);
        t.advanceSeconds(0.1);
        ack(synAck.seq() + 1, 2, synAck.timestamps().value());
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        int base = synAck.seq() + 1;
        assertThat(TcpInfo.of(t.tcb()).get("tcpi_snd_mss")).isEqualTo(SEG);
        t.write(10 * SEG); // ten segments: past fq's ten unpaced ones
        t.advanceSeconds(0.1);
        assertThat(t.tcb().sndNxt() - base).isEqualTo(10 * SEG);
        ack(base + 10 * SEG, 3, t.peer.lastReceived().timestamps().value());
        for (int round = 0; round < 3; round++) {
            t.write(SEG);
            t.advanceSeconds(round < 2 ? 1 : 121); // the RTO resends it (at most 120 s once SRTT is huge)
            Segment resent = t.peer.lastReceived();
            assertThat(resent.seq()).isEqualTo(base + (10 + round) * SEG);
            t.advanceSeconds(0.1);
            // the first ACK echoes the resent segment: a real loss, cwnd 1 then 2; the others echo an ancient TSval
            long tsval = resent.timestamps().value();
            long echo = round == 0 ? tsval : (tsval - 2_146_000L) & 0xffffffffL;
            ack(base + (11 + round) * SEG, 4 + round, echo);
        }
        assertThat(TcpInfo.of(t.tcb()).get("tcpi_rtt")).as("SRTT in µs").isGreaterThan(500_000_000L);
        assertThat(TcpInfo.of(t.tcb()).get("tcpi_snd_cwnd")).isEqualTo(2);
        assertThat(TcpInfo.of(t.tcb()).get("tcpi_snd_ssthresh")).as("cwnd below half of it: 200 %").isEqualTo(14);
        return base;
    }

    @Test
    void underFq_aRateRoundedToZero_letsBackToBackSegmentsLeaveTogether() {
        t.kernel.sysctl(Sysctls.VKERNEL_QDISC, 1); // fq
        int base = ancientEchoesAfterRtos();
        int before = t.peer.received().size();
        t.write(SEG);
        t.write(SEG); // any rate above 0 would hold this one in fq for 36 bytes' time after the first
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly("P. 468:504", "P. 504:540");
    }

    @Test
    void underFq_hyStartsAckTrain_withARateRoundedToZero_allowsNoAckDelay_andEndsSlowStartAfterOneMs() {
        // hystart_ack_delay() gives 0 for no rate; any rate from 1 B/s to 262 MB/s gives its 1 ms cap, and under fq
        // the threshold (delay_min + that, not halved: SK_PACING_FQ) would then exceed a 1 ms train
        t.kernel.sysctl(Sysctls.VKERNEL_QDISC, 1);
        t.kernel.sysctl(Sysctls.TCP_CUBIC_HYSTART_LOW_WINDOW, 1);
        int base = ancientEchoesAfterRtos();
        t.write(2 * SEG); // cwnd 2: both leave now
        long[] tsval = t.peer.received().stream().skip(t.peer.received().size() - 2)
                .mapToLong(s -> s.timestamps().value()).toArray();
        ack(base + 14 * SEG, 10, tsval[0]); // the same millisecond: an RTT of 0 (delay_min 1 µs), a new round
        t.advanceSeconds(0.001);
        ack(base + 15 * SEG, 11, tsval[1]); // 1 ms later: the ACK train is longer than delay_min + 0
        assertThat(TcpInfo.of(t.tcb()).get("tcpi_snd_ssthresh")).as("HyStart ended slow start at cwnd 3").isEqualTo(3);
    }
}
