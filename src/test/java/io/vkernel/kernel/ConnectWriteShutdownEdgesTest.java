package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static io.vkernel.kernel.TcpFixture.assertErrno;
import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.pending;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * connect(), write()/send()/sendto(), shutdown() and connect(AF_UNSPEC) where they refuse or stop: the errno for each
 * kind of socket and address, SO_SNDTIMEO ending a blocking connect with EINPROGRESS, the source address and port a
 * connection takes, and a listener after shutdown() and AF_UNSPEC.
 */
class ConnectWriteShutdownEdgesTest {

    private static final Endpoint REMOTE = Endpoint.parse("192.0.2.1:80");
    private final TcpFixture t = new TcpFixture();

    private int socket() {
        return (int) done(t.kernel.socket(t.pid)).ret();
    }

    private SyscallResult connect(int fd, String remote) {
        return done(t.kernel.connect(t.pid, fd, Endpoint.parse(remote), new PacketReport(null)));
    }

    private byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void connect_refusesAListener_portZero_andAddressesNoRouteReaches() {
        SyscallResult listener = connect(t.listenFd, "192.0.2.1:80");
        assertErrno(listener, Errno.EISCONN);
        assertThat(listener.strace()).isEqualTo("connect(" + t.listenFd + ", {sa_family=AF_INET, sin_port=htons(80), "
                + "sin_addr=inet_addr(\"192.0.2.1\")}, 16) = -1 EISCONN (" + Errno.EISCONN.message() + ")");
        int fd = socket();
        assertErrno(connect(fd, "192.0.2.1:0"), Errno.ECONNREFUSED);
        assertErrno(connect(fd, "224.0.0.1:80"), Errno.ENETUNREACH);
        assertErrno(connect(fd, "0.0.0.0:80"), Errno.ENETUNREACH);
        assertErrno(connect(0, "192.0.2.1:80"), Errno.ENOTSOCK);
        assertThat(t.tcbOf(fd)).as("a refused connect leaves no connection").isNull();
    }

    @Test
    void connect_fromABoundSocket_keepsItsPort_andToLoopback_usesTheLoopbackAddress() {
        int bound = socket();
        done(t.kernel.bind(t.pid, bound, Endpoint.parse("0.0.0.0:40000")));
        pending(t.kernel.connect(t.pid, bound, REMOTE, new PacketReport(null)));
        assertThat(t.tcbOf(bound).tuple().local().port()).isEqualTo(40000);
        assertThat(t.tcbOf(bound).tuple().local().address()).isEqualTo(t.kernel.inspect(Kernel::address));

        int loop = socket();
        SyscallResult viaLoopback = TcpFixture.finished(t.kernel.connect(t.pid, loop, Endpoint.parse("127.0.0.1:8080"), new PacketReport(null)));
        assertThat(viaLoopback.ret()).isZero();
        assertThat(t.tcbOf(loop).tuple().local().toString()).startsWith("127.0.0.1:");
    }

    @Test
    void connect_blockingWithSoSndtimeo_endsWithEinprogressWhenItExpires() {
        int fd = socket();
        done(t.kernel.setsockopt(t.pid, fd, "SO_SNDTIMEO", 1500, true));
        PendingCall call = pending(t.kernel.connect(t.pid, fd, REMOTE, new PacketReport(null)));
        t.kernel.advance(1499);
        assertThat(call.isDone()).isFalse();
        t.kernel.advance(1);
        assertThat(call.isDone()).isTrue();
        assertThat(call.result().errno()).isEqualTo(Errno.EINPROGRESS);
        assertThat(t.tcbOf(fd).state()).as("the handshake goes on").isEqualTo(TcpState.SYN_SENT);
        // __inet_stream_connect(): still SS_CONNECTING, so EALREADY; a blocking call sleeps in inet_wait_for_connect()
        // for SO_SNDTIMEO again before it says so
        PendingCall again = pending(t.kernel.connect(t.pid, fd, REMOTE, new PacketReport(null)));
        t.kernel.advance(1499);
        assertThat(again.isDone()).isFalse();
        t.kernel.advance(1);
        assertErrno(again.result(), Errno.EALREADY);
    }

