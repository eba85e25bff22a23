package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.tcp.TcpState;
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
 * A client socket where vkernel used to differ from Linux: TCP_MAXSEG before the peer's SYN (tp->mss_cache from
 * tcp_connect_init()) and after the connection closed; the writebias of a blocking sendto(MSG_FASTOPEN) whose SYN
 * carried every byte; shutdown() of a socket in SYN_SENT (inet_shutdown() runs tcp_disconnect()); sendto(MSG_FASTOPEN)
 * after connect(AF_UNSPEC) (a new connection); zero-copy ranges completed when a reset or disconnect frees their skbs
 * (tcp_write_queue_purge()); the retrans_stamp of SYN data resent after a partial SYN-ACK. From the GAP rows of the
 * Syscalls and FastOpenClient ledgers.
 */
class ClientConnectGapsTest {

    private static final Endpoint REMOTE = Endpoint.parse("192.0.2.1:80");
    private static final int REMOTE_ISN = 5000;
    /** The Fast Open option (kind 34) with an 8-byte cookie, as a server's SYN-ACK grants it. */
    private static final TcpOption COOKIE = new TcpOption.Unknown(34, new byte[] {8, 7, 6, 5, 4, 3, 2, 1});

    private final TcpFixture t = new TcpFixture();

    private long maxseg(int fd) {
        return done(t.kernel.getsockopt(t.pid, fd, "TCP_MAXSEG")).value();
    }

    private void setMaxseg(int fd, int mss) {
        done(t.kernel.setsockopt(t.pid, fd, "TCP_MAXSEG", mss, true));
    }

    /** The remote's segment to the connection on {@code fd}; a SYN carries MSS 1460, SACK and window scaling, no timestamps. */
    private PacketReport fromRemote(int fd, int flags, int seq, int ack, TcpOption... more) {
        List<TcpOption> options = new ArrayList<>();
        if ((flags & TcpFlags.SYN) != 0) {
            options.addAll(TcpOptions.parseText("mss 1460,nop,nop,sackOK,nop,wscale 7").list());
        }
        options.addAll(List.of(more));
        return t.kernel.receive(new Segment(REMOTE, t.tcbOf(fd).tuple().local(), flags, seq, ack, 30000, 0, null, new TcpOptions(options)));
    }

    private PacketReport synAck(int fd, int acked) {
        return fromRemote(fd, TcpFlags.SYN | TcpFlags.ACK, REMOTE_ISN, t.tcbOf(fd).iss() + 1 + acked, COOKIE);
    }

    private Syscalls.Outcome fastOpen(int fd, int bytes) {
        return t.kernel.sendto(t.pid, fd, new byte[bytes], Syscalls.MSG_FASTOPEN, REMOTE, false, new PacketReport(null));
    }

    private Syscalls.Outcome connect(int fd) {
        return t.kernel.connect(t.pid, fd, REMOTE, new PacketReport(null));
    }

    /** What the connection on {@code fd} has sent, oldest first (the wire log). */
    private List<Segment> sentBy(int fd) {
        Endpoint local = t.tcbOf(fd).tuple().local();
        return t.kernel.inspect(k -> k.nic().wire(0, Integer.MAX_VALUE)).stream()
                .filter(r -> !r.inbound() && r.segment().src().equals(local)).map(r -> r.segment()).toList();
    }

    /** A first Fast Open connection without a cookie, so the client caches the SYN-ACK's. */
    private void learnCookie() {
        int fd = t.socket(false);
        PendingCall call = pending(fastOpen(fd, 10));
        synAck(fd, 0);
        assertThat(call.isDone()).isTrue();
    }

    // ---------------------------------------------------------------- TCP_MAXSEG (do_tcp_getsockopt())

