package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import static io.vkernel.kernel.TcpFixture.assertErrno;
import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.pending;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The source port of a connect() after a failed one. tcp_set_state(TCP_CLOSE) gives a port connect() chose back
 * (inet_put_port(), as SOCK_BINDPORT_LOCK is unset), so the next connect() finds inet_num 0 and
 * __inet_hash_connect() picks an ephemeral port anew, for the new destination, skipping a port someone bound since.
 * A port bind() named stays. vkernel sent the next SYN from the old port.
 */
class ConnectAfterFailureNewPortTest {

    private static final Endpoint REMOTE = Endpoint.parse("192.0.2.1:80");
    private static final Endpoint OTHER = Endpoint.parse("198.51.100.7:443");

    private final TcpFixture t = new TcpFixture();

    /** A blocking connect() to REMOTE, refused; answers the source port of its SYN. */
    private int refusedConnect(int fd) {
        PacketReport report = new PacketReport(null);
        PendingCall call = pending(t.kernel.connect(t.pid, fd, REMOTE, report));
        int port = synPort(report);
        t.refuse(fd);
        assertErrno(call.result(), Errno.ECONNREFUSED);
        return port;
    }

    /** A non-blocking connect() to {@code remote}; answers the source port of its SYN. */
    private static int nonBlockingConnect(TcpFixture f, int fd, Endpoint remote) {
        PacketReport report = new PacketReport(null);
        assertErrno(done(f.kernel.connect(f.pid, fd, remote, report)), Errno.EINPROGRESS);
        return synPort(report);
    }

    private static int synPort(PacketReport report) {
        assertThat(report.sentSegments()).singleElement().satisfies(syn -> assertThat(syn.flags()).isEqualTo(TcpFlags.SYN));
        return report.sentSegments().get(0).src().port();
    }

    /** The port a fresh socket of a fresh kernel (same seed) sends its first SYN to {@code remote} from. */
    private static int freshPort(Endpoint remote) {
        TcpFixture fresh = new TcpFixture();
        return nonBlockingConnect(fresh, fresh.socket(true), remote);
    }

    @Test
    void afterARefusedConnect_theNextConnectPicksThePortForItsDestination() {
        int fd = t.socket(false);
        int first = refusedConnect(fd);
        done(t.kernel.fcntl(t.pid, fd, "F_SETFL", 04000));
        int second = nonBlockingConnect(t, fd, OTHER);
        assertThat(second).isEqualTo(freshPort(OTHER)).isNotEqualTo(first);
    }

    @Test
    void afterARefusedConnect_thePortIsFree_andANewConnectSkipsItOnceAnotherSocketBindsIt() {
        int fd = t.socket(false);
        int first = refusedConnect(fd);
        int other = t.socket(false);
        assertThat(done(t.kernel.bind(t.pid, other, new Endpoint(0, first))).ret()).isZero();
        done(t.kernel.fcntl(t.pid, fd, "F_SETFL", 04000));
        assertThat(nonBlockingConnect(t, fd, REMOTE)).isNotEqualTo(first);
    }

    @Test
    void aPortBindNamed_staysForTheNextConnect() {
        int fd = t.socket(false);
        done(t.kernel.bind(t.pid, fd, Endpoint.parse("0.0.0.0:40000")));
        assertThat(refusedConnect(fd)).isEqualTo(40000);
        done(t.kernel.fcntl(t.pid, fd, "F_SETFL", 04000));
        assertThat(nonBlockingConnect(t, fd, OTHER)).isEqualTo(40000);
    }

    @Test
    void connectAfUnspec_givesTheChosenPortBack() {
        int fd = t.socket(true);
        int first = nonBlockingConnect(t, fd, REMOTE);
        assertThat(done(t.kernel.disconnect(t.pid, fd, new PacketReport(null))).ret()).isZero();
        assertThat(nonBlockingConnect(t, fd, OTHER)).isEqualTo(freshPort(OTHER)).isNotEqualTo(first);
    }

    @Test
    void anAcceptedSocketDisconnected_keepsThePortItsListenersBindNamed() {
        t.established(); // the listener bound 0.0.0.0:8080; sk_clone_lock() gave the child its sk_userlocks
        assertThat(done(t.kernel.disconnect(t.pid, t.fd, new PacketReport(null))).ret()).isZero();
        t.nonBlocking();
        assertThat(nonBlockingConnect(t, t.fd, OTHER)).isEqualTo(8080);
    }

    @Test
    void anAcceptedSocketOfAnAutoboundListener_disconnected_picksAPortAnew() {
        int listener = t.socket(false);
        done(t.kernel.listen(t.pid, listener, 4)); // inet_autobind(): no SOCK_BINDPORT_LOCK
        int port = t.kernel.inspect(k -> k.process(t.pid).fds().get(listener).socket().local().port());
        new Peer(t.kernel, TcpFixture.CLIENT, "10.0.0.50:" + port).connect();
        int child = (int) done(t.kernel.accept(t.pid, listener)).ret();
        assertThat(done(t.kernel.disconnect(t.pid, child, new PacketReport(null))).ret()).isZero();
        done(t.kernel.fcntl(t.pid, child, "F_SETFL", 04000));
        assertThat(nonBlockingConnect(t, child, OTHER)).isEqualTo(freshPort(OTHER)).isNotEqualTo(port);
    }

    @Test
    void shutdownInSynSent_givesTheChosenPortBack() {
        int fd = t.socket(true);
        int first = nonBlockingConnect(t, fd, REMOTE);
        assertThat(done(t.kernel.shutdown(t.pid, fd, 1, new PacketReport(null))).ret()).isZero();
        assertThat(nonBlockingConnect(t, fd, OTHER)).isEqualTo(freshPort(OTHER)).isNotEqualTo(first);
    }
}
