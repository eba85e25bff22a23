package io.vkernel.kernel;

import io.vkernel.kernel.tcp.TcpInfo;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOptions;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * tcp_select_initial_window() with the smallest receive buffer: SO_RCVBUF's floor SOCK_MIN_RCVBUF 2304 gives
 * tcp_full_space() 1152, rounded down to whole advmss segments only when it exceeds one (space > mss); the advmss is
 * TCP_MAXSEG's. tcp_initialize_rcv_mss() then guesses min(advmss, mss_cache, rcv_wnd / 2, 536), at least 88.
 */
class InitialWindowTest {

    private final TcpFixture t = new TcpFixture();

    private Map<String, Long> acceptedWith(int rcvbuf, int maxseg) {
        done(t.kernel.setsockopt(t.pid, t.listenFd, "SO_RCVBUF", rcvbuf, true));
        if (maxseg > 0) {
            done(t.kernel.setsockopt(t.pid, t.listenFd, "TCP_MAXSEG", maxseg, true));
        }
        t.established();
        return TcpInfo.of(t.tcb());
    }

    private int synAckWindow() {
        return t.peer.received().stream().filter(s -> s.flags() == (TcpFlags.SYN | TcpFlags.ACK)).findFirst().orElseThrow().window();
    }

    /** 1152 > 1000: one whole segment, rcv_wnd 1000, and the first rcv_mss is half of it. */
    @Test
    void rcvbuf1AndMaxseg1000_offer1000_andRcvMssIsHalfTheWindow() {
        Map<String, Long> info = acceptedWith(1, 1000);
        assertThat(synAckWindow()).isEqualTo(1000);
        assertThat(info).containsEntry("tcpi_rcv_mss", 500L);
    }

    /** 1152 <= 1460: not rounded, Linux offers the whole 1152 (not 0); rcv_mss stays TCP_MSS_DEFAULT 536 (< 576). */
    @Test
    void rcvbuf1WithoutMaxseg_offersTheWholeSpaceBelowOneSegment() {
        Map<String, Long> info = acceptedWith(1, 0);
        assertThat(synAckWindow()).isEqualTo(1152);
        assertThat(info).containsEntry("tcpi_rcv_mss", 536L);
    }

    /** SO_RCVBUF 1000 (doubled 2000, floored 2304) and TCP_MAXSEG 100: eleven 100-byte segments, rcv_mss 100. */
    @Test
    void rcvbuf1000AndMaxseg100_offerElevenSegments() {
        Map<String, Long> info = acceptedWith(1000, 100);
        assertThat(synAckWindow()).isEqualTo(1100);
        assertThat(info).containsEntry("tcpi_rcv_mss", 100L);
    }

    /** tcp_connect_init(): the client's SYN rounds by its own advmss (no timestamps seen yet): 1000, then rcv_mss 500. */
    @Test
    void aClientWithRcvbuf1AndMaxseg1000_offers1000InItsSyn() {
        int fd = t.socket(false);
        done(t.kernel.setsockopt(t.pid, fd, "SO_RCVBUF", 1, true));
        done(t.kernel.setsockopt(t.pid, fd, "TCP_MAXSEG", 1000, true));
        Endpoint remote = Endpoint.parse("192.0.2.1:80");
        PacketReport connect = new PacketReport(null);
        t.kernel.connect(t.pid, fd, remote, connect);
        Segment syn = connect.sentSegments().get(0);
        assertThat(syn.flags()).isEqualTo(TcpFlags.SYN);
        assertThat(syn.window()).isEqualTo(1000);
        PacketReport synAck = t.kernel.receive(new Segment(remote, t.tcbOf(fd).tuple().local(), TcpFlags.SYN | TcpFlags.ACK,
                5000, t.tcbOf(fd).iss() + 1, 30000, 0, null, TcpOptions.parseText("mss 1460")));
        assertThat(synAck.state()).isEqualTo("ESTABLISHED");
        assertThat(TcpInfo.of(t.tcbOf(fd))).containsEntry("tcpi_snd_mss", 1000L).containsEntry("tcpi_rcv_mss", 500L);
    }
}
