package io.vkernel.kernel;

import io.vkernel.kernel.tcp.TcpInfo;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The send side at its edges (PIT survivors in TcpSender and SendBuffer), seen on the wire, in the trace, in TCP_INFO
 * and in sk_sndbuf: tcp_bound_to_half_wnd() at a largest window of exactly TCP_MSS_DEFAULT (536) and below its floor
 * of 68 - tcp_header_len bytes; the size goal of a peer that never offered a window; tcp_tso_should_defer() holding
 * part of a burst for the peer's window (its trace step, and rwnd-limited time for it); the sndbuf-limited
 * chronograph in CLOSE_WAIT;
 * a full-MSS probe after qdisc drops, which is not a small segment for Nagle; tcp_new_space() with one segment of
 * cwnd to spare.
 */
class SenderEdgesMutantsTest {

    private final TcpFixture t = new TcpFixture();

    /** Established from an immediate handshake with a peer offering {@code mss} and {@code window}; answers SND.UNA. */
    private int connect(int mss, int window) {
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.peer.mss = mss;
        t.peer.window = window;
        t.peer.connect();
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        return t.tcb().sndUna();
    }

    private PacketReport write(int bytes, long expected) {
        PacketReport report = new PacketReport(null);
        assertThat(done(t.kernel.write(t.pid, t.fd, new byte[bytes], report)).ret()).isEqualTo(expected);
        return report;
    }

    private List<String> sentSince(int index, int base) {
        return TcpFixture.summary(t.sentSince(index), base);
    }

    private int skbs() {
        return t.tcb().sendBuffer().skbCount(t.tcb());
    }

    private long info(String key) {
        return t.kernel.inspect(k -> TcpInfo.of(t.tcb(), k.clock().now())).get(key);
    }

    private int sndBuf() {
        return t.tcb().sendBuffer().sndBuf(t.tcb(), t.kernel.inspect(Kernel::sysctls));
    }

    @Test
    void aLargestWindowOfExactly536_boundsTheMssToAll536Bytes_notHalf() {
        // tcp_bound_to_half_wnd(): cutoff = max_window >> 1 only when max_window > TCP_MSS_DEFAULT; GSO off, so the
        // wire shows each segment
        t.kernel.inspect(k -> {
            k.sysctls().set(Sysctls.VKERNEL_GSO, 0);
            return null;
        });
        int base = connect(1460, 536);
        int index = t.peer.received().size();
        write(1000, 1000);
        assertThat(sentSince(index, base)).containsExactly("P. 0:536");
    }

    @Test
    void aPeerMssOf200_underALargestWindowOf536_fillsSkbsOfTwoSegments() {
        // tcp_xmit_size_goal(): 536 (not 268) bounds the goal, so two 200-byte segments make an skb
        int base = connect(200, 536);
        int index = t.peer.received().size();
        write(1000, 1000);
        assertThat(sentSince(index, base)).containsExactly("P. 0:400");
        assertThat(skbs()).as("skbs of 400, 400 and 200 bytes").isEqualTo(3);
    }

    @Test
    void aPeerThatNeverOfferedAWindow_leavesTheSizeGoalUnbounded() {
        // tcp_bound_to_half_wnd(): a cutoff of 0 (max_window 0) bounds nothing, so one skb takes the whole write
        int base = connect(1460, 0);
        int index = t.peer.received().size();
        write(5000, 5000);
        assertThat(sentSince(index, base)).isEmpty();
        assertThat(skbs()).isEqualTo(1);
    }

    @Test
    void aLargestWindowOf60_givesSixtyByteSegments_aboveTheFloorOf48() {
        // max(cutoff, 68 - tcp_header_len): 60 beats the floor of 48 (no timestamps: a 20-byte header)
        int base = connect(1460, 60);
        int index = t.peer.received().size();
        write(100, 100);
        assertThat(sentSince(index, base)).containsExactly("P. 0:60");
    }

    @Test
    void aLargestWindowOf40_isBelowTheFloorOf48_soTheDataWaitsForTheProbeTimer() {
        int base = connect(1460, 40);
        int index = t.peer.received().size();
        write(100, 100);
        assertThat(sentSince(index, base)).as("a 48-byte MSS does not fit a 40-byte window").isEmpty();
        t.kernel.advance(200);
        assertThat(sentSince(index, base)).as("tcp_write_wakeup(): what the window takes").containsExactly("P. 0:40");
    }

