package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import static io.vkernel.kernel.TcpFixture.assertErrno;
import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.pending;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * listen() on a socket whose connection is gone. inet_listen() takes a socket that is SS_UNCONNECTED in TCP_CLOSE:
 * __inet_stream_connect()'s sock_error (a blocking connect() refused or timed out, or a later connect() that reports
 * a non-blocking one's failure) and connect(AF_UNSPEC) leave it so after tcp_disconnect(). A non-blocking connect()
 * whose failure no connect() has reported is still SS_CONNECTING, and a connection reset once connected is still
 * SS_CONNECTED: listen() is EINVAL for both. vkernel answered EINVAL whenever the socket had had a connection.
 */
class ListenAfterFailedConnectTest {

    private static final Endpoint REMOTE = Endpoint.parse("192.0.2.1:80");

    private final TcpFixture t = new TcpFixture();

    /** listen() answers 0, and the socket then listens: a non-blocking accept() finds no connection (EAGAIN). */
    private void assertListens(int fd) {
        assertThat(done(t.kernel.listen(t.pid, fd, 16)).ret()).isZero();
        done(t.kernel.fcntl(t.pid, fd, "F_SETFL", 04000));
        assertErrno(done(t.kernel.accept(t.pid, fd)), Errno.EAGAIN);
    }

    @Test
    void afterABlockingConnectWasRefused_listenSucceeds() {
        int fd = t.socket(false);
        PendingCall call = pending(t.kernel.connect(t.pid, fd, REMOTE, new PacketReport(null)));
        t.refuse(fd);
        assertErrno(call.result(), Errno.ECONNREFUSED);
        assertListens(fd);
    }

    @Test
    void afterABlockingConnectTimedOut_listenSucceeds() {
        int fd = t.socket(false);
        done(t.kernel.setsockopt(t.pid, fd, "TCP_SYNCNT", 1, true));
        PendingCall call = pending(t.kernel.connect(t.pid, fd, REMOTE, new PacketReport(null)));
        t.kernel.advance(10_000);
        assertErrno(call.result(), Errno.ETIMEDOUT);
        assertListens(fd);
    }

    @Test
    void afterANonBlockingConnectWasRefused_listenIsEinvalUntilAConnectReportsIt() {
        int fd = t.socket(true);
        assertErrno(done(t.kernel.connect(t.pid, fd, REMOTE, new PacketReport(null))), Errno.EINPROGRESS);
        t.refuse(fd);
        assertErrno(done(t.kernel.listen(t.pid, fd, 16)), Errno.EINVAL); // still SS_CONNECTING
        assertThat(done(t.kernel.getsockopt(t.pid, fd, "SO_ERROR")).value()).isEqualTo(Errno.ECONNREFUSED.number());
        assertErrno(done(t.kernel.listen(t.pid, fd, 16)), Errno.EINVAL); // SO_ERROR leaves sock->state alone
        assertErrno(done(t.kernel.connect(t.pid, fd, REMOTE, new PacketReport(null))), Errno.ECONNABORTED);
        assertListens(fd);
    }

    @Test
    void afterConnectAfUnspec_ofAConnectionOrOfAHandshake_listenSucceeds() {
        int handshaking = t.socket(true);
        assertErrno(done(t.kernel.connect(t.pid, handshaking, REMOTE, new PacketReport(null))), Errno.EINPROGRESS);
        assertThat(done(t.kernel.disconnect(t.pid, handshaking, new PacketReport(null))).ret()).isZero();
        assertListens(handshaking);

        int connected = t.socket(true);
        assertErrno(done(t.kernel.connect(t.pid, connected, REMOTE, new PacketReport(null))), Errno.EINPROGRESS);
        int iss = t.tcbOf(connected).iss();
        t.kernel.receive(new Segment(REMOTE, t.tcbOf(connected).tuple().local(), TcpFlags.SYN | TcpFlags.ACK, 7000, iss + 1,
                30000, 1460, null, null));
        assertThat(done(t.kernel.connect(t.pid, connected, REMOTE, new PacketReport(null))).ret()).isZero();
        assertThat(done(t.kernel.disconnect(t.pid, connected, new PacketReport(null))).ret()).isZero();
        assertListens(connected);
    }

    @Test
    void aConnectionResetOnceConnected_isStillConnected_soListenIsEinval() {
        int fd = t.socket(true);
        assertErrno(done(t.kernel.connect(t.pid, fd, REMOTE, new PacketReport(null))), Errno.EINPROGRESS);
        int iss = t.tcbOf(fd).iss();
        Endpoint local = t.tcbOf(fd).tuple().local();
        t.kernel.receive(new Segment(REMOTE, local, TcpFlags.SYN | TcpFlags.ACK, 7000, iss + 1, 30000, 1460, null, null));
        assertThat(done(t.kernel.connect(t.pid, fd, REMOTE, new PacketReport(null))).ret()).isZero();
        t.kernel.receive(new Segment(REMOTE, local, TcpFlags.RST, 7001, 0, 0, 0, null, null));
        assertErrno(done(t.kernel.listen(t.pid, fd, 16)), Errno.EINVAL); // SS_CONNECTED, TCP_CLOSE
    }

    @Test
    void aPortBindNamed_isTheListenersAfterTheFailedConnect_andHeldAgainstAnotherBind() {
        int fd = t.socket(false);
        done(t.kernel.bind(t.pid, fd, Endpoint.parse("0.0.0.0:40000")));
        PendingCall call = pending(t.kernel.connect(t.pid, fd, REMOTE, new PacketReport(null)));
        t.refuse(fd);
        assertErrno(call.result(), Errno.ECONNREFUSED);
        assertThat(done(t.kernel.listen(t.pid, fd, 16)).ret()).isZero();

        Peer peer = new Peer(t.kernel, "192.168.1.100:5555", "10.0.0.50:40000");
        assertThat(peer.send(TcpFlags.SYN, "").sentSegments()).singleElement()
                .satisfies(synAck -> assertThat(TcpFlags.format(synAck.flags())).isEqualTo("S."));
        int other = t.socket(false);
        assertErrno(done(t.kernel.bind(t.pid, other, Endpoint.parse("0.0.0.0:40000"))), Errno.EADDRINUSE);
    }
}