    @Test
    void tcpMaxseg_inSynSent_isTcpConnectInitsMssCache_theDefaultClampLessTheTimestampRoom() {
        int plain = t.socket(true);
        assertErrno(done(connect(plain)), Errno.EINPROGRESS);
        // tcp_v4_connect(): mss_clamp = TCP_MSS_DEFAULT; tcp_connect_init(): tcp_header_len has the 12 timestamp bytes
        assertThat(maxseg(plain)).isEqualTo(536 - 12);

        t.sysctl("net.ipv4.tcp_timestamps", 0);
        int noTimestamps = t.socket(true);
        connect(noTimestamps);
        assertThat(maxseg(noTimestamps)).isEqualTo(536);
    }

    @Test
    void tcpMaxseg_inSynSent_withAUserMss_isThatClampUpToTheRoute_lessTheTimestampRoom() {
        int small = t.socket(true);
        setMaxseg(small, 1000);
        connect(small);
        assertThat(maxseg(small)).as("mss_clamp = user_mss, not the user_mss itself").isEqualTo(1000 - 12);

        int large = t.socket(true);
        setMaxseg(large, 2000);
        connect(large);
        assertThat(maxseg(large)).as("the route's 1500-byte MTU holds it to 1460").isEqualTo(1460 - 12);
    }

    @Test
    void tcpMaxseg_inSynSent_onARouteOfTinyMtu_isFlooredAtTcpMinSndMss() {
        t.sysctl("vkernel.route.mtu", 68);
        int fd = t.socket(true);
        connect(fd);
        // __tcp_mtu_to_mss(): 68 - 40 = 28 is raised to tcp_min_snd_mss (48), then the timestamp room comes off
        assertThat(maxseg(fd)).isEqualTo(48 - 12);
    }

    @Test
    void tcpMaxseg_afterTheSynAck_isTheSendMssTheHandshakeAgreed() {
        int fd = t.socket(true);
        setMaxseg(fd, 1000);
        connect(fd);
        fromRemote(fd, TcpFlags.SYN | TcpFlags.ACK, REMOTE_ISN, t.tcbOf(fd).iss() + 1);
        assertThat(t.tcbOf(fd).state()).isEqualTo(TcpState.ESTABLISHED);
        assertThat(maxseg(fd)).as("no timestamps agreed, so the whole 1000").isEqualTo(1000);
    }

    @Test
    void tcpMaxseg_ofARefusedConnection_keepsItsMssCache_orAnswersTheUserMss() {
        int fd = t.socket(true);
        connect(fd);
        fromRemote(fd, TcpFlags.RST | TcpFlags.ACK, 0, t.tcbOf(fd).iss() + 1);
        assertThat(t.tcbOf(fd).state()).isEqualTo(TcpState.CLOSE);
        assertThat(maxseg(fd)).as("tcp_done() leaves mss_cache as tcp_connect_init() set it").isEqualTo(536 - 12);

        int withUserMss = t.socket(true);
        setMaxseg(withUserMss, 700);
        connect(withUserMss);
        assertThat(maxseg(withUserMss)).isEqualTo(700 - 12);
        fromRemote(withUserMss, TcpFlags.RST | TcpFlags.ACK, 0, t.tcbOf(withUserMss).iss() + 1);
        assertThat(maxseg(withUserMss)).as("TCP_CLOSE: user_mss").isEqualTo(700);
    }

    @Test
    void tcpMaxseg_ofAConnectionResetOnceEstablished_keepsTheSendMss() {
        int fd = t.socket(true);
        connect(fd);
        fromRemote(fd, TcpFlags.SYN | TcpFlags.ACK, REMOTE_ISN, t.tcbOf(fd).iss() + 1);
        fromRemote(fd, TcpFlags.RST, REMOTE_ISN + 1, 0);
        assertThat(t.tcbOf(fd).state()).isEqualTo(TcpState.CLOSE);
        assertThat(maxseg(fd)).isEqualTo(1460);
    }

    @Test
    void tcpMaxseg_ofADeferredFastOpenConnect_isTheDefault_tcpConnectInitHasNotRun() {
        learnCookie();
        int fd = t.socket(false);
        done(t.kernel.setsockopt(t.pid, fd, "TCP_FASTOPEN_CONNECT", 1, true));
        assertThat(done(connect(fd)).ret()).as("a cookie is cached: no SYN yet").isZero();
        assertThat(t.tcbOf(fd).state()).isEqualTo(TcpState.SYN_SENT);
        assertThat(maxseg(fd)).isEqualTo(536);
    }

