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
        t.kernel.inspect(k -> {
            k.sysctls().set(Sysctls.VKERNEL_GSO, 0);
            k.sysctls().set(Sysctls.TCP_WMEM_DEFAULT, 1 << 20);
            return null;
        });
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.peer.mss = 1000;
        t.peer.connect();
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
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
        assertThat(t.tcb().cwnd()).as("recovery ends at ssthresh").isEqualTo(5);
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
}
