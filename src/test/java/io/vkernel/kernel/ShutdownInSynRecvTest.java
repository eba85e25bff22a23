package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.tcp.FastOpen;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOptions;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.vkernel.kernel.TcpFixture.assertErrno;
import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.pending;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * shutdown(SHUT_WR) of a socket in SYN_RECV. inet_shutdown() leaves SYN_RECV to tcp_shutdown(), whose
 * tcp_close_state() takes it to FIN_WAIT1 (new_state[TCP_SYN_RECV] = TCP_FIN_WAIT1 | TCP_ACTION_FIN), and
 * tcp_send_fin() sends the FIN at write_seq at once. A blocking sendto(MSG_FASTOPEN) asleep in inet_wait_for_connect()
 * wakes, as the state left SYN_SENT/SYN_RECV, into tcp_sendmsg_locked(): sk_stream_wait_connect() answers EPIPE for
 * FIN_WAIT1, and a call that copied nothing returns it (do_error:). vkernel used to set the flag only, leave the
 * socket in SYN_RECV, send no FIN ever, and return 0 once the handshake ended. From the Syscalls ledger's GAP row.
 */
class ShutdownInSynRecvTest {

    private static final Endpoint REMOTE = Endpoint.parse("192.0.2.1:80");
    private static final int REMOTE_ISN = 5000;

    private final TcpFixture t = new TcpFixture();

    /** The remote's segment to the connection on {@code fd}; a SYN carries MSS 1460, SACK and window scaling. */
    private void fromRemote(int fd, int flags, int seq, int ack) {
        TcpOptions options = TcpOptions.parseText((flags & TcpFlags.SYN) != 0 ? "mss 1460,nop,nop,sackOK,nop,wscale 7" : "");
        t.kernel.receive(new Segment(REMOTE, t.tcbOf(fd).tuple().local(), flags, seq, ack, 30000, 0, null, options));
    }

    /** What the connection on {@code fd} has sent, oldest first (the wire log). */
    private List<Segment> sentBy(int fd) {
        Endpoint local = t.tcbOf(fd).tuple().local();
        return t.kernel.inspect(k -> k.nic().wire(0, Integer.MAX_VALUE)).stream()
                .filter(r -> !r.inbound() && r.segment().src().equals(local)).map(r -> r.segment()).toList();
    }

    @Test
    void shutdownWriteInASimultaneousOpensSynRecv_sendsTheFinAtOnce_andTheBlockedFastOpenSendOfZeroBytesGetsEpipe() {
        int fd = t.socket(false);
        PendingCall send = pending(t.kernel.sendto(t.pid, fd, new byte[0], Syscalls.MSG_FASTOPEN, REMOTE, false, new PacketReport(null)));
        int iss = t.tcbOf(fd).iss();
        fromRemote(fd, TcpFlags.SYN, REMOTE_ISN, 0); // the remote's SYN crosses ours: SYN_RECV, our SYN-ACK goes out
        assertThat(t.tcbOf(fd).state()).isEqualTo(TcpState.SYN_RECV);
        assertThat(send.isDone()).as("inet_wait_for_connect() sleeps through SYN_RECV").isFalse();
        int before = sentBy(fd).size();

        assertThat(done(t.kernel.shutdown(t.pid, fd, 1, new PacketReport(null))).ret()).isZero();

        assertThat(t.tcbOf(fd).state()).isEqualTo(TcpState.FIN_WAIT1);
        assertThat(t.stateEvents()).last().isEqualTo("SYN_RECV -> FIN_WAIT1: shutdown(SHUT_WR)");
        assertThat(sentBy(fd).subList(before, sentBy(fd).size())).singleElement().satisfies(fin -> {
            assertThat(TcpFlags.format(fin.flags())).isEqualTo("F.");
            assertThat(fin.seq()).as("write_seq: just past our SYN").isEqualTo(iss + 1);
            assertThat(fin.ack()).isEqualTo(REMOTE_ISN + 1);
        });
        assertThat(send.isDone()).as("the state left SYN_SENT/SYN_RECV: the sleeper wakes").isTrue();
        assertErrno(send.result(), Errno.EPIPE);

        fromRemote(fd, TcpFlags.ACK, REMOTE_ISN + 1, iss + 1);
        assertThat(t.tcbOf(fd).state()).as("an ACK of the SYN alone leaves the FIN outstanding").isEqualTo(TcpState.FIN_WAIT1);
        fromRemote(fd, TcpFlags.ACK, REMOTE_ISN + 1, iss + 2);
        assertThat(t.tcbOf(fd).state()).isEqualTo(TcpState.FIN_WAIT2);
        assertThat(t.stateEvents()).last().isEqualTo("FIN_WAIT1 -> FIN_WAIT2: our FIN was acknowledged");
        assertErrno(done(t.kernel.write(t.pid, fd, new byte[1], new PacketReport(null))), Errno.EPIPE);
    }

    @Test
    void shutdownWriteOfAFastOpenChildInSynRecv_sendsItsFinAfterTheSynAck() {
        t.sysctl(Sysctls.TCP_FASTOPEN, FastOpen.SERVER_ENABLE | FastOpen.SERVER_COOKIE_NOT_REQD | 1);
        done(t.kernel.setsockopt(t.pid, t.listenFd, "TCP_FASTOPEN", 4, true));
        PendingCall accept = pending(t.kernel.accept(t.pid, t.listenFd));
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.peer.send(TcpFlags.SYN, "hello");
        t.fd = (int) accept.result().ret();
        assertThat(t.state()).isEqualTo(TcpState.SYN_RECV);
        int iss = t.tcb().iss();

        assertThat(done(t.kernel.shutdown(t.pid, t.fd, 1, new PacketReport(null))).ret()).isZero();

        assertThat(t.state()).isEqualTo(TcpState.FIN_WAIT1);
        assertThat(t.peer.lastReceived()).satisfies(fin -> {
            assertThat(TcpFlags.format(fin.flags())).isEqualTo("F.");
            assertThat(fin.seq()).isEqualTo(iss + 1);
        });
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), iss + 2, "");
        assertThat(t.state()).isEqualTo(TcpState.FIN_WAIT2);
    }

    @Test
    void closeInASimultaneousOpensSynRecv_sendsTheFinPastTheUnacknowledgedSyn() {
        int fd = t.socket(true);
        assertErrno(done(t.kernel.connect(t.pid, fd, REMOTE, new PacketReport(null))), Errno.EINPROGRESS);
        fromRemote(fd, TcpFlags.SYN, REMOTE_ISN, 0);
        io.vkernel.kernel.tcp.Tcb tcb = t.tcbOf(fd);
        Endpoint local = tcb.tuple().local();

        PacketReport close = new PacketReport(null);
        done(t.kernel.close(t.pid, fd, close));

        assertThat(tcb.state()).isEqualTo(TcpState.FIN_WAIT1);
        assertThat(close.sentSegments()).singleElement().satisfies(fin -> {
            assertThat(TcpFlags.format(fin.flags())).isEqualTo("F.");
            assertThat(fin.seq()).as("tcp_send_fin() at write_seq, past the SYN still unacknowledged").isEqualTo(tcb.iss() + 1);
        });
        t.kernel.receive(new Segment(REMOTE, local, TcpFlags.ACK, REMOTE_ISN + 1, tcb.iss() + 1, 30000, 0, null, TcpOptions.parseText("")));
        assertThat(tcb.state()).as("the SYN's ACK does not acknowledge the FIN").isEqualTo(TcpState.FIN_WAIT1);
    }
}