    // ---------------------------------------------------------------- the writebias of a blocking Fast Open send

    @Test
    void aBlockingFastOpenSendWhoseSynCarriedEverything_stillHoldsTheHandshakesAck_forTcpDelackMax() {
        learnCookie();
        int fd = t.socket(false);
        PendingCall call = pending(fastOpen(fd, 500));
        int before = sentBy(fd).size();
        synAck(fd, 500);
        assertThat(call.result().ret()).isEqualTo(500);
        // tcp_rcv_synsent_state_process(): sk_write_pending (the writebias), so the ACK waits on ICSK_TIME_DACK
        assertThat(sentBy(fd)).hasSize(before);
        t.kernel.advance(199);
        assertThat(sentBy(fd)).hasSize(before);
        t.kernel.advance(1);
        assertThat(sentBy(fd).subList(before, sentBy(fd).size())).singleElement().satisfies(ack -> {
            assertThat(ack.flags()).isEqualTo(TcpFlags.ACK);
            assertThat(ack.ack()).isEqualTo(REMOTE_ISN + 1);
            assertThat(ack.payload()).isEmpty();
        });
    }

    @Test
    void aNonBlockingFastOpenSend_hasNoWritebias_theHandshakesAckLeavesAtOnce() {
        learnCookie();
        int fd = t.socket(true);
        assertThat(done(fastOpen(fd, 500)).ret()).isEqualTo(500);
        int before = sentBy(fd).size();
        synAck(fd, 500);
        assertThat(sentBy(fd).subList(before, sentBy(fd).size())).singleElement()
                .satisfies(ack -> assertThat(ack.flags()).isEqualTo(TcpFlags.ACK));
    }

    // ---------------------------------------------------------------- a reset ending a blocking Fast Open send

    @Test
    void aBlockingFastOpenSendResetAfterTheHandshake_returnsTheBytesCopied_andLeavesEconnresetForTheNextCall() {
        learnCookie();
        int fd = t.socket(false);
        PacketReport report = new PacketReport(null);
        PendingCall call = pending(t.kernel.sendto(t.pid, fd, new byte[400_000], Syscalls.MSG_FASTOPEN, REMOTE, false, report));
        int onSyn = report.sentSegments().get(0).payload().length;
        assertThat(onSyn).isPositive();
        synAck(fd, onSyn);
        assertThat(call.isDone()).as("the rest waits for room in the send buffer").isFalse();
        fromRemote(fd, TcpFlags.RST, REMOTE_ISN + 1, 0);
        assertThat(t.tcbOf(fd).state()).isEqualTo(TcpState.CLOSE);
        // tcp_sendmsg_locked(): sk_stream_wait_memory() ends on sk_err; do_error with copied + copied_syn > 0 is goto out
        assertThat(call.isDone()).isTrue();
        assertThat(call.result().ret()).isGreaterThan(onSyn).isLessThan(400_000);
        assertThat(call.result().strace()).endsWith(" = " + call.result().ret());
        // sk_err was left: the next send reads it (sk_stream_error(): sock_error()), the one after is EPIPE
        assertErrno(done(t.kernel.write(t.pid, fd, new byte[10], new PacketReport(null))), Errno.ECONNRESET);
        assertErrno(done(t.kernel.write(t.pid, fd, new byte[10], new PacketReport(null))), Errno.EPIPE);
    }

