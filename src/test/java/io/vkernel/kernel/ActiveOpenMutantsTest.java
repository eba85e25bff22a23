package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.tcp.TcpInfo;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.DropReason;
import io.vkernel.kernel.trace.EventType;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOptions;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.vkernel.kernel.TcpFixture.assertErrno;
import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.pending;
import static io.vkernel.kernel.TcpFixture.steps;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * connect() to a remote peer (tcp_v4_connect(), tcp_rcv_synsent_state_process(), tcp_write_timeout()) as a user sees
 * it: the event log, nstat, the trace's steps and verdicts, the clock view's timers, TCP_INFO, and when connect()
 * returns or fails (PIT survivors and uncovered mutants in ActiveOpen).
 */
class ActiveOpenMutantsTest {

    private static final Endpoint REMOTE = Endpoint.parse("192.0.2.1:80");

    private final TcpFixture t = new TcpFixture();
    private final int client = t.kernel.spawn("client").pid();
    private final int fd = (int) done(t.kernel.socket(client)).ret();
    private PendingCall call;
    private Segment syn;

    private void connect() {
        PacketReport report = new PacketReport(null);
        call = pending(t.kernel.connect(client, fd, REMOTE, report));
        syn = report.sentSegments().get(0);
    }

    private PacketReport fromRemote(int flags, int seq, int ack, int mss, TcpOptions options) {
        return t.kernel.receive(new Segment(REMOTE, syn.src(), flags, seq, ack, 65535, mss, null, options));
    }

    private Tcb tcb() {
        return t.kernel.inspect(k -> k.established().find(new FourTuple(REMOTE, syn.src())));
    }

    /** Advances one second at a time until connect() returns; answers the second it returned at. */
    private long secondsUntilConnectFails(long limit) {
        for (long s = 0; s <= limit; s++) {
            if (call.isDone()) {
                return s;
            }
            t.advanceSeconds(1);
        }
        throw new AssertionError("connect() still pending after " + limit + " s");
    }

    private int synsSent() {
        return (int) t.kernel.inspect(k -> k.nic().wire(0, 100_000)).stream()
                .filter(r -> !r.inbound() && r.segment().has(TcpFlags.SYN)).count();
    }

    @Test
    void aConnectAnsweredAfter300ms_isLoggedCountedTraced_andTimedByItsSynAck() {
        done(t.kernel.setsockopt(client, fd, "SO_KEEPALIVE", 1, true));
        t.advanceSeconds(10);
        connect();
        assertThat(t.events(EventType.STATE_CHANGE)).last().isEqualTo("CLOSED -> SYN_SENT: connect() sends a SYN from " + syn.src());
        assertThat(t.counter(SnmpCounter.TCP_ACTIVE_OPENS)).isEqualTo(1);
        assertThat(t.timers()).containsExactly("syn-retransmit");
        int other = (int) done(t.kernel.socket(client)).ret();
        assertErrno(done(t.kernel.bind(client, other, syn.src())), Errno.EADDRINUSE);

        t.advanceSeconds(0.3);
        PacketReport synAck = fromRemote(TcpFlags.SYN | TcpFlags.ACK, 5000, syn.seq() + 1, 0, null);
        assertThat(steps(synAck, "tcp.established")).containsExactly("SYN-ACK acknowledges our SYN: ESTABLISHED, ACK sent");
        assertThat(call.result().ret()).isZero();
        assertThat(t.timers()).as("the SYN timer cancelled, SO_KEEPALIVE's timer armed").containsExactly("keepalive");
        Map<String, Long> info = TcpInfo.of(tcb());
        assertThat(info).as("the SYN-ACK's RTT sample").containsEntry("tcpi_rtt", 300_000L)
                .as("a SYN-ACK without MSS: RFC 9293's default 536").containsEntry("tcpi_snd_mss", 536L);
    }

    @Test
    void withTcpSyncnt1_synsLeaveAt0_1And2s_andConnectFailsAt3s_eachRetransmissionLogged() {
        done(t.kernel.setsockopt(client, fd, "TCP_SYNCNT", 1, true));
        t.advanceSeconds(10); // the time budget counts from the first SYN (tp->retrans_stamp), not from boot
        connect();
        assertThat(secondsUntilConnectFails(10)).isEqualTo(3);
        assertErrno(call.result(), Errno.ETIMEDOUT);
        assertThat(synsSent()).isEqualTo(3);
        assertThat(t.events(EventType.TIMER_FIRED)).containsExactly("SYN retransmission #1", "SYN retransmission #2",
                "no answer to 3 SYNs: connect() fails with ETIMEDOUT");
        assertThat(t.counter(SnmpCounter.TCP_ATTEMPT_FAILS)).isEqualTo(1);
    }

