package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.tcp.FastOpen;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.tcp.TcpInfo;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOption;
import io.vkernel.kernel.wire.TcpOptions;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static io.vkernel.kernel.TcpFixture.assertErrno;
import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.pending;
import static io.vkernel.kernel.TcpFixture.steps;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The last TcpInput survivors PIT left, at kernel level (tcp_rcv_state_process(), tcp_ack(), tcp_reset() of Linux
 * 6.18): the ACK that makes a Fast Open child ESTABLISHED, the ACK and the RST a simultaneous open's SYN_RECV gets,
 * an ACK of our FIN in LAST_ACK that carries data, a RST in FIN_WAIT1 after shutdown(SHUT_WR), a FIN_WAIT2 orphan
 * under tcp_fin_timeout above 60 s, and the idle restart a window update triggers only with data waiting.
 */
class TcpInputSurvivorsTest {

    private static final Endpoint CLIENT = Endpoint.parse(TcpFixture.CLIENT);
    private static final Endpoint SERVER = Endpoint.parse(TcpFixture.SERVER);

    private final TcpFixture t = new TcpFixture();

    @Test
    void theAckOfAFastOpenSynAck_endsTheSynAckTimer_tracesIt_andTakesTheScaledWindowAsItIs() {
        t.sysctl(Sysctls.TCP_FASTOPEN, FastOpen.SERVER_ENABLE | FastOpen.SERVER_COOKIE_NOT_REQD | 1);
        done(t.kernel.setsockopt(t.pid, t.listenFd, "TCP_FASTOPEN", 4, true));
        TcpOptions options = TcpOptions.of(new TcpOption.Mss(1460), new TcpOption.WindowScale(7));
        PacketReport syn = t.kernel.receive(new Segment(CLIENT, SERVER, TcpFlags.SYN, 1000, 0, 65535, 1460,
                "hello".getBytes(StandardCharsets.UTF_8), options));
        Segment synAck = syn.sentSegments().get(0);
        assertThat(t.timers()).containsExactly("synack-retransmit");

        // the window field 1 << 7 = 128 bytes: not zero, so no "window reopened" step
        PacketReport ack = t.kernel.receive(new Segment(CLIENT, SERVER, TcpFlags.ACK, 1006, synAck.seq() + 1, 1, 0, null));
        assertThat(t.state()).isEqualTo(TcpState.ESTABLISHED);
        assertThat(steps(ack, "tcp.fastopen")).containsExactly("the client acknowledged the SYN-ACK: the Fast Open child is ESTABLISHED");
        assertThat(steps(ack, "tcp.window")).isEmpty();
        assertThat(t.tcb().sndWnd()).isEqualTo(128);
        assertThat(t.timers()).as("tcp_rcv_synrecv_state_fastopen(): the SYN-ACK timer is stopped").doesNotContain("synack-retransmit");
    }

    /** connect() to a peer whose own SYN crosses ours: SYN_RECV without a listener. Answers our SYN. */
    private Segment simultaneousOpen(int client, int fd, PendingCall[] call) {
        PacketReport report = new PacketReport(null);
        call[0] = pending(t.kernel.connect(client, fd, Endpoint.parse("192.0.2.1:80"), report));
        Segment syn = report.sentSegments().get(0);
        t.kernel.receive(new Segment(Endpoint.parse("192.0.2.1:80"), syn.src(), TcpFlags.SYN, 3000, 0, 65535, 1460, null));
        return syn;
    }

    private Tcb simultaneous(Segment syn) {
        return t.kernel.inspect(k -> k.established().find(new FourTuple(Endpoint.parse("192.0.2.1:80"), syn.src())));
    }

    @Test
    void theAckCompletingASimultaneousOpen_countsTheSynAckAsDelivered() {
        int client = t.kernel.spawn("client").pid();
        int fd = (int) done(t.kernel.socket(client)).ret();
        PendingCall[] call = new PendingCall[1];
        Segment syn = simultaneousOpen(client, fd, call);
        t.kernel.receive(new Segment(Endpoint.parse("192.0.2.1:80"), syn.src(), TcpFlags.ACK, 3001, syn.seq() + 1, 65535, 0, null));
        assertThat(simultaneous(syn).state()).isEqualTo(TcpState.ESTABLISHED);
        assertThat(TcpInfo.of(simultaneous(syn))).as("tcp_rcv_state_process(): the SYN-ACK's delivery").containsEntry("tcpi_delivered", 1L);
    }