    @Test
    void aSecondBlockingFastOpenSendThatCopiedNothing_whenTheResetComes_failsWithTheError_theFirstReturnsItsCount() {
        learnCookie();
        int fd = t.socket(false);
        PacketReport report = new PacketReport(null);
        PendingCall first = pending(t.kernel.sendto(t.pid, fd, new byte[400_000], Syscalls.MSG_FASTOPEN, REMOTE, false, report));
        PendingCall second = pending(fastOpen(fd, 400_000)); // SS_CONNECTING: it waits for the same handshake
        int onSyn = report.sentSegments().get(0).payload().length;
        synAck(fd, onSyn);
        assertThat(first.isDone()).isFalse();
        assertThat(second.isDone()).isFalse();
        fromRemote(fd, TcpFlags.RST, REMOTE_ISN + 1, 0);
        // the first copied bytes (do_error: goto out, sk_err kept); the send buffer the first filled let the second copy
        // none, so its do_error goes on to out_err, where sk_stream_error() takes sk_err
        assertThat(first.result().ret()).isGreaterThan(onSyn);
        assertErrno(second.result(), Errno.ECONNRESET);
        assertErrno(done(t.kernel.write(t.pid, fd, new byte[10], new PacketReport(null))), Errno.EPIPE);
    }

    @Test
    void aBlockingFastOpenSendWhoseSynCarriedAll_resetWhileWaitingForTheHandshakesEnd_isEconnreset() {
        learnCookie();
        int fd = t.socket(false);
        PendingCall call = pending(fastOpen(fd, 100));
        fromRemote(fd, TcpFlags.RST | TcpFlags.ACK, 0, t.tcbOf(fd).iss() + 101);
        // __inet_stream_connect(): TCP_CLOSE after the wait is sock_error(); tcp_disconnect() freed fastopen_req, so
        // tcp_sendmsg_fastopen() has no copied_syn to report and the call fails
        assertErrno(call.result(), Errno.ECONNREFUSED);
        assertThat(done(t.kernel.getsockopt(t.pid, fd, "SO_ERROR")).value()).as("sock_error() took it").isZero();
    }

    // ---------------------------------------------------------------- shutdown() in SYN_SENT (inet_shutdown())

    @Test
    void shutdownWriteInSynSent_disconnects_andTheBlockedConnectFailsWithEconnreset() {
        int fd = t.socket(false);
        PendingCall call = pending(connect(fd));
        int before = sentBy(fd).size();
        SyscallResult shut = done(t.kernel.shutdown(t.pid, fd, 1, new PacketReport(null)));
        assertThat(shut.ret()).isZero();
        assertThat(t.tcbOf(fd).state()).isEqualTo(TcpState.CLOSE);
        assertThat(sentBy(fd)).as("tcp_disconnect() from SYN_SENT sends no RST").hasSize(before);
        assertThat(call.isDone()).isTrue();
        assertErrno(call.result(), Errno.ECONNRESET);
        assertThat(t.timers()).as("the SYN is not sent again").isEmpty();
        // SS_UNCONNECTED: connect() starts a new connection
        PacketReport again = new PacketReport(null);
        pending(t.kernel.connect(t.pid, fd, REMOTE, again));
        assertThat(again.sentSegments()).singleElement().satisfies(syn -> assertThat(syn.flags()).isEqualTo(TcpFlags.SYN));
    }

    @Test
    void shutdownReadInSynSent_disconnectsAsWell_andABlockedFastOpenSendOfZeroBytesFailsWithEconnreset() {
        learnCookie();
        int fd = t.socket(false);
        PendingCall call = pending(fastOpen(fd, 0));
        assertThat(done(t.kernel.shutdown(t.pid, fd, 0, new PacketReport(null))).ret()).isZero();
        assertThat(call.isDone()).isTrue();
        assertErrno(call.result(), Errno.ECONNRESET);
        assertThat(t.tcbOf(fd).state()).isEqualTo(TcpState.CLOSE);
    }

    // ---------------------------------------------------------------- sendto(MSG_FASTOPEN) after connect(AF_UNSPEC)

