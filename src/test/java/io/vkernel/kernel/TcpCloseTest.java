package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import static io.vkernel.kernel.TcpFixture.assertErrno;
import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.text;
import static org.assertj.core.api.Assertions.assertThat;

/** Close and reset stories, as packet conversations: who sends FIN or RST, which states follow, what calls return. */
class TcpCloseTest {

    private final TcpFixture t = new TcpFixture();

    @Test
    void established_close_sendsFinAndEntersFinWait1_andTheFdIsFreeAtOnce() {
        t.established();
        PacketReport report = t.close();
        assertThat(report.sentSegments()).extracting(s -> TcpFlags.format(s.flags())).containsExactly("F.");
        assertThat(t.state()).isEqualTo(TcpState.FIN_WAIT1);
        assertThat(t.kernel.inspect(k -> k.process(t.pid).fds().isOpen(4)).booleanValue()).isFalse();
    }

    @Test
    void finWait1_ackOfOurFin_entersFinWait2_andTheOrphanTimesOutAfterTcpFinTimeout() {
        t.finWait2();
        t.advanceSeconds(59.9);
        assertThat(t.state()).isEqualTo(TcpState.FIN_WAIT2);
        t.advanceSeconds(0.1);
        assertThat(t.state()).as("tcp_fin_timeout = 60 s for an orphan").isEqualTo(TcpState.CLOSE);
    }

    @Test
    void finWait2_peerFin_entersTimeWait_whichHoldsTheTupleFor60s() {
        t.timeWait();
        assertThat(t.peer.lastReceived().flags()).as("the peer's FIN is acknowledged").isEqualTo(TcpFlags.ACK);
        t.advanceSeconds(59);
        assertThat(t.state()).as("still in the established table").isEqualTo(TcpState.TIME_WAIT);
        t.advanceSeconds(1);
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
    }

    @Test
    void timeWait_retransmittedFin_isAckedAgain_andRestartsThe60sTimer() {
        t.timeWait();
        t.advanceSeconds(30);
        int finSeq = t.peer.sndNxt() - 1;
        PacketReport again = t.peer.sendAt(TcpFlags.FIN | TcpFlags.ACK, finSeq, t.peer.rcvNxt(), "");
        assertThat(again.sentSegments()).extracting(s -> TcpFlags.format(s.flags())).containsExactly(".");
        t.advanceSeconds(59);
        assertThat(t.state()).isEqualTo(TcpState.TIME_WAIT);
        t.advanceSeconds(1);
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
    }

    @Test
    void finWait1_peerFinThatDoesNotAckOurs_isSimultaneousClose_throughClosingToTimeWait() {
        t.finWait1();
        // the peer's FIN crossed ours: it acknowledges only our ISN+1, not our FIN
        t.peer.fin();
        assertThat(t.state()).isEqualTo(TcpState.CLOSING);
        t.peer.consumeSent();
        t.peer.ack();
        assertThat(t.state()).isEqualTo(TcpState.TIME_WAIT);
    }

    @Test
    void closeWait_readReturnsZeroEveryTime_thenCloseSendsFin_andLastAckEndsOnTheAck() {
        t.closeWait();
        assertThat(t.read().ret()).isZero();
        assertThat(t.read().ret()).isZero();
        assertThat(t.close().sentSegments()).extracting(s -> TcpFlags.format(s.flags())).containsExactly("F.");
        assertThat(t.state()).isEqualTo(TcpState.LAST_ACK);
        t.peer.consumeSent();
        t.peer.ack();
        assertThat(t.state()).as("the passive closer has no TIME_WAIT").isEqualTo(TcpState.CLOSE);
    }

    @Test
    void closeWithUnreadData_sendsRstAck_withSndNxtAndRcvNxt() {
        t.established();
        t.peer.data("unread");
        int sndNxt = t.tcb().sndNxt();
        int rcvNxt = t.tcb().rcvNxt();
        Segment rst = t.close().sentSegments().get(0);
        assertThat(TcpFlags.format(rst.flags())).isEqualTo("R.");
        assertThat(rst.seq()).isEqualTo(sndNxt);
        assertThat(rst.ack()).isEqualTo(rcvNxt);
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
    }

    @Test
    void soLingerZero_closeAbortsWithRst() {
        t.established();
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_LINGER", 0, true));
        assertThat(t.close().sentSegments()).extracting(s -> TcpFlags.format(s.flags())).containsExactly("R.");
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
    }

    @Test
    void dataArrivingAfterClose_inFinWait2_isAnsweredWithRstAtSegAck() {
        t.finWait2();
        PacketReport late = t.peer.data("too late");
        assertThat(late.sentSegments()).extracting(s -> TcpFlags.format(s.flags())).containsExactly("R");
        assertThat(late.sentSegments().get(0).seq()).isEqualTo(late.segment().ack());
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
    }

