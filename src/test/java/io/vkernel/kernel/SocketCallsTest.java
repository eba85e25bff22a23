package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.trace.EventType;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static io.vkernel.kernel.TcpFixture.assertErrno;
import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * socket(), bind(), listen(), accept() and the reading calls at their edges: the protocols a stream socket takes,
 * a second bind(), listen()'s backlog clamped to somaxconn (a negative one too), accept() on a socket that does not
 * listen or with no number free, and read()/recv()/recvmsg() on each kind of file and with MSG_PEEK, MSG_DONTWAIT
 * and MSG_ERRQUEUE.
 */
class SocketCallsTest {

    private final TcpFixture t = new TcpFixture();

    private int socket() {
        return (int) done(t.kernel.socket(t.pid)).ret();
    }

    private String lastEvent(EventType type) {
        var events = t.kernel.inspect(k -> k.events().after(0, 100_000)).stream().filter(e -> e.type() == type).toList();
        return events.get(events.size() - 1).detail();
    }

    @Test
    void socket_takesTcpItsAliasesAndZero_andRefusesOtherProtocols() {
        for (String protocol : new String[] {"IPPROTO_TCP", "IPPROTO_IP", "0"}) {
            SyscallResult r = done(t.kernel.socket(t.pid, protocol));
            assertThat(r.errno()).as(protocol).isNull();
            assertThat(r.strace()).isEqualTo("socket(AF_INET, SOCK_STREAM, " + protocol + ") = " + r.ret());
        }
        SyscallResult udp = done(t.kernel.socket(t.pid, "IPPROTO_UDP"));
        assertErrno(udp, Errno.EPROTONOSUPPORT);
        assertThat(udp.strace()).isEqualTo("socket(AF_INET, SOCK_STREAM, IPPROTO_UDP) = -1 EPROTONOSUPPORT (" + Errno.EPROTONOSUPPORT.message() + ")");
        // the congestion control a new socket starts with is net.ipv4.tcp_congestion_control's at socket() time
        int cubic = socket();
        t.kernel.inspect(k -> {
            k.sysctls().set(Sysctls.TCP_CONGESTION_CONTROL, 0);
            return null;
        });
        int reno = socket();
        assertThat(text(done(t.kernel.getsockopt(t.pid, reno, "TCP_CONGESTION")))).isEqualTo("reno");
        assertThat(text(done(t.kernel.getsockopt(t.pid, cubic, "TCP_CONGESTION")))).isEqualTo("cubic");
    }

    @Test
    void bind_aSecondTimeIsEinval_andTheStraceShowsTheSockaddr() {
        int fd = socket();
        SyscallResult first = done(t.kernel.bind(t.pid, fd, Endpoint.parse("0.0.0.0:9001")));
        assertThat(first.ret()).isZero();
        assertThat(first.strace()).isEqualTo("bind(" + fd + ", {sa_family=AF_INET, sin_port=htons(9001), sin_addr=inet_addr(\"0.0.0.0\")}, 16) = 0");
        assertErrno(done(t.kernel.bind(t.pid, fd, Endpoint.parse("0.0.0.0:9002"))), Errno.EINVAL);
        assertErrno(done(t.kernel.bind(t.pid, 0, Endpoint.parse("0.0.0.0:9003"))), Errno.ENOTSOCK);
    }

    @Test
    void listen_clampsTheBacklogToSomaxconn_aNegativeOneToo_andASecondListenChangesIt() {
        int fd = socket();
        done(t.kernel.bind(t.pid, fd, Endpoint.parse("0.0.0.0:9100")));
        assertThat(done(t.kernel.listen(t.pid, fd, -1)).ret()).isZero();
        assertThat(lastEvent(EventType.STATE_CHANGE)).isEqualTo("CLOSED -> LISTEN (backlog 4096)");
        done(t.kernel.listen(t.pid, fd, 4097));
        assertThat(lastEvent(EventType.STATE_CHANGE)).isEqualTo("CLOSED -> LISTEN (backlog 4096)");
        SyscallResult exact = done(t.kernel.listen(t.pid, fd, 4096));
        assertThat(exact.strace()).isEqualTo("listen(" + fd + ", 4096) = 0");
        assertThat(lastEvent(EventType.STATE_CHANGE)).isEqualTo("CLOSED -> LISTEN (backlog 4096)");
        done(t.kernel.listen(t.pid, fd, 0));
        assertThat(lastEvent(EventType.STATE_CHANGE)).isEqualTo("CLOSED -> LISTEN (backlog 0)");
    }

