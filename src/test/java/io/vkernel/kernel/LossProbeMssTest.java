package io.vkernel.kernel;

import io.vkernel.kernel.tcp.TcpInfo;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A tail loss probe resending a segment sent at a larger MSS than the current one: __tcp_retransmit_skb(skb, 1)
 * resends one segment of the current MSS (tcp_fragment() at cur_mss), not the whole old segment. The MSS falls when
 * an MTU probe is acknowledged (tcp_mtu_probing=2: tcp_mtup_probe_success() raises search_low to the probe's 1282-byte
 * packet and tcp_sync_mss() caps the MSS at it, 1242, below the 1460 the segments behind the probe were sent with).
 * SACK, GSO off, initcwnd 12 (11 once the probe is sent: tcp_mtu_probe() takes one for it), a 100 ms handshake RTT;
 * a write of exactly the probe and ten segments, so nothing waits unsent when the probe's ACK comes.
 */
class LossProbeMssTest {

    private static final int PROBE = 1242;
    private static final int MSS = 1460;

    private final TcpFixture t = new TcpFixture();

    @Test
    void aProbeOfASegmentSentAtTheOldMss_resendsOneSegmentOfTheNewMss_withoutPsh() {
        t.mtuProbingWithInitcwnd12();
        int base = t.establishedBy(p -> p.sackOk = true, 0, 0.1);
        done(t.kernel.write(t.pid, t.fd, new byte[PROBE + 10 * MSS], new io.vkernel.kernel.trace.PacketReport(null)));
        assertThat(t.tcb().sndNxt() - base).as("the probe and ten segments: all of it").isEqualTo(PROBE + 10 * MSS);
        t.advanceSeconds(0.03);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + PROBE, ""); // the probe arrived, nothing after it
        assertThat(TcpInfo.of(t.tcb()).get("tcpi_snd_mss")).as("tcp_mtup_probe_success()").isEqualTo((long) PROBE);
        int mark = t.peer.received().size();
        t.advanceSeconds(0.2); // 2 x SRTT (91 ms) + 2 ms after the ACK
        // the last skb holds the last two segments, [PROBE + 8 x 1460, PROBE + 10 x 1460), pcount 2 from when it left:
        // tcp_send_loss_probe() cuts it at (pcount - 1) x the current MSS, and __tcp_retransmit_skb(skb, 1) sends one
        // current MSS of what follows, without PSH (tcp_fragment() leaves it on the tail)
        int last = PROBE + 8 * MSS + PROBE;
        assertThat(TcpFixture.summary(t.sentSince(mark), base)).containsExactly(". " + last + ":" + (last + PROBE));
        assertThat(t.counter(io.vkernel.kernel.trace.SnmpCounter.TCP_LOSS_PROBES)).isEqualTo(1);
    }
}
