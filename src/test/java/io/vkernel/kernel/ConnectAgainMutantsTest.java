package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOptions;
import org.junit.jupiter.api.Test;

import static io.vkernel.kernel.TcpFixture.assertErrno;
import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.pending;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client socket connecting again after connect(AF_UNSPEC), a bound socket's port handed to its connection, a
 * blocking connect() leaving SS_CONNECTING, connect(AF_UNSPEC) waking a sleeping reader, and the keepalive timer of
 * an accepted connection (from the survivors of Syscalls.connect, disconnect, connectTuple, waitConnected and accept
 * in the whole-kernel PIT run).
 */
class ConnectAgainMutantsTest {

    private static final Endpoint REMOTE = Endpoint.parse("192.0.2.1:80");

    private final TcpFixture t = new TcpFixture();

    private int socket() {
        return (int) done(t.kernel.socket(t.pid)).ret();
    }

    /** The remote's segment to the connection on {@code fd}. */
    private PacketReport fromRemote(int fd, int flags, int seq, int ack) {
        Tcb tcb = t.tcbOf(fd);
        TcpOptions options = (flags & TcpFlags.SYN) != 0 ? TcpOptions.parseText("mss 1460,nop,nop,sackOK,nop,wscale 7") : null;
        return t.kernel.receive(new Segment(REMOTE, tcb.tuple().local(), flags, seq, ack, 30000, 0, null, options));
    }

    /** A blocking connect() to REMOTE completed by its SYN-ACK; answers the connect's result. */
    private SyscallResult connectBlocking(int fd) {
        PendingCall call = pending(t.kernel.connect(t.pid, fd, REMOTE, new PacketReport(null)));
        fromRemote(fd, TcpFlags.SYN | TcpFlags.ACK, 7000, t.tcbOf(fd).iss() + 1);
        assertThat(call.isDone()).isTrue();
        return call.result();
    }

    @Test
    void aFailedConnectAfterConnectUnspec_leavesTheSocketFreeToConnect() {
        int fd = socket();
        assertThat(connectBlocking(fd).ret()).isZero();
        done(t.kernel.disconnect(t.pid, fd, new PacketReport(null)));
        assertErrno(done(t.kernel.connect(t.pid, fd, Endpoint.parse("192.0.2.1:0"), new PacketReport(null))), Errno.ECONNREFUSED);
        PacketReport report = new PacketReport(null);
        PendingCall again = pending(t.kernel.connect(t.pid, fd, REMOTE, report));
        assertThat(report.sentSegments()).singleElement().satisfies(syn -> assertThat(syn.flags()).isEqualTo(TcpFlags.SYN));
        assertThat(again.waitChannel()).isEqualTo("inet_wait_for_connect");
    }

    /** The second connection of the socket is a connection like any: its reset is read once, then the end of the stream. */
    @Test
    void aConnectionMadeAfterConnectUnspec_thatIsReset_readsEconnresetOnce_thenEndOfFile() {
        int fd = socket();
        assertThat(connectBlocking(fd).ret()).isZero();
        done(t.kernel.disconnect(t.pid, fd, new PacketReport(null)));
        assertThat(connectBlocking(fd).ret()).isZero();
        fromRemote(fd, TcpFlags.RST, 7001, 0);
        assertErrno(done(t.kernel.read(t.pid, fd, 100)), Errno.ECONNRESET);
        SyscallResult after = done(t.kernel.read(t.pid, fd, 100));
        assertThat(after.ret()).isZero();
    }

    @Test
    void connectUnspec_wakesAReadAsleepOnTheSocket() {
        int fd = socket();
        connectBlocking(fd);
        PendingCall read = pending(t.kernel.read(t.pid, fd, 100));
        done(t.kernel.disconnect(t.pid, fd, new PacketReport(null)));
        assertThat(read.isDone()).isTrue();
        assertThat(read.result().ret()).isEqualTo(-1);
    }

    @Test
    void aBoundSocketsPort_isFreeAgainOnceItsConnectionIsGone() {
        int fd = socket();
        done(t.kernel.bind(t.pid, fd, Endpoint.parse("10.0.0.50:40000")));
        connectBlocking(fd);
        fromRemote(fd, TcpFlags.RST, 7001, 0);
        done(t.kernel.close(t.pid, fd, new PacketReport(null)));
        int other = socket();
        assertThat(done(t.kernel.bind(t.pid, other, Endpoint.parse("10.0.0.50:40000"))).ret()).isZero();
    }

    /** inet_wait_for_connect() returned: SS_CONNECTED, so a Fast Open send is EISCONN and a second connect() too. */
    @Test
    void aCompletedBlockingConnect_isConnected_forAFastOpenSendAndForConnect() {
        int fd = socket();
        assertThat(connectBlocking(fd).ret()).isZero();
        assertErrno(done(t.kernel.sendto(t.pid, fd, new byte[10], Syscalls.MSG_FASTOPEN, REMOTE, false, new PacketReport(null))),
                Errno.EISCONN);
        assertErrno(done(t.kernel.connect(t.pid, fd, REMOTE, new PacketReport(null))), Errno.EISCONN);
    }

    /**
     * tcp_keepalive_timer() runs on a connection still in the accept queue; accept() (inet_csk_accept()) leaves its
     * timer alone, so the probe after the first comes tcp_keepalive_intvl after it, wherever accept() fell between.
     */
    @Test
    void acceptingBetweenKeepaliveProbes_keepsTheProbeInterval() {
        done(t.kernel.setsockopt(t.pid, t.listenFd, "SO_KEEPALIVE", 1, true));
        done(t.kernel.setsockopt(t.pid, t.listenFd, "TCP_KEEPIDLE", 10, true));
        done(t.kernel.setsockopt(t.pid, t.listenFd, "TCP_KEEPINTVL", 5, true));
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER).connect();
        int before = t.peer.received().size();
        t.advanceSeconds(10);
        assertThat(t.peer.received()).as("the first probe, 10 s after the handshake").hasSize(before + 1);
        t.advanceSeconds(2);
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        t.advanceSeconds(2.9);
        assertThat(t.peer.received()).hasSize(before + 1);
        t.advanceSeconds(0.2);
        assertThat(t.peer.received()).as("the second probe, 5 s after the first").hasSize(before + 2);
    }
}
