package io.vkernel.kernel;

import io.vkernel.kernel.demux.ListenerTable;
import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.EventType;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.Step;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.Seq;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOptions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.vkernel.kernel.TcpFixture.assertErrno;
import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.pending;
import static io.vkernel.kernel.TcpFixture.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Rules of RFC 9293 and Linux that a small slip in the engine would break without any other test noticing: each
 * test names the behaviour and was checked by planting the slip and watching it fail (see QUALITY.md).
 */
class TcpRulesTest {

    private static final Endpoint REMOTE = Endpoint.parse("192.0.2.1:80");

    private final TcpFixture t = new TcpFixture();

    // ---------------------------------------------------------------- the README's default kernel

    @Test
    void defaultKernel_seed1_givesTheReadmesHashBucketAndIsn() {
        Kernel kernel = new Kernel(KernelConfig.defaults("default", 1));
        int pid = kernel.spawn("server").pid();
        done(kernel.socket(pid));
        done(kernel.bind(pid, 3, Endpoint.parse("0.0.0.0:8080")));
        done(kernel.listen(pid, 3, 128));
        PacketReport report = kernel.receive(new Segment(Endpoint.parse("192.168.1.100:54321"), Endpoint.parse("10.0.0.50:8080"),
                TcpFlags.SYN, 1000, 0, 65535, 1460, null));
        assertThat(report.steps()).extracting(Step::detail)
                .anyMatch(d -> d.endsWith(") = 0xf2fc132d; bucket = hash & 65535 = 4909 of 65536"));
        Segment synAck = report.sentSegments().get(0);
        assertThat(Seq.unsigned(synAck.seq())).isEqualTo(208720245L);
        assertThat(synAck.ack()).isEqualTo(1001);
        assertThat(synAck.window()).isEqualTo(64240);
    }

    // ---------------------------------------------------------------- demux

    @Test
    void listenerLookup_triesTheExactAddressBeforeTheWildcard() {
        ListenerTable table = new ListenerTable();
        Socket wildcard = new Socket(1);
        wildcard.bindTo(Endpoint.parse("0.0.0.0:8080"));
        Socket exact = new Socket(2);
        exact.bindTo(Endpoint.parse("10.0.0.50:8080"));
        table.add(wildcard);
        table.add(exact);
        assertThat(table.find(Endpoint.parse("10.0.0.50:8080"))).isSameAs(exact);
        assertThat(table.find(Endpoint.parse("127.0.0.1:8080"))).isSameAs(wildcard);
        assertThat(table.find(Endpoint.parse("10.0.0.50:9090"))).isNull();
        table.remove(exact);
        assertThat(table.find(Endpoint.parse("10.0.0.50:8080"))).isSameAs(wildcard);
    }

    @Test
    void rstForNoSocket_isNeverAnsweredWithRst() {
        PacketReport report = t.kernel.receive(new Segment(REMOTE, Endpoint.parse("10.0.0.50:9999"), TcpFlags.RST | TcpFlags.ACK,
                5, 6, 0, 0, null));
        assertThat(report.sentSegments()).isEmpty();
        PacketReport ack = t.kernel.receive(new Segment(REMOTE, Endpoint.parse("10.0.0.50:9999"), TcpFlags.ACK, 5, 6, 0, 0, null));
        assertThat(ack.sentSegments()).extracting(s -> TcpFlags.format(s.flags())).containsExactly("R");
    }

    // ---------------------------------------------------------------- active open

