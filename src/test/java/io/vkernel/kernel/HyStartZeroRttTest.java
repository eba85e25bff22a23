package io.vkernel.kernel;

import io.vkernel.kernel.tcp.TcpInfo;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An ACK that arrives the same millisecond its segment left is an RTT sample of 0 (ca_rtt_us 0, not "none"), and
 * HyStart takes it as a delay_min of 1 µs (max(1, rtt)); when the RTT then rises to 10 ms, the next round's eight
 * samples lie more than 4 ms above that minimum, so the delay detector ends slow start (ssthresh = cwnd).
 * GSO off, MSS 1000, HyStart's delay detector only, from the first ACK (hystart_low_window 1).
 */
class HyStartZeroRttTest {

    private final TcpFixture t = new TcpFixture();

    @Test
    void zeroMillisecondSamples_setDelayMin_soA10msRoundEndsSlowStart() {
        t.sysctl(Sysctls.TCP_CUBIC_HYSTART_LOW_WINDOW, 1);
        t.sysctl(Sysctls.TCP_CUBIC_HYSTART_DETECT, 2); // HYSTART_DELAY
        t.establishedMss1000GsoOff();
        int base = t.tcb().sndUna();
        t.write(100_000);
        for (int i = 1; i <= 10; i++) {
            t.peer.sendSackBlocks(base + i * 1000); // each at once: 0 ms
        }
        assertThat(TcpInfo.of(t.tcb()).get("tcpi_snd_ssthresh")).as("still slow start").isEqualTo(Integer.MAX_VALUE);
        t.kernel.advance(10);
        for (int i = 11; i <= 30; i++) {
            t.peer.sendSackBlocks(base + i * 1000); // 10 ms after they left
        }
        long cwnd = TcpInfo.of(t.tcb()).get("tcpi_snd_cwnd");
        assertThat(TcpInfo.of(t.tcb()).get("tcpi_snd_ssthresh")).as("HyStart's delay exit").isLessThan(cwnd + 1);
    }
}
