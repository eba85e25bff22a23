package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * __inet_hash_connect(): a port that only connections hold may serve another connection to a different peer, since
 * the 4-tuples differ; a port taken with bind() may not. With ip_local_port_range 40000 40000 there is one port.
 */
class EphemeralPortSharingTest {

    private final TcpFixture t = new TcpFixture();

    private int connectingSocket(String remote) {
        int fd = (int) TcpFixture.done(t.kernel.socket(t.pid)).ret();
        TcpFixture.done(t.kernel.fcntl(t.pid, fd, "F_SETFL", 04000));
        TcpFixture.assertErrno(TcpFixture.done(t.kernel.connect(t.pid, fd, Endpoint.parse(remote), new PacketReport(null))),
                Errno.EINPROGRESS);
        return fd;
    }

    private int localPort(int fd) {
        return t.kernel.inspect(k -> k.process(t.pid).fds().get(fd).socket().local().port());
    }

    @Test
    void twoConnectionsToDifferentPeers_shareTheOnlyEphemeralPort() {
        t.sysctl(Sysctls.PORT_RANGE_LOW, 40000);
        t.sysctl(Sysctls.PORT_RANGE_HIGH, 40000);
        int a = connectingSocket("192.0.2.1:80");
        int b = connectingSocket("192.0.2.2:80");
        assertThat(localPort(a)).isEqualTo(40000);
        assertThat(localPort(b)).isEqualTo(40000);
        // a third to a peer one of them already has: no 4-tuple left
        int c = (int) TcpFixture.done(t.kernel.socket(t.pid)).ret();
        TcpFixture.assertErrno(TcpFixture.done(t.kernel.connect(t.pid, c, Endpoint.parse("192.0.2.1:80"), new PacketReport(null))),
                Errno.EADDRNOTAVAIL);
    }

    @Test
    void aPortTakenWithBind_isNotHandedToAConnection() {
        t.sysctl(Sysctls.PORT_RANGE_LOW, 40000);
        t.sysctl(Sysctls.PORT_RANGE_HIGH, 40000);
        int bound = (int) TcpFixture.done(t.kernel.socket(t.pid)).ret();
        assertThat(TcpFixture.done(t.kernel.bind(t.pid, bound, Endpoint.parse("0.0.0.0:40000"))).ret()).isZero();
        int c = (int) TcpFixture.done(t.kernel.socket(t.pid)).ret();
        TcpFixture.assertErrno(TcpFixture.done(t.kernel.connect(t.pid, c, Endpoint.parse("192.0.2.1:80"), new PacketReport(null))),
                Errno.EADDRNOTAVAIL);
    }
}