    @Test
    void fastOpenSendAfterConnectUnspec_connectsAgain_withTheDataOnItsSyn() {
        learnCookie();
        int fd = t.socket(true);
        assertThat(done(fastOpen(fd, 100)).ret()).isEqualTo(100);
        synAck(fd, 100);
        done(t.kernel.disconnect(t.pid, fd, new PacketReport(null)));

        PacketReport report = new PacketReport(null);
        SyscallResult again = done(t.kernel.sendto(t.pid, fd, new byte[200], Syscalls.MSG_FASTOPEN, REMOTE, false, report));
        assertThat(again.ret()).as("__inet_stream_connect(): SS_UNCONNECTED and TCP_CLOSE, so a new connect").isEqualTo(200);
        assertThat(report.sentSegments()).singleElement().satisfies(syn -> {
            assertThat(syn.flags()).isEqualTo(TcpFlags.SYN);
            assertThat(syn.payload()).hasSize(200);
        });
        assertThat(t.tcbOf(fd).state()).isEqualTo(TcpState.SYN_SENT);
    }

    /**
     * After connect(AF_UNSPEC) the socket is SS_UNCONNECTED, not SS_CONNECTING: a connect() that then fails on its
     * address (tcp_v4_connect(): a broadcast route is ENETUNREACH) leaves it so, and a write() is EPIPE
     * (sk_stream_wait_connect() on TCP_CLOSE), not the ENOTCONN of a socket whose connect is under way.
     */
    @Test
    void aWriteAfterConnectUnspecAndAFailedConnect_isEpipe() {
        int fd = t.socket(true);
        connect(fd);
        done(t.kernel.disconnect(t.pid, fd, new PacketReport(null)));
        assertThat(done(t.kernel.getsockopt(t.pid, fd, "SO_ERROR")).value()).as("tcp_disconnect() from SYN_SENT, read here")
                .isEqualTo(Errno.ECONNRESET.number());
        assertErrno(done(t.kernel.connect(t.pid, fd, Endpoint.parse("255.255.255.255:80"), new PacketReport(null))), Errno.ENETUNREACH);
        assertErrno(done(t.kernel.write(t.pid, fd, new byte[10], new PacketReport(null))), Errno.EPIPE);
    }

    @Test
    void aWriteAfterShutdownInSynSentAndAFailedConnect_isEpipe() {
        int fd = t.socket(true);
        connect(fd);
        done(t.kernel.shutdown(t.pid, fd, 1, new PacketReport(null)));
        assertThat(done(t.kernel.getsockopt(t.pid, fd, "SO_ERROR")).value()).isEqualTo(Errno.ECONNRESET.number());
        assertErrno(done(t.kernel.connect(t.pid, fd, Endpoint.parse("255.255.255.255:80"), new PacketReport(null))), Errno.ENETUNREACH);
        assertErrno(done(t.kernel.write(t.pid, fd, new byte[10], new PacketReport(null))), Errno.EPIPE);
    }

    @Test
    void aFastOpenSendAfterConnectUnspecThatFailsOnItsAddress_leavesTheSocketFreeToConnect() {
        int fd = t.socket(true);
        connect(fd);
        done(t.kernel.disconnect(t.pid, fd, new PacketReport(null)));
        assertErrno(done(t.kernel.sendto(t.pid, fd, new byte[10], Syscalls.MSG_FASTOPEN, Endpoint.parse("255.255.255.255:80"), false,
                new PacketReport(null))), Errno.ENETUNREACH);
        assertErrno(done(connect(fd)), Errno.EINPROGRESS);
        assertThat(t.tcbOf(fd).state()).isEqualTo(TcpState.SYN_SENT);
    }

    @Test
    void aConnectionMadeBySendtoAfterConnectUnspec_thatIsRefused_reportsTheRefusalToTheNextConnect() {
        learnCookie();
        int fd = t.socket(true);
        connect(fd);
        done(t.kernel.disconnect(t.pid, fd, new PacketReport(null)));
        done(t.kernel.getsockopt(t.pid, fd, "SO_ERROR"));
        done(fastOpen(fd, 10));
        fromRemote(fd, TcpFlags.RST | TcpFlags.ACK, 0, t.tcbOf(fd).iss() + 11);
        // SS_CONNECTING and TCP_CLOSE: __inet_stream_connect() reports sock_error()
        assertErrno(done(connect(fd)), Errno.ECONNREFUSED);
    }