    @Test
    void synSent_synAckWhoseAckEqualsOurIsn_isAnsweredWithRst_andConnectKeepsWaiting() {
        int client = t.kernel.spawn("client").pid();
        int fd = (int) done(t.kernel.socket(client)).ret();
        PacketReport report = new PacketReport(null);
        PendingCall call = pending(t.kernel.connect(client, fd, REMOTE, report));
        Segment syn = report.sentSegments().get(0);

        // RFC 9293 §3.10.7.3: "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset"
        PacketReport stale = t.kernel.receive(new Segment(REMOTE, syn.src(), TcpFlags.SYN | TcpFlags.ACK, 7000, syn.seq(), 65535, 1460, null));
        assertThat(stale.sentSegments()).hasSize(1);
        assertThat(TcpFlags.format(stale.sentSegments().get(0).flags())).isEqualTo("R");
        assertThat(stale.sentSegments().get(0).seq()).isEqualTo(syn.seq());
        assertThat(call.isDone()).isFalse();
        assertThat(connection(syn).state()).isEqualTo(TcpState.SYN_SENT);

        PacketReport beyond = t.kernel.receive(new Segment(REMOTE, syn.src(), TcpFlags.SYN | TcpFlags.ACK, 7000, syn.seq() + 2, 65535, 1460, null));
        assertThat(TcpFlags.format(beyond.sentSegments().get(0).flags())).isEqualTo("R");
        assertThat(connection(syn).state()).isEqualTo(TcpState.SYN_SENT);

        t.kernel.receive(new Segment(REMOTE, syn.src(), TcpFlags.SYN | TcpFlags.ACK, 7000, syn.seq() + 1, 65535, 1460, null));
        assertThat(call.result().ret()).isZero();
        assertThat(connection(syn).state()).isEqualTo(TcpState.ESTABLISHED);
    }

    @Test
    void synSent_rstWhoseAckDoesNotCoverOurSyn_isIgnored_andNotAnswered() {
        int client = t.kernel.spawn("client").pid();
        int fd = (int) done(t.kernel.socket(client)).ret();
        PacketReport report = new PacketReport(null);
        PendingCall call = pending(t.kernel.connect(client, fd, REMOTE, report));
        Segment syn = report.sentSegments().get(0);
        PacketReport rst = t.kernel.receive(new Segment(REMOTE, syn.src(), TcpFlags.RST | TcpFlags.ACK, 0, syn.seq(), 0, 0, null));
        assertThat(rst.sentSegments()).isEmpty();
        PacketReport bareRst = t.kernel.receive(new Segment(REMOTE, syn.src(), TcpFlags.RST, 0, 0, 0, 0, null));
        assertThat(bareRst.sentSegments()).isEmpty();
        assertThat(call.isDone()).isFalse();
        assertThat(connection(syn).state()).isEqualTo(TcpState.SYN_SENT);
    }

    @Test
    void simultaneousOpen_aSynCrossingOurs_goesThroughSynRecv_andItsAckCompletesConnect() {
        int client = t.kernel.spawn("client").pid();
        int fd = (int) done(t.kernel.socket(client)).ret();
        PacketReport report = new PacketReport(null);
        PendingCall call = pending(t.kernel.connect(client, fd, REMOTE, report));
        Segment syn = report.sentSegments().get(0);

        PacketReport crossing = t.kernel.receive(new Segment(REMOTE, syn.src(), TcpFlags.SYN, 3000, 0, 65535, 1460, null));
        Segment synAck = crossing.sentSegments().get(0);
        assertThat(TcpFlags.format(synAck.flags())).isEqualTo("S.");
        assertThat(synAck.seq()).as("our SYN again, same ISN").isEqualTo(syn.seq());
        assertThat(synAck.ack()).isEqualTo(3001);
        assertThat(connection(syn).state()).isEqualTo(TcpState.SYN_RECV);
        assertThat(call.isDone()).isFalse();

        t.kernel.receive(new Segment(REMOTE, syn.src(), TcpFlags.ACK, 3001, syn.seq() + 1, 65535, 0, null));
        assertThat(connection(syn).state()).isEqualTo(TcpState.ESTABLISHED);
        assertThat(call.result().ret()).isZero();
    }

    // ---------------------------------------------------------------- data and ACKs

