package io.vkernel.kernel;

import io.vkernel.kernel.trace.EventType;
import io.vkernel.kernel.trace.KernelEvent;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * tcp_cwnd_restart() at its edges (PIT survivors in TcpSender.restartAfterIdle()): cwnd halves once per whole RTO of
 * idleness beyond the first ("while ((delta -= icsk_rto) > 0 && cwnd > restart_cwnd)"), never below the route's
 * initcwnd (tcp_init_cwnd()), and ssthresh keeps max(ssthresh, 3/4 cwnd) (tcp_current_ssthresh()).
 */
class IdleRestartMutantsTest {

    private final TcpFixture t = new TcpFixture();

    /** MSS 1000, GSO off, the route's initcwnd 12: cwnd 12, then 48 after two round trips; RTO 200 ms. */
    private int cwnd48() {
        t.sysctl(Sysctls.ROUTE_INITCWND, 12);
        t.establishedMss1000GsoOff();
        int base = t.tcb().sndUna();
        assertThat(t.tcb().cwnd()).isEqualTo(12);
        write(12_000);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 12_000, "");
        write(24_000);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 36_000, "");
        assertThat(t.tcb().cwnd()).isEqualTo(48);
        assertThat(t.tcb().rtoMs()).isEqualTo(200);
        return base;
    }

    private PacketReport write(int bytes) {
        PacketReport report = new PacketReport(null);
        done(t.kernel.write(t.pid, t.fd, new byte[bytes], report));
        return report;
    }

    private List<String> congestionEvents() {
        return t.kernel.inspect(k -> k.events().after(0, 10_000)).stream()
                .filter(e -> e.type() == EventType.CONGESTION).map(KernelEvent::detail).toList();
    }

    @Test
    void idleForExactlyTwoRtos_halvesOnce() {
        cwnd48();
        t.kernel.advance(400);
        assertThat(write(60_000).sentSegments()).hasSize(24);
        assertThat(t.tcb().cwnd()).isEqualTo(24);
        assertThat(congestionEvents()).containsExactly("idle 400 ms > RTO 200 ms: cwnd restarts 48 -> 24 (tcp_slow_start_after_idle)");
    }

    @Test
    void aLongIdleSpell_restartsFromTheRoutesInitcwnd_notTen() {
        cwnd48();
        t.kernel.advance(5_000);
        assertThat(write(60_000).sentSegments()).hasSize(12);
        assertThat(t.tcb().cwnd()).isEqualTo(12);
        assertThat(congestionEvents()).containsExactly("idle 5000 ms > RTO 200 ms: cwnd restarts 48 -> 12 (tcp_slow_start_after_idle)");
    }

    /** An RTO loss (ssthresh 7), then nine CUBIC rounds to cwnd 12; answers SND.UNA before the first write. */
    private int cwndTwelveAfterALoss() {
        t.establishedMss1000GsoOff();
        int base = t.tcb().sndUna();
        write(10_000);
        t.kernel.advance(1_000); // no ACK: the RTO fires twice (tcp_enter_loss(): ssthresh 10 x 717 / 1024 = 7)
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 10_000, "");
        assertThat(t.tcb().cwnd()).isEqualTo(7);
        assertThat(t.tcb().ssthresh()).isEqualTo(7);
        // congestion avoidance (CUBIC) grows cwnd past ssthresh: nine rounds of a full cwnd, each acknowledged 100 ms later
        int acked = 10_000;
        for (int round = 1; round <= 9; round++) {
            int cwnd = t.tcb().cwnd();
            write(cwnd * 1000);
            t.kernel.advance(100);
            acked += cwnd * 1000;
            t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + acked, "");
        }
        assertThat(t.tcb().cwnd()).isEqualTo(12);
        assertThat(t.tcb().ssthresh()).isEqualTo(7);
        assertThat(t.tcb().rtoMs()).isEqualTo(280);
        return base;
    }

    @Test
    void afterALoss_idleForExactlyOneRto_leavesSsthreshAndCwnd() {
        cwndTwelveAfterALoss();
        t.kernel.advance(180); // the last data left 100 ms before the last ACK: idle 280 ms = RTO, not more
        write(20_000);
        assertThat(t.tcb().ssthresh()).isEqualTo(7);
        assertThat(t.tcb().cwnd()).isEqualTo(12);
        assertThat(congestionEvents()).noneMatch(e -> e.startsWith("idle"));
    }

    @Test
    void afterALoss_anIdleRestartRaisesSsthreshToThreeQuartersOfCwnd() {
        cwndTwelveAfterALoss();
        t.kernel.advance(5_000);
        write(20_000);
        // tcp_current_ssthresh(): max(7, (12 >> 1) + (12 >> 2)) = 9; cwnd 12 -> 6, but not below initcwnd 10
        assertThat(t.tcb().ssthresh()).isEqualTo(9);
        assertThat(t.tcb().cwnd()).isEqualTo(10);
        assertThat(congestionEvents()).last().isEqualTo("idle 5100 ms > RTO 280 ms: cwnd restarts 12 -> 10 (tcp_slow_start_after_idle)");
    }

    @Test
    void aWindowUpdateAfterIdle_withNothingWaiting_leavesCwnd() {
        int base = cwnd48();
        t.kernel.advance(400);
        t.peer.window = 30_000; // tcp_ack_update_window(): a new window, but the write queue is empty
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 36_000, "");
        assertThat(t.tcb().cwnd()).isEqualTo(48);
        assertThat(congestionEvents()).noneMatch(e -> e.startsWith("idle"));
    }

    @Test
    void aWindowUpdateAfterIdle_withDataWaiting_restartsCwndBeforeSending() {
        int base = cwnd48();
        t.peer.window = 0;
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 36_000, "");
        assertThat(write(5_000).sentSegments()).as("the peer's window is zero: the data waits").isEmpty();
        t.kernel.advance(400);
        t.peer.window = 65_535; // the window reopens: tcp_ack_update_window() -> tcp_slow_start_after_idle_check()
        PacketReport reopened = t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 36_000, "");
        assertThat(congestionEvents()).containsExactly("idle 400 ms > RTO 200 ms: cwnd restarts 48 -> 24 (tcp_slow_start_after_idle)");
        assertThat(t.tcb().cwnd()).isEqualTo(24);
        assertThat(reopened.sentSegments().stream().mapToInt(s -> s.payload().length).sum()).isEqualTo(5_000);
    }
}