    @Test
    void with7RetriesAndNoLinearTimeouts_theLastSynWaitsTheCappedTwoMinutes_andConnectFailsAt247s() {
        // tcp_model_timeout(): 127 s for the doublings up to TCP_RTO_MAX, then 120 s for the seventh retry
        t.sysctl(Sysctls.TCP_SYN_LINEAR_TIMEOUTS, 0);
        t.sysctl(Sysctls.TCP_SYN_RETRIES, 7);
        connect();
        t.advanceSeconds(246);
        assertThat(call.isDone()).isFalse();
        assertThat(synsSent()).as("SYNs at 0, 1, 3, 7, 15, 31, 63 and 127 s").isEqualTo(8);
        assertThat(secondsUntilConnectFails(2)).isEqualTo(1);
        assertErrno(call.result(), Errno.ETIMEDOUT);
        assertThat(synsSent()).isEqualTo(8);
    }

    @Test
    void with62Retries_connectIsStillRetryingLongAfterTheFirstMinutes() {
        // tcp_model_timeout(62 retries) is 127 s + 56 x 120 s; nothing may end the attempt within its first 100 s
        t.sysctl(Sysctls.TCP_SYN_LINEAR_TIMEOUTS, 0);
        t.sysctl(Sysctls.TCP_SYN_RETRIES, 62);
        connect();
        t.advanceSeconds(100);
        assertThat(call.isDone()).isFalse();
        assertThat(synsSent()).as("SYNs at 0, 1, 3, 7, 15, 31 and 63 s").isEqualTo(7);
    }

    @Test
    void anAckThatDoesNotCoverOurSyn_isAnsweredWithRst_unlessItIsARst() {
        connect();
        PacketReport bad = fromRemote(TcpFlags.SYN | TcpFlags.ACK, 5000, syn.seq() + 9, 1460, null);
        assertThat(bad.verdict()).isEqualTo("reset");
        assertThat(steps(bad, "tcp.syn_sent")).containsExactly(
                "ACK " + Integer.toUnsignedString(syn.seq() + 9) + " does not acknowledge our SYN: reset <SEQ=SEG.ACK>");
        assertThat(bad.sentSegments()).singleElement().satisfies(r -> assertThat(r.seq()).isEqualTo(syn.seq() + 9));

        PacketReport rst = fromRemote(TcpFlags.RST | TcpFlags.ACK, 0, syn.seq() + 9, 0, null);
        assertThat(rst.dropReason()).isEqualTo(DropReason.OUT_OF_WINDOW);
        assertThat(rst.dropDetail()).isEqualTo("RST whose ACK does not cover our SYN is ignored");
        assertThat(tcb().state()).isEqualTo(TcpState.SYN_SENT);
    }

    @Test
    void aSynAckEchoingATimeOurSynWasNotSent_isReset_andConnectCarriesOn() {
        connect();
        long tsVal = syn.timestamps().value();
        PacketReport paws = fromRemote(TcpFlags.SYN | TcpFlags.ACK, 5000, syn.seq() + 1, 1460,
                TcpOptions.parseText("mss 1460,nop,nop,TS val 7 ecr " + (tsVal + 100_000)));
        assertThat(paws.verdict()).isEqualTo("reset");
        assertThat(steps(paws, "tcp.syn_sent")).containsExactly("TSecr " + (tsVal + 100_000)
                + " echoes no time our SYN was sent: reset <SEQ=SEG.ACK> (PAWSActiveRejected)");
        assertThat(tcb().state()).isEqualTo(TcpState.SYN_SENT);
        assertThat(call.isDone()).isFalse();
    }

    @Test
    void aRstWithoutAck_isDropped_andWithTheAckRefusesTheConnection() {
        connect();
        PacketReport bare = fromRemote(TcpFlags.RST, 0, 0, 0, null);
        assertThat(bare.dropReason()).isEqualTo(DropReason.NO_ACK_FLAG);
        assertThat(bare.dropDetail()).isEqualTo("a RST in SYN_SENT must acknowledge our SYN");
        assertThat(call.isDone()).isFalse();

        PacketReport refused = fromRemote(TcpFlags.RST | TcpFlags.ACK, 0, syn.seq() + 1, 0, null);
        assertThat(refused.verdict()).isEqualTo("refused");
        assertThat(steps(refused, "tcp.rst")).containsExactly("connection refused: the peer answered our SYN with RST");
        assertErrno(call.result(), Errno.ECONNREFUSED);
    }

