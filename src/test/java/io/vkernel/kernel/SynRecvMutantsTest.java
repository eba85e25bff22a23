package io.vkernel.kernel;

import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.DropReason;
import io.vkernel.kernel.trace.EventType;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;


import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.steps;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a listener and its request sockets do with each kind of segment (tcp_v4_rcv() in LISTEN, tcp_check_req()),
 * as the trace, the counters, the event log, the clock view's timers and the wire show it (PIT survivors and
 * uncovered mutants in PassiveOpen.listenerReceives(), synRecvReceives(), dropRequest() and armSynAckTimer()).
 */
class SynRecvMutantsTest {

    private final TcpFixture t = new TcpFixture();

    private Peer synOnly() {
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.peer.send(TcpFlags.SYN, "");
        assertThat(t.state()).isEqualTo(TcpState.SYN_RECV);
        return t.peer;
    }

    // ---------------------------------------------------------------- the listener itself

    @Test
    void aRstToTheListener_isDroppedWithItsReason() {
        PacketReport rst = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER).send(TcpFlags.RST, "");
        assertThat(rst.dropReason()).isEqualTo(DropReason.LISTEN_BAD_FLAGS);
        assertThat(rst.dropDetail()).isEqualTo("a listener ignores RST");
        assertThat(rst.sentSegments()).isEmpty();
    }

    @Test
    void aSynFinOrABareFin_isDropped_aListenerTakesOnlyASyn() {
        for (int flags : new int[] {TcpFlags.SYN | TcpFlags.FIN, TcpFlags.FIN}) {
            PacketReport report = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER).send(flags, "");
            assertThat(report.dropReason()).isEqualTo(DropReason.LISTEN_BAD_FLAGS);
            assertThat(report.dropDetail()).isEqualTo("a listener takes only a SYN");
            assertThat(report.sentSegments()).isEmpty();
        }
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
    }

    @Test
    void aStrayAck_isAnsweredWithRstAtItsAckNumber_andTheTraceSaysWhy() {
        PacketReport ack = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER).sendAt(TcpFlags.ACK, 1000, 777, "");
        assertThat(ack.verdict()).isEqualTo("reset");
        assertThat(steps(ack, "tcp.listen")).containsExactly(
                "an ACK reached the listener with no request for this 4-tuple: reset <SEQ=SEG.ACK>");
        assertThat(ack.sentSegments()).singleElement().satisfies(r -> {
            assertThat(TcpFlags.format(r.flags())).isEqualTo("R");
            assertThat(r.seq()).isEqualTo(777);
        });
    }

    @Test
    void aFullAcceptQueue_dropsTheSyn_andSaysHowFullItIs() {
        done(t.kernel.listen(t.pid, t.listenFd, 1));
        new Peer(t.kernel, "192.168.1.100:1001", TcpFixture.SERVER).connect();
        new Peer(t.kernel, "192.168.1.100:1002", TcpFixture.SERVER).connect();
        PacketReport third = new Peer(t.kernel, "192.168.1.100:1003", TcpFixture.SERVER).send(TcpFlags.SYN, "");
        assertThat(third.dropReason()).isEqualTo(DropReason.ACCEPT_QUEUE_FULL);
        assertThat(third.dropDetail()).startsWith("accept queue holds 2 of backlog+1 = 2;");
        assertThat(t.counter(SnmpCounter.LISTEN_OVERFLOWS)).isEqualTo(1);
        assertThat(t.counter(SnmpCounter.LISTEN_DROPS)).isEqualTo(1);
    }

    @Test
    void atTheConnectionLimit_aSynIsDropped_oneBelowItIsAnswered() {
        Kernel kernel = new Kernel(new KernelConfig("limit", io.vkernel.kernel.wire.Ipv4.parse(KernelConfig.DEFAULT_ADDRESS),
                42, 65536, "jhash", 10_000, 10_000, 256, 2));
        int pid = kernel.spawn("server").pid();
        int fd = (int) done(kernel.socket(pid)).ret();
        done(kernel.bind(pid, fd, Endpoint.parse("0.0.0.0:8080")));
        done(kernel.listen(pid, fd, 128));
        assertThat(new Peer(kernel, "192.168.1.100:1001", TcpFixture.SERVER).send(TcpFlags.SYN, "").sentSegments()).hasSize(1);
        assertThat(new Peer(kernel, "192.168.1.100:1002", TcpFixture.SERVER).send(TcpFlags.SYN, "").sentSegments())
                .as("one connection below the limit of 2").hasSize(1);
        PacketReport third = new Peer(kernel, "192.168.1.100:1003", TcpFixture.SERVER).send(TcpFlags.SYN, "");
        assertThat(third.dropReason()).isEqualTo(DropReason.CONNECTION_LIMIT);
        assertThat(third.dropDetail()).isEqualTo("2 connections already (limit 2)");
        assertThat(third.sentSegments()).isEmpty();
    }

    // ---------------------------------------------------------------- a request in SYN_RECV

    @Test
    void aSyn_createsARequest_loggedTracedAndTimedFromItsSynAck() {
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        PacketReport syn = t.peer.send(TcpFlags.SYN, "");
        int iss = syn.sentSegments().get(0).seq();
        assertThat(syn.state()).isEqualTo("SYN_RECV");
        assertThat(syn.connection()).isEqualTo(TcpFixture.CLIENT + "-" + TcpFixture.SERVER);
        assertThat(steps(syn, "tcp.syn")).containsExactly("SYN for listener 0.0.0.0:8080: request socket created in SYN_RECV"
                + " and inserted in the established table (ISN " + Integer.toUnsignedString(iss) + ", peer MSS 1460)");
        assertThat(t.stateEvents()).containsExactly("CLOSED -> LISTEN (backlog 128)",
                "LISTEN -> SYN_RECV: request created for listener 0.0.0.0:8080");
        assertThat(t.timers()).containsExactly("synack-retransmit");

        t.advanceSeconds(0.25);
        t.peer.ack();
        assertThat(t.state()).isEqualTo(TcpState.ESTABLISHED);
        assertThat(t.timers()).as("the SYN-ACK timer is cancelled by the third segment").isEmpty();
        assertThat(t.tcb().srttMs()).as("the handshake's RTT sample: SYN-ACK sent at 0, acknowledged at 250 ms")
                .isEqualTo(250);
    }

    @Test
    void anUnansweredSynAck_isResentAfter1And2Seconds_andTheRequestDroppedAfterTcpSynackRetries() {
        t.sysctl(Sysctls.TCP_SYNACK_RETRIES, 2);
        synOnly();
        t.advanceSeconds(1);
        assertThat(t.peer.receivedFlags()).containsExactly("S.", "S.");
        t.advanceSeconds(2);
        assertThat(t.peer.receivedFlags()).containsExactly("S.", "S.", "S.");
        t.advanceSeconds(3.999);
        assertThat(t.state()).isEqualTo(TcpState.SYN_RECV);
        t.kernel.advance(1);
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
        assertThat(t.events(EventType.TIMER_FIRED)).containsExactly("SYN-ACK retransmission #1", "SYN-ACK retransmission #2",
                "SYN-ACK retries exhausted: request dropped");
        assertThat(t.peer.receivedFlags()).hasSize(3);
    }

    @Test
    void aRstAtRcvNxt_dropsTheRequestSilently_countsAnAttemptFail_andFreesItsSynQueueSlot() {
        done(t.kernel.listen(t.pid, t.listenFd, 0)); // one request fills the SYN queue
        synOnly();
        PacketReport rst = t.peer.send(TcpFlags.RST, "");
        assertThat(steps(rst, "tcp.rst")).containsExactly("RST at RCV.NXT: the request is dropped and the listener carries on");
        assertThat(rst.sentSegments()).isEmpty();
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
        assertThat(t.counter(SnmpCounter.TCP_ATTEMPT_FAILS)).isEqualTo(1);
        assertThat(t.stateEvents()).last().isEqualTo("SYN_RECV -> CLOSED: request removed from the established table");
        assertThat(t.timers()).as("no SYN-ACK retransmission is left").isEmpty();

        PacketReport next = new Peer(t.kernel, "192.168.1.100:1001", TcpFixture.SERVER).send(TcpFlags.SYN, "");
        assertThat(next.state()).as("the dropped request no longer counts against the backlog").isEqualTo("SYN_RECV");
        assertThat(t.counter(SnmpCounter.TCP_REQ_Q_FULL_DROP)).isZero();
    }

    @Test
    void aRstNotAtRcvNxt_getsAChallengeAck_andTheRequestStays() {
        synOnly();
        PacketReport rst = t.peer.sendAt(TcpFlags.RST, t.peer.sndNxt() + 10, 0, "");
        assertThat(rst.sentSegments()).singleElement().satisfies(a -> {
            assertThat(TcpFlags.format(a.flags())).isEqualTo(".");
            assertThat(a.ack()).isEqualTo(t.peer.sndNxt());
        });
        assertThat(t.state()).isEqualTo(TcpState.SYN_RECV);
        assertThat(t.counter(SnmpCounter.TCP_ATTEMPT_FAILS)).isZero();
    }

    @Test
    void aRetransmittedSyn_getsTheSameSynAckAgain() {
        Peer peer = synOnly();
        Segment first = peer.lastReceived();
        PacketReport again = peer.sendAt(TcpFlags.SYN, Peer.ISN, 0, "");
        assertThat(steps(again, "tcp.syn")).containsExactly("retransmitted SYN: the SYN-ACK is sent again");
        assertThat(again.sentSegments()).singleElement().satisfies(s -> {
            assertThat(TcpFlags.format(s.flags())).isEqualTo("S.");
            assertThat(s.seq()).isEqualTo(first.seq());
            assertThat(s.ack()).isEqualTo(Peer.ISN + 1);
        });
        assertThat(t.state()).isEqualTo(TcpState.SYN_RECV);
    }

    @Test
    void aNewSynOnAPendingRequest_isReset_andTheRequestDropped() {
        Peer peer = synOnly();
        PacketReport other = peer.sendAt(TcpFlags.SYN, Peer.ISN + 5, 0, "");
        assertThat(steps(other, "tcp.syn")).containsExactly("a new SYN on a pending request: reset and drop the request (embryonic reset)");
        assertThat(other.sentSegments()).singleElement().satisfies(r -> assertThat(r.has(TcpFlags.RST)).isTrue());
        assertThat(t.counter(SnmpCounter.TCP_ATTEMPT_FAILS)).isEqualTo(1);
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
        assertThat(t.stateEvents()).last().isEqualTo("SYN_RECV -> CLOSED: request removed from the established table");
    }

    @Test
    void aSegmentWithoutAck_isDropped_andTheRequestStays() {
        Peer peer = synOnly();
        PacketReport data = peer.sendAt(TcpFlags.PSH, Peer.ISN + 1, 0, "hi");
        assertThat(data.dropReason()).isEqualTo(DropReason.NO_ACK_FLAG);
        assertThat(data.dropDetail()).isEqualTo("the handshake's third segment must carry ACK");
        assertThat(data.sentSegments()).isEmpty();
        assertThat(t.state()).isEqualTo(TcpState.SYN_RECV);
    }

    @Test
    void anAckOfTheWrongNumber_isAnsweredWithRst_andTheRequestStays() {
        Peer peer = synOnly();
        int iss = peer.lastReceived().seq();
        PacketReport bad = peer.sendAt(TcpFlags.ACK, Peer.ISN + 1, iss + 7, "");
        assertThat(bad.verdict()).isEqualTo("reset");
        assertThat(steps(bad, "tcp.ack")).containsExactly("ACK " + Integer.toUnsignedString(iss + 7) + " is not ISN+1 = "
                + Integer.toUnsignedString(iss + 1) + ": the listener answers <SEQ=SEG.ACK><CTL=RST>");
        assertThat(bad.sentSegments()).singleElement().satisfies(r -> {
            assertThat(TcpFlags.format(r.flags())).isEqualTo("R");
            assertThat(r.seq()).isEqualTo(iss + 7);
        });
        assertThat(t.state()).isEqualTo(TcpState.SYN_RECV);
    }

    @Test
    void theThirdSegment_queuesTheConnection_tracesHowManyAreQueued_andDeliversItsData() {
        new Peer(t.kernel, "192.168.1.100:1001", TcpFixture.SERVER).connect();
        Peer peer = synOnly();
        PacketReport third = peer.data("early");
        assertThat(steps(third, "tcp.established")).containsExactly("handshake complete: the connection waits in the accept"
                + " queue of 0.0.0.0:8080 (2 queued); accept() will give it an FD");
        assertThat(io.vkernel.kernel.tcp.TcpInfo.of(t.tcb())).as("tcp_rcv_state_process(): the SYN-ACK counts as delivered")
                .containsEntry("tcpi_delivered", 1L);
        done(t.kernel.accept(t.pid, t.listenFd));
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        assertThat(TcpFixture.text(t.read())).isEqualTo("early");
    }

    @Test
    void aFullAcceptQueueAtTheThirdSegment_dropsIt_orWithAbortOnOverflowResetsTheRequest() {
        done(t.kernel.listen(t.pid, t.listenFd, 0));
        new Peer(t.kernel, "192.168.1.100:1001", TcpFixture.SERVER).connect();
        t.sysctl(Sysctls.TCP_SYNCOOKIES, 0);
        done(t.kernel.listen(t.pid, t.listenFd, 1)); // room for a request, not for another queued connection
        Peer peer = synOnly();
        new Peer(t.kernel, "192.168.1.100:1002", TcpFixture.SERVER).connect(); // fills the queue: 2 of backlog+1 = 2
        PacketReport dropped = peer.ack();
        assertThat(dropped.dropReason()).isEqualTo(DropReason.ACCEPT_QUEUE_FULL);
        assertThat(dropped.dropDetail()).startsWith("accept queue full (2 of backlog+1 = 2)");
        assertThat(t.state()).isEqualTo(TcpState.SYN_RECV);

        t.sysctl(Sysctls.TCP_ABORT_ON_OVERFLOW, 1);
        PacketReport reset = peer.ack();
        assertThat(steps(reset, "tcp.overflow")).containsExactly(
                "accept queue full and tcp_abort_on_overflow=1: the request is reset (embryonic_reset)");
        assertThat(reset.sentSegments()).singleElement().satisfies(r -> assertThat(r.has(TcpFlags.RST)).isTrue());
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
    }

    @Test
    void aListenerStoppedByShutdownAndListeningAgain_startsWithAnEmptyAcceptQueue() {
        new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER).connect();
        done(t.kernel.shutdown(t.pid, t.listenFd, 0, new PacketReport(null))); // inet_csk_listen_stop(): the child is reset
        done(t.kernel.listen(t.pid, t.listenFd, 128));
        done(t.kernel.fcntl(t.pid, t.listenFd, "F_SETFL", 04000));
        TcpFixture.assertErrno(done(t.kernel.accept(t.pid, t.listenFd)), io.vkernel.kernel.socket.Errno.EAGAIN);
    }
}