    @Test
    void write_refusals_byKindOfFile() {
        int ep = (int) done(t.kernel.epollCreate(t.pid, 1)).ret();
        assertErrno(done(t.kernel.write(t.pid, ep, bytes("x"), new PacketReport(null))), Errno.EINVAL);
        SyscallResult listener = done(t.kernel.write(t.pid, t.listenFd, bytes("x"), new PacketReport(null)));
        assertErrno(listener, Errno.ENOTCONN);
        assertThat(listener.strace()).isEqualTo("write(" + t.listenFd + ", \"x\", 1) = -1 ENOTCONN (" + Errno.ENOTCONN.message() + ")");
        int fresh = socket();
        assertErrno(done(t.kernel.write(t.pid, fresh, bytes("x"), new PacketReport(null))), Errno.EPIPE);
        SyscallResult sent = done(t.kernel.send(t.pid, fresh, bytes("y"), Syscalls.MSG_NOSIGNAL, new PacketReport(null)));
        assertErrno(sent, Errno.EPIPE);
        assertThat(sent.strace()).isEqualTo("sendto(" + fresh + ", \"y\", 1, MSG_NOSIGNAL, NULL, 0) = -1 EPIPE (Broken pipe)");
        SyscallResult pipe = done(t.kernel.pipe(t.pid, 0));
        assertErrno(done(t.kernel.send(t.pid, pipe.revents().get(1), bytes("z"), 0, new PacketReport(null))), Errno.ENOTSOCK);
        SyscallResult terminal = done(t.kernel.write(t.pid, 1, bytes("hi\n"), new PacketReport(null)));
        assertThat(terminal.ret()).isEqualTo(3);
    }

    @Test
    void write_whileConnecting_blocksOrIsEagain_andAConnectingSocketIsNotEpipe() {
        int fd = socket();
        done(t.kernel.fcntl(t.pid, fd, "F_SETFL", 04000));
        assertErrno(connect(fd, "192.0.2.1:80"), Errno.EINPROGRESS);
        assertErrno(done(t.kernel.write(t.pid, fd, bytes("early"), new PacketReport(null))), Errno.EAGAIN);
        assertErrno(done(t.kernel.send(t.pid, fd, bytes("early"), Syscalls.MSG_DONTWAIT, new PacketReport(null))), Errno.EAGAIN);
        assertThat(t.tcbOf(fd).sendQueued()).isZero();
    }

    @Test
    void sendto_withMsgFastopen_refusals() {
        int fd = socket();
        SyscallResult noAddress = done(t.kernel.sendto(t.pid, fd, bytes("d"), Syscalls.MSG_FASTOPEN, null, false, new PacketReport(null)));
        assertErrno(noAddress, Errno.EINVAL);
        assertThat(noAddress.strace()).isEqualTo("sendto(" + fd + ", \"d\", 1, MSG_FASTOPEN, NULL, 0) = -1 EINVAL (Invalid argument)");
        SyscallResult unspec = done(t.kernel.sendto(t.pid, fd, bytes("d"), Syscalls.MSG_FASTOPEN, null, true, new PacketReport(null)));
        assertErrno(unspec, Errno.EOPNOTSUPP);
        assertThat(unspec.strace()).contains("{sa_family=AF_UNSPEC}, 16");
        assertErrno(done(t.kernel.sendto(t.pid, t.listenFd, bytes("d"), Syscalls.MSG_FASTOPEN, REMOTE, false, new PacketReport(null))),
                Errno.EISCONN);
        t.kernel.inspect(k -> {
            k.sysctls().set(Sysctls.TCP_FASTOPEN, 0);
            return null;
        });
        assertErrno(done(t.kernel.sendto(t.pid, fd, bytes("d"), Syscalls.MSG_FASTOPEN, REMOTE, false, new PacketReport(null))),
                Errno.EOPNOTSUPP);
        assertThat(t.tcbOf(fd)).isNull();
    }

    @Test
    void sendto_withoutMsgFastopen_isSend_andIgnoresTheAddress() {
        t.established();
        t.peer.consumeSent();
        SyscallResult sent = done(t.kernel.sendto(t.pid, t.fd, bytes("abc"), 0, REMOTE, false, new PacketReport(null)));
        assertThat(sent.ret()).isEqualTo(3);
        assertThat(t.peer.lastReceived().payloadText()).isEqualTo("abc");
    }

