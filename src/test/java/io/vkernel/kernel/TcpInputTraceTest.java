package io.vkernel.kernel;

import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.DropReason;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Seq;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The trace a segment's arrival leaves (the steps the packet view lists under each packet): the TCB as it was found,
 * what an ACK acknowledged, a reopened window, TIME_WAIT's answers, and the numbers a drop names.
 */
class TcpInputTraceTest {

    private static final String TUPLE = TcpFixture.CLIENT + "-" + TcpFixture.SERVER;

    private final TcpFixture t = new TcpFixture();

    private static List<String> details(PacketReport report, String step) {
        return report.steps().stream().filter(s -> s.step().equals(step)).map(io.vkernel.kernel.trace.Step::detail).toList();
    }

    @Test
    void anArrival_showsTheTcbAsFound_andWhatItsAckAcknowledged() {
        t.established();
        t.write("hello");
        Tcb tcb = t.tcb();
        String found = "TCB " + TUPLE + " in ESTABLISHED: SND.UNA=" + Seq.unsigned(tcb.sndUna()) + " SND.NXT="
                + Seq.unsigned(tcb.sndNxt()) + " RCV.NXT=" + Seq.unsigned(tcb.rcvNxt()) + " RCV.WND=" + tcb.rcvWnd();
        t.peer.consumeSent();
        PacketReport ack = t.peer.ack();
        assertThat(details(ack, "tcp.tcb")).containsExactly(found);
        assertThat(details(ack, "tcp.ack")).containsExactly("ACK " + Seq.unsigned(t.tcb().sndUna())
                + " acknowledges 5 sequence numbers (5 bytes leave the send buffer)");
        assertThat(ack.connection()).isEqualTo(TUPLE);
        assertThat(ack.state()).isEqualTo("ESTABLISHED");
    }

    @Test
    void theAckOfOurFin_acknowledgesOneSequenceNumber_andNoBytes() {
        t.finWait1();
        t.peer.consumeSent();
        PacketReport ack = t.peer.ack();
        assertThat(details(ack, "tcp.ack")).containsExactly("ACK " + Seq.unsigned(t.tcb().sndUna())
                + " acknowledges 1 sequence numbers");
        assertThat(ack.state()).isEqualTo("FIN_WAIT2");
    }

    @Test
    void theLastAck_endsWithTheConnectionClosed_inTheReport() {
        t.lastAck();
        t.peer.consumeSent();
        PacketReport ack = t.peer.ack();
        assertThat(details(ack, "tcp.closed")).containsExactly(
                "the ACK of our FIN ends the connection: removed from the established table, buffers freed");
        assertThat(ack.state()).isEqualTo("CLOSED");
    }

    @Test
    void aWindowUpdateAfterAZeroWindow_saysSendingResumes_andSendsTheWaitingData() {
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.peer.window = 0;
        t.peer.connect();
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        t.write("waiting");
        t.peer.window = 4000;
        PacketReport update = t.peer.ack();
        assertThat(details(update, "tcp.window")).containsExactly("the peer's window reopened to 4000 bytes: sending resumes");
        assertThat(update.sentSegments()).extracting(s -> s.payloadText()).containsExactly("waiting");
        PacketReport again = t.peer.ack();
        assertThat(details(again, "tcp.window")).as("the window was open already").isEmpty();
    }

    @Test
    void timeWait_inWindowBareAck_isTakenSilently_andRestartsTheSixtySecondTimer() {
        t.timeWait();
        t.advanceSeconds(30);
        int sent = t.peer.received().size();
        PacketReport ack = t.peer.ack();
        assertThat(ack.sentSegments()).isEmpty();
        assertThat(details(ack, "tcp.time_wait")).containsExactly("TIME_WAIT still holds " + TUPLE
                + ": an in-window bare ACK is taken silently and the 60 s timer restarts");
        t.advanceSeconds(59);
        assertThat(t.state()).as("60 s from the ACK, not from the FIN").isEqualTo(TcpState.TIME_WAIT);
        t.advanceSeconds(1);
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
        assertThat(t.peer.received()).hasSize(sent);
    }

