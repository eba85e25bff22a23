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
 * The MSS floors and caps TCP_INFO shows once the handshake is done: tcpi_snd_mss is tp->mss_cache, which
 * __tcp_mtu_to_mss() never lets below TCP_MIN_SND_MSS (48); tcpi_rcv_mss starts as tcp_initialize_rcv_mss()'s guess,
 * min(advmss, mss_cache, TCP_MSS_DEFAULT 536), at least TCP_MIN_MSS (88), on each path that creates a connection.
 */
class MssFloorsTest {

    private final TcpFixture t = new TcpFixture();

    private Map<String, Long> acceptedFrom(int peerMss) {
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.peer.mss = peerMss;
        t.peer.connect();
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        return TcpInfo.of(t.tcb());
    }

    @Test
    void aPeerMssOf40_showsTcpiSndMss48_andTheFirstRcvMssIsTcpMinMss() {
        assertThat(acceptedFrom(40)).containsEntry("tcpi_snd_mss", 48L).containsEntry("tcpi_rcv_mss", 88L);
    }

    @Test
    void aPeerMssOf300_isTheFirstRcvMss_whereTheDefaultWouldBe536() {
        assertThat(acceptedFrom(300)).containsEntry("tcpi_snd_mss", 300L).containsEntry("tcpi_rcv_mss", 300L);
    }

    @Test
    void aPeerMssOf1460_startsRcvMssAtTcpMssDefault() {
        assertThat(acceptedFrom(1460)).containsEntry("tcpi_snd_mss", 1460L).containsEntry("tcpi_rcv_mss", 536L);
    }

    /** A listener's TCP_MAXSEG of 200 is the child's advmss: the first guess of the peer's MSS is 200 too. */
    @Test
    void theListenersTcpMaxseg_capsTheFirstRcvMss() {
        done(t.kernel.setsockopt(t.pid, t.listenFd, "TCP_MAXSEG", 200, true));
        assertThat(acceptedFrom(1460)).containsEntry("tcpi_rcv_mss", 200L);
    }

    /** cookie_v4_check() -> tcp_v4_syn_recv_sock(): a route MTU of 400 gives advmss 360 and the cookie's 536 falls to it. */
    @Test
    void aSynCookieChild_startsRcvMssAtTheRoutesAdvmss() {
        t.sysctl(Sysctls.TCP_SYNCOOKIES, 2);
        t.sysctl(Sysctls.ROUTE_MTU, 400);
        Map<String, Long> info = acceptedFrom(600);
        assertThat(info).containsEntry("tcpi_snd_mss", 360L).containsEntry("tcpi_rcv_mss", 360L);
    }

    /** tcp_rcv_synsent_state_process(): a SYN-ACK with MSS 200 gives the client the first rcv_mss 200. */
    @Test
    void aClientWhoseSynAckCarriesMss200_startsRcvMssThere() {
        int fd = t.socket(false);
        Endpoint remote = Endpoint.parse("192.0.2.1:80");
        t.kernel.connect(t.pid, fd, remote, new PacketReport(null));
        PacketReport synAck = t.kernel.receive(new Segment(remote, t.tcbOf(fd).tuple().local(), TcpFlags.SYN | TcpFlags.ACK,
                5000, t.tcbOf(fd).iss() + 1, 30000, 0, null, TcpOptions.parseText("mss 200")));
        assertThat(synAck.state()).isEqualTo("ESTABLISHED");
        assertThat(TcpInfo.of(t.tcbOf(fd))).containsEntry("tcpi_snd_mss", 200L).containsEntry("tcpi_rcv_mss", 200L);
    }
}