    // ---------------------------------------------------------------- zero-copy ranges of a connection that ends unacknowledged

    private SyscallResult errqueue(int fd) {
        return done(t.kernel.recvmsg(t.pid, fd, 10, Syscalls.MSG_ERRQUEUE));
    }

    private SyscallResult zeroCopySend(int bytes) {
        return done(t.kernel.send(t.pid, t.fd, new byte[bytes], Syscalls.MSG_ZEROCOPY, new PacketReport(null)));
    }

    @Test
    void zeroCopyRangesUnacknowledgedWhenTheConnectionIsReset_completeAtOnce_theirSkbsAreFreed() {
        t.established();
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_ZEROCOPY", 1, true));
        zeroCopySend(100);
        zeroCopySend(200);
        assertErrno(errqueue(t.fd), Errno.EAGAIN);
        t.peer.sendAt(TcpFlags.RST, t.peer.sndNxt(), 0, "");
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
        // tcp_reset() -> tcp_write_queue_purge(): the skbs are freed, each uarg's last reference drops, and the two
        // consecutive ids merge into one notification (skb_zerocopy_notify_extend())
        SyscallResult zc = errqueue(t.fd);
        assertThat(zc.extendedErr().info()).isZero();
        assertThat(zc.extendedErr().data()).isEqualTo(1);
        assertThat(zc.extendedErr().code()).isEqualTo(io.vkernel.kernel.socket.ErrorQueue.SO_EE_CODE_ZEROCOPY_COPIED);
        assertErrno(errqueue(t.fd), Errno.EAGAIN);
    }

    @Test
    void aZeroCopyRangeUnacknowledgedAtConnectUnspec_completes_andTheNextConnectionsIdsFollowIt() {
        learnCookie();
        int fd = t.socket(true);
        done(t.kernel.setsockopt(t.pid, fd, "SO_ZEROCOPY", 1, true));
        assertThat(done(t.kernel.sendto(t.pid, fd, new byte[100], Syscalls.MSG_FASTOPEN | Syscalls.MSG_ZEROCOPY, REMOTE, false,
                new PacketReport(null))).ret()).isEqualTo(100);
        done(t.kernel.disconnect(t.pid, fd, new PacketReport(null)));
        SyscallResult first = errqueue(fd);
        assertThat(first.extendedErr().info()).as("tcp_disconnect() purges the SYN's skb: id 0 completes").isZero();
        assertThat(first.extendedErr().data()).isZero();

        assertThat(done(t.kernel.sendto(t.pid, fd, new byte[100], Syscalls.MSG_FASTOPEN | Syscalls.MSG_ZEROCOPY, REMOTE, false,
                new PacketReport(null))).ret()).isEqualTo(100);
        synAck(fd, 100);
        SyscallResult second = errqueue(fd);
        assertThat(second.extendedErr().info()).isEqualTo(1);
        assertThat(second.extendedErr().data()).isEqualTo(1);
    }

    @Test
    void aZeroCopySendBlockedWhenTheConnectionIsReset_completesItsRangeWhenTheCallReturns() {
        t.established();
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_ZEROCOPY", 1, true));
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_SNDBUF", 1, true));
        PendingCall call = pending(t.kernel.send(t.pid, t.fd, new byte[100_000], Syscalls.MSG_ZEROCOPY, new PacketReport(null)));
        t.peer.sendAt(TcpFlags.RST, t.peer.sndNxt(), 0, "");
        assertThat(call.isDone()).isTrue();
        assertThat(call.result().ret()).as("it had queued part of it").isPositive().isLessThan(100_000);
        SyscallResult zc = errqueue(t.fd);
        assertThat(zc.extendedErr().info()).isZero();
        assertThat(zc.extendedErr().data()).isZero();
    }

    // ---------------------------------------------------------------- SYN data resent after a SYN-ACK that acknowledged part of it

