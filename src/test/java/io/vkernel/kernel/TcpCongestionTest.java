package io.vkernel.kernel;

import io.vkernel.kernel.tcp.CaState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/** Congestion control: the initial window, slow start, fast retransmit with PRR, and the RTO's Loss state. */
class TcpCongestionTest {

    private final TcpFixture t = new TcpFixture();

    /** An established connection whose peer offers MSS 1000 and a large window; sends are MSS-sized (GSO off). */
    private void established() {
        t.establishedMss1000GsoOff();
    }

    private PacketReport write(int bytes) {
        PacketReport report = new PacketReport(null);
        done(t.kernel.write(t.pid, t.fd, new byte[bytes], report));
        return report;
    }

    private PacketReport ackUpTo(int relative, int base) {
        return t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + relative, "");
    }

    @Test
    void established_bigWrite_sendsTheInitialWindowOfTenSegments_thenSlowStartDoubles() {
        established();
        int base = t.tcb().sndUna();
        assertThat(write(50_000).sentSegments()).hasSize(10);
        assertThat(t.tcb().cwnd()).isEqualTo(10);
        PacketReport ack = ackUpTo(10_000, base);
        assertThat(t.tcb().cwnd()).as("slow start: +1 per segment acknowledged").isEqualTo(20);
        assertThat(ack.sentSegments()).hasSize(20);
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
    }

    @Test
    void established_threeDuplicateAcks_fastRetransmitTheHead_andHalveWithReno() {
        established();
        t.tcb().useCongestionControl("reno");
        int base = t.tcb().sndUna();
        write(10_000);
        ackUpTo(0, base);
        ackUpTo(0, base);
        PacketReport third = ackUpTo(0, base);
        assertThat(third.sentSegments()).singleElement().satisfies(s -> {
            assertThat(s.seq()).isEqualTo(base);
            assertThat(s.length()).isEqualTo(1000);
        });
        assertThat(t.tcb().caState()).isEqualTo(CaState.RECOVERY);
        assertThat(t.tcb().ssthresh()).as("Reno halves cwnd").isEqualTo(5);
        ackUpTo(10_000, base);
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
        // recovery ends at ssthresh 5 (tcp_end_cwnd_reduction()); tcp_ack() then runs tcp_cong_control() in Open, and
        // Reno's congestion avoidance adds one for the five or more segments this ACK delivered (tcp_cong_avoid_ai())
        assertThat(t.tcb().cwnd()).as("ssthresh, plus one").isEqualTo(6);
    }

    @Test
    void established_cubicIsTheDefault_andLeavesSeventyPercentAfterALoss() {
        established();
        assertThat(t.tcb().congestionControl()).isEqualTo("cubic");
        int base = t.tcb().sndUna();
        write(10_000);
        for (int i = 0; i < 3; i++) {
            ackUpTo(0, base);
        }
        assertThat(t.tcb().ssthresh()).as("10 x 717 / 1024").isEqualTo(7);
    }

    @Test
    void established_retransmissionTimeout_entersLossWithCwndOne_andSlowStartsTheResends() {
        established();
        int base = t.tcb().sndUna();
        write(5_000);
        t.advanceSeconds(1.0);
        Segment resent = t.peer.lastReceived();
        assertThat(resent.seq()).isEqualTo(base);
        assertThat(t.tcb().caState()).isEqualTo(CaState.LOSS);
        assertThat(t.tcb().cwnd()).isEqualTo(1);
        assertThat(t.tcb().ssthresh()).isEqualTo(7);
        PacketReport ack = ackUpTo(1000, base);
        assertThat(t.tcb().cwnd()).isEqualTo(2);
        assertThat(ack.sentSegments()).extracting(s -> s.seq() - base).containsExactly(1000, 2000);
        ackUpTo(5000, base);
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
    }

    @Test
    void unknownCongestionControl_isRefused() {
        established();
        assertThat(t.tcb().useCongestionControl("vegas")).isFalse();
        assertThat(t.tcb().congestionControl()).isEqualTo("cubic");
    }

    @Test
    void listenerSetsTcpCongestionReno_acceptedConnectionInheritsIt_andGetsockoptNamesIt() {
        var set = done(t.kernel.setsockopt(t.pid, t.listenFd, "TCP_CONGESTION", "reno"));
        assertThat(set.strace()).isEqualTo("setsockopt(3, SOL_TCP, TCP_CONGESTION, \"reno\", 4) = 0");
        established();
        assertThat(t.tcb().congestionControl()).as("tcp_ca_openreq_child(): the listener's algorithm").isEqualTo("reno");
        var got = done(t.kernel.getsockopt(t.pid, t.fd, "TCP_CONGESTION"));
        assertThat(new String(got.data())).isEqualTo("reno");
        assertThat(got.strace()).isEqualTo("getsockopt(4, SOL_TCP, TCP_CONGESTION, \"reno\", [4]) = 0");
    }

    @Test
    void setsockoptTcpCongestion_unknownName_failsWithEnoent_andKeepsTheAlgorithm() {
        established();
        var result = done(t.kernel.setsockopt(t.pid, t.fd, "TCP_CONGESTION", "vegas"));
        assertThat(result.errno()).isEqualTo(io.vkernel.kernel.socket.Errno.ENOENT);
        assertThat(t.tcb().congestionControl()).isEqualTo("cubic");
    }

    @Test
    void setsockoptTcpCongestion_onAnEstablishedConnection_switchesAtOnce() {
        established();
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_CONGESTION", "reno"));
        assertThat(t.tcb().congestionControl()).isEqualTo("reno");
        int base = t.tcb().sndUna();
        write(10_000);
        for (int i = 0; i < 3; i++) {
            ackUpTo(0, base);
        }
        assertThat(t.tcb().ssthresh()).as("Reno's half of 10, not CUBIC's 7").isEqualTo(5);
    }

    @Test
    void sysctlTcpCongestionControl_isReadWhenTheSocketIsCreated() {
        t.kernel.inspect(k -> {
            k.sysctls().set(Sysctls.TCP_CONGESTION_CONTROL, 0);
            return null;
        });
        int fresh = (int) done(t.kernel.socket(t.pid)).ret();
        assertThat(new String(done(t.kernel.getsockopt(t.pid, fresh, "TCP_CONGESTION")).data())).isEqualTo("reno");
        established();
        assertThat(t.tcb().congestionControl()).as("the listener was created while cubic was the default").isEqualTo("cubic");
    }

    @Test
    void established_idleLongerThanTheRto_cwndRestartsFromTheInitialWindow_andTheEventLogSaysSo() {
        established();
        int base = t.tcb().sndUna();
        write(10_000);
        ackUpTo(10_000, base);
        write(20_000);
        ackUpTo(30_000, base);
        assertThat(t.tcb().cwnd()).isEqualTo(40);
        t.advanceSeconds(2.0);
        assertThat(write(30_000).sentSegments()).as("cwnd 40 halved per idle RTO down to 10").hasSize(10);
        assertThat(t.tcb().cwnd()).isEqualTo(10);
        java.util.List<io.vkernel.kernel.trace.KernelEvent> events = t.kernel.inspect(k -> k.events().after(0, 10_000));
        assertThat(events).anySatisfy(e -> {
            assertThat(e.type()).isEqualTo(io.vkernel.kernel.trace.EventType.CONGESTION);
            assertThat(e.detail()).contains("cwnd restarts 40 -> 10");
        });
    }

    @Test
    void slowStartAfterIdleOff_idleConnection_keepsItsCwnd() {
        established();
        t.kernel.inspect(k -> {
            k.sysctls().set(Sysctls.TCP_SLOW_START_AFTER_IDLE, 0);
            return null;
        });
        int base = t.tcb().sndUna();
        write(10_000);
        ackUpTo(10_000, base);
        t.advanceSeconds(2.0);
        assertThat(write(15_000).sentSegments()).hasSize(15);
        assertThat(t.tcb().cwnd()).isEqualTo(20);
    }

    @Test
    void sackRecovery_tcpInfoCountsSackedLostAndRetransmittedSegments() {
        t.peer = null;
        t.kernel.inspect(k -> {
            k.sysctls().set(Sysctls.VKERNEL_GSO, 0);
            return null;
        });
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.peer.mss = 1000;
        t.peer.sackOk = true;
        t.peer.connect();
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        int base = t.tcb().sndUna();
        write(10_000);
        for (int i = 1; i <= 3; i++) {
            t.peer.sendSack(base, base + 1000, base + 1000 + i * 1000);
        }
        var info = io.vkernel.kernel.tcp.TcpInfo.of(t.tcb());
        assertThat(info.get("tcpi_ca_state")).as("TCP_CA_Recovery").isEqualTo(3L);
        assertThat(info.get("tcpi_sacked")).isEqualTo(3L);
        assertThat(info.get("tcpi_lost")).as("the head, resent but still lost_out").isEqualTo(1L);
        assertThat(info.get("tcpi_retrans")).isEqualTo(1L);
        assertThat(info.get("tcpi_total_retrans")).isEqualTo(1L);
    }
}
