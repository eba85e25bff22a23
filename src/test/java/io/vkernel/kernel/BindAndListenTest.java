package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static io.vkernel.kernel.TcpFixture.assertErrno;
import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.finished;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * bind() and listen() as inet_csk_get_port() decides them: SO_REUSEADDR re-checked at listen() time
 * (inet_csk_listen_start()), and autobind to an ephemeral port (inet_csk_find_open_port(), inet_autobind()).
 */
class BindAndListenTest {

    private final Kernel kernel = new Kernel(KernelConfig.defaults("bind-test", 42));
    private final int pid = kernel.spawn("server").pid();

    private int reuseSocket() {
        int fd = (int) done(kernel.socket(pid)).ret();
        done(kernel.setsockopt(pid, fd, "SO_REUSEADDR", 1, true));
        return fd;
    }

    private Endpoint localOf(int fd) {
        return kernel.inspect(k -> k.process(pid).fds().get(fd).socket().local());
    }

    @Test
    void twoReuseAddrSockets_bothBind_firstListenSucceeds_secondIsEaddrinuse() {
        int a = reuseSocket();
        int b = reuseSocket();
        assertThat(done(kernel.bind(pid, a, Endpoint.parse("0.0.0.0:7000"))).ret()).isZero();
        assertThat(done(kernel.bind(pid, b, Endpoint.parse("0.0.0.0:7000"))).ret()).isZero();

        assertThat(done(kernel.listen(pid, a, 16)).ret()).isZero();
        assertErrno(done(kernel.listen(pid, b, 16)), Errno.EADDRINUSE);
    }

    @Test
    void reuseAddrBindOverATimeWaitOfAReuseAddrSocket_thenListen_succeedsAndAcceptsANewClient() {
        TcpFixture f = new TcpFixture();
        done(f.kernel.setsockopt(f.pid, f.listenFd, "SO_REUSEADDR", 1, true)); // before any child: children inherit it
        f.timeWait();
        done(f.kernel.close(f.pid, f.listenFd, new PacketReport(null)));

        int fd = (int) done(f.kernel.socket(f.pid)).ret();
        done(f.kernel.setsockopt(f.pid, fd, "SO_REUSEADDR", 1, true));
        assertThat(done(f.kernel.bind(f.pid, fd, Endpoint.parse("0.0.0.0:8080"))).ret()).isZero();
        assertThat(done(f.kernel.listen(f.pid, fd, 16)).ret()).as("the TIME_WAIT does not block listen()").isZero();

        Peer other = new Peer(f.kernel, "192.168.1.101:40000", TcpFixture.SERVER);
        other.send(TcpFlags.SYN, "");
        assertThat(other.receivedFlags()).containsExactly("S.");
    }

    @Test
    void bindToPortZero_picksAFreeOddEphemeralPort() {
        Set<Integer> ports = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            int fd = (int) done(kernel.socket(pid)).ret();
            assertThat(done(kernel.bind(pid, fd, Endpoint.parse("0.0.0.0:0"))).ret()).isZero();
            int port = localOf(fd).port();
            assertThat(port).isBetween(32768, 60999);
            assertThat(port % 2).as("inet_csk_find_open_port() tries odd ports first").isEqualTo(1);
            ports.add(port);
        }
        assertThat(ports).as("each bind(0) gets its own port").hasSize(20);
    }

    @Test
    void bindToPortZero_whenEveryPortIsTaken_isEaddrinuse() {
        kernel.inspect(k -> {
            k.sysctls().set(Sysctls.PORT_RANGE_LOW, 40000);
            k.sysctls().set(Sysctls.PORT_RANGE_HIGH, 40001);
            return null;
        });
        for (int i = 0; i < 2; i++) {
            int fd = (int) done(kernel.socket(pid)).ret();
            assertThat(done(kernel.bind(pid, fd, Endpoint.parse("0.0.0.0:0"))).ret()).isZero();
        }
        int fd = reuseSocket();
        assertErrno(done(kernel.bind(pid, fd, Endpoint.parse("0.0.0.0:0"))), Errno.EADDRINUSE);
    }

    @Test
    void listenOnAnUnboundSocket_autobindsAnEphemeralPort_andAcceptsConnections() {
        int fd = (int) done(kernel.socket(pid)).ret();
        assertThat(done(kernel.listen(pid, fd, 16)).ret()).isZero();
        Endpoint local = localOf(fd);
        assertThat(local.isWildcard()).isTrue();
        assertThat(local.port()).isBetween(32768, 60999).matches(p -> p % 2 == 1, "odd");
        Socket listener = kernel.inspect(k -> k.listeners().find(new Endpoint(k.address(), local.port())));
        assertThat(listener).isNotNull();

        int client = kernel.spawn("client").pid();
        int cfd = (int) done(kernel.socket(client)).ret();
        assertThat(finished(kernel.connect(client, cfd, new Endpoint(Endpoint.parse("127.0.0.1:1").address(), local.port()),
                new PacketReport(null))).ret()).isZero();
        assertThat(done(kernel.accept(pid, fd)).ret()).isPositive();
    }
}
