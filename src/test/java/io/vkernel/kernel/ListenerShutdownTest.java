package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import static io.vkernel.kernel.TcpFixture.assertErrno;
import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * shutdown() on a listening socket, as inet_shutdown() treats TCP_LISTEN: only a shutdown that includes the
 * receive side disconnects it; SHUT_WR returns 0 and the socket goes on listening and accepting.
 */
class ListenerShutdownTest {

    private final TcpFixture t = new TcpFixture();

    @Test
    void shutWr_onAListener_returnsZero_andItKeepsListeningAndAccepting() {
        Peer queued = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER).connect();
        PacketReport report = new PacketReport(null);
        var result = done(t.kernel.shutdown(t.pid, t.listenFd, 1, report));
        assertThat(result.ret()).isZero();
        assertThat(report.sentSegments()).as("nothing is sent: the queued connection is not reset").isEmpty();
        assertThat(queued.receivedFlags()).doesNotContain("R.", "R");

        Peer later = new Peer(t.kernel, "192.168.1.200:40000", TcpFixture.SERVER).connect();
        assertThat(later.receivedFlags()).contains("S.");
        int first = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        int second = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        assertThat(first).isEqualTo(4);
        assertThat(second).isEqualTo(5);
        assertThat(t.kernel.inspect(k -> k.listeners().all().size()).intValue()).isEqualTo(1);
    }

    @Test
    void shutRd_onAListener_stopsIt_resettingItsQueue_andANewSynIsRefused() {
        Peer queued = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER).connect();
        PacketReport report = new PacketReport(null);
        assertThat(done(t.kernel.shutdown(t.pid, t.listenFd, 0, report)).ret()).isZero();
        assertThat(report.sentSegments()).extracting(s -> TcpFlags.format(s.flags())).containsExactly("R.");
        assertThat(queued.lastReceived().has(TcpFlags.RST)).isTrue();
        assertThat(t.kernel.inspect(k -> k.listeners().all().size()).intValue()).isZero();

        Peer refused = new Peer(t.kernel, "192.168.1.200:40000", TcpFixture.SERVER);
        refused.send(TcpFlags.SYN, "");
        assertThat(refused.lastReceived().has(TcpFlags.RST)).as("no listener any more: RST").isTrue();
        assertErrno(done(t.kernel.accept(t.pid, t.listenFd)), Errno.EINVAL);
    }

    @Test
    void shutRdwr_onAListener_stopsItToo() {
        assertThat(done(t.kernel.shutdown(t.pid, t.listenFd, 2, new PacketReport(null))).ret()).isZero();
        assertThat(t.kernel.inspect(k -> k.listeners().all().size()).intValue()).isZero();
        assertErrno(done(t.kernel.accept(t.pid, t.listenFd)), Errno.EINVAL);
    }
}