    @Test
    void shutdown_refusesABadHowAndASocketWithoutConnection() {
        SyscallResult bad = done(t.kernel.shutdown(t.pid, t.listenFd, 3, new PacketReport(null)));
        assertErrno(bad, Errno.EINVAL);
        assertThat(bad.strace()).isEqualTo("shutdown(" + t.listenFd + ", 3) = -1 EINVAL (Invalid argument)");
        assertErrno(done(t.kernel.shutdown(t.pid, t.listenFd, -1, new PacketReport(null))), Errno.EINVAL);
        int fresh = socket();
        SyscallResult notConnected = done(t.kernel.shutdown(t.pid, fresh, 2, new PacketReport(null)));
        assertErrno(notConnected, Errno.ENOTCONN);
        assertThat(notConnected.strace()).startsWith("shutdown(" + fresh + ", SHUT_RDWR) = -1 ENOTCONN");
        assertErrno(done(t.kernel.shutdown(t.pid, 0, 1, new PacketReport(null))), Errno.ENOTSOCK);
    }

    @Test
    void shutdownOfAListener_shutWrKeepsItListening_shutRdStopsIt() {
        SyscallResult wr = done(t.kernel.shutdown(t.pid, t.listenFd, 1, new PacketReport(null)));
        assertThat(wr.strace()).isEqualTo("shutdown(" + t.listenFd + ", SHUT_WR) = 0");
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER).connect();
        assertThat(done(t.kernel.accept(t.pid, t.listenFd)).ret()).as("still listening").isEqualTo(t.listenFd + 1);
        SyscallResult rd = done(t.kernel.shutdown(t.pid, t.listenFd, 0, new PacketReport(null)));
        assertThat(rd.strace()).isEqualTo("shutdown(" + t.listenFd + ", SHUT_RD) = 0");
        assertErrno(done(t.kernel.accept(t.pid, t.listenFd)), Errno.EINVAL);
    }

    @Test
    void shutdownShutRd_keepsSending_shutWrSendsFin() {
        t.established();
        t.peer.consumeSent();
        done(t.kernel.shutdown(t.pid, t.fd, 0, new PacketReport(null)));
        assertThat(t.state()).isEqualTo(TcpState.ESTABLISHED);
        assertThat(t.read().ret()).as("SHUT_RD: reads end").isZero();
        assertThat(t.write("still").ret()).isEqualTo(5);
        done(t.kernel.shutdown(t.pid, t.fd, 1, new PacketReport(null)));
        assertThat(t.state()).isEqualTo(TcpState.FIN_WAIT1);
        assertThat(t.peer.receivedFlags()).last().asString().contains("F");
    }

    @Test
    void afUnspec_stopsAListener_andResetsAConnection_leavingTheSocketOpen() {
        SyscallResult listener = done(t.kernel.disconnect(t.pid, t.listenFd, new PacketReport(null)));
        assertThat(listener.ret()).isZero();
        assertThat(listener.strace()).isEqualTo("connect(" + t.listenFd + ", {sa_family=AF_UNSPEC}, 16) = 0");
        assertErrno(done(t.kernel.accept(t.pid, t.listenFd)), Errno.EINVAL);

        TcpFixture other = new TcpFixture().established();
        other.peer.consumeSent();
        assertThat(done(other.kernel.disconnect(other.pid, other.fd, new PacketReport(null))).ret()).isZero();
        assertThat(other.peer.receivedFlags()).last().asString().contains("R");
        assertThat(done(other.kernel.getsockopt(other.pid, other.fd, "SO_ERROR")).strace())
                .as("tcp_disconnect() after a RST: sk_err = ECONNRESET").endsWith("SO_ERROR, [ECONNRESET], [4]) = 0");
        boolean open = other.kernel.<Boolean>inspect(k -> k.process(other.pid).fds().isOpen(other.fd));
        assertThat(open).isTrue();
        int fresh = socket();
        assertThat(done(t.kernel.disconnect(t.pid, fresh, new PacketReport(null))).ret()).as("a socket never connected: 0").isZero();
    }

    @Test
    void afUnspec_whileConnecting_leavesEconnresetInSoError_once() {
        int fd = socket();
        done(t.kernel.fcntl(t.pid, fd, "F_SETFL", 04000));
        assertErrno(connect(fd, "192.0.2.1:80"), Errno.EINPROGRESS);
        assertThat(done(t.kernel.disconnect(t.pid, fd, new PacketReport(null))).ret()).isZero();
        // tcp_disconnect(): a SYN_SENT socket gets sk_err = ECONNRESET without sending a RST
        SyscallResult error = done(t.kernel.getsockopt(t.pid, fd, "SO_ERROR"));
        assertThat(error.strace()).endsWith("SO_ERROR, [ECONNRESET], [4]) = 0");
        assertThat(done(t.kernel.getsockopt(t.pid, fd, "SO_ERROR")).strace()).as("reading it clears it").endsWith("SO_ERROR, [0], [4]) = 0");
    }
}