    @Test
    void aRstAtRcvNxt_inASimultaneousOpensSynRecv_resetsTheConnection() {
        int client = t.kernel.spawn("client").pid();
        int fd = (int) done(t.kernel.socket(client)).ret();
        PendingCall[] call = new PendingCall[1];
        Segment syn = simultaneousOpen(client, fd, call);
        assertThat(simultaneous(syn).state()).isEqualTo(TcpState.SYN_RECV);
        PacketReport rst = t.kernel.receive(new Segment(Endpoint.parse("192.0.2.1:80"), syn.src(), TcpFlags.RST, 3001, 0, 0, 0, null));
        assertThat(steps(rst, "tcp.rst")).containsExactly("RST at RCV.NXT: connection reset");
        assertThat(simultaneous(syn)).as("out of the established table").isNull();
        assertThat(call[0].isDone()).isTrue();
    }

    @Test
    void theAckOfOurFinInLastAck_closesTheConnection_andTheDataOnItIsNotLookedAt() {
        t.lastAck();
        Segment fin = t.peer.lastReceived();
        assertThat(TcpFlags.format(fin.flags())).contains("F");
        PacketReport report = t.peer.sendAt(TcpFlags.ACK | TcpFlags.PSH, t.peer.sndNxt(), fin.seq() + 1, "late");
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
        assertThat(steps(report, "tcp.closed")).hasSize(1);
        assertThat(steps(report, "tcp.data")).as("tcp_rcv_state_process(): tcp_done(), then goto consume").isEmpty();
        assertThat(report.sentSegments()).isEmpty();
    }

    @Test
    void aRstInFinWait1AfterShutdownWr_isReportedByTheNextRead() {
        t.established();
        done(t.kernel.shutdown(t.pid, t.fd, 1, new PacketReport(null)));
        assertThat(t.state()).isEqualTo(TcpState.FIN_WAIT1);
        PacketReport rst = t.peer.send(TcpFlags.RST, "");
        assertThat(steps(rst, "tcp.rst")).containsExactly("RST at RCV.NXT: connection reset; queued data stays readable,"
                + " then the next call reports ECONNRESET");
        assertErrno(t.read(), Errno.ECONNRESET);
    }

    @Test
    void aboveSixtySecondsOfFinTimeout_theFinWait2OrphanStaysAFullSocket_whoseDupAckCarriesADsack() {
        t.sysctl(Sysctls.TCP_FIN_TIMEOUT, 61);
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.peer.sackOk = true;
        t.peer.connect();
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        int first = t.peer.sndNxt();
        t.peer.data("hello");
        assertThat(TcpFixture.text(t.read())).isEqualTo("hello");
        t.close();
        t.peer.consumeSent();
        t.peer.ack();
        assertThat(t.state()).isEqualTo(TcpState.FIN_WAIT2);
        // tcp_rcv_state_process() TCP_FIN_WAIT1: tmo > TCP_TIMEWAIT_LEN, so no tcp_time_wait(): the full socket's
        // duplicate ACK reports the old segment in a D-SACK block (a time-wait socket's ACK has only timestamps)
        PacketReport dup = t.peer.sendAt(TcpFlags.ACK | TcpFlags.PSH, first, t.peer.rcvNxt(), "hello");
        Segment ack = dup.sentSegments().get(0);
        assertThat(ack.options()).as("the D-SACK block of the old segment").isNotNull();
        assertThat(ack.options().toString()).contains(Integer.toUnsignedString(first));
    }

    @Test
    void aSynOnAnAccurateEcnConnection_getsAChallengeAckReflectingTheSynsEcnField() {
        t.sysctl(Sysctls.TCP_ECN, 3);
        PacketReport syn = t.kernel.receive(new Segment(CLIENT, SERVER, TcpFlags.SYN | TcpFlags.AE | TcpFlags.CWR | TcpFlags.ECE,
                1000, 0, 65535, 1460, null));
        Segment synAck = syn.sentSegments().get(0);
        // the third ACK reflects the SYN-ACK's IP ECN field (not-ECT: ACE 010, CWR)
        t.kernel.receive(new Segment(CLIENT, SERVER, TcpFlags.ACK | TcpFlags.CWR, 1001, synAck.seq() + 1, 65535, 0, null));
        assertThat(t.state()).isEqualTo(TcpState.ESTABLISHED);
        // tcp_validate_incoming(): a SYN in the window, ECT(0) in its IP header; the challenge ACK's ACE is the
        // reflector of ECT(0), 100 (AE alone), not the CE counter 5 (101)
        PacketReport again = t.kernel.receive(new Segment(CLIENT, SERVER, TcpFlags.SYN, 1001, 0, 65535, 1460, null, null, 0b10));
        assertThat(again.sentSegments()).hasSize(1);
        Segment challenge = again.sentSegments().get(0);
        assertThat(challenge.ack()).isEqualTo(1001);
        assertThat(challenge.flags() & (TcpFlags.AE | TcpFlags.CWR | TcpFlags.ECE)).isEqualTo(TcpFlags.AE);
    }