    @Test
    void outOfOrder_twoHeldSegmentsStartingAtOneByte_keepTheLongerOne() {
        t.established();
        int base = t.peer.sndNxt();
        t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, base + 5, t.peer.rcvNxt(), "FGHIJKLM");
        t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, base + 5, t.peer.rcvNxt(), "FG");
        PacketReport fill = t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, base, t.peer.rcvNxt(), "ABCDE");
        assertThat(fill.sentSegments().get(0).ack()).as("the gap filled, all 13 bytes are acknowledged").isEqualTo(base + 13);
        assertThat(text(t.read())).isEqualTo("ABCDEFGHIJKLM");
    }

    @Test
    void outOfOrder_aLongerRetransmissionAtTheSameByte_replacesTheShorterHeldOne() {
        t.established();
        int base = t.peer.sndNxt();
        t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, base + 5, t.peer.rcvNxt(), "FG");
        t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, base + 5, t.peer.rcvNxt(), "FGHIJKLM");
        t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, base, t.peer.rcvNxt(), "ABCDE");
        assertThat(text(t.read())).isEqualTo("ABCDEFGHIJKLM");
    }

    @Test
    void delayedAck_isCarriedByDataGoingBack_andItsTimerSendsNoBareAckAfter() {
        t.established();
        for (int i = 0; i < 16; i++) {
            t.peer.data("q");
        }
        assertThat(t.peer.data("question").sentSegments()).as("quick-ack mode is over: the ACK waits").isEmpty();
        PacketReport answer = new PacketReport(null);
        done(t.kernel.write(t.pid, t.fd, "answer".getBytes(), answer));
        Segment data = answer.sentSegments().get(0);
        assertThat(data.payloadText()).isEqualTo("answer");
        assertThat(data.has(TcpFlags.ACK)).isTrue();
        assertThat(data.ack()).as("the data segment acknowledges the question").isEqualTo(t.peer.sndNxt());
        int sent = t.peer.received().size();
        t.kernel.advance(100);
        assertThat(t.peer.received()).as("no bare ACK 40 ms later: the data carried it").hasSize(sent);
    }

    @Test
    void timestamps_everySegmentEchoesThePeersLatestTsval() {
        Endpoint client = Endpoint.parse(TcpFixture.CLIENT);
        Endpoint server = Endpoint.parse(TcpFixture.SERVER);
        Segment synAck = t.kernel.receive(new Segment(client, server, TcpFlags.SYN, 1000, 0, 65535, 1460, null,
                TcpOptions.parseText("mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7"))).sentSegments().get(0);
        assertThat(synAck.timestamps().echoReply()).as("the SYN-ACK echoes the SYN's TSval").isEqualTo(100);
        t.kernel.receive(new Segment(client, server, TcpFlags.ACK, 1001, synAck.seq() + 1, 502, 0, null,
                TcpOptions.parseText("nop,nop,TS val 101 ecr 0")));
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        PacketReport write = new PacketReport(null);
        done(t.kernel.write(t.pid, t.fd, "hello".getBytes(), write));
        assertThat(write.sentSegments().get(0).timestamps().echoReply()).isEqualTo(101);
        PacketReport data = t.kernel.receive(new Segment(client, server, TcpFlags.ACK | TcpFlags.PSH, 1001, synAck.seq() + 6, 502, 0,
                "hi".getBytes(), TcpOptions.parseText("nop,nop,TS val 2222 ecr 0")));
        assertThat(data.sentSegments().get(0).timestamps().echoReply()).isEqualTo(2222);
    }

    // ---------------------------------------------------------------- close

    @Test
    void lastAck_theAckOfOurFinRemovesTheConnection_aStaleAckDoesNot() {
        t.lastAck();
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), t.tcb().sndNxt() - 1, "");
        assertThat(t.state()).as("an ACK below our FIN").isEqualTo(TcpState.LAST_ACK);
        t.peer.consumeSent();
        t.peer.ack();
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
        assertThat((int) t.kernel.inspect(k -> k.established().size())).isZero();
    }

    @Test
    void timeWait_newSynAboveRcvNxt_reopensTheTuple_withIsnOldSndNxtPlus65537() {
        t.timeWait();
        Tcb old = t.tcb();
        int oldSndNxt = old.sndNxt();
        PacketReport report = t.peer.sendAt(TcpFlags.SYN, old.rcvNxt() + 100_000, 0, "");
        Segment synAck = report.sentSegments().get(0);
        assertThat(TcpFlags.format(synAck.flags())).isEqualTo("S.");
        assertThat(synAck.seq()).isEqualTo(oldSndNxt + 65537);
        assertThat(synAck.ack()).isEqualTo(old.rcvNxt() + 100_001);
        assertThat(t.state()).isEqualTo(TcpState.SYN_RECV);
        t.peer.sendAt(TcpFlags.ACK, old.rcvNxt() + 100_001, synAck.seq() + 1, "");
        assertThat(t.state()).as("the peer's ACK of that SYN-ACK completes the new connection").isEqualTo(TcpState.ESTABLISHED);
    }

    @Test
    void timeWait_synAtOrBelowRcvNxt_isAnsweredWithAnAck_andTimeWaitStays() {
        t.timeWait();
        int rcvNxt = t.tcb().rcvNxt();
        for (int seq : new int[] {rcvNxt - 1000, rcvNxt}) {
            PacketReport report = t.peer.sendAt(TcpFlags.SYN, seq, 0, "");
            assertThat(report.sentSegments()).extracting(s -> TcpFlags.format(s.flags())).containsExactly(".");
            assertThat(report.sentSegments().get(0).ack()).isEqualTo(rcvNxt);
            assertThat(t.state()).isEqualTo(TcpState.TIME_WAIT);
            // tcp_timewait_check_oow_rate_limit(): one such ACK per tcp_invalid_ratelimit (500 ms)
            t.advanceSeconds(0.6);
        }
    }

    @Test
    void timeWait_rstInWindowEndsIt_unlessTcpRfc1337() {
        t.timeWait();
        t.kernel.sysctls().set(Sysctls.TCP_RFC1337, 1);
        PacketReport ignored = t.peer.sendAt(TcpFlags.RST, t.tcb().rcvNxt(), 0, "");
        assertThat(ignored.sentSegments()).isEmpty();
        assertThat(t.state()).as("RFC 1337: TIME_WAIT ignores RST").isEqualTo(TcpState.TIME_WAIT);
        t.kernel.sysctls().set(Sysctls.TCP_RFC1337, 0);
        PacketReport killed = t.peer.sendAt(TcpFlags.RST, t.tcb().rcvNxt(), 0, "");
        assertThat(killed.sentSegments()).as("no RST in reply to a RST").isEmpty();
        assertThat(t.state()).as("TIME_WAIT assassinated (tcp_rfc1337=0, Linux's default)").isEqualTo(TcpState.CLOSE);
    }

    @Test
    void established_rstAtRcvNxt_isNotAnsweredWithRst() {
        t.established();
        PacketReport report = t.peer.sendAt(TcpFlags.RST, t.peer.sndNxt(), 0, "");
        assertThat(report.sentSegments()).isEmpty();
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
    }

    // ---------------------------------------------------------------- timers

    @Test
    void retransmissions_giveUpAfterTcpRetries2_at924point6s_withTheDefaults() {
        t.established();
        t.write("nobody there");
        t.kernel.advance(924_599);
        assertThat(t.state()).isEqualTo(TcpState.ESTABLISHED);
        assertThat(t.tcb().retransmits()).isEqualTo(15);
        t.kernel.advance(1);
        assertThat(t.state()).as("200 ms x (2^10 - 1) + 6 x 120 s = 924.6 s").isEqualTo(TcpState.CLOSE);
    }

    @Test
    void retransmissions_giveUpAfterASmallerTcpRetries2_exactly() {
        t.kernel.sysctls().set(Sysctls.TCP_RETRIES2, 3);
        t.established();
        t.write("nobody there");
        t.kernel.advance(2_999);
        assertThat(t.state()).isEqualTo(TcpState.ESTABLISHED);
        t.kernel.advance(1);
        assertThat(t.state()).as("RTOs 200 + 400 + 800 + 1600 ms").isEqualTo(TcpState.CLOSE);
        assertErrno(t.read(), Errno.ETIMEDOUT);
    }

    // ---------------------------------------------------------------- socket calls

    @Test
    void soSndtimeo_endsABlockedWriteWithEagain_whenNothingFit() {
        t.established();
        t.peer.window = 0;
        t.peer.ack();
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_SNDTIMEO", 500, true));
        t.nonBlocking(); // fill the send buffer: its last skb is full, so the next byte needs a new one
        assertThat(done(t.kernel.write(t.pid, t.fd, new byte[400_000], new PacketReport(null))).ret()).isLessThan(400_000);
        done(t.kernel.fcntl(t.pid, t.fd, "F_SETFL", 02));
        PendingCall blocked = pending(t.kernel.write(t.pid, t.fd, new byte[10], new PacketReport(null)));
        t.kernel.advance(499);
        assertThat(blocked.isDone()).isFalse();
        t.kernel.advance(1);
        assertErrno(blocked.result(), Errno.EAGAIN);
    }

    @Test
    void soSndtimeo_endsABlockedWrite_withTheBytesItQueued_andTheTimerIsNamedSoSndtimeo() {
        // tcp_sendmsg_locked(): a wait that times out after some bytes were copied returns them (out:), not EAGAIN
        TcpFixture nonBlocking = new TcpFixture();
        nonBlocking.established();
        nonBlocking.peer.window = 0;
        nonBlocking.peer.ack();
        nonBlocking.nonBlocking();
        long fits = done(nonBlocking.kernel.write(nonBlocking.pid, nonBlocking.fd, new byte[400_000], new PacketReport(null))).ret();

        t.established();
        t.peer.window = 0;
        t.peer.ack();
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_SNDTIMEO", 500, true));
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_RCVTIMEO", 500, true));
        PendingCall blocked = pending(t.kernel.write(t.pid, t.fd, new byte[400_000], new PacketReport(null)));
        t.kernel.advance(500);
        assertThat(fits).isBetween(1L, 399_999L);
        assertThat(blocked.result().ret()).as("what fitted before the wait").isEqualTo(fits);
        assertThat(blocked.result().strace()).isEqualTo(blocked.call() + " = " + fits);
        assertThat(t.events(EventType.TIMER_FIRED)).as("SO_RCVTIMEO holds the same number, but this is a send")
                .contains("SO_SNDTIMEO expired for " + blocked.call());
    }

    @Test
    void aResetEndsABlockedWrite_withTheBytesItQueued_andLeavesEconnresetForTheNextCall() {
        t.established();
        t.peer.window = 0;
        t.peer.ack();
        PendingCall blocked = pending(t.kernel.write(t.pid, t.fd, new byte[400_000], new PacketReport(null)));
        t.peer.send(TcpFlags.RST, "");
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
        // tcp_sendmsg_locked(): sk_stream_wait_memory() sees sk_err and ends in do_error, where copied > 0 goes to out:
        // the count, with sk_err left for the next call (only sk_stream_error() on out_err reads it, via sock_error())
        assertThat(blocked.result().ret()).isBetween(1L, 399_999L);
        assertThat(blocked.result().strace()).isEqualTo(blocked.call() + " = " + blocked.result().ret());
        assertErrno(t.write(10), Errno.ECONNRESET);
        assertErrno(t.write(10), Errno.EPIPE);
    }

    @Test
    void aResetEndingABlockedWriteThatQueuedBytes_leavesEconnresetInSoError_once() {
        t.established();
        t.peer.window = 0;
        t.peer.ack();
        PendingCall blocked = pending(t.kernel.write(t.pid, t.fd, new byte[400_000], new PacketReport(null)));
        t.peer.send(TcpFlags.RST, "");
        assertThat(blocked.result().ret()).isPositive();
        // sock_error() in SO_ERROR takes sk_err, which the write that returned its count had left
        assertThat(done(t.kernel.getsockopt(t.pid, t.fd, "SO_ERROR")).strace()).endsWith("SO_ERROR, [ECONNRESET], [4]) = 0");
        assertThat(done(t.kernel.getsockopt(t.pid, t.fd, "SO_ERROR")).strace()).endsWith("SO_ERROR, [0], [4]) = 0");
        assertErrno(t.write(10), Errno.EPIPE);
    }

    @Test
    void shutdownRdwr_sendsFin_andReadReturnsZero_andWriteFailsWithEpipe() {
        t.established();
        PacketReport report = new PacketReport(null);
        assertThat(done(t.kernel.shutdown(t.pid, t.fd, 2, report)).ret()).isZero();
        assertThat(report.sentSegments()).extracting(s -> TcpFlags.format(s.flags())).containsExactly("F.");
        assertThat(t.state()).isEqualTo(TcpState.FIN_WAIT1);
        assertThat(t.read().ret()).isZero();
        assertErrno(t.write("late"), Errno.EPIPE);
        assertThat(done(t.kernel.shutdown(t.pid, t.fd, 3, new PacketReport(null))).errno()).isEqualTo(Errno.EINVAL);
    }

    @Test
    void dup2_ontoAnOpenConnectionFd_closesIt_andTheNewNumberReachesTheOldSocket() {
        t.established();
        Peer second = new Peer(t.kernel, "192.168.1.101:40000", TcpFixture.SERVER).connect();
        int secondFd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        PacketReport report = new PacketReport(null);
        assertThat(done(t.kernel.dup2(t.pid, t.fd, secondFd, report)).ret()).isEqualTo(secondFd);
        assertThat(report.sentSegments()).as("the second connection lost its last FD: FIN")
                .extracting(s -> TcpFlags.format(s.flags())).containsExactly("F.");
        assertThat(second.lastReceived().has(TcpFlags.FIN)).isTrue();
        t.peer.data("via dup2");
        assertThat(text(done(t.kernel.read(t.pid, secondFd, 100)))).isEqualTo("via dup2");
        done(t.kernel.close(t.pid, t.fd, new PacketReport(null)));
        assertThat(t.state()).as("one reference left").isEqualTo(TcpState.ESTABLISHED);
        assertErrno(done(t.kernel.dup2(t.pid, 99, 5, new PacketReport(null))), Errno.EBADF);
        assertErrno(done(t.kernel.dup2(t.pid, secondFd, 4096, new PacketReport(null))), Errno.EBADF);
    }

    @Test
    void getsockopt_readsBackEveryOptionSetsockoptSet() {
        t.established();
        List<String> reads = new ArrayList<>();
        for (String option : List.of("SO_RCVTIMEO", "SO_SNDTIMEO", "SO_LINGER", "SO_REUSEADDR", "SO_KEEPALIVE", "TCP_NODELAY")) {
            reads.add(option + "=" + done(t.kernel.getsockopt(t.pid, t.fd, option)).value());
        }
        assertThat(reads).containsExactly("SO_RCVTIMEO=0", "SO_SNDTIMEO=0", "SO_LINGER=-1", "SO_REUSEADDR=0", "SO_KEEPALIVE=0", "TCP_NODELAY=0");
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_RCVTIMEO", 1500, true));
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_SNDTIMEO", 2500, true));
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_LINGER", 7, true));
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_REUSEADDR", 1, true));
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_KEEPALIVE", 1, true));
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_NODELAY", 1, true));
        reads.clear();
        for (String option : List.of("SO_RCVTIMEO", "SO_SNDTIMEO", "SO_LINGER", "SO_REUSEADDR", "SO_KEEPALIVE", "TCP_NODELAY")) {
            reads.add(option + "=" + done(t.kernel.getsockopt(t.pid, t.fd, option)).value());
        }
        assertThat(reads).containsExactly("SO_RCVTIMEO=1500", "SO_SNDTIMEO=2500", "SO_LINGER=7", "SO_REUSEADDR=1", "SO_KEEPALIVE=1", "TCP_NODELAY=1");
        assertThat(done(t.kernel.getsockopt(t.pid, t.fd, "SO_ERROR")).value()).isZero();
        t.peer.sendAt(TcpFlags.RST, t.peer.sndNxt(), 0, "");
        SyscallResult error = done(t.kernel.getsockopt(t.pid, t.fd, "SO_ERROR"));
        assertThat(error.value()).as("ECONNRESET").isEqualTo(104);
        assertThat(error.strace()).contains("[ECONNRESET]");
        assertThat(done(t.kernel.getsockopt(t.pid, t.fd, "SO_ERROR")).value()).as("reading SO_ERROR clears it").isZero();
        assertErrno(done(t.kernel.getsockopt(t.pid, t.fd, "SO_BOGUS")), Errno.EINVAL);
    }

    private Tcb connection(Segment syn) {
        return t.kernel.inspect(k -> k.established().find(new FourTuple(REMOTE, syn.src())));
    }
}