    @Test
    void timeWait_aRetransmittedFin_isAnsweredWithAnAck_andTheTraceSaysOurAckWasLost() {
        t.timeWait();
        int finSeq = t.peer.sndNxt() - 1;
        PacketReport again = t.peer.sendAt(TcpFlags.FIN | TcpFlags.ACK, finSeq, t.tcb().sndNxt(), "");
        assertThat(again.sentSegments()).extracting(s -> TcpFlags.format(s.flags())).containsExactly(".");
        assertThat(again.sentSegments().get(0).ack()).isEqualTo(finSeq + 1);
        assertThat(details(again, "tcp.time_wait")).containsExactly("TIME_WAIT still holds " + TUPLE
                + ": it answers with an ACK and restarts its 60 s timer (a retransmitted FIN: our ACK of it was lost)");
    }

    @Test
    void timeWait_aSegmentWithoutAck_isAnsweredButDoesNotRestartTheTimer() {
        t.timeWait();
        t.advanceSeconds(30);
        PacketReport stray = t.peer.sendAt(TcpFlags.PSH, t.peer.sndNxt() + 5000, 0, "x");
        assertThat(details(stray, "tcp.time_wait")).containsExactly("TIME_WAIT still holds " + TUPLE + ": it answers with an ACK");
        t.advanceSeconds(30);
        assertThat(t.state()).as("the 60 s from the FIN still count").isEqualTo(TcpState.CLOSE);
    }

    @Test
    void anAckForUnsentData_isDropped_namingTheAcceptableRange() {
        t.established();
        Tcb tcb = t.tcb();
        long una = Seq.unsigned(tcb.sndUna());
        PacketReport report = t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), tcb.sndNxt() + 10, "");
        assertThat(report.dropReason()).isEqualTo(DropReason.ACK_UNSENT_DATA);
        assertThat(report.dropDetail()).isEqualTo("SEG.ACK=" + Seq.unsigned(tcb.sndNxt() + 10) + " is outside [SND.UNA - MAX.SND.WND, SND.NXT] = ["
                + Seq.unsigned(tcb.sndUna() - 1) + ", " + una + "]");
    }

    @Test
    void aSegmentEntirelyBelowRcvNxt_isADuplicate_andOneAboveTheWindowIsOutOfWindow() {
        t.established();
        t.peer.data("first");
        Tcb tcb = t.tcb();
        int rcvNxt = tcb.rcvNxt();
        PacketReport dup = t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, rcvNxt - 5, tcb.sndNxt(), "first");
        assertThat(dup.dropReason()).isEqualTo(DropReason.DUPLICATE);
        assertThat(dup.dropDetail()).isEqualTo("SEG.SEQ=" + Seq.unsigned(rcvNxt - 5) + " LEN=5 against RCV.NXT="
                + Seq.unsigned(rcvNxt) + " RCV.WND=" + tcb.rcvWnd());
        PacketReport far = t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, rcvNxt + tcb.rcvWnd(), tcb.sndNxt(), "x");
        assertThat(far.dropReason()).isEqualTo(DropReason.OUT_OF_WINDOW);
        PacketReport empty = t.peer.sendAt(TcpFlags.ACK, rcvNxt - 100, tcb.sndNxt(), "");
        assertThat(empty.dropReason()).as("a bare old ACK is out of window, not a duplicate of data").isEqualTo(DropReason.OUT_OF_WINDOW);
    }

    @Test
    void aRstAtRcvNxt_saysTheQueuedDataStaysReadable_andTheNextCallReportsTheError() {
        t.established();
        t.peer.data("kept");
        PacketReport rst = t.peer.sendAt(TcpFlags.RST, t.peer.sndNxt(), 0, "");
        assertThat(details(rst, "tcp.rst")).containsExactly(
                "RST at RCV.NXT: connection reset; queued data stays readable, then the next call reports ECONNRESET");
        assertThat(rst.verdict()).isEqualTo("reset by peer");
        assertThat(TcpFixture.text(t.read())).isEqualTo("kept");
    }

    @Test
    void aRstForAnOrphan_resetsWithoutNamingAnError() {
        t.finWait1();
        PacketReport rst = t.peer.sendAt(TcpFlags.RST, t.peer.sndNxt(), 0, "");
        assertThat(details(rst, "tcp.rst")).containsExactly("RST at RCV.NXT: connection reset");
        assertThat(rst.state()).isEqualTo("CLOSED");
    }
}