    @Test
    void anAckWithoutSyn_isDropped_synSentWaitsForASyn() {
        connect();
        PacketReport ack = fromRemote(TcpFlags.ACK, 5000, syn.seq() + 1, 0, null);
        assertThat(ack.dropReason()).isEqualTo(DropReason.NO_ACK_FLAG);
        assertThat(ack.dropDetail()).isEqualTo("SYN_SENT waits for a SYN");
        assertThat(tcb().state()).isEqualTo(TcpState.SYN_SENT);
        assertThat(t.timers()).containsExactly("syn-retransmit");
    }

    // ---------------------------------------------------------------- Fast Open client and ECN

    private static final int MSG_FASTOPEN = io.vkernel.kernel.syscall.Syscalls.MSG_FASTOPEN;

    private void fastOpenWithoutCookie() {
        t.sysctl(Sysctls.TCP_FASTOPEN, io.vkernel.kernel.tcp.FastOpen.CLIENT_ENABLE | io.vkernel.kernel.tcp.FastOpen.CLIENT_NO_COOKIE);
        done(t.kernel.fcntl(client, fd, "F_SETFL", 04000));
    }

    private void sendtoFastOpen(int bytes) {
        PacketReport report = new PacketReport(null);
        done(t.kernel.sendto(client, fd, new byte[bytes], MSG_FASTOPEN, REMOTE, false, report));
        syn = report.sentSegments().get(0);
    }

    @Test
    void aSynAckCarryingData_onAFastOpenConnection_queuesItForReading_chargedToTheReceiveBuffer() {
        fastOpenWithoutCookie();
        sendtoFastOpen(10);
        assertThat(syn.payload()).hasSize(10);
        PacketReport synAck = t.kernel.receive(new Segment(REMOTE, syn.src(), TcpFlags.SYN | TcpFlags.ACK | TcpFlags.PSH, 5000,
                syn.seq() + 11, 65535, 1460, "hi".getBytes()));
        assertThat(steps(synAck, "tcp.fastopen")).contains("the SYN-ACK carries 2 bytes: queued for reading");
        assertThat(io.vkernel.kernel.tcp.SkMeminfo.of(tcb()).get("SK_MEMINFO_RMEM_ALLOC")).isPositive();
        assertThat(TcpFixture.text(done(t.kernel.read(client, fd, 100)))).isEqualTo("hi");
    }

    @Test
    void aSynAckWithoutData_onAFastOpenConnection_queuesNothing() {
        fastOpenWithoutCookie();
        sendtoFastOpen(10);
        PacketReport synAck = fromRemote(TcpFlags.SYN | TcpFlags.ACK, 5000, syn.seq() + 11, 1460, null);
        assertThat(steps(synAck, "tcp.fastopen")).noneMatch(step -> step.contains("carries"));
        assertThat(io.vkernel.kernel.tcp.SkMeminfo.of(tcb()).get("SK_MEMINFO_RMEM_ALLOC")).isZero();
    }

    @Test
    void aBlockingSendtoWhoseSynAsksForACookie_delaysTheAckToGoWithItsData() {
        t.sysctl(Sysctls.TCP_FASTOPEN, io.vkernel.kernel.tcp.FastOpen.CLIENT_ENABLE);
        PacketReport report = new PacketReport(null);
        PendingCall send = pending(t.kernel.sendto(client, fd, "hello".getBytes(), MSG_FASTOPEN, REMOTE, false, report));
        syn = report.sentSegments().get(0);
        assertThat(syn.payload()).as("no cookie yet: the SYN asks for one and carries nothing").isEmpty();
        PacketReport synAck = fromRemote(TcpFlags.SYN | TcpFlags.ACK, 5000, syn.seq() + 1, 1460, null);
        assertThat(steps(synAck, "tcp.established")).containsExactly("SYN-ACK acknowledges our SYN: ESTABLISHED; the ACK waits for"
                + " the data the blocked sendto() is about to write");
        assertThat(send.result().ret()).isEqualTo(5);
        List<Segment> out = t.kernel.inspect(k -> k.nic().wire(0, 10_000)).stream()
                .filter(r -> !r.inbound()).map(r -> r.segment()).toList();
        assertThat(out).as("after the SYN, the ACK leaves with the data, not alone").hasSize(2)
                .last().satisfies(s -> {
                    assertThat(s.payloadText()).isEqualTo("hello");
                    assertThat(s.ack()).isEqualTo(5001);
                });
    }

