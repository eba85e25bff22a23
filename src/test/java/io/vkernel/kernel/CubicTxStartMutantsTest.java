package io.vkernel.kernel;

import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * CUBIC's CA_EVENT_TX_START (tcp_event_data_sent(): sending resumes with nothing in flight; cubictcp_cwnd_event()
 * moves epoch_start forward by the idle time): with net.ipv4.tcp_slow_start_after_idle=0 an application-limited pause
 * is not time along the cubic curve, so cwnd grows after it as it would have without it. MSS 1000, GSO off.
 */
class CubicTxStartMutantsTest {

    private final TcpFixture t = new TcpFixture();
    private int base;
    private int acked;

    /** Writes {@code bytes}, waits {@code rttMs}, then the peer acknowledges everything written so far. */
    private void round(int bytes, int rttMs) {
        done(t.kernel.write(t.pid, t.fd, new byte[bytes], new PacketReport(null)));
        t.kernel.advance(rttMs);
        acked += bytes;
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + acked, "");
    }

    /** After an RTO loss, full-cwnd rounds of 100 ms in congestion avoidance; then an optional pause; then more rounds. */
    private List<Integer> cwndAfterRounds(long pauseMs, int roundsAfter) {
        t.sysctl(Sysctls.TCP_SLOW_START_AFTER_IDLE, 0);
        t.establishedMss1000GsoOff();
        base = t.tcb().sndUna();
        done(t.kernel.write(t.pid, t.fd, new byte[8_000], new PacketReport(null)));
        t.kernel.advance(1_000); // unanswered: the RTO fires, ssthresh falls to 7
        acked = 8_000;
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + acked, "");
        for (int i = 0; i < 6; i++) {
            round(t.tcb().cwnd() * 1000, 100);
        }
        t.kernel.advance(pauseMs);
        List<Integer> cwnds = new ArrayList<>();
        for (int i = 0; i < roundsAfter; i++) {
            round(t.tcb().cwnd() * 1000, 100);
            cwnds.add(t.tcb().cwnd());
        }
        return cwnds;
    }

    @Test
    void aPauseWithNothingInFlight_doesNotCountAlongTheCubicCurve() {
        List<Integer> paused = cwndAfterRounds(3_000, 3);
        List<Integer> straight = new CubicTxStartMutantsTest().cwndAfterRounds(0, 3);
        assertThat(straight).as("cwnd after each round of congestion avoidance").containsExactly(11, 11, 12);
        assertThat(paused).as("3 s idle, then the same rounds as without the pause").isEqualTo(straight);
    }
}