    @Test
    void listen_onAConnectionIsEinval_andAcceptOnASocketNotListeningToo() {
        t.established();
        assertErrno(done(t.kernel.listen(t.pid, t.fd, 5)), Errno.EINVAL);
        SyscallResult accept = done(t.kernel.accept(t.pid, t.fd));
        assertErrno(accept, Errno.EINVAL);
        assertThat(accept.strace()).isEqualTo("accept(" + t.fd + ", ...) = -1 EINVAL (Invalid argument)");
        assertErrno(done(t.kernel.accept(t.pid, 1)), Errno.ENOTSOCK);
        assertErrno(done(t.kernel.accept(t.pid, 90)), Errno.EBADF);
        int unbound = socket();
        assertErrno(done(t.kernel.accept(t.pid, unbound)), Errno.EINVAL);
    }

    @Test
    void accept_withNoNumberFree_isEmfile_andLeavesTheConnectionQueued() {
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER).connect();
        t.kernel.inspect(k -> {
            k.process(t.pid).fds().setLimit(4); // 0, 1, 2 and the listener: full
            return null;
        });
        assertErrno(done(t.kernel.accept(t.pid, t.listenFd)), Errno.EMFILE);
        t.kernel.inspect(k -> {
            k.process(t.pid).fds().setLimit(5);
            return null;
        });
        SyscallResult accepted = done(t.kernel.accept(t.pid, t.listenFd));
        assertThat(accepted.ret()).isEqualTo(4);
        assertThat(accepted.peer()).isEqualTo(TcpFixture.CLIENT);
        assertThat(accepted.strace()).isEqualTo("accept(" + t.listenFd + ", {sa_family=AF_INET, sin_port=htons(54321), "
                + "sin_addr=inet_addr(\"192.168.1.100\")}, [16]) = 4");
    }

    @Test
    void read_ofANegativeCount_anEpollFile_orASocketWithoutConnection_isRefused() {
        t.established();
        assertErrno(done(t.kernel.read(t.pid, t.fd, -1)), Errno.EINVAL);
        int ep = (int) done(t.kernel.epollCreate(t.pid, 1)).ret();
        assertErrno(done(t.kernel.read(t.pid, ep, 10)), Errno.EINVAL);
        int unconnected = socket();
        SyscallResult notConnected = done(t.kernel.read(t.pid, unconnected, 10));
        assertErrno(notConnected, Errno.ENOTCONN);
        assertThat(notConnected.strace()).isEqualTo("read(" + unconnected + ", ..., 10) = -1 ENOTCONN (" + Errno.ENOTCONN.message() + ")");
        SyscallResult terminal = done(t.kernel.read(t.pid, 0, 10));
        assertThat(terminal.ret()).as("the terminal: end of file").isZero();
        assertThat(terminal.strace()).isEqualTo("read(0, \"\", 10) = 0");
    }

    @Test
    void recv_onAPipeOrFile_isEnotsock_butReadWorks() {
        SyscallResult p = done(t.kernel.pipe(t.pid, 0));
        int r = p.revents().get(0);
        int w = p.revents().get(1);
        done(t.kernel.write(t.pid, w, "ab".getBytes(StandardCharsets.US_ASCII), new PacketReport(null)));
        assertErrno(done(t.kernel.recv(t.pid, r, 10, 0)), Errno.ENOTSOCK);
        assertErrno(done(t.kernel.recvmsg(t.pid, r, 10, 0)), Errno.ENOTSOCK);
        assertThat(text(done(t.kernel.read(t.pid, r, 10)))).isEqualTo("ab");
    }

    @Test
    void msgPeek_leavesTheBytesQueued_andAFinUnread_thenReadConsumes() {
        t.established();
        t.peer.data("hello");
        SyscallResult peek = done(t.kernel.recv(t.pid, t.fd, 3, Syscalls.MSG_PEEK));
        assertThat(text(peek)).isEqualTo("hel");
        assertThat(peek.strace()).isEqualTo("recvfrom(" + t.fd + ", \"hel\", 3, MSG_PEEK, NULL, NULL) = 3");
        assertThat(text(done(t.kernel.recv(t.pid, t.fd, 10, Syscalls.MSG_PEEK)))).isEqualTo("hello");
        assertThat(text(t.read())).isEqualTo("hello");
        t.peer.fin();
        SyscallResult peekFin = done(t.kernel.recv(t.pid, t.fd, 10, Syscalls.MSG_PEEK));
        assertThat(peekFin.ret()).isZero();
        SyscallResult eof = t.read();
        assertThat(eof.ret()).as("the FIN is still there to read").isZero();
        assertThat(eof.errno()).isNull();
    }

    @Test
    void msgDontwait_answersEagainForThisCallOnly() {
        t.established();
        SyscallResult now = done(t.kernel.recv(t.pid, t.fd, 10, Syscalls.MSG_DONTWAIT));
        assertErrno(now, Errno.EAGAIN);
        assertThat(now.strace()).isEqualTo("recvfrom(" + t.fd + ", ..., 10, MSG_DONTWAIT, NULL, NULL) = -1 EAGAIN (" + Errno.EAGAIN.message() + ")");
        assertThat(t.kernel.read(t.pid, t.fd, 10)).as("a plain read still blocks").isInstanceOf(Syscalls.Pending.class);
    }

    @Test
    void recvmsg_carriesTcpCmInq_onlyWithTcpInq() {
        t.established();
        t.peer.data("abcdef");
        SyscallResult plain = done(t.kernel.recvmsg(t.pid, t.fd, 2, 0));
        assertThat(text(plain)).isEqualTo("ab");
        assertThat(plain.value()).isNull();
        assertThat(plain.strace()).isEqualTo("recvmsg(" + t.fd + ", {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\"ab\", iov_len=2}], "
                + "msg_iovlen=1, msg_controllen=0, msg_flags=0}, 0) = 2");
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_INQ", 1, true));
        SyscallResult inq = done(t.kernel.recvmsg(t.pid, t.fd, 3, 0));
        assertThat(text(inq)).isEqualTo("cde");
        assertThat(inq.value()).as("one byte left").isEqualTo(1);
        assertThat(inq.strace()).contains("msg_control=[{cmsg_len=20, cmsg_level=SOL_TCP, cmsg_type=TCP_CM_INQ, cmsg_data=1}], msg_controllen=24");
    }

    @Test
    void msgErrqueue_onAnEmptyQueue_isEagainAtOnce() {
        t.established();
        SyscallResult recv = done(t.kernel.recv(t.pid, t.fd, 10, Syscalls.MSG_ERRQUEUE));
        assertErrno(recv, Errno.EAGAIN);
        assertThat(recv.strace()).isEqualTo("recvfrom(" + t.fd + ", ..., 10, MSG_ERRQUEUE, NULL, NULL) = -1 EAGAIN (" + Errno.EAGAIN.message() + ")");
        SyscallResult msg = done(t.kernel.recvmsg(t.pid, t.fd, 10, Syscalls.MSG_ERRQUEUE));
        assertErrno(msg, Errno.EAGAIN);
        assertThat(msg.strace()).startsWith("recvmsg(" + t.fd + ", {msg_iov=[{iov_base=..., iov_len=10}], msg_iovlen=1}, MSG_ERRQUEUE) = -1 EAGAIN");
    }
}
