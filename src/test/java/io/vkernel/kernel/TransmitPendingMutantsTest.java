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
 * tcp_write_xmit()'s loop and tcp_sendmsg()'s copy at their edges (PIT survivors in TcpSender.transmitPending(),
 * copyIntoSkbs() and mtuProbe()): a write that fills the peer's window exactly is not rwnd-limited; MSG_MORE data that
 * fills the window gets no PSH; a FIN behind data the window takes exactly waits; with GSO off the packets of a burst
 * are cut by what cwnd leaves; an MTU probe needs unsent data beyond what is in flight (handshake 40 s after boot: an
 * ISS above 2^31, where SND.NXT + SND.UNA is a positive int, so an in-flight count mistaken for it shows); a lowered
 * route MTU is taken after the next packet leaves; push_one sends what cwnd leaves; a forced-push mark moves with the
 * bytes added to its skb; new data in CWR counts in prr_out; a window-held sender grows cwnd only while it fills it.
 */
class TransmitPendingMutantsTest {

    private static final int MSG_MORE = 0x8000;
    private final TcpFixture t = new TcpFixture();

    /** Established from an immediate handshake, then the peer's window set to {@code window}; answers SND.UNA. */
    private int establishedWithWindow(int window) {
        t.established();
        int base = t.tcb().sndUna();
        t.peer.window = window;
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base, "");
        return base;
    }

    private void write(int bytes) {
        assertThat(done(t.kernel.write(t.pid, t.fd, new byte[bytes], new PacketReport(null))).ret()).isEqualTo(bytes);
    }

    private List<String> sentSince(int index, int base) {
        return TcpFixture.summary(t.sentSince(index), base);
    }

    @Test
    void aWriteThatFillsThePeersWindowExactly_leavesNothingWaiting_soNoRwndLimitedTime() {
        int base = establishedWithWindow(2920);
        int index = t.peer.received().size();
        write(2920);
        assertThat(sentSince(index, base)).containsExactly("P. 0:2920");
        t.kernel.advance(100);
        // tcp_write_xmit() ends with no send head: is_rwnd_limited stays false
        assertThat(t.kernel.inspect(k -> TcpInfo.of(t.tcb(), k.clock().now())).get("tcpi_rwnd_limited")).isZero();
    }

    @Test
    void msgMoreData_thatFillsTheWindowExactly_goesWithoutPsh() {
        int base = establishedWithWindow(1460);
        int index = t.peer.received().size();
        assertThat(done(t.kernel.send(t.pid, t.fd, new byte[1460], MSG_MORE, new PacketReport(null))).ret()).isEqualTo(1460);
        assertThat(sentSince(index, base)).as("a full segment leaves; MSG_MORE marks no push").containsExactly(". 0:1460");
    }

    @Test
    void aFinBehindDataTheWindowTakesExactly_waitsForMoreWindow() {
        int base = establishedWithWindow(0);
        int index = t.peer.received().size();
        write(100);
        t.close();
        assertThat(sentSince(index, base)).isEmpty();
        t.peer.window = 100;
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base, "");
        // tcp_snd_wnd_test(): the FIN's sequence number needs one more byte of window
        assertThat(sentSince(index, base)).containsExactly("P. 0:100");
        assertThat(t.state()).isEqualTo(TcpState.FIN_WAIT1);
        assertThat(t.tcb().sndNxt() - base).isEqualTo(100);
    }

    @Test
    void withGsoOff_aBurstOfTwoSegments_thatCwndLeavesRoomFor_isOnePacketWithPsh() {
        t.kernel.inspect(k -> {
            k.sysctls().set(Sysctls.VKERNEL_GSO, 0);
            return null;
        });
        int base = establishedWithWindow(65535);
        int index = t.peer.received().size();
        write(30000);
        // cwnd 10 at a sub-millisecond RTT: packets of cwnd / 2 = 5 segments, PSH on each packet's last
        assertThat(sentSince(index, base)).containsExactly(". 0:1460", ". 1460:2920", ". 2920:4380", ". 4380:5840",
                "P. 5840:7300", ". 7300:8760", ". 8760:10220", ". 10220:11680", ". 11680:13140", "P. 13140:14600");
        index = t.peer.received().size();
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 1460, "");
        // cwnd 11 with 9 in flight: one 2-segment packet (tcp_cwnd_test()'s quota), segmented in software
        assertThat(t.tcb().cwnd()).isEqualTo(11);
        assertThat(sentSince(index, base)).containsExactly(". 14600:16060", "P. 16060:17520");
    }

    @Test
    void anMtuProbe_leavesOnlyWhileMoreThanItAndFourSegmentsWaitUnsent() {
        t.mtuProbingWithInitcwnd12();
        t.kernel.advance(40_000);
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.peer.send(TcpFlags.SYN, "");
        t.advanceSeconds(0.1);
        t.peer.send(TcpFlags.ACK, "");
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        assertThat(Integer.toUnsignedLong(t.tcb().iss())).isEqualTo(2_250_134_959L);
        int base = t.tcb().sndUna();
        int index = t.peer.received().size();
        write(20000);
        // the 1242-byte probe ((1064 + 1500) / 2 = 1282-byte packet), then ten MSS segments: the probe took one
        // from cwnd 12 (tcp_mtu_probe())
        assertThat(sentSince(index, base)).containsExactly(". 0:1242", ". 1242:2702", "P. 2702:4162", ". 4162:5622",
                "P. 5622:7082", ". 7082:8542", "P. 8542:10002", ". 10002:11462", "P. 11462:12922", ". 12922:14382",
                "P. 14382:15842");
        t.advanceSeconds(0.03);
        index = t.peer.received().size();
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 1242, "");
        // the probe succeeded (MSS 1242 now; cwnd 11 x 1500 / 1282 = 12, then + 1); 4158 bytes wait, less than a next
        // probe and four segments: no probe, one segment fills cwnd 13 (14600 bytes in flight are 12 of 1242)
        assertThat(sentSince(index, base)).containsExactly(". 15842:17084");
        assertThat(t.tcb().cwnd()).isEqualTo(13);
    }

    @Test
    void aLoweredRouteMtu_isTakenAfterTheNextPacketLeaves_andCutsWhatAnAckReleases() {
        int base = establishedWithWindow(65535);
        t.kernel.sysctl(Sysctls.ROUTE_MTU, 1400); // ip route change ... mtu 1400
        int index = t.peer.received().size();
        write(30000);
        // the route is checked after the packets leave (__sk_dst_check()): this burst still goes at MSS 1460, as
        // 5-segment GSO packets (cwnd / 2 at a sub-millisecond RTT)
        assertThat(sentSince(index, base)).containsExactly("P. 0:7300", "P. 7300:14600");
        index = t.peer.received().size();
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 2920, "");
        // tcp_write_xmit() -> tcp_current_mss(): MSS 1360 from the ACK's sending on; the 11680 bytes in flight are 9
        // such segments of cwnd 12, so 3 x 1360 go
        assertThat(t.tcb().cwnd()).isEqualTo(12);
        assertThat(sentSince(index, base)).containsExactly("P. 14600:18680");
    }

    @Test
    void aWriteAfterTheRouteMtuChanged_sizesItsSkbsAtTheNewMss() {
        establishedWithWindow(65535);
        t.kernel.sysctl(Sysctls.ROUTE_MTU, 1400);
        write(100); // its packet's __sk_dst_check() finds the new route
        PacketReport report = new PacketReport(null);
        assertThat(done(t.kernel.write(t.pid, t.fd, new byte[40000], report)).ret()).isEqualTo(40000);
        // tcp_send_mss() -> tcp_current_mss(): the size goal of 32767 / 1360 whole segments, not 32767 / 1460
        assertThat(TcpFixture.steps(report, "tcp.sndbuf")).singleElement().asString().contains("of up to 32640 bytes");
    }

    @Test
    void aForcedPushMark_movesWithTheBytesAWriteAddsToItsSkb() {
        // a 17000-byte window, 100 ms RTT, GSO off: forced_push() marks PSH on an skb whose unsent rest the write then
        // fills; the mark stays on that skb's end (tcp_mark_push() is a flag of the skb), 21900 here
        t.kernel.inspect(k -> {
            k.sysctls().set(Sysctls.VKERNEL_GSO, 0);
            k.sysctls().set(Sysctls.TCP_WMEM_DEFAULT, 1 << 20);
            return null;
        });
        int base = t.establishedBy(p -> p.window = 17000, 0, 0.1);
        int index = t.peer.received().size();
        write(45000);
        for (int round = 0; round < 4; round++) {
            t.advanceSeconds(0.1);
            t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), t.tcb().sndNxt(), "");
        }
        assertThat(sentSince(index, base).stream().filter(s -> s.startsWith("P")).toList()).containsExactly("P. 1460:2920",
                "P. 4380:5840", "P. 7300:8760", "P. 8760:10220", "P. 11680:13140", "P. 16060:17520", "P. 18980:20440",
                "P. 20440:21900", "P. 23360:24820", "P. 26280:27740", "P. 27740:29200", "P. 30660:31600", "P. 33060:34520",
                "P. 35980:36500", "P. 37960:39420", "P. 40880:42340", "P. 42340:43800", "P. 43800:45000");
    }

    @Test
    void anSkbFilledWithTwoSegmentsOfCwndLeft_leavesAtOnceAsOneTwoSegmentPacket() {
        int base = establishedWithWindow(65535);
        write(8 * 1460);
        int index = t.peer.received().size();
        write(40000);
        // tcp_push_one(): the full skb at the send head goes as one GSO packet of what cwnd leaves (2 segments)
        assertThat(sentSince(index, base)).containsExactly("P. 11680:14600");
    }

    /** The peer's ACKs of the offsets given, each 100 ms after the last (ECE on {@code ece}): what each sent, and cwnd. */
    private List<String> acks(int base, int ece, int... offsets) {
        List<String> lines = new java.util.ArrayList<>();
        for (int offset : offsets) {
            t.advanceSeconds(0.1);
            PacketReport reply = t.peer.sendAt(TcpFlags.ACK | (offset == ece ? TcpFlags.ECE : 0), t.peer.sndNxt(), base + offset, "");
            lines.add("ack " + offset + " sent " + reply.sentSegments().stream().map(s -> s.seq() - base).toList() + " cwnd "
                    + t.tcb().cwnd() + " " + t.tcb().caState());
        }
        return lines;
    }

    @Test
    void newDataSentInCwr_countsInPrrOut_soEachAckReleasesOnlyItsShare() {
        // RFC 6937 in CWR (tcp_cwnd_reduction()): the segment sent on the ECE ACK counts in prr_out like any other
        int base = t.establishedOneSegmentPerMss(false, TcpFlags.ECE | TcpFlags.CWR);
        t.write(20_000);
        assertThat(acks(base, 1000, 1000, 2000, 3000, 4000, 5000, 6000)).containsExactly(
                "ack 1000 sent [10000] cwnd 10 CWR", "ack 2000 sent [11000] cwnd 10 CWR", "ack 3000 sent [12000] cwnd 10 CWR",
                "ack 4000 sent [] cwnd 9 CWR", "ack 5000 sent [13000] cwnd 9 CWR", "ack 6000 sent [14000] cwnd 9 CWR");
    }

    @Test
    void afterCwr_aSenderThatThePeersWindowHoldsBelowCwnd_growsCwndOnlyWhileItFillsIt() {
        // an 8000-byte window, MSS 1000: after the ECE reduction (ssthresh 7) congestion avoidance grows cwnd only while
        // the window lets the packets in flight reach it (tcp_is_cwnd_limited()); 8 in flight of cwnd 9 is not limited
        int base = t.establishedOneSegmentPerMss(false, TcpFlags.ECE | TcpFlags.CWR);
        t.peer.window = 8000;
        t.write(60_000);
        assertThat(acks(base, 1000, 1000, 2000, 3000, 4000, 6000, 8000, 10000, 12000, 14000, 16000, 18000, 20000, 22000, 24000,
                26000, 28000, 30000)).containsExactly(
                "ack 1000 sent [] cwnd 10 CWR",
                "ack 2000 sent [] cwnd 10 CWR",
                "ack 3000 sent [10000] cwnd 8 CWR",
                "ack 4000 sent [] cwnd 7 CWR",
                "ack 6000 sent [11000, 12000] cwnd 7 CWR",
                "ack 8000 sent [13000, 14000] cwnd 7 CWR",
                "ack 10000 sent [15000, 16000] cwnd 7 CWR",
                "ack 12000 sent [17000, 18000] cwnd 7 OPEN",
                "ack 14000 sent [19000, 20000] cwnd 7 OPEN",
                "ack 16000 sent [21000, 22000, 23000] cwnd 8 OPEN",
                "ack 18000 sent [24000, 25000] cwnd 8 OPEN",
                "ack 20000 sent [26000, 27000] cwnd 8 OPEN",
                "ack 22000 sent [28000, 29000] cwnd 9 OPEN",
                "ack 24000 sent [30000, 31000] cwnd 9 OPEN",
                "ack 26000 sent [32000, 33000] cwnd 9 OPEN",
                "ack 28000 sent [34000, 35000] cwnd 9 OPEN",
                "ack 30000 sent [36000, 37000] cwnd 9 OPEN");
    }
}