    @Test
    void peerRst_queuedDataStillReadable_thenEconnresetOnce_thenZero() {
        t.established();
        t.peer.data("last words");
        t.peer.send(TcpFlags.RST, "");
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
        assertThat(text(t.read())).isEqualTo("last words");
        assertErrno(t.read(), Errno.ECONNRESET);
        assertThat(t.read().ret()).isZero();
    }

    @Test
    void peerRst_writeFailsWithEconnresetFirst_thenEpipe() {
        t.established();
        t.peer.send(TcpFlags.RST, "");
        assertErrno(t.write("x"), Errno.ECONNRESET);
        assertErrno(t.write("x"), Errno.EPIPE);
    }

    @Test
    void rstInWindowButNotAtRcvNxt_getsChallengeAck_andTheConnectionLives() {
        t.established();
        PacketReport report = t.peer.sendAt(TcpFlags.RST, t.peer.sndNxt() + 100, 0, "");
        assertThat(report.sentSegments()).extracting(s -> TcpFlags.format(s.flags())).containsExactly(".");
        assertThat(t.state()).isEqualTo(TcpState.ESTABLISHED);
    }

    @Test
    void synOnAnEstablishedConnection_getsChallengeAck() {
        t.established();
        PacketReport report = t.peer.sendAt(TcpFlags.SYN, t.peer.sndNxt() + 5000, 0, "");
        assertThat(report.sentSegments()).extracting(s -> TcpFlags.format(s.flags())).containsExactly(".");
        assertThat(t.state()).isEqualTo(TcpState.ESTABLISHED);
    }

    @Test
    void closingTheListener_resetsConnectionsStillInItsAcceptQueue() {
        Peer queued = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER).connect();
        PacketReport report = new PacketReport(null);
        done(t.kernel.close(t.pid, t.listenFd, report));
        assertThat(report.sentSegments()).extracting(s -> TcpFlags.format(s.flags())).containsExactly("R.");
        assertThat(queued.lastReceived().has(TcpFlags.RST)).isTrue();
        assertThat(t.kernel.inspect(k -> k.established().size()).intValue()).isZero();
    }

    @Test
    void processExit_closesEveryFd_likeClose() {
        t.established();
        Peer other = new Peer(t.kernel, "192.168.1.200:48000", TcpFixture.SERVER).connect();
        done(t.kernel.accept(t.pid, t.listenFd));
        other.data("unread");
        PacketReport report = t.kernel.exit(t.pid);
        assertThat(report.sentSegments()).extracting(s -> TcpFlags.format(s.flags())).containsExactlyInAnyOrder("F.", "R.");
        assertThat((Object) t.kernel.inspect(k -> k.process(t.pid))).isNull();
        assertThat(t.kernel.inspect(k -> k.listeners().all().size()).intValue()).isZero();
    }

    @Test
    void dupedFd_closingOneCopyKeepsTheConnection_theLastCloseSendsFin() {
        t.established();
        int copy = (int) done(t.kernel.dup(t.pid, t.fd)).ret();
        assertThat(copy).isEqualTo(5);
        assertThat(t.close().sentSegments()).as("another FD still references the file").isEmpty();
        assertThat(t.state()).isEqualTo(TcpState.ESTABLISHED);
        PacketReport last = new PacketReport(null);
        done(t.kernel.close(t.pid, copy, last));
        assertThat(last.sentSegments()).extracting(s -> TcpFlags.format(s.flags())).containsExactly("F.");
    }

    @Test
    void shutdownWrite_sendsFin_butTheSocketStillReads() {
        t.established();
        PacketReport report = new PacketReport(null);
        done(t.kernel.shutdown(t.pid, t.fd, 1, report));
        assertThat(report.sentSegments()).extracting(s -> TcpFlags.format(s.flags())).containsExactly("F.");
        assertThat(t.state()).isEqualTo(TcpState.FIN_WAIT1);
        t.peer.consumeSent();
        t.peer.data("still flowing");
        assertThat(text(t.read())).isEqualTo("still flowing");
        assertErrno(t.write("no"), Errno.EPIPE);
        t.advanceSeconds(600);
        assertThat(t.state()).as("not orphaned: FIN_WAIT2 after shutdown() has no timeout").isEqualTo(TcpState.FIN_WAIT2);
    }

    @Test
    void shutdownRead_readReturnsZero_butLaterDataIsStillQueued() {
        t.established();
        done(t.kernel.shutdown(t.pid, t.fd, 0, new PacketReport(null)));
        assertThat(t.read().ret()).isZero();
        t.peer.data("after SHUT_RD");
        assertThat(text(t.read())).as("Linux does not discard data after SHUT_RD").isEqualTo("after SHUT_RD");
    }
}
