package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.tcp.TcpEngine;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.DropReason;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.vkernel.kernel.TcpFixture.assertErrno;
import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.pending;
import static io.vkernel.kernel.TcpFixture.text;
import static org.assertj.core.api.Assertions.assertThat;

/** Data transfer: reassembly, duplicates, windows, MSS, blocking and non-blocking calls, the accept backlog. */
class TcpDataTest {

    private final TcpFixture t = new TcpFixture();

    @Test
    void outOfOrderSegments_areHeld_andReadInOrderOnceTheGapFills() {
        t.established();
        int base = t.peer.sndNxt();
        PacketReport ahead = t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, base + 5, t.peer.rcvNxt(), "world");
        assertThat(ahead.sentSegments().get(0).ack()).as("duplicate ACK still asks for the gap").isEqualTo(base);
        t.nonBlocking();
        assertErrno(t.read(), Errno.EAGAIN);
        PacketReport gap = t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, base, t.peer.rcvNxt(), "hello");
        assertThat(gap.sentSegments().get(0).ack()).isEqualTo(base + 10);
        assertThat(text(t.read())).isEqualTo("helloworld");
    }

    @Test
    void duplicateSegment_isDroppedAndAcked_andReadOnce() {
        t.established();
        int base = t.peer.sndNxt();
        t.peer.data("once");
        PacketReport dup = t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, base, t.peer.rcvNxt(), "once");
        assertThat(dup.dropReason()).isEqualTo(DropReason.DUPLICATE);
        assertThat(dup.sentSegments()).extracting(s -> TcpFlags.format(s.flags())).containsExactly(".");
        assertThat(text(t.read())).isEqualTo("once");
        t.nonBlocking();
        assertErrno(t.read(), Errno.EAGAIN);
    }

    @Test
    void segmentBeyondTheWindow_isAckedAndDropped() {
        t.established();
        PacketReport far = t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, t.peer.sndNxt() + 1_000_000, t.peer.rcvNxt(), "far");
        assertThat(far.dropReason()).isEqualTo(DropReason.OUT_OF_WINDOW);
        assertThat(far.sentSegments()).hasSize(1);
    }

    @Test
    void fullReceiveBuffer_advertisesAZeroWindow_andReadingReopensIt() {
        t.kernel.inspect(k -> {
            k.sysctls().set(Sysctls.TCP_RMEM_DEFAULT, 8192);
            return null;
        });
        t.established();
        Segment lastAck = t.sendUntilZeroWindow();
        assertThat(lastAck.window()).isZero();
        PacketReport refused = t.peer.data("more");
        assertThat(refused.dropReason()).isEqualTo(DropReason.OUT_OF_WINDOW);
        assertThat(t.read().ret()).isPositive();
        assertThat(t.peer.lastReceived().window()).as("window update after the read").isGreaterThan(0);
    }

    @Test
    void write_isCutIntoSegmentsOfThePeersMss() {
        gsoOff();
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.peer.mss = 536;
        t.peer.connect();
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        PacketReport report = new PacketReport(null);
        done(t.kernel.write(t.pid, t.fd, new byte[1200], report));
        assertThat(report.sentSegments()).extracting(s -> s.payload().length).containsExactly(536, 536, 128);
        assertThat(report.sentSegments()).extracting(s -> TcpFlags.format(s.flags())).containsExactly(".", ".", "P.");
    }

    @Test
    void write_stopsAtThePeersWindow_andTheAckReleasesTheRest() {
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.peer.window = 1000;
        t.peer.connect();
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        PacketReport report = new PacketReport(null);
        done(t.kernel.write(t.pid, t.fd, new byte[3000], report));
        // tcp_bound_to_half_wnd(): a peer that never offers more than 1000 bytes gets segments of at most 500
        assertThat(report.sentSegments()).extracting(s -> s.payload().length).containsExactly(500, 500);
        assertThat(t.tcb().sendQueued()).isEqualTo(3000);
        t.peer.consumeSent();
        PacketReport ack = t.peer.ack();
        assertThat(ack.sentSegments()).extracting(s -> s.payload().length).containsExactly(500, 500);
        assertThat(t.tcb().sendQueued()).isEqualTo(2000);
    }

    @Test
    void write_withGso_leavesAsOneSuperSegment_withPsh() {
        t.established();
        PacketReport report = new PacketReport(null);
        done(t.kernel.write(t.pid, t.fd, new byte[5000], report));
        assertThat(report.sentSegments()).singleElement().satisfies(s -> {
            assertThat(s.payload()).hasSize(5000);
            assertThat(TcpFlags.format(s.flags())).isEqualTo("P.");
        });
    }

    @Test
    void write_withGsoOff_leavesInMssSegments() {
        gsoOff();
        t.established();
        PacketReport report = new PacketReport(null);
        done(t.kernel.write(t.pid, t.fd, new byte[5000], report));
        assertThat(report.sentSegments()).extracting(s -> s.payload().length).containsExactly(1460, 1460, 1460, 620);
    }

    @Test
    void write_intoASmallerWindow_sendsWhatFits_withPsh() {
        t.established();
        t.peer.window = 2000;
        t.peer.ack();
        PacketReport report = new PacketReport(null);
        done(t.kernel.write(t.pid, t.fd, new byte[3000], report));
        assertThat(report.sentSegments()).singleElement().satisfies(s -> {
            assertThat(s.payload()).hasSize(2000);
            assertThat(TcpFlags.format(s.flags())).as("tcp_mark_push()").isEqualTo("P.");
        });
    }

    @Test
    void write_intoAWindowSmallerThanOneMss_waitsForTheProbeTimer() {
        t.established();
        t.peer.window = 1000;
        t.peer.ack();
        PacketReport report = new PacketReport(null);
        done(t.kernel.write(t.pid, t.fd, new byte[2000], report));
        assertThat(report.sentSegments()).as("tcp_snd_wnd_test(): the first 1460-byte MSS does not fit").isEmpty();
        t.advanceSeconds(2);
        assertThat(t.peer.lastReceived().payload()).as("tcp_write_wakeup(): the probe sends what fits").hasSize(1000);
    }

    private void gsoOff() {
        t.kernel.inspect(k -> {
            k.sysctls().set(Sysctls.VKERNEL_GSO, 0);
            return null;
        });
    }

    @Test
    void blockingWrite_onAFullSendBuffer_sleepsUntilAcksMakeRoom() {
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.peer.window = 0;
        t.peer.connect();
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        // sk_sndbuf is 87040 (tcp_sndbuf_expand() for a 1460-byte MSS): two 64 KB skbs fill it
        PendingCall call = pending(t.kernel.write(t.pid, t.fd, new byte[200_000], new PacketReport(null)));
        assertThat(call.waitChannel()).isEqualTo("sk_stream_wait_memory");
        t.peer.window = 65535;
        t.peer.ack();
        while (!call.isDone()) {
            t.peer.consumeSent();
            t.peer.ack();
        }
        assertThat(call.result().ret()).isEqualTo(200_000);
    }

    @Test
    void nonBlockingAccept_onAnEmptyQueue_isEagain() {
        done(t.kernel.fcntl(t.pid, t.listenFd, "F_SETFL", 04000));
        assertErrno(done(t.kernel.accept(t.pid, t.listenFd)), Errno.EAGAIN);
    }

    @Test
    void acceptedSocket_doesNotInheritONonblock() {
        done(t.kernel.fcntl(t.pid, t.listenFd, "F_SETFL", 04000));
        t.established();
        assertThat(done(t.kernel.fcntl(t.pid, t.fd, "F_GETFL", 0)).ret()).isEqualTo(02);
    }

    @Test
    void acceptQueue_holdsBacklogPlusOne_thenTheFinalAckIsDropped_andSynAckRetransmitted() {
        done(t.kernel.listen(t.pid, t.listenFd, 1));
        new Peer(t.kernel, "192.168.1.100:1001", TcpFixture.SERVER).connect();
        new Peer(t.kernel, "192.168.1.100:1002", TcpFixture.SERVER).connect();
        Peer third = new Peer(t.kernel, "192.168.1.100:1003", TcpFixture.SERVER);
        third.send(TcpFlags.SYN, "");
        assertThat(third.last.dropReason()).as("a full accept queue drops the SYN").isEqualTo(DropReason.ACCEPT_QUEUE_FULL);

        done(t.kernel.accept(t.pid, t.listenFd));
        third.sendAt(TcpFlags.SYN, third.sndNxt() - 1, 0, "");
        Peer fourth = new Peer(t.kernel, "192.168.1.100:1004", TcpFixture.SERVER);
        fourth.send(TcpFlags.SYN, "");
        third.ack();
        assertThat(third.last.verdict()).isEqualTo("accepted");
        PacketReport dropped = fourth.ack();
        assertThat(dropped.dropReason()).isEqualTo(DropReason.ACCEPT_QUEUE_FULL);
        t.advanceSeconds(1);
        assertThat(fourth.receivedFlags()).containsExactly("S.", "S.");
    }

    @Test
    void abortOnOverflow_answersTheFinalAckWithRst() {
        done(t.kernel.listen(t.pid, t.listenFd, 1));
        t.kernel.inspect(k -> {
            k.sysctls().set(Sysctls.TCP_ABORT_ON_OVERFLOW, 1);
            return null;
        });
        Peer a = new Peer(t.kernel, "192.168.1.100:1001", TcpFixture.SERVER);
        Peer b = new Peer(t.kernel, "192.168.1.100:1002", TcpFixture.SERVER);
        Peer c = new Peer(t.kernel, "192.168.1.100:1003", TcpFixture.SERVER);
        a.send(TcpFlags.SYN, "");
        b.send(TcpFlags.SYN, "");
        a.ack();
        c.send(TcpFlags.SYN, "");
        b.ack(); // the accept queue (backlog 1 + 1) is now full
        PacketReport overflow = c.ack();
        assertThat(overflow.sentSegments()).extracting(s -> TcpFlags.format(s.flags())).containsExactly("R");
        assertThat(overflow.sentSegments().get(0).seq()).as("<SEQ=SEG.ACK>").isEqualTo(overflow.segment().ack());
        assertThat(t.kernel.inspect(k -> k.established().size()).intValue()).isEqualTo(2);
    }

    @Test
    void moreSynsThanTheBacklog_areAnsweredWithCookies_andACookieCompletesTheHandshakeWithoutState() {
        done(t.kernel.listen(t.pid, t.listenFd, 4));
        List<Peer> peers = new java.util.ArrayList<>();
        for (int i = 0; i < 8; i++) {
            Peer p = new Peer(t.kernel, "192.168.1.100:" + (2000 + i), TcpFixture.SERVER);
            p.send(TcpFlags.SYN, "");
            peers.add(p);
        }
        assertThat(peers).extracting(p -> p.last.verdict())
                .as("request socks while qlen is not above the backlog (0..4), then cookies, as Linux")
                .containsExactly("accepted", "accepted", "accepted", "accepted", "accepted", "syn cookie", "syn cookie", "syn cookie");
        assertThat(t.kernel.inspect(k -> k.established().size()).intValue()).as("cookies keep no state").isEqualTo(5);

        PacketReport completed = peers.get(7).ack();
        assertThat(completed.state()).isEqualTo("ESTABLISHED");
        assertThat(done(t.kernel.accept(t.pid, t.listenFd)).peer()).isEqualTo("192.168.1.100:2007");

        t.kernel.inspect(k -> {
            k.sysctls().set(Sysctls.TCP_SYNCOOKIES, 0);
            return null;
        });
        Peer dropped = new Peer(t.kernel, "192.168.1.100:3000", TcpFixture.SERVER);
        dropped.send(TcpFlags.SYN, "");
        assertThat(dropped.last.dropReason()).isEqualTo(DropReason.SYN_QUEUE_FULL);
    }

    @Test
    void forgedCookie_isAnsweredWithRst() {
        done(t.kernel.listen(t.pid, t.listenFd, 0));
        new Peer(t.kernel, "192.168.1.100:1001", TcpFixture.SERVER).send(TcpFlags.SYN, "");
        Peer flooder = new Peer(t.kernel, "192.168.1.100:1002", TcpFixture.SERVER);
        flooder.send(TcpFlags.SYN, "");
        assertThat(flooder.last.verdict()).isEqualTo("syn cookie");
        PacketReport forged = flooder.sendAt(TcpFlags.ACK, flooder.sndNxt(), flooder.rcvNxt() + 12345, "");
        assertThat(forged.sentSegments()).extracting(s -> TcpFlags.format(s.flags())).containsExactly("R");
    }

    @Test
    void synRecv_synAckIsRetransmittedAt1_3_7_15_31s_andTheRequestDiesAt63s() {
        Peer client = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        client.send(TcpFlags.SYN, "");
        List<Long> times = new java.util.ArrayList<>();
        for (int s = 1; s <= 70; s++) {
            int before = client.received().size();
            t.advanceSeconds(1);
            if (client.received().size() > before) {
                times.add((long) s);
            }
        }
        assertThat(times).containsExactly(1L, 3L, 7L, 15L, 31L);
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
        PacketReport late = client.ack();
        assertThat(late.sentSegments()).extracting(s -> TcpFlags.format(s.flags())).containsExactly("R");
    }

    @Test
    void soRcvtimeoOnAccept_isEagain() {
        done(t.kernel.setsockopt(t.pid, t.listenFd, "SO_RCVTIMEO", 5000, true));
        PendingCall call = pending(t.kernel.accept(t.pid, t.listenFd));
        t.advanceSeconds(5);
        SyscallResult result = call.result();
        assertErrno(result, Errno.EAGAIN);
    }

    @Test
    void acceptQueueChild_resetBeforeAccept_isStillAccepted_andItsFirstReadSaysEconnreset() {
        Peer client = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER).connect();
        client.send(TcpFlags.RST, "");
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        assertErrno(t.read(), Errno.ECONNRESET);
    }

    @Test
    void zeroWindow_isProbedWithBackoff_andAWindowUpdateResumesSending() {
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.peer.window = 0;
        t.peer.connect();
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        PacketReport report = new PacketReport(null);
        done(t.kernel.fcntl(t.pid, t.fd, "F_SETFL", 04000));
        done(t.kernel.write(t.pid, t.fd, "waiting".getBytes(), report));
        assertThat(report.sentSegments()).as("nothing fits a zero window").isEmpty();
        int sndUna = t.tcb().sndUna();
        List<Long> probes = new java.util.ArrayList<>();
        for (int ms = 0; ms < 2000; ms += 100) {
            int before = t.peer.received().size();
            t.kernel.advance(100);
            if (t.peer.received().size() > before) {
                probes.add(t.kernel.inspect(k -> k.clock().now()));
                assertThat(t.peer.lastReceived().seq()).as("a probe: SEQ = SND.UNA - 1, no data").isEqualTo(sndUna - 1);
            }
        }
        assertThat(probes).as("RTO 200 ms, then backing off").containsExactly(200L, 600L, 1400L);
        t.peer.window = 65535;
        PacketReport update = t.peer.ack();
        assertThat(update.sentSegments()).extracting(s -> s.payloadText()).containsExactly("waiting");
    }

    @Test
    void afterSixteenQuickAcks_smallSegmentsWaitForTheDelayedAck_andEverySecondFullSegmentIsAckedAtOnce() {
        t.established();
        for (int i = 0; i < TcpEngine.MAX_QUICKACKS; i++) {
            assertThat(t.peer.data("q").sentSegments()).as("quick-ack mode: segment %d ACKed at once", i + 1).hasSize(1);
        }
        assertThat(t.peer.data("slow").sentSegments()).as("delayed").isEmpty();
        t.kernel.advance(39);
        int before = t.peer.received().size();
        t.kernel.advance(1);
        assertThat(t.peer.received()).as("the 40 ms delayed-ACK timer").hasSize(before + 1);
        assertThat(t.peer.lastReceived().ack()).isEqualTo(t.peer.sndNxt());

        String full = "x".repeat(1460);
        assertThat(t.peer.data(full).sentSegments()).isEmpty();
        assertThat(t.peer.data(full).sentSegments()).as("the second full-sized segment").hasSize(1);
    }

    @Test
    void nagle_holdsASmallWriteWhileASmallSegmentIsUnacked_andTcpNodelayTurnsItOff() {
        t.established();
        PacketReport first = new PacketReport(null);
        done(t.kernel.write(t.pid, t.fd, "GET ".getBytes(), first));
        PacketReport second = new PacketReport(null);
        done(t.kernel.write(t.pid, t.fd, "/hello".getBytes(), second));
        assertThat(first.sentSegments()).hasSize(1);
        assertThat(second.sentSegments()).as("held by Nagle: 'GET ' is still unacknowledged").isEmpty();
        t.peer.consumeSent();
        PacketReport ack = t.peer.ack();
        assertThat(ack.sentSegments()).extracting(Segment::payloadText).containsExactly("/hello");

        t.peer.consumeSent();
        t.peer.ack();
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_NODELAY", 1, true));
        PacketReport a = new PacketReport(null);
        PacketReport b = new PacketReport(null);
        done(t.kernel.write(t.pid, t.fd, "a".getBytes(), a));
        done(t.kernel.write(t.pid, t.fd, "b".getBytes(), b));
        assertThat(b.sentSegments()).as("TCP_NODELAY: no waiting").hasSize(1);
    }
}
