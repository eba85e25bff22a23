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
import io.vkernel.kernel.wire.TcpOption;
import io.vkernel.kernel.wire.TcpOptions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.vkernel.kernel.TcpFixture.assertErrno;
import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.pending;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * sendto(MSG_FASTOPEN) as tcp_sendmsg_fastopen() and __inet_stream_connect() run it on a blocking socket: the call
 * sleeps in inet_wait_for_connect until the SYN-ACK, whose ACK then waits for the data it writes (the writebias);
 * a refused connection is the error even when the SYN carried bytes; a NULL buffer faults once connected. Also the
 * non-blocking send on a socket whose non-blocking connect() finished, and MSG_ZEROCOPY's notification id on the SYN
 * (from the survivors of Syscalls.sendto in the whole-kernel PIT run).
 */
class FastOpenSendtoMutantsTest {

    private static final Endpoint REMOTE = Endpoint.parse("192.0.2.1:80");
    private static final int REMOTE_ISN = 5000;
    /** The Fast Open option (kind 34) with an 8-byte cookie, as a server's SYN-ACK grants it. */
    private static final TcpOption COOKIE = new TcpOption.Unknown(34, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});

    private final TcpFixture t = new TcpFixture();

    private PacketReport fromRemote(int fd, int flags, int seq, int ack, TcpOption... more) {
        Tcb tcb = t.tcbOf(fd);
        List<TcpOption> options = new ArrayList<>();
        if ((flags & TcpFlags.SYN) != 0) {
            options.addAll(TcpOptions.parseText("mss 1460,nop,nop,sackOK,nop,wscale 7").list());
        }
        options.addAll(List.of(more));
        return t.kernel.receive(new Segment(REMOTE, tcb.tuple().local(), flags, seq, ack, 30000, 0, null, new TcpOptions(options)));
    }

    /** The SYN-ACK for the connection on {@code fd}, acknowledging {@code acked} bytes of the SYN's data, with a cookie. */
    private PacketReport synAck(int fd, int acked) {
        return fromRemote(fd, TcpFlags.SYN | TcpFlags.ACK, REMOTE_ISN, t.tcbOf(fd).iss() + 1 + acked, COOKIE);
    }

    private PacketReport ackUpTo(int fd, int ack) {
        return fromRemote(fd, TcpFlags.ACK, REMOTE_ISN + 1, ack);
    }

    private Syscalls.Outcome sendto(int fd, int bytes, int flags, PacketReport report) {
        return t.kernel.sendto(t.pid, fd, new byte[bytes], Syscalls.MSG_FASTOPEN | flags, REMOTE, false, report);
    }

    /** Segments the kernel has sent to {@code REMOTE}, oldest first (the wire log). */
    private List<Segment> sentToRemote() {
        return t.kernel.inspect(k -> k.nic().wire(0, Integer.MAX_VALUE)).stream()
                .filter(r -> !r.inbound() && r.segment().dst().equals(REMOTE)).map(r -> r.segment()).toList();
    }

    private SyscallResult errqueue(int fd) {
        return done(t.kernel.recvmsg(t.pid, fd, 10, Syscalls.MSG_ERRQUEUE));
    }

    /** A first connection from a blocking socket without a cookie: the client now caches the SYN-ACK's cookie. */
    private void learnCookie() {
        int fd = t.socket(false);
        PendingCall call = pending(sendto(fd, 10, 0, new PacketReport(null)));
        synAck(fd, 0);
        assertThat(call.isDone()).isTrue();
    }

    @Test
    void aBlockingSendtoWithoutCookie_sleepsInInetWaitForConnect_andItsDataCarriesTheHandshakesAck() {
        int fd = t.socket(false);
        PacketReport report = new PacketReport(null);
        PendingCall call = pending(sendto(fd, 100, 0, report));
        assertThat(report.sentSegments()).singleElement().satisfies(syn -> {
            assertThat(syn.flags()).isEqualTo(TcpFlags.SYN);
            assertThat(syn.payload()).isEmpty();
        });
        assertThat(call.waitChannel()).isEqualTo("inet_wait_for_connect");
        assertThat(t.events(io.vkernel.kernel.trace.EventType.THREAD_SLEEP)).last().asString().contains("SLEEPING in inet_wait_for_connect");

        int before = sentToRemote().size();
        synAck(fd, 0);

        // tcp_rcv_synsent_state_process(): sk_write_pending, so no bare ACK: the 100 bytes carry it
        assertThat(sentToRemote().subList(before, sentToRemote().size())).singleElement().satisfies(data -> {
            assertThat(data.flags() & TcpFlags.ACK).isEqualTo(TcpFlags.ACK);
            assertThat(data.payload()).hasSize(100);
        });
        assertThat(call.isDone()).isTrue();
        assertThat(call.result().ret()).isEqualTo(100);
    }

    @Test
    void msgMoreOnABlockingFastOpenSend_holdsTheDataWrittenAfterTheHandshake() {
        int fd = t.socket(false);
        PendingCall call = pending(sendto(fd, 100, Syscalls.MSG_MORE, new PacketReport(null)));
        int before = sentToRemote().size();
        synAck(fd, 0);
        assertThat(call.result().ret()).isEqualTo(100);
        assertThat(sentToRemote()).as("corked by MSG_MORE, and the ACK waits for the delayed-ACK timer").hasSize(before);
        assertThat(t.tcbOf(fd).sendQueued()).isEqualTo(100);
        // no MSG_EOR: the next write's 50 bytes join the same skb, which leaves as one 150-byte segment
        done(t.kernel.write(t.pid, fd, new byte[50], new PacketReport(null)));
        assertThat(sentToRemote().get(before).payload()).hasSize(150);
    }

    @Test
    void msgDontwaitOnABlockingSocket_makesTheFastOpenSendNonBlocking() {
        int fd = t.socket(false);
        assertErrno(done(sendto(fd, 100, Syscalls.MSG_DONTWAIT, new PacketReport(null))), Errno.EINPROGRESS);
    }

    @Test
    void aBlockingFastOpenSendRefused_failsWithEconnrefused_evenThoughItsSynCarriedData() {
        learnCookie();
        int fd = t.socket(false);
        PacketReport report = new PacketReport(null);
        PendingCall call = pending(sendto(fd, 3000, 0, report));
        assertThat(report.sentSegments().get(0).payload()).hasSize(1420);
        fromRemote(fd, TcpFlags.RST | TcpFlags.ACK, 0, t.tcbOf(fd).iss() + 1);
        assertThat(call.isDone()).isTrue();
        assertErrno(call.result(), Errno.ECONNREFUSED);
    }

    @Test
    void aBlockingFastOpenSend_writesTheRestAfterTheHandshake_andReturnsTheWholeCount() {
        learnCookie();
        int fd = t.socket(false);
        PacketReport report = new PacketReport(null);
        PendingCall call = pending(sendto(fd, 3000, 0, report));
        int before = sentToRemote().size();
        synAck(fd, 1420);
        assertThat(call.result().ret()).isEqualTo(3000);
        assertThat(sentToRemote().subList(before, sentToRemote().size())).extracting(s -> s.payload().length).containsExactly(1580);
    }

    @Test
    void aBlockingFastOpenSendAllOnTheSyn_returnsOnceConnected_sendingNoMoreData() {
        learnCookie();
        int fd = t.socket(false);
        PendingCall call = pending(sendto(fd, 500, 0, new PacketReport(null)));
        int before = sentToRemote().size();
        synAck(fd, 500);
        assertThat(call.result().ret()).isEqualTo(500);
        // the handshake's ACK waits for TCP_DELACK_MAX (the writebias): ClientConnectGapsTest
        assertThat(sentToRemote().subList(before, sentToRemote().size())).allSatisfy(ack -> assertThat(ack.payload()).isEmpty());
    }

    @Test
    void aBlockingFastOpenSendShutForWriting_afterItQueuedPartOfTheRest_returnsWhatItQueued() {
        learnCookie();
        int fd = t.socket(false);
        done(t.kernel.setsockopt(t.pid, fd, "SO_SNDBUF", 1, true));
        PendingCall call = pending(sendto(fd, 100_000, 0, new PacketReport(null)));
        synAck(fd, 1420);
        assertThat(call.isDone()).as("the rest does not fit a 4608-byte buffer").isFalse();
        int queued = 1420 + t.tcbOf(fd).sendQueued();
        // another thread's shutdown(SHUT_WR) wakes it: sk_stream_wait_memory() -> do_error with bytes copied -> out
        done(t.kernel.shutdown(t.pid, fd, 1, new PacketReport(null)));
        assertThat(call.isDone()).isTrue();
        assertThat(call.result().ret()).isEqualTo(queued);
    }

    @Test
    void aBlockingFastOpenSendFromNull_faultsOnceConnected() {
        int fd = t.socket(false);
        PendingCall call = pending(t.kernel.nullBuffer(t.pid, "sendto", fd, 100, Syscalls.MSG_FASTOPEN, REMOTE, new PacketReport(null)));
        synAck(fd, 0);
        assertThat(call.isDone()).isTrue();
        assertErrno(call.result(), Errno.EFAULT);
    }

    @Test
    void aBlockingFastOpenSendOfZeroBytesFromNull_returnsZeroOnceConnected() {
        int fd = t.socket(false);
        PendingCall call = pending(t.kernel.nullBuffer(t.pid, "sendto", fd, 0, Syscalls.MSG_FASTOPEN, REMOTE, new PacketReport(null)));
        synAck(fd, 0);
        assertThat(call.isDone()).isTrue();
        assertThat(call.result().ret()).as("nothing to copy, so nothing faults").isZero();
    }

    /**
     * __inet_stream_connect() on SS_CONNECTING whose handshake has ended: no error, SS_CONNECTED, and the send goes on
     * as a plain non-blocking one: what fits, or EAGAIN when nothing does.
     */
    @Test
    void aNonBlockingFastOpenSend_afterANonBlockingConnectFinished_sendsWhatFits_orIsEagain() {
        int fd = t.socket(true);
        assertErrno(done(t.kernel.connect(t.pid, fd, REMOTE, new PacketReport(null))), Errno.EINPROGRESS);
        fromRemote(fd, TcpFlags.SYN | TcpFlags.ACK, REMOTE_ISN, t.tcbOf(fd).iss() + 1);
        SyscallResult partial = done(sendto(fd, 1_000_000, 0, new PacketReport(null)));
        assertThat(partial.ret()).isPositive().isLessThan(1_000_000);

        int fd2 = t.socket(true);
        assertErrno(done(t.kernel.connect(t.pid, fd2, Endpoint.parse("192.0.2.2:80"), new PacketReport(null))), Errno.EINPROGRESS);
        Tcb tcb2 = t.tcbOf(fd2);
        t.kernel.receive(new Segment(Endpoint.parse("192.0.2.2:80"), tcb2.tuple().local(), TcpFlags.SYN | TcpFlags.ACK, REMOTE_ISN,
                tcb2.iss() + 1, 30000, 0, null, TcpOptions.parseText("mss 1460,nop,nop,sackOK,nop,wscale 7")));
        assertThat(done(t.kernel.write(t.pid, fd2, new byte[1_000_000], new PacketReport(null))).ret()).isLessThan(1_000_000);
        assertErrno(done(t.kernel.sendto(t.pid, fd2, new byte[100], Syscalls.MSG_FASTOPEN, Endpoint.parse("192.0.2.2:80"), false,
                new PacketReport(null))), Errno.EAGAIN);
    }

    // ---------------------------------------------------------------- MSG_ZEROCOPY on the SYN

    private int zeroCopySocket(boolean nonBlocking) {
        int fd = t.socket(nonBlocking);
        done(t.kernel.setsockopt(t.pid, fd, "SO_ZEROCOPY", 1, true));
        return fd;
    }

    @Test
    void aZeroCopySynCarryingEveryByte_notifiesOnlyOnceItsLastByteIsAcknowledged() {
        learnCookie();
        int fd = zeroCopySocket(false);
        PendingCall call = pending(sendto(fd, 100, Syscalls.MSG_ZEROCOPY, new PacketReport(null)));
        int iss = t.tcbOf(fd).iss();
        synAck(fd, 0); // the SYN only: the 100 bytes go again
        assertThat(call.result().ret()).isEqualTo(100);
        assertErrno(errqueue(fd), Errno.EAGAIN);
        ackUpTo(fd, iss + 100);
        assertErrno(errqueue(fd), Errno.EAGAIN);
        ackUpTo(fd, iss + 101);
        SyscallResult zc = errqueue(fd);
        assertThat(zc.extendedErr().data()).isZero();
        assertThat(zc.extendedErr().info()).isZero();
    }

    @Test
    void aNonBlockingZeroCopySynCarryingPart_takesTheId_forTheBytesItCarried() {
        learnCookie();
        int fd = zeroCopySocket(true);
        assertThat(done(sendto(fd, 3000, Syscalls.MSG_ZEROCOPY, new PacketReport(null))).ret()).isEqualTo(1420);
        synAck(fd, 1420);
        SyscallResult zc = errqueue(fd);
        assertThat(zc.extendedErr().data()).isZero();
        assertThat(zc.extendedErr().info()).isZero();
    }

    @Test
    void aFastOpenSendWithoutMsgZerocopy_onAZeroCopySocket_notifiesNothing() {
        learnCookie();
        int fd = zeroCopySocket(true);
        assertThat(done(sendto(fd, 100, 0, new PacketReport(null))).ret()).isEqualTo(100);
        synAck(fd, 100);
        assertErrno(errqueue(fd), Errno.EAGAIN);
    }
}
