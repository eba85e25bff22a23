package io.vkernel.kernel.tcp;

import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How tcp_write_xmit() cuts a burst into GSO packets: tcp_tso_segs() (tcp_tso_autosize() plus the small-RTT bonus of
 * tcp_tso_rtt_log), cut by tcp_cwnd_test() to half the cwnd and what cwnd still allows; and whether the burst's last
 * packet has more than one segment (and so PSH, __tcp_transmit_skb()).
 */
class PacingBurstTest {

    private static final int MSS = 1000;
    private final Tcb tcb = new Tcb(new FourTuple(Endpoint.parse("192.168.1.100:54321"), Endpoint.parse("10.0.0.50:8080")),
            TcpState.ESTABLISHED, 0);

    @Test
    void packetSegs_halfTheCwnd_thenWhatCwndStillAllows_butAlwaysOne() {
        tcb.cwnd = 10; // no RTT yet: tcp_tso_segs() is 65
        assertThat(Pacing.packetSegs(tcb, MSS, 2, 0)).isEqualTo(5);
        assertThat(Pacing.packetSegs(tcb, MSS, 2, 5)).isEqualTo(5);
        assertThat(Pacing.packetSegs(tcb, MSS, 2, 7)).isEqualTo(3);
        assertThat(Pacing.packetSegs(tcb, MSS, 2, 10)).as("cwnd full: still one").isEqualTo(1);
        assertThat(Pacing.packetSegs(tcb, MSS, 2, 12)).isEqualTo(1);
        tcb.cwnd = 1;
        assertThat(Pacing.packetSegs(tcb, MSS, 2, 0)).as("half of 1 rounds to 1").isEqualTo(1);
        tcb.cwnd = 3;
        assertThat(Pacing.packetSegs(tcb, MSS, 2, 0)).isEqualTo(1);
    }

    @Test
    void packetSegs_cutByTsoSegsWhenThatIsSmaller() {
        tcb.cwnd = 100;
        tcb.ssthresh = 100;
        tcb.srttMs = 100; // 120 % of 100 x 1000 B per 100 ms: 1.2 MB/s, 1171 B per ms: one MSS, min_tso_segs 2
        assertThat(Pacing.tsoSegs(tcb, MSS)).isEqualTo(2);
        assertThat(Pacing.packetSegs(tcb, MSS, 2, 0)).isEqualTo(2);
        assertThat(Pacing.packetSegs(tcb, MSS, 7, 0)).as("tcp_min_tso_segs 7").isEqualTo(7);
    }

    @Test
    void tsoSegs_smallMinRtt_addsUpTo64KBMore() {
        tcb.cwnd = 10;
        tcb.srttMs = 1; // 200 % of 10 x 1000 B per ms = 20 MB/s: 19 531 B per ms
        // min RTT from SRTT: 1000 us >> 9 = 1, so 64 KB >> 1 more: 52 299 B, 52 segments
        assertThat(Pacing.tsoSegs(tcb, MSS)).isEqualTo(52);
        tcb.rack.minRttMs = 0; // a min RTT below 512 us: the whole 64 KB more, capped at 64 KB
        assertThat(Pacing.tsoSegs(tcb, MSS)).isEqualTo(65);
        tcb.rack.minRttMs = 16; // 16 000 us >> 9 = 31: 64 KB >> 31 = 0 more
        assertThat(Pacing.tsoSegs(tcb, MSS)).isEqualTo(19);
        tcb.rack.minRttMs = 2; // 2000 >> 9 = 3: 8192 more
        assertThat(Pacing.tsoSegs(tcb, MSS)).isEqualTo(27);
    }

    @Test
    void rate_countsThePacketsInFlightWhenMoreThanCwnd() {
        tcb.cwnd = 2;
        tcb.srttMs = 100;
        assertThat(Pacing.rate(tcb, MSS)).isEqualTo(40_000);
        tcb.sndNxt = 4001; // 4001 bytes out: 5 packets
        assertThat(Pacing.rate(tcb, MSS)).isEqualTo(100_000);
        tcb.sndUna = 1000;
        tcb.sndNxt = 5000; // exactly 4 packets out, counted from SND.UNA
        assertThat(Pacing.rate(tcb, MSS)).isEqualTo(80_000);
        tcb.sndUna = 0;
        tcb.sndNxt = 4001;
        tcb.srttMs = 0; // below 1 us counts as 1 us
        assertThat(Pacing.rate(tcb, MSS)).isEqualTo(10_000L * 1_000_000L);
        tcb.srttMs = 100;
        tcb.ssthresh = 4; // cwnd 2 = ssthresh / 2: no longer below it, 120 %
        assertThat(Pacing.rate(tcb, MSS)).isEqualTo(60_000);
        tcb.ssthresh = 6;
        assertThat(Pacing.rate(tcb, MSS)).as("2 < 6 / 2: 200 %%").isEqualTo(100_000);
    }

    @Test
    void lastPacketOfBurst_followsTheCwndCut() {
        tcb.cwnd = 10; // 65 segments per packet: cwnd decides
        assertThat(Pacing.lastPacketOfBurstIsGso(tcb, 10, MSS, 2, 0)).as("5 + 5").isTrue();
        assertThat(Pacing.lastPacketOfBurstIsGso(tcb, 11, MSS, 2, 0)).as("5 + 5 + 1 beyond cwnd").isFalse();
        assertThat(Pacing.lastPacketOfBurstIsGso(tcb, 6, MSS, 2, 0)).as("5 + 1").isFalse();
        assertThat(Pacing.lastPacketOfBurstIsGso(tcb, 7, MSS, 2, 0)).as("5 + 2").isTrue();
        assertThat(Pacing.lastPacketOfBurstIsGso(tcb, 4, MSS, 2, 8)).as("8 in flight: 2 + 1 + 1").isFalse();
        assertThat(Pacing.lastPacketOfBurstIsGso(tcb, 2, MSS, 2, 8)).as("2 fit").isTrue();
        assertThat(Pacing.lastPacketOfBurstIsGso(tcb, 1, MSS, 2, 0)).isFalse();
        assertThat(Pacing.lastPacketOfBurstIsGso(tcb, 0, MSS, 2, 0)).isFalse();
        tcb.cwnd = 3;
        assertThat(Pacing.lastPacketOfBurstIsGso(tcb, 3, MSS, 2, 0)).as("cwnd 3: one-segment packets").isFalse();
        tcb.cwnd = 4;
        assertThat(Pacing.lastPacketOfBurstIsGso(tcb, 4, MSS, 2, 0)).as("2 + 2").isTrue();
    }

    @Test
    void lastPacketIsGso_withAMinimumOfSegmentsPerPacket() {
        tcb.cwnd = 7;
        tcb.ssthresh = 7;
        tcb.srttMs = 10; // tcp_tso_segs() = tcp_min_tso_segs
        assertThat(Pacing.lastPacketIsGso(tcb, 3, MSS, 3)).as("one packet of 3").isTrue();
        assertThat(Pacing.lastPacketIsGso(tcb, 4, MSS, 3)).as("3 + 1").isFalse();
        assertThat(Pacing.lastPacketIsGso(tcb, 5, MSS, 3)).as("3 + 2").isTrue();
        assertThat(Pacing.lastPacketIsGso(tcb, 2, MSS, 3)).isTrue();
        assertThat(Pacing.lastPacketIsGso(tcb, 2, MSS, 1)).as("packets of one segment").isFalse();
    }
}