    @Test
    void partOfABurstTheCwndCouldTake_waitsForTheNextAck_andTheTraceSaysSo() {
        // 100 ms RTT, a 17000-byte window (size goal 7300): the write sends cwnd 10 as 2-segment GSO packets
        int base = t.establishedBy(p -> p.window = 17000, 0, 0.1);
        int index = t.peer.received().size();
        PacketReport written = write(50000, 50000);
        assertThat(TcpFixture.steps(written, "tcp.tso")).as("nothing deferred").isEmpty();
        assertThat(sentSince(index, base)).containsExactly("P. 0:2920", "P. 2920:5840", "P. 5840:8760", "P. 8760:10220",
                "P. 10220:13140", ". 13140:14600");
        t.advanceSeconds(0.1);
        index = t.peer.received().size();
        // two segments acknowledged one RTT later: cwnd 12, so 4 segments of room, but the window leaves 2920 + 2400;
        // after the first 2920 the 2400 would only be part of an skb, and the next ACK is due now: it waits
        PacketReport acked = t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 2920, "");
        assertThat(t.tcb().cwnd()).isEqualTo(12);
        assertThat(sentSince(index, base)).containsExactly("P. 14600:17520");
        assertThat(TcpFixture.steps(acked, "tcp.tso"))
                .containsExactly("2400 bytes wait for the next ACK to make a bigger TSO packet (tcp_tso_should_defer())");
        t.kernel.advance(50);
        // the window (2400 left) is below what cwnd leaves (2920) and no more than the skb: tcp_tso_should_defer()
        // sets is_rwnd_limited, and tcp_write_xmit() starts the chronograph (tcp_chrono_start(TCP_CHRONO_RWND_LIMITED))
        assertThat(info("tcpi_rwnd_limited")).as("the peer's window is what the tail waits for").isEqualTo(50_000);
    }

    @Test
    void inCloseWait_aWriterWaitingForSpace_countsSndbufLimitedTime() {
        // tcp_cwnd_validate(): everything sent, cwnd not the limit, SOCK_NOSPACE, ESTABLISHED or CLOSE_WAIT
        int base = connect(1460, 1000);
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_SNDBUF", 2304, true));
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_NODELAY", 1, true));
        t.peer.fin();
        assertThat(t.state()).isEqualTo(TcpState.CLOSE_WAIT);
        t.nonBlocking();
        write(20000, 2000);
        TcpFixture.assertErrno(done(t.kernel.write(t.pid, t.fd, new byte[100], new PacketReport(null))), io.vkernel.kernel.socket.Errno.EAGAIN);
        t.kernel.advance(10);
        int index = t.peer.received().size();
        t.peer.window = 65535;
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base, ""); // a window update only: no space freed, still NOSPACE
        assertThat(sentSince(index, base)).containsExactly(". 1000:1500", "P. 1500:2000");
        t.kernel.advance(100);
        assertThat(info("tcpi_sndbuf_limited")).isEqualTo(100_000);
    }

    @Test
    void aFullMssProbeAfterQdiscDrops_isNoSmallSegment_soNagleLetsTheNextWriteGo() {
        t.established();
        int base = t.tcb().sndUna();
        t.kernel.sysctl(Sysctls.VKERNEL_QDISC_LIMIT, 0);
        write(1560, 1560);
        t.kernel.sysctl(Sysctls.VKERNEL_QDISC_LIMIT, 500);
        int index = t.peer.received().size();
        t.kernel.advance(200);
        assertThat(sentSince(index, base)).as("tcp_write_wakeup(): one MSS").containsExactly("P. 0:1460");
        write(10, 10);
        // tcp_minshall_update() moves snd_sml only for a segment below the MSS: none is in flight
        assertThat(sentSince(index, base)).containsExactly("P. 0:1460", "P. 1460:1570");
    }

    @Test
    void anAckLeavingOneSegmentOfCwndFree_growsSkSndbuf() {
        // the peer's 14600-byte window, not cwnd, stops the sending: after the ACK of one segment 10 are in flight and
        // cwnd is 11, so tcp_should_expand_sndbuf() holds and sk_sndbuf becomes 2 x 11 x 4352
        int base = connect(1460, 14600);
        t.nonBlocking();
        write(200000, 80300);
        assertThat(sndBuf()).isEqualTo(87040);
        int index = t.peer.received().size();
        PacketReport acked = t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 1460, "");
        assertThat(sentSince(index, base)).containsExactly(". 14600:16060");
        assertThat(t.tcb().cwnd()).isEqualTo(11);
        assertThat(sndBuf()).isEqualTo(95744);
        assertThat(TcpFixture.steps(acked, "tcp.sndbuf"))
                .containsExactly("sk_sndbuf grows 87040 -> 95744 bytes: room for two windows of 11 segments (tcp_new_space() -> tcp_sndbuf_expand())");
    }
}
