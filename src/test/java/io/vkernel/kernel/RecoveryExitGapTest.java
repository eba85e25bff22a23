package io.vkernel.kernel;

import io.vkernel.kernel.tcp.CaState;
import io.vkernel.kernel.tcp.TcpInfo;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The ACK that ends Recovery or Loss while data sent after the recovery point is still outstanding, with a hole
 * below a SACKed segment. Linux keeps the SACK tags and lost marks on those skbs until they are acknowledged;
 * tcp_fastretrans_alert() ends the episode first (tcp_try_undo_recovery() or tcp_process_loss() set Open), then
 * tcp_identify_packet_loss() runs RACK in Open, and tcp_time_to_recover() starts a new recovery on that same ACK if
 * something is lost, else tcp_try_to_open() makes it Disorder because sacked_out is not 0. SACK, RACK on, MSS 1000,
 * 100 ms handshake RTT, GSO off; offsets are from the first data byte.
 */
class RecoveryExitGapTest {

    private final TcpFixture t = new TcpFixture();
    private int base;

    private PacketReport ack(int ack, int... edges) {
        return t.peer.sendSackBlocksFrom(base, ack, edges);
    }

    private List<List<Integer>> sent(PacketReport reply) {
        return TcpFixture.dataSegments(reply, base);
    }

    /** Ten segments out, the first lost: RACK starts recovery on the third SACK, recovery point 12000. */
    private void recoveryWithThePointAt12000() {
        base = t.establishedOneSegmentPerMss(true);
        t.sysctl(Sysctls.TCP_WMEM_DEFAULT, 1 << 20);
        t.write(30_000);
        t.advanceSeconds(0.1);
        assertThat(sent(ack(0, 1000, 2000))).containsExactly(List.of(10_000, 1000));
        assertThat(sent(ack(0, 1000, 3000))).containsExactly(List.of(11_000, 1000));
        assertThat(sent(ack(0, 1000, 4000))).containsExactly(List.of(0, 1000));
        assertThat(t.tcb().caState()).isEqualTo(CaState.RECOVERY);
        assertThat(sent(ack(0, 1000, 6000))).isEmpty();
    }

    @Test
    void recoveryEnds_withASackAboveTheHole_inDisorder_keepingTheSack_andRackResendsTheHoleWhenItsWindowPasses() {
        recoveryWithThePointAt12000();
        // PRR sends two new segments at once, above the recovery point
        assertThat(sent(ack(0, 1000, 8000))).containsExactly(List.of(12_000, 1000), List.of(13_000, 1000));
        t.advanceSeconds(0.1);
        // the resent head arrived and everything up to the recovery point is ACKed; 12000 is missing, 13000 SACKed
        ack(12_000, 13_000, 14_000);
        Map<String, Long> info = TcpInfo.of(t.tcb());
        assertThat(info.get("tcpi_ca_state")).as("tcp_try_to_open(): sacked_out 1, so Disorder").isEqualTo(1L);
        assertThat(info.get("tcpi_sacked")).as("the SACK tag above the recovery point stays").isEqualTo(1L);
        assertThat(info.get("tcpi_lost")).isZero();
        assertThat(t.tcb().cwnd()).isEqualTo(7);
        assertThat(t.congestionEvents()).last().asString().startsWith("RECOVERY -> OPEN: recovery point acknowledged");
        // RACK ran in Open: 12000 went out with 13000, so it waits min_rtt / 4 = 25 ms (+2) before calling it lost
        assertThat(t.timers()).contains("rack-reorder");
        int skip = t.peer.received().size();
        t.advanceSeconds(0.026);
        assertThat(t.sentSince(skip)).isEmpty();
        t.advanceSeconds(0.002);
        assertThat(TcpFixture.summary(t.sentSince(skip), base)).containsExactly(". 12000:13000");
        assertThat(t.tcb().caState()).isEqualTo(CaState.RECOVERY);
        assertThat(t.counter(SnmpCounter.TCP_SACK_RECOVERY)).isEqualTo(2);
    }

    @Test
    void recoveryEnds_onAnAckThatShowsASegmentAboveThePointLost_andANewRecoveryStartsOnThatAck() {
        recoveryWithThePointAt12000();
        assertThat(sent(ack(0, 1000, 7000))).containsExactly(List.of(12_000, 1000));
        t.advanceSeconds(0.05);
        assertThat(sent(ack(0, 1000, 8000))).containsExactly(List.of(13_000, 1000));
        t.advanceSeconds(0.1);
        // 13000, sent 50 ms after 12000, is SACKed one RTT later: 12000 is past RTT + min_rtt / 4, so RACK marks it
        // lost and tcp_time_to_recover() (lost_out) starts a second recovery at once, resending it
        PacketReport reply = ack(12_000, 13_000, 14_000);
        assertThat(sent(reply)).first().isEqualTo(List.of(12_000, 1000));
        assertThat(t.tcb().caState()).isEqualTo(CaState.RECOVERY);
        assertThat(t.counter(SnmpCounter.TCP_SACK_RECOVERY)).isEqualTo(2);
        assertThat(t.tcb().ssthresh()).as("CUBIC: 7 x 717 / 1024").isEqualTo(4);
        assertThat(TcpInfo.of(t.tcb()).get("tcpi_sacked")).isEqualTo(1L);
        assertThat(t.congestionEvents()).last().asString().startsWith("OPEN -> RECOVERY: RACK marked a segment lost");
    }

    @Test
    void lossEnds_withASackAboveTheHole_inDisorder_keepingTheSack_andRackResendsTheHoleLater() {
        base = t.establishedOneSegmentPerMss(true);
        t.sysctl(Sysctls.TCP_WMEM_DEFAULT, 1 << 20);
        t.sysctl(Sysctls.TCP_EARLY_RETRANS, 2); // no loss probe: the RTO comes first
        t.write(3000);
        t.advanceSeconds(0.3);
        assertThat(t.tcb().caState()).isEqualTo(CaState.LOSS);
        t.write(5000);
        t.advanceSeconds(0.01);
        assertThat(sent(ack(1000))).containsExactly(List.of(1000, 1000), List.of(2000, 1000));
        assertThat(sent(ack(2000))).as("new data, above the recovery point 3000")
                .containsExactly(List.of(3000, 1000), List.of(4000, 1000));
        // everything outstanding at the timeout is ACKed; 3000 is missing, 4000 SACKed
        ack(3000, 4000, 5000);
        Map<String, Long> info = TcpInfo.of(t.tcb());
        assertThat(info.get("tcpi_ca_state")).as("tcp_process_loss() opens, tcp_try_to_open() makes it Disorder")
                .isEqualTo(1L);
        assertThat(info.get("tcpi_sacked")).isEqualTo(1L);
        assertThat(t.tcb().cwnd()).as("slow start by the two segments delivered").isEqualTo(5);
        assertThat(t.timers()).contains("rack-reorder");
        int skip = t.peer.received().size();
        t.advanceSeconds(0.03);
        assertThat(TcpFixture.summary(t.sentSince(skip), base)).containsExactly(". 3000:4000");
        assertThat(t.tcb().caState()).isEqualTo(CaState.RECOVERY);
        assertThat(t.counter(SnmpCounter.TCP_SACK_RECOVERY)).isEqualTo(1);
    }
}