    @Test
    void aBlockingSendtoWhoseDataTheSynAcksWindowShuts_stillAcksTheSynAck_byTheDelayedAckTimer() {
        // tcp_rcv_synsent_state_process(): with sk_write_pending the ACK waits on the delayed-ACK timer (Linux: at most
        // TCP_DELACK_MAX, 200 ms); when the data cannot go (a zero window), that timer is what completes the handshake
        t.sysctl(Sysctls.TCP_FASTOPEN, io.vkernel.kernel.tcp.FastOpen.CLIENT_ENABLE);
        PacketReport report = new PacketReport(null);
        PendingCall send = pending(t.kernel.sendto(client, fd, "hello".getBytes(), MSG_FASTOPEN, REMOTE, false, report));
        syn = report.sentSegments().get(0);
        PacketReport synAck = t.kernel.receive(new Segment(REMOTE, syn.src(), TcpFlags.SYN | TcpFlags.ACK, 5000, syn.seq() + 1,
                0, 1460, null));
        assertThat(synAck.sentSegments()).as("the data waits for the window, the ACK for its timer").isEmpty();
        assertThat(send.result().ret()).isEqualTo(5);
        t.advanceSeconds(0.2);
        List<Segment> out = t.kernel.inspect(k -> k.nic().wire(0, 10_000)).stream()
                .filter(r -> !r.inbound()).map(r -> r.segment()).toList();
        assertThat(out).as("the SYN, then the handshake's ACK").hasSizeGreaterThanOrEqualTo(2)
                .element(1).satisfies(s -> {
                    assertThat(TcpFlags.format(s.flags())).isEqualTo(".");
                    assertThat(s.seq()).as("at SND.NXT, not a window probe's SND.UNA - 1").isEqualTo(syn.seq() + 1);
                    assertThat(s.ack()).isEqualTo(5001);
                    assertThat(s.payload()).isEmpty();
                });
    }

    @Test
    void zeroCopySynData_isNotifiedDoneWhenTheSynAckAcknowledgesIt() {
        // the SYN's bytes were copied; the notification [0, 0] is queued once the SYN-ACK frees that skb
        fastOpenWithoutCookie();
        done(t.kernel.setsockopt(client, fd, "SO_ZEROCOPY", 1, true));
        PacketReport report = new PacketReport(null);
        assertThat(done(t.kernel.sendto(client, fd, new byte[100],
                MSG_FASTOPEN | io.vkernel.kernel.syscall.Syscalls.MSG_ZEROCOPY, REMOTE, false, report)).ret()).isEqualTo(100);
        syn = report.sentSegments().get(0);
        assertErrno(done(t.kernel.recvmsg(client, fd, 10, io.vkernel.kernel.syscall.Syscalls.MSG_ERRQUEUE)), Errno.EAGAIN);

        t.advanceSeconds(0.1);
        fromRemote(TcpFlags.SYN | TcpFlags.ACK, 5000, syn.seq() + 101, 1460, null);
        assertThat(done(t.kernel.recvmsg(client, fd, 10, io.vkernel.kernel.syscall.Syscalls.MSG_ERRQUEUE)).strace())
                .contains("ee_origin=SO_EE_ORIGIN_ZEROCOPY").contains("ee_code=SO_EE_CODE_ZEROCOPY_COPIED")
                .contains("ee_info=0, ee_data=0");
    }

    @Test
    void tcpFastopenConnect_defersTheSynToTheFirstWrite_andTheEventLogSaysSo() {
        t.sysctl(Sysctls.TCP_FASTOPEN, io.vkernel.kernel.tcp.FastOpen.CLIENT_ENABLE | io.vkernel.kernel.tcp.FastOpen.CLIENT_NO_COOKIE);
        done(t.kernel.setsockopt(client, fd, "TCP_FASTOPEN_CONNECT", 1, true));
        assertThat(done(t.kernel.connect(client, fd, REMOTE, new PacketReport(null))).ret()).isZero();
        assertThat(t.events(EventType.STATE_CHANGE)).last().asString().startsWith("CLOSED -> SYN_SENT: connect() with TCP_FASTOPEN_CONNECT"
                + " returns 0 at once; the SYN waits for the first write");
        PacketReport write = new PacketReport(null);
        t.kernel.write(client, fd, "abc".getBytes(), write);
        assertThat(t.events(EventType.STATE_CHANGE)).last().isEqualTo("the first write of a TCP_FASTOPEN_CONNECT socket sends the SYN");
        assertThat(write.sentSegments()).singleElement().satisfies(s -> assertThat(s.payloadText()).isEqualTo("abc"));
    }

