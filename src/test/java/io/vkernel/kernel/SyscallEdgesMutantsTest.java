package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.socket.ErrorQueue;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.vkernel.kernel.TcpFixture.assertErrno;
import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.pending;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * System-call edges of an established server connection as an application sees them: errnos and return values of
 * zero-length and NULL-buffer calls, MSG_PEEK on an empty queue, dup2()'s bounds, TCP_MAXSEG before a connection,
 * poll()'s events after shutdown(SHUT_WR) and the wake-ups that a shrunk send buffer, TCP_NOTSENT_LOWAT or
 * TCP_NODELAY give (from the survivors of Syscalls in the whole-kernel PIT run).
 */
class SyscallEdgesMutantsTest {

    private static final int POLLIN = Syscalls.POLLIN, POLLOUT = Syscalls.POLLOUT, POLLHUP = Syscalls.POLLHUP,
            POLLRDNORM = Syscalls.POLLRDNORM, POLLWRNORM = Syscalls.POLLWRNORM, POLLRDHUP = Syscalls.POLLRDHUP;

    private final TcpFixture t = new TcpFixture();

    private SyscallResult setsockopt(int fd, String option, long value) {
        return done(t.kernel.setsockopt(t.pid, fd, option, value, true));
    }

    /** poll() on the connection asking for every input and output event. */
    private Syscalls.Outcome poll(int timeoutMs) {
        return t.kernel.poll(t.pid, List.of(new Syscalls.PollFd(t.fd, POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLRDHUP)), timeoutMs);
    }