    /** A segment from the remote with timestamps: TSval {@code tsVal}, echoing {@code tsEcr}. */
    private PacketReport fromRemoteTs(int fd, int flags, int seq, int ack, long tsVal, long tsEcr) {
        String syn = (flags & TcpFlags.SYN) != 0 ? "mss 1460,sackOK," : "nop,nop,";
        List<TcpOption> options = new ArrayList<>(TcpOptions.parseText(syn + "TS val " + tsVal + " ecr " + tsEcr
                + ((flags & TcpFlags.SYN) != 0 ? ",nop,wscale 7" : "")).list());
        if ((flags & TcpFlags.SYN) != 0) {
            options.add(COOKIE);
        }
        return t.kernel.receive(new Segment(REMOTE, t.tcbOf(fd).tuple().local(), flags, seq, ack, 30000, 0, null, new TcpOptions(options)));
    }

    /**
     * tcp_rcv_fastopen_synack() resends the SYN data the SYN-ACK left unacknowledged through tcp_retransmit_skb(), which
     * sets retrans_stamp (the SYN's own was cleared when the SYN was acknowledged). A timeout before that resend is
     * acknowledged starts an episode that may be undone, but only by an ACK echoing a TSval sent before retrans_stamp:
     * an ACK echoing the resend's own TSval proves nothing spurious (tcp_packet_delayed()), so cwnd stays reduced.
     */
    @Test
    void aTimeoutAfterResentSynData_isNotUndoneByAnAckEchoingTheResendsOwnTimestamp() {
        learnCookie();
        int fd = t.socket(true);
        assertThat(done(fastOpen(fd, 1000)).ret()).isEqualTo(1000);
        long synTsVal = sentBy(fd).get(0).timestamps().value();
        t.kernel.advance(100);
        int iss = t.tcbOf(fd).iss();
        int before = sentBy(fd).size();
        fromRemoteTs(fd, TcpFlags.SYN | TcpFlags.ACK, REMOTE_ISN, iss + 1 + 400, 7000, synTsVal);
        Segment resend = sentBy(fd).subList(before, sentBy(fd).size()).stream().filter(s -> s.payload().length > 0).findFirst().orElseThrow();
        assertThat(resend.seq()).isEqualTo(iss + 1 + 400);
        assertThat(resend.payload()).hasSize(600);
        java.util.Map<String, Long> afterSynAck = t.kernel.inspect(k -> io.vkernel.kernel.tcp.TcpInfo.of(t.tcbOf(fd)));
        assertThat(afterSynAck.get("tcpi_ca_state")).as("tcp_non_congestion_loss_retransmit(): CA_Loss").isEqualTo(4);
        assertThat(afterSynAck.get("tcpi_snd_cwnd")).isEqualTo(10);

        // the resend is not acknowledged: the retransmission timer resends it and cwnd drops to 1
        for (int i = 0; i < 40 && t.kernel.inspect(k -> io.vkernel.kernel.tcp.TcpInfo.of(t.tcbOf(fd))).get("tcpi_snd_cwnd") != 1; i++) {
            t.kernel.advance(50);
        }
        assertThat(t.kernel.inspect(k -> io.vkernel.kernel.tcp.TcpInfo.of(t.tcbOf(fd))).get("tcpi_snd_cwnd")).isEqualTo(1);
        long undosBefore = t.counter(io.vkernel.kernel.trace.SnmpCounter.TCP_LOSS_UNDO);

        fromRemoteTs(fd, TcpFlags.ACK, REMOTE_ISN + 1, iss + 1 + 1000, 7100, resend.timestamps().value());
        assertThat(t.counter(io.vkernel.kernel.trace.SnmpCounter.TCP_LOSS_UNDO)).isEqualTo(undosBefore);
        java.util.Map<String, Long> acked = t.kernel.inspect(k -> io.vkernel.kernel.tcp.TcpInfo.of(t.tcbOf(fd)));
        assertThat(acked.get("tcpi_ca_state")).isZero();
        assertThat(acked.get("tcpi_snd_cwnd")).as("not restored to 10").isLessThan(10);
    }
}