    @Test
    void aSendtoWithAnUnreadableBuffer_sendsASynAskingForACookie_andTracesWhy() {
        t.sysctl(Sysctls.TCP_FASTOPEN, io.vkernel.kernel.tcp.FastOpen.CLIENT_ENABLE);
        done(t.kernel.fcntl(client, fd, "F_SETFL", 04000));
        PacketReport report = new PacketReport(null);
        t.kernel.nullBuffer(client, "sendto", fd, 10, MSG_FASTOPEN, REMOTE, report);
        assertThat(steps(report, "tcp.fastopen")).contains(
                "the buffer cannot be read (EFAULT on the copy): the SYN carries no data and asks for a cookie");
        assertThat(report.sentSegments()).singleElement().satisfies(s -> assertThat(s.payload()).isEmpty());
    }

    @Test
    void fragmentationNeededForASynWithData_resendsItPlainAtOnce_andRestartsItsTimer() {
        fastOpenWithoutCookie();
        sendtoFastOpen(1400);
        t.advanceSeconds(0.5);
        FourTuple tuple = new FourTuple(syn.dst(), syn.src());
        PacketReport icmp = t.kernel.receiveRaw(io.vkernel.kernel.wire.IcmpMessage.encode(REMOTE.address(), syn.src().address(),
                io.vkernel.kernel.wire.IcmpMessage.DEST_UNREACH, io.vkernel.kernel.wire.IcmpMessage.FRAG_NEEDED, 1000, tuple, syn.seq(), 0));
        assertThat(icmp.verdict()).isEqualTo("SYN resent for the smaller path MTU");
        assertThat(icmp.sentSegments()).singleElement().satisfies(s -> {
            assertThat(TcpFlags.format(s.flags())).isEqualTo("S");
            assertThat(s.payload()).isEmpty();
            assertThat(s.mss()).isEqualTo(960);
        });
        assertThat(TcpInfo.of(tcb())).containsEntry("tcpi_total_retrans", 1L);
        assertThat(t.timers()).containsExactly("syn-retransmit");
        int sent = synsSent();
        t.advanceSeconds(0.999);
        assertThat(synsSent()).as("the timer restarted at the resend: nothing at the first SYN's 1 s").isEqualTo(sent);
        t.advanceSeconds(0.001);
        assertThat(synsSent()).isEqualTo(sent + 1);
    }

    /** An ICMP "fragmentation needed" for our SYN with the given next-hop MTU; answers the verdict. */
    private String fragmentationNeeded(int mtu) {
        FourTuple tuple = new FourTuple(syn.dst(), syn.src());
        return t.kernel.receiveRaw(io.vkernel.kernel.wire.IcmpMessage.encode(REMOTE.address(), syn.src().address(),
                io.vkernel.kernel.wire.IcmpMessage.DEST_UNREACH, io.vkernel.kernel.wire.IcmpMessage.FRAG_NEEDED, mtu, tuple,
                syn.seq(), 0)).verdict();
    }

    private List<String> timerEvents() {
        return t.events(EventType.TIMER_FIRED);
    }

    @Test
    void synsResentForASmallerPathMtu_countNoRetry_soNoTimeBudgetEndsConnectBeforeTheFirstRetransmission() {
        // retransmits_timed_out(): no time budget applies while icsk_retransmits is 0, however long the SYN waited
        done(t.kernel.setsockopt(client, fd, "TCP_SYNCNT", 1, true)); // tcp_model_timeout(1) = 3 s
        t.sysctl(Sysctls.TCP_SYN_LINEAR_TIMEOUTS, 0);
        fastOpenWithoutCookie();
        sendtoFastOpen(1400);
        for (int mtu : new int[] {1300, 1200, 1100}) {
            t.advanceSeconds(0.9);
            assertThat(fragmentationNeeded(mtu)).isEqualTo("SYN resent for the smaller path MTU");
        }
        t.advanceSeconds(1); // 3.7 s: the first timer fire, 0.7 s past the budget
        assertThat(timerEvents()).containsExactly("SYN retransmission #1");
        assertThat(tcb().state()).isEqualTo(TcpState.SYN_SENT);
        t.advanceSeconds(1.999);
        assertThat(timerEvents()).hasSize(1);
        t.advanceSeconds(0.001);
        assertThat(timerEvents()).containsExactly("SYN retransmission #1", "no answer to 2 SYNs: connect() fails with ETIMEDOUT");
    }