    @Test
    void duplicateAcksWithNothingInFlight_areNotCountedAsDupacks() {
        t.establishedMss1000GsoOff();
        int base = t.tcb().sndUna();
        t.write(1000);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 1000, "");
        int cwnd = t.tcb().cwnd();
        // tcp_ack(): "if (!prior_packets) goto no_queue": no congestion processing at all
        for (int i = 0; i < 4; i++) {
            t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 1000, "");
        }
        assertThat(t.congestionEvents()).isEmpty();
        assertThat(t.tcb().cwnd()).isEqualTo(cwnd);
        assertThat(TcpInfo.of(t.tcb())).containsEntry("tcpi_ca_state", 0L);
    }

    @Test
    void theAckOfRetransmittedData_keepsTheRtoBackoff_untilAnAckOfFreshDataGivesASample_evenWithAZeroSrtt() {
        t.established(); // the handshake takes no virtual time: the first RTT sample, and SRTT, are 0 ms
        assertThat(t.tcb().srttMs()).isZero();
        int base = t.tcb().sndUna();
        t.write(1000);
        t.advanceSeconds(0.2); // the RTO (200 ms, TCP_RTO_MIN) resends the data and backs off
        assertThat(TcpInfo.of(t.tcb())).containsEntry("tcpi_rto", 400_000L);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 1000, "");
        // tcp_ack() zeroes icsk_retransmits, but Karn forbids a sample from resent data and only
        // tcp_ack_update_rtt() calls tcp_set_rto() ("RFC6298: only reset backoff on valid RTT measurement")
        assertThat(TcpInfo.of(t.tcb())).containsEntry("tcpi_rto", 400_000L);
        int index = t.peer.received().size();
        t.write(1000); // lost too: its RTO timer runs the backed-off 400 ms
        t.advanceSeconds(0.399);
        assertThat(t.peer.received()).hasSize(index + 1);
        t.advanceSeconds(0.001);
        assertThat(t.peer.received()).hasSize(index + 2);
        assertThat(TcpInfo.of(t.tcb())).containsEntry("tcpi_rto", 800_000L);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 2000, "");
        assertThat(TcpInfo.of(t.tcb())).containsEntry("tcpi_rto", 800_000L);
        t.write(1000);
        t.advanceSeconds(0.05);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 3000, ""); // sent once: a 50 ms sample sets the RTO
        // SRTT 6.25 ms and the variance term at tcp_rto_min: 206.25 ms, rounded up
        assertThat(TcpInfo.of(t.tcb())).containsEntry("tcpi_rto", 207_000L);
    }

    @Test
    void aWriterOutOfRoom_isGivenMoreSendBufferOnce_thenNoMoreOnceItIsWriteable() {
        t.established();
        t.nonBlocking();
        int base = t.tcb().sndUna();
        int written = 0;
        for (var w = t.write(20_000); w.ret() > 0; w = t.write(20_000)) {
            written += (int) w.ret();
        }
        assertThat(written).as("then EAGAIN: SOCK_NOSPACE").isEqualTo(110_960);
        java.util.List<String> grown = new java.util.ArrayList<>();
        for (int k = 1; k <= 10; k++) { // nobody sleeps on the socket: only tcp_check_space() clears SOCK_NOSPACE
            t.advanceSeconds(0.01);
            grown.addAll(steps(t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + k * 2920, ""), "tcp.sndbuf"));
        }
        assertThat(t.tcb().cwnd()).isEqualTo(30);
        for (int k = 0; k < 4; k++) { // then everything sent is acknowledged until nothing is in flight: cwnd no longer limits
            t.advanceSeconds(0.01);
            grown.addAll(steps(t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), t.tcb().sndNxt(), ""), "tcp.sndbuf"));
        }
        assertThat(t.tcb().sndUna()).isEqualTo(base + written);
        // the sixth ACK makes it writeable: tcp_new_space() expands sk_sndbuf and SOCK_NOSPACE is cleared, so the
        // ACKs after it leave sk_sndbuf alone although cwnd keeps growing and at last nothing is in flight
        assertThat(grown).containsExactly("sk_sndbuf grows 87040 -> 191488 bytes: room for two windows of 22 segments"
                + " (tcp_new_space() -> tcp_sndbuf_expand())");
        assertThat(done(t.kernel.getsockopt(t.pid, t.fd, "SO_SNDBUF")).value()).isEqualTo(191_488);
    }
}
