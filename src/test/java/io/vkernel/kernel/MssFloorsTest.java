package io.vkernel.kernel;

import io.vkernel.kernel.tcp.TcpInfo;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The MSS floors TCP_INFO shows once the handshake is done: tcpi_snd_mss is tp->mss_cache, which __tcp_mtu_to_mss()
 * never lets below TCP_MIN_SND_MSS (48).
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
    void aPeerMssOf40_showsTcpiSndMss48() {
        assertThat(acceptedFrom(40)).containsEntry("tcpi_snd_mss", 48L);
    }
}