    @Test
    void withSevenRetries_aSynTimerPostponedByResendsPastTheModelTime_endsConnectAtItsFire_withOneRetryUnused() {
        // tcp_write_timeout(): tcp_model_timeout(7) = 127 + 120 = 247 s after the first SYN, the next fire gives up
        t.sysctl(Sysctls.TCP_SYN_LINEAR_TIMEOUTS, 0);
        t.sysctl(Sysctls.TCP_SYN_RETRIES, 7);
        fastOpenWithoutCookie();
        sendtoFastOpen(1400);
        t.advanceSeconds(120); // the sixth retransmission's 64 s timer runs from 63 s
        assertThat(timerEvents()).hasSize(6);
        assertThat(fragmentationNeeded(1300)).isEqualTo("SYN resent for the smaller path MTU"); // its timer restarts: 184 s
        t.advanceSeconds(63.5);
        assertThat(fragmentationNeeded(1200)).isEqualTo("SYN resent for the smaller path MTU"); // and again: 247.5 s
        t.advanceSeconds(63.999);
        assertThat(tcb().state()).isEqualTo(TcpState.SYN_SENT);
        t.advanceSeconds(0.001);
        assertThat(timerEvents()).hasSize(7).last().isEqualTo("no answer to 7 SYNs: connect() fails with ETIMEDOUT");
        assertThat(tcb()).as("closed at 247.5 s").isNull();
    }

    @Test
    void withEcnAsked_aSynAckWithEce_negotiatesIt_andACrossingPlainSynTurnsItOff() {
        t.sysctl(Sysctls.TCP_ECN, 1);
        connect();
        assertThat(syn.has(TcpFlags.ECE) && syn.has(TcpFlags.CWR)).isTrue();
        fromRemote(TcpFlags.SYN | TcpFlags.ACK | TcpFlags.ECE, 5000, syn.seq() + 1, 1460, null);
        assertThat(TcpInfo.of(tcb()).get("tcpi_options") & 8).as("TCPI_OPT_ECN").isEqualTo(8);

        int other = (int) done(t.kernel.socket(client)).ret();
        PacketReport report = new PacketReport(null);
        pending(t.kernel.connect(client, other, Endpoint.parse("192.0.2.1:81"), report));
        Segment second = report.sentSegments().get(0);
        t.kernel.receive(new Segment(second.dst(), second.src(), TcpFlags.SYN, 7000, 0, 65535, 1460, null));
        Tcb crossed = t.kernel.inspect(k -> k.established().find(new FourTuple(second.dst(), second.src())));
        assertThat(crossed.state()).isEqualTo(TcpState.SYN_RECV);
        assertThat(TcpInfo.of(crossed).get("tcpi_options") & 8).as("tcp_ecn_rcv_syn(): not ECN-setup").isZero();

        int third = (int) done(t.kernel.socket(client)).ret();
        report = new PacketReport(null);
        pending(t.kernel.connect(client, third, Endpoint.parse("192.0.2.1:82"), report));
        Segment ecnSyn = report.sentSegments().get(0);
        t.kernel.receive(new Segment(ecnSyn.dst(), ecnSyn.src(), TcpFlags.SYN | TcpFlags.ECE | TcpFlags.CWR, 7000, 0, 65535, 1460, null));
        Tcb ecnCrossed = t.kernel.inspect(k -> k.established().find(new FourTuple(ecnSyn.dst(), ecnSyn.src())));
        assertThat(TcpInfo.of(ecnCrossed).get("tcpi_options") & 8).as("an ECN-setup SYN keeps it").isEqualTo(8);
    }

    @Test
    void withEcnAsked_aSynAckWithoutEce_turnsItOff() {
        t.sysctl(Sysctls.TCP_ECN, 1);
        connect();
        PacketReport synAck = fromRemote(TcpFlags.SYN | TcpFlags.ACK, 5000, syn.seq() + 1, 1460, null);
        assertThat(steps(synAck, "tcp.ecn")).containsExactly("the SYN-ACK has no ECE (or ECE with CWR): ECN is off for this connection");
        assertThat(TcpInfo.of(tcb()).get("tcpi_options") & 8).isZero();
    }
}
