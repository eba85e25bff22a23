package io.vkernel.kernel;

import io.vkernel.kernel.tcp.CaState;
import io.vkernel.kernel.tcp.TcpInfo;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * When tcp_write_xmit() calls tcp_cwnd_validate() (only with a send head, and then only "if (sent_pkts ||
 * is_cwnd_limited)"), seen in how far ACKs grow cwnd (tcp_is_cwnd_limited()): data the cork's probe timer sends
 * (tcp_write_wakeup(), no validate) is ACKed under the last window's record, not one a held-back transmit wrote;
 * an ACK with nothing left to send validates nothing, so a timed-out flight sent below cwnd ends slow start at
 * ssthresh and does not grow in congestion avoidance; a tail skb tcp_tso_should_defer() holds because cwnd leaves
 * exactly its length (is_cwnd_limited) makes the window cwnd-limited, so the next ACK grows cwnd there.
 */
class CwndValidateGapTest {

    private final TcpFixture t = new TcpFixture();

    private long cwnd() {
        return t.kernel.inspect(k -> TcpInfo.of(t.tcb(), k.clock().now())).get("tcpi_snd_cwnd");
    }

    private List<String> sentSince(int index, int base) {
        return TcpFixture.summary(t.sentSince(index), base);
    }

    @Test
    void corkedBytesTheProbeTimerSends_areAckedUnderTheLastCwndLimitedWindow_soSlowStartGrowsCwnd() {
        int base = t.establishedOneSegmentPerMss(false);
        t.write(10_000); // ten segments fill cwnd 10: tcp_cwnd_validate(sk, true)
        t.advanceSeconds(0.1);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 10_000, "");
        assertThat(cwnd()).isEqualTo(20);
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_CORK", 1, true));
        int index = t.peer.received().size();
        // the cork holds the partial segment: nothing sent, cwnd not the limit, so no tcp_cwnd_validate() either
        t.write(500);
        assertThat(sentSince(index, base)).isEmpty();
        t.advanceSeconds(0.35); // tcp_probe0_base(): the RTO (300 ms) later tcp_write_wakeup() sends it
        assertThat(sentSince(index, base)).containsExactly("P. 10000:10500");
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 10_500, "");
        // tp->is_cwnd_limited is still the burst's: slow start takes the one segment ACKed
        assertThat(cwnd()).isEqualTo(21);
    }

    @Test
    void aFlightSentBelowCwnd_resentAfterATimeout_stopsGrowingAtSsthresh() {
        int base = t.establishedOneSegmentPerMss(false);
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_CONGESTION", "reno"));
        int index = t.peer.received().size();
        t.write(9_000); // nine segments of cwnd 10: tcp_cwnd_validate(sk, false), max_packets_out 9
        assertThat(sentSince(index, base)).hasSize(9);
        index = t.peer.received().size();
        t.advanceSeconds(0.3);
        assertThat(sentSince(index, base)).containsExactly(". 0:1000");
        assertThat(cwnd()).isEqualTo(1);
        assertThat(t.tcb().ssthresh()).isEqualTo(5); // tcp_reno_ssthresh(): max(10 / 2, 2)
        // each ACK leaves the resent segments filling cwnd but nothing unsent: no tcp_write_xmit(), no validate; slow
        // start grows cwnd (below 2 x 9), the last 3 of the four segments ACKed at 7000 count in congestion avoidance
        List<Long> cwnds = new java.util.ArrayList<>();
        for (int acked : new int[] {1000, 3000, 7000, 9000}) {
            t.advanceSeconds(0.1);
            t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + acked, "");
            cwnds.add(cwnd());
        }
        // at 9000 cwnd is at ssthresh and the window was not cwnd-limited: tcp_reno_cong_avoid() returns at once
        assertThat(cwnds).containsExactly(2L, 4L, 5L, 5L);
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
    }

    @Test
    void aTailSkbThatCwndLeavesRoomForExactly_waitsCwndLimited_soTheNextAckGrowsCwndInCongestionAvoidance() {
        t.sysctl(Sysctls.TCP_TSO_WIN_DIVISOR, 0); // defer up to 3 MSS (tcp_max_tso_deferred_mss())
        int base = t.establishedBy(p -> p.mss = 1000, 0, 0.001); // a 1 ms RTT: TSO packets of up to 32 segments
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_CONGESTION", "reno"));
        // into congestion avoidance: nine segments time out (ssthresh 5), and their resending brings cwnd to 5
        t.write(9_000);
        t.kernel.advance(201);
        assertThat(cwnd()).isEqualTo(1);
        for (int acked : new int[] {1000, 3000, 7000, 9000}) {
            t.kernel.advance(1);
            t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + acked, "");
        }
        assertThat(cwnd()).isEqualTo(5);
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
        t.kernel.advance(1);
        int index = t.peer.received().size();
        t.write(2000); // app-limited: 2 of cwnd 5, tcp_cwnd_validate(sk, false)
        t.kernel.advance(1);
        t.write(1000);
        PacketReport report = new PacketReport(null);
        assertThat(done(t.kernel.write(t.pid, t.fd, new byte[2000], report)).ret()).isEqualTo(2000);
        // the new tail skb is exactly the 2 segments cwnd leaves, below the peer's window, and the ACK of the head is
        // due (sent one SRTT ago): tcp_tso_should_defer() waits with is_cwnd_limited, so tcp_cwnd_validate(sk, true)
        assertThat(sentSince(index, base)).containsExactly("P. 9000:11000", "P. 11000:12000");
        assertThat(TcpFixture.steps(report, "tcp.tso"))
                .containsExactly("2000 bytes wait for the next ACK to make a bigger TSO packet (tcp_tso_should_defer())");
        index = t.peer.received().size();
        t.kernel.advance(1);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 12_000, "");
        // tcp_reno_cong_avoid(): cwnd-limited, so the 3 ACKed segments join the 3 counted at 7000: 6 >= cwnd 5, cwnd 6
        assertThat(cwnd()).isEqualTo(6);
        assertThat(sentSince(index, base)).containsExactly("P. 12000:14000");
    }
}
