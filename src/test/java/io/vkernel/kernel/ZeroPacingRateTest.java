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
 * An ACK of a retransmission whose TSecr echoes a TSval about 2147100 ms old gives an RTT sample that large
 * (tcp_rtt_tsopt_us() takes a delta below INT_MAX / 1000 ms), so SRTT passes 268000 ms and the pacing rate,
 * cwnd x MSS / SRTT, rounds to 0 bytes a second. tcp_update_skb_after_send() paces only with a rate ("rate != ~0UL &&
 * rate"), so under fq the next segment goes out the moment it is written; hystart_ack_delay() returns 0 for no rate.
 * GSO on, MSS 1000, timestamps.
 */
class ZeroPacingRateTest {

    private final TcpFixture t = new TcpFixture();
    private final Endpoint client = Endpoint.parse(TcpFixture.CLIENT);
    private final Endpoint server = Endpoint.parse(TcpFixture.SERVER);

    private void ack(int ack, long value, long echo) {
        t.kernel.receive(new Segment(client, server, TcpFlags.ACK, 1001, ack, 65535, 0, new byte[0],
                TcpOptions.of(new TcpOption.Timestamps(value, echo))));
    }

    /** A 100 ms handshake with timestamps, ten segments sent and acknowledged, one more resent by the RTO and its ACK
     * echoing a TSval 2147000 ms older than the resent one's, taken 100 ms after it was sent (a sample, below
     * INT_MAX / 1000 ms): SRTT above 268000 ms. Answers the first data byte. */
    private int ancientEchoAfterAnRto() {
        Segment synAck = t.kernel.receive(new Segment(client, server, TcpFlags.SYN, 1000, 0, 65535, 1000, new byte[0],
                TcpOptions.of(new TcpOption.Mss(1000), new TcpOption.Timestamps(1, 0)))).sentSegments().get(0);
        t.advanceSeconds(0.1);
        ack(synAck.seq() + 1, 2, synAck.timestamps().value());
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        int base = synAck.seq() + 1;
        t.write(9880); // ten segments of 988 bytes (MSS 1000 less the timestamps): past fq's ten unpaced ones
        t.advanceSeconds(0.1);
        assertThat(t.tcb().sndNxt() - base).isEqualTo(9880);
        ack(base + 9880, 3, t.peer.lastReceived().timestamps().value());
        t.write(988);
        t.advanceSeconds(1); // the RTO resends it
        Segment resent = t.peer.lastReceived();
        assertThat(resent.seq()).isEqualTo(base + 9880);
        ack(base + 10_868, 4, (resent.timestamps().value() - 2_147_000L) & 0xffffffffL);
        assertThat(TcpInfo.of(t.tcb()).get("tcpi_rtt")).as("SRTT in µs").isGreaterThan(268_000_000L);
        return base;
    }

    @Test
    void underFq_aRateRoundedToZero_leavesThePacketUnpaced() {
        t.kernel.sysctl(Sysctls.VKERNEL_QDISC, 1); // fq
        int base = ancientEchoAfterAnRto();
        int before = t.peer.received().size();
        t.write(988);
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly("P. 10868:11856");
    }

    @Test
    void hyStartsAckTrain_withARateRoundedToZero_allowsNoAckDelay_andStaysInSlowStart() {
        // hystart_ack_delay(): no rate, no room for delayed ACKs; the huge delay_min keeps the train short of it
        t.kernel.sysctl(Sysctls.TCP_CUBIC_HYSTART_LOW_WINDOW, 1);
        int base = ancientEchoAfterAnRto();
        long ssthresh = TcpInfo.of(t.tcb()).get("tcpi_snd_ssthresh");
        assertThat(TcpInfo.of(t.tcb()).get("tcpi_snd_cwnd")).isLessThan(ssthresh);
        t.write(988);
        ack(base + 11_856, 5, t.peer.lastReceived().timestamps().value()); // the same millisecond: an ACK train
        assertThat(TcpInfo.of(t.tcb()).get("tcpi_snd_ssthresh")).as("HyStart did not end slow start").isEqualTo(ssthresh);
    }
}