    private PacketReport ackAll() {
        return t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), t.tcb().sndNxt(), "");
    }

    @Test
    void bindOnAnAcceptedSocket_isEinval_itIsBoundToTheConnectionsAddress() {
        t.established();
        // inet_bind(): a socket with a local port (inet_num) is EINVAL; accept() gave the child the connection's address
        assertErrno(done(t.kernel.bind(t.pid, t.fd, Endpoint.parse("10.0.0.50:9000"))), Errno.EINVAL);
    }

    @Test
    void recvOfZeroBytesIntoNull_returnsZero_evenWithBytesQueued() {
        t.established();
        t.peer.data("hello");
        // tcp_recvmsg_locked() with len 0 copies nothing, so a NULL buffer does not fault
        SyscallResult zero = done(t.kernel.nullBuffer(t.pid, "recv", t.fd, 0, 0, null, new PacketReport(null)));
        assertThat(zero.ret()).isZero();
        assertThat(TcpFixture.text(t.read())).isEqualTo("hello");
    }

    @Test
    void peekingAnEmptyQueue_isEagain_notAnEndOfFile() {
        t.established();
        assertErrno(done(t.kernel.recv(t.pid, t.fd, 100, Syscalls.MSG_PEEK | Syscalls.MSG_DONTWAIT)), Errno.EAGAIN);
        t.peer.fin();
        SyscallResult eof = done(t.kernel.recv(t.pid, t.fd, 100, Syscalls.MSG_PEEK | Syscalls.MSG_DONTWAIT));
        assertThat(eof.ret()).as("a FIN unread: the peek sees the end of the stream").isZero();
    }

    @Test
    void sendWithMsgFastopenAndNoAddress_onAFreshSocket_isEinval() {
        int fd = (int) done(t.kernel.socket(t.pid)).ret();
        SyscallResult sent = done(t.kernel.send(t.pid, fd, new byte[10], Syscalls.MSG_FASTOPEN, new PacketReport(null)));
        assertErrno(sent, Errno.EINVAL);
        assertThat(sent.strace()).startsWith("sendto(" + fd + ", ");
    }

    @Test
    void sendtoWithMsgFastopen_onAClosedFd_isEbadf() {
        assertErrno(done(t.kernel.sendto(t.pid, 77, new byte[10], Syscalls.MSG_FASTOPEN, Endpoint.parse("192.0.2.1:80"), false,
                new PacketReport(null))), Errno.EBADF);
    }

    @Test
    void writeOfZeroBytesFromNull_returnsZero() {
        t.established();
        SyscallResult zero = done(t.kernel.nullBuffer(t.pid, "write", t.fd, 0, 0, null, new PacketReport(null)));
        assertThat(zero.ret()).isZero();
        assertThat(zero.strace()).isEqualTo("write(" + t.fd + ", NULL, 0) = 0");
    }

    /**
     * SO_SNDBUF shrunk below what is queued leaves the buffer over-full without a write ever having waited. A NULL
     * write then finds no room: MSG_DONTWAIT or O_NONBLOCK answers EAGAIN, a blocking one sleeps with SOCK_NOSPACE set,
     * so the ACK that frees the space wakes it into the copy that faults (EFAULT).
     */
    @Test
    void aNullWriteWithNoRoom_isEagainWhenNonBlocking_andABlockingOneIsWokenByFreedSpaceIntoEfault() {
        t.established();
        assertThat(t.write(10_000).ret()).isEqualTo(10_000);
        setsockopt(t.fd, "SO_SNDBUF", 1); // SOCK_MIN_SNDBUF, 4608 bytes
        PacketReport report = new PacketReport(null);
        assertErrno(done(t.kernel.nullBuffer(t.pid, "send", t.fd, 100, Syscalls.MSG_DONTWAIT, null, report)), Errno.EAGAIN);
        PendingCall blocked = pending(t.kernel.nullBuffer(t.pid, "write", t.fd, 100, 0, null, report));
        assertThat(blocked.waitChannel()).isEqualTo("sk_stream_wait_memory");
        ackAll();
        assertThat(blocked.isDone()).as("the ACK freed the buffer and woke the writer").isTrue();
        assertErrno(blocked.result(), Errno.EFAULT);
        t.nonBlocking();
        assertThat(t.write(1_000_000).ret()).as("a non-blocking write takes what fits").isPositive().isLessThan(1_000_000);
        assertErrno(done(t.kernel.nullBuffer(t.pid, "write", t.fd, 100, 0, null, report)), Errno.EAGAIN);
    }

    @Test
    void aZeroLengthZeroCopySend_takesNoNotificationId() {
        t.established();
        setsockopt(t.fd, "SO_ZEROCOPY", 1);
        assertThat(done(t.kernel.send(t.pid, t.fd, new byte[0], Syscalls.MSG_ZEROCOPY, new PacketReport(null))).ret()).isZero();
        assertThat(done(t.kernel.send(t.pid, t.fd, new byte[100], Syscalls.MSG_ZEROCOPY, new PacketReport(null))).ret()).isEqualTo(100);
        ackAll();
        SyscallResult zc = done(t.kernel.recvmsg(t.pid, t.fd, 10, Syscalls.MSG_ERRQUEUE));
        assertThat(zc.extendedErr().data()).as("first id").isZero();
        assertThat(zc.extendedErr().info()).as("last id: the 100-byte send's, id 0").isZero();
        assertErrno(done(t.kernel.recvmsg(t.pid, t.fd, 10, Syscalls.MSG_ERRQUEUE)), Errno.EAGAIN);
    }

    @Test
    void aZeroByteWrite_requestsNoTransmitTimestamp() {
        t.established();
        setsockopt(t.fd, "SO_TIMESTAMPING", ErrorQueue.SOF_TX_SOFTWARE | ErrorQueue.SOF_SOFTWARE | ErrorQueue.SOF_OPT_ID
                | ErrorQueue.SOF_TX_ACK);
        assertThat(t.write(10).ret()).isEqualTo(10);
        ackAll();
        assertThat(t.write(0).ret()).isZero();
        ackAll();
        // tcp_sendmsg_locked() stamps only a write that copied bytes: one SND and one ACK stamp, both key 9
        SyscallResult snd = done(t.kernel.recvmsg(t.pid, t.fd, 10, Syscalls.MSG_ERRQUEUE));
        SyscallResult ack = done(t.kernel.recvmsg(t.pid, t.fd, 10, Syscalls.MSG_ERRQUEUE));
        assertThat(List.of(snd.extendedErr().data(), ack.extendedErr().data())).containsExactly(9L, 9L);
        assertErrno(done(t.kernel.recvmsg(t.pid, t.fd, 10, Syscalls.MSG_ERRQUEUE)), Errno.EAGAIN);
    }

    /** A blocking write that queued part of its bytes and is then reset returns the part (tcp_sendmsg_locked()'s out:). */
    @Test
    void aBlockingWriteResetAfterQueueingPart_returnsThePart_andAZeroCopyOneGivesItsRangeBack() {
        t.established();
        setsockopt(t.fd, "SO_ZEROCOPY", 1);
        setsockopt(t.fd, "SO_SNDBUF", 1);
        PendingCall write = pending(t.kernel.send(t.pid, t.fd, new byte[100_000], Syscalls.MSG_ZEROCOPY, new PacketReport(null)));
        int queued = t.tcb().sendQueued();
        assertThat(queued).isPositive().isLessThan(100_000);
        t.peer.sendAt(TcpFlags.RST, t.peer.sndNxt(), 0, "");
        assertThat(write.isDone()).isTrue();
        assertThat(write.result().ret()).isEqualTo(queued);
        assertThat(write.result().strace()).endsWith(" = " + queued);
    }

    /** Shut for writing while asleep, a zero-copy send returns what it queued and its range notifies once acknowledged. */
    @Test
    void aBlockingZeroCopySendShutForWriting_returnsThePart_andItsRangeNotifiesWhenAcknowledged() {
        t.established();
        setsockopt(t.fd, "SO_ZEROCOPY", 1);
        setsockopt(t.fd, "SO_SNDBUF", 1);
        PendingCall write = pending(t.kernel.send(t.pid, t.fd, new byte[100_000], Syscalls.MSG_ZEROCOPY, new PacketReport(null)));
        int queued = t.tcb().sendQueued();
        done(t.kernel.shutdown(t.pid, t.fd, 1, new PacketReport(null)));
        assertThat(write.isDone()).isTrue();
        assertThat(write.result().ret()).isEqualTo(queued);
        for (int i = 0; i < 20 && t.tcb().sendQueued() > 0; i++) {
            ackAll(); // each ACK lets the next flight go
        }
        assertThat(t.tcb().sendQueued()).isZero();
        SyscallResult zc = done(t.kernel.recvmsg(t.pid, t.fd, 10, Syscalls.MSG_ERRQUEUE));
        assertThat(zc.extendedErr().data()).isZero();
        assertThat(zc.extendedErr().info()).isZero();
    }

    /**
     * A blocked zero-copy send that extended the unsent range of the send before it (skb_zerocopy notification
     * extension) holds that range back; the ACK of its bytes cannot notify it. net.ipv4.tcp_notsent_lowat 0 keeps the
     * send asleep (never sk_stream_memory_free()). When shutdown(SHUT_WR) ends it, its return lets the range notify at
     * once, and that wakes a poll() already waiting on the socket with POLLERR.
     */
    @Test
    void aBlockedZeroCopySendEndingWithItsRangeAlreadyAcknowledged_wakesAPollerWithPollerr() {
        t.established();
        setsockopt(t.fd, "SO_ZEROCOPY", 1);
        setsockopt(t.fd, "TCP_CORK", 1);
        assertThat(done(t.kernel.send(t.pid, t.fd, new byte[100], Syscalls.MSG_ZEROCOPY | Syscalls.MSG_EOR, new PacketReport(null))).ret())
                .isEqualTo(100);
        t.sysctl(Sysctls.TCP_NOTSENT_LOWAT, 0);
        PendingCall poll = pending(t.kernel.poll(t.pid, List.of(new Syscalls.PollFd(t.fd, POLLIN)), -1));
        PendingCall send = pending(t.kernel.send(t.pid, t.fd, new byte[100], Syscalls.MSG_ZEROCOPY, new PacketReport(null)));
        setsockopt(t.fd, "TCP_CORK", 0);
        ackAll();
        assertThat(poll.isDone()).as("the range waits for the blocked send").isFalse();
        done(t.kernel.shutdown(t.pid, t.fd, 1, new PacketReport(null)));
        assertErrno(send.result(), Errno.EPIPE);
        assertThat(poll.isDone()).isTrue();
        assertThat(poll.result().revents()).containsExactly(Syscalls.POLLERR);
    }

    @Test
    void dup2_takesNumberZero_butNotTheLimit_andAFailedOneTakesNoReference() {
        t.established();
        int limit = t.kernel.inspect(k -> k.process(t.pid).fds().limit());
        assertThat(done(t.kernel.dup2(t.pid, t.fd, 0, new PacketReport(null))).ret()).isZero();
        assertErrno(done(t.kernel.dup2(t.pid, t.fd, limit, new PacketReport(null))), Errno.EBADF);
        assertThat(done(t.kernel.dup2(t.pid, t.fd, limit - 1, new PacketReport(null))).ret()).isEqualTo(limit - 1);
        // three numbers refer to the connection; closing them all is the last reference: FIN
        done(t.kernel.close(t.pid, 0, new PacketReport(null)));
        done(t.kernel.close(t.pid, limit - 1, new PacketReport(null)));
        t.close();
        assertThat(t.state()).isEqualTo(io.vkernel.kernel.tcp.TcpState.FIN_WAIT1);
    }

    @Test
    void tcpMaxseg_readsTheDefaultOnAFreshSocket_andTheUserMssOnceSet() {
        int fd = (int) done(t.kernel.socket(t.pid)).ret();
        // do_tcp_getsockopt(): tp->mss_cache (TCP_MSS_DEFAULT), or user_mss on a socket in CLOSE or LISTEN
        assertThat(done(t.kernel.getsockopt(t.pid, fd, "TCP_MAXSEG")).value()).isEqualTo(536);
        setsockopt(fd, "TCP_MAXSEG", 1000);
        assertThat(done(t.kernel.getsockopt(t.pid, fd, "TCP_MAXSEG")).value()).isEqualTo(1000);
    }

    @Test
    void pollAfterShutWr_isWritableOnly_andHangsUpOnceThePeersFinCameToo() {
        t.established();
        done(t.kernel.shutdown(t.pid, t.fd, 1, new PacketReport(null)));
        SyscallResult afterShutWr = done(poll(0));
        assertThat(afterShutWr.revents()).containsExactly(POLLOUT | POLLWRNORM);
        t.peer.consumeSent();
        t.peer.fin();
        SyscallResult bothShut = done(poll(0));
        assertThat(bothShut.revents()).containsExactly(POLLHUP | POLLIN | POLLRDNORM | POLLRDHUP | POLLOUT | POLLWRNORM);
    }

    /** tcp_poll() sets SOCK_NOSPACE when it finds no room, so the ACK that frees space wakes the poller with POLLOUT. */
    @Test
    void aPollOnAnOverFullSendBuffer_isWokenWithPolloutByTheAckThatFreesIt() {
        t.established();
        t.write(10_000);
        setsockopt(t.fd, "SO_SNDBUF", 1);
        PendingCall poll = pending(poll(-1));
        ackAll();
        assertThat(poll.isDone()).isTrue();
        assertThat(poll.result().revents()).containsExactly(POLLOUT | POLLWRNORM);
    }

    @Test
    void raisingTcpNotsentLowat_wakesAPollWaitingForPollout() {
        t.established();
        setsockopt(t.fd, "TCP_CORK", 1);
        setsockopt(t.fd, "TCP_NOTSENT_LOWAT", 10);
        t.write(100); // held by the cork: 100 bytes not sent, above the low-water mark
        PendingCall poll = pending(poll(-1));
        setsockopt(t.fd, "TCP_NOTSENT_LOWAT", 1000);
        assertThat(poll.isDone()).as("sk_write_space() after the new mark").isTrue();
        assertThat(poll.result().revents()).containsExactly(POLLOUT | POLLWRNORM);
    }

    /** With a small segment unacknowledged, Nagle holds a small write; clearing TCP_CORK without TCP_NODELAY keeps it held. */
    @Test
    void uncorkingWithoutNodelay_leavesNagleHolding_andSettingNodelayPushesAtOnce() {
        t.established();
        t.peer.consumeSent();
        t.write(100);
        int sent = t.peer.received().size();
        setsockopt(t.fd, "TCP_CORK", 1);
        t.write(50);
        setsockopt(t.fd, "TCP_CORK", 0);
        assertThat(t.peer.received()).as("Nagle: a small segment is in flight").hasSize(sent);
        setsockopt(t.fd, "TCP_NODELAY", 1);
        assertThat(t.peer.received()).hasSize(sent + 1);
        assertThat(t.peer.lastReceived().payload()).hasSize(50);
    }

    @Test
    void uncorkingUnderNodelay_sendsTheHeldBytes() {
        t.established();
        setsockopt(t.fd, "TCP_NODELAY", 1);
        t.write(100);
        int sent = t.peer.received().size();
        setsockopt(t.fd, "TCP_CORK", 1);
        t.write(50);
        assertThat(t.peer.received()).hasSize(sent);
        setsockopt(t.fd, "TCP_CORK", 0);
        assertThat(t.peer.received()).hasSize(sent + 1);
    }

    @Test
    void soRcvbufOnAConnection_setsAndLocksItsReceiveBuffer() {
        t.established();
        setsockopt(t.fd, "SO_RCVBUF", 8192);
        // sock_setsockopt(SO_RCVBUF): sk_rcvbuf = 2 x 8192, SOCK_RCVBUF_LOCK; ss -m's rb and the window follow it
        assertThat(t.tcb().rcvBufLimit()).isEqualTo(16384);
    }

    @Test
    void tcpFastopen_takesZeroAndIntMax() {
        int fd = (int) done(t.kernel.socket(t.pid)).ret();
        assertThat(setsockopt(fd, "TCP_FASTOPEN", 0).ret()).isZero();
        assertThat(setsockopt(fd, "TCP_FASTOPEN", Integer.MAX_VALUE).ret()).isZero();
        assertErrno(setsockopt(fd, "TCP_FASTOPEN", -1), Errno.EINVAL);
    }
}
