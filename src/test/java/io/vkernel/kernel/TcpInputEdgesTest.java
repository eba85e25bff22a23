package io.vkernel.kernel;

import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.tcp.CaState;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.DropReason;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.trace.Step;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.Seq;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.pending;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Arrival paths PIT showed untested: a RST or segment for no socket, RST in TIME_WAIT under each tcp_rfc1337 setting,
 * the connection a SYN opens over TIME_WAIT outliving the old 60 s timer, the SYN challenge counters, ACKs while
 * nothing is in flight not counting as duplicates, a writer woken by the ACK that frees its buffer, and a segment
 * that starts below RCV.NXT but ends inside the window.
 */
class TcpInputEdgesTest {


    private final TcpFixture t = new TcpFixture();

    private long counter(SnmpCounter c) {
        return t.kernel.inspect(k -> k.snmp().get(c));
    }

    private static List<String> details(PacketReport report, String step) {
        return report.steps().stream().filter(s -> s.step().equals(step)).map(Step::detail).toList();
    }

    @Test
    void aRstForNoSocket_isDroppedUnanswered_andOtherSegmentsAreReset() {
        Endpoint nobody = Endpoint.parse("10.0.0.50:9999");
        Endpoint from = Endpoint.parse(TcpFixture.CLIENT);
        PacketReport rst = t.kernel.receive(new Segment(from, nobody, TcpFlags.RST, 1000, 0, 0, 0, null));
        assertThat(rst.dropReason()).isEqualTo(DropReason.RST_NO_SOCKET);
        assertThat(rst.sentSegments()).isEmpty();
        PacketReport syn = t.kernel.receive(new Segment(from, nobody, TcpFlags.SYN, 1000, 0, 65535, 1460, null));
        assertThat(syn.verdict()).isEqualTo("reset");
        assertThat(syn.sentSegments()).extracting(s -> TcpFlags.format(s.flags())).containsExactly("R.");
    }

    @Test
    void timeWait_rstIsIgnoredWithTcpRfc1337_andTheDropSaysWhy() {
        t.kernel.sysctl(Sysctls.TCP_RFC1337, 1);
        t.timeWait();
        PacketReport rst = t.peer.sendAt(TcpFlags.RST, t.peer.sndNxt(), 0, "");
        assertThat(rst.dropReason()).isEqualTo(DropReason.OUT_OF_WINDOW);
        assertThat(rst.dropDetail()).isEqualTo("tcp_rfc1337=1: TIME_WAIT ignores RST (RFC 1337)");
        assertThat(t.state()).isEqualTo(TcpState.TIME_WAIT);
    }

    @Test
    void timeWait_rstInWindowEndsIt_andOneOutsideIsIgnored_whenTcpRfc1337IsOff() {
        t.timeWait();
        PacketReport far = t.peer.sendAt(TcpFlags.RST, t.peer.sndNxt() + 1_000_000, 0, "");
        assertThat(far.dropReason()).isEqualTo(DropReason.OUT_OF_WINDOW);
        assertThat(far.dropDetail()).isEqualTo("RST outside the window is ignored");
        assertThat(t.state()).isEqualTo(TcpState.TIME_WAIT);
        PacketReport rst = t.peer.sendAt(TcpFlags.RST, t.peer.sndNxt(), 0, "");
        assertThat(details(rst, "tcp.rst")).containsExactly("RST in window kills TIME_WAIT (tcp_rfc1337=0)");
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
    }

    @Test
    void timeWait_reopenedByANewSyn_theNewConnectionOutlivesTheOldSixtySeconds() {
        t.timeWait();
        Tcb old = t.tcb();
        int isn = old.sndNxt() + 65537;
        PacketReport report = t.peer.sendAt(TcpFlags.SYN, old.rcvNxt() + 100_000, 0, "");
        assertThat(details(report, "tcp.time_wait")).containsExactly("SYN above RCV.NXT with a listener: TIME_WAIT ends,"
                + " a new connection starts with ISN = old SND.NXT + 65537 = " + Seq.unsigned(isn));
        assertThat(old.state()).as("the TIME_WAIT connection itself is closed").isEqualTo(TcpState.CLOSE);
        t.peer.sendAt(TcpFlags.ACK, old.rcvNxt() + 100_001, isn + 1, "");
        assertThat(t.state()).isEqualTo(TcpState.ESTABLISHED);
        t.advanceSeconds(61);
        assertThat(t.state()).as("the old TIME_WAIT timer is gone with it").isEqualTo(TcpState.ESTABLISHED);
        assertThat(counter(SnmpCounter.TIME_WAITED)).isZero();
    }

    @Test
    void aSynOnAnEstablishedConnection_inOrOutOfTheWindow_countsSynChallengeAndInErrs() {
        t.established();
        Tcb tcb = t.tcb();
        t.peer.sendAt(TcpFlags.SYN, tcb.rcvNxt(), 0, "");
        assertThat(counter(SnmpCounter.TCP_SYN_CHALLENGE)).isEqualTo(1);
        assertThat(counter(SnmpCounter.TCP_IN_ERRS)).isEqualTo(1);
        t.advanceSeconds(1); // past the challenge-ACK rate limit's second
        t.peer.sendAt(TcpFlags.SYN, tcb.rcvNxt() + 5_000_000, 0, "");
        assertThat(counter(SnmpCounter.TCP_SYN_CHALLENGE)).isEqualTo(2);
        assertThat(counter(SnmpCounter.TCP_IN_ERRS)).isEqualTo(2);
        assertThat(t.state()).isEqualTo(TcpState.ESTABLISHED);
    }

    @Test
    void withSack_anOldBareAck_isNotReportedAsADuplicate() {
        t.establishedOneSegmentPerMss(true);
        Tcb tcb = t.tcb();
        t.peer.data("abcd");
        t.peer.sendAt(TcpFlags.ACK, tcb.rcvNxt() - 2, tcb.sndNxt(), "");
        assertThat(counter(SnmpCounter.TCP_DSACK_OLD_SENT)).as("no data in it: nothing received twice").isZero();
    }

    @Test
    void bareAcksWhileNothingIsInFlight_areNotDuplicateAcks_soOneRealDuplicateLaterStartsNoRecovery() {
        int base = t.establishedOneSegmentPerMss(false);
        for (int i = 0; i < 4; i++) {
            t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base, "");
        }
        done(t.kernel.write(t.pid, t.fd, new byte[5000], new PacketReport(null)));
        int sent = t.peer.received().size();
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base, "");
        assertThat(t.tcb().caState()).as("one duplicate ACK: Disorder at most").isNotEqualTo(CaState.RECOVERY);
        assertThat(t.peer.received().subList(sent, t.peer.received().size())).extracting(Segment::seq)
                .as("no fast retransmit of the head").doesNotContain(base);
    }

    @Test
    void aWriterBlockedOnAFullSendBuffer_isWokenByTheAckThatFreesRoom() {
        t.established();
        byte[] big = new byte[1 << 20];
        PendingCall write = pending(t.kernel.write(t.pid, t.fd, big, new PacketReport(null)));
        for (int i = 0; i < 200 && !write.isDone(); i++) {
            t.peer.consumeSent();
            t.peer.ack();
        }
        assertThat(write.isDone()).as("each ACK that frees room wakes the writer until all is queued").isTrue();
        assertThat(write.result().ret()).isEqualTo(1 << 20);
    }

    @Test
    void aSegmentStartingBelowRcvNxt_withItsTailInTheWindow_isAccepted_forItsNewBytes() {
        t.established();
        t.peer.data("abc");
        Tcb tcb = t.tcb();
        int rcvNxt = tcb.rcvNxt();
        PacketReport overlap = t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, rcvNxt - 2, tcb.sndNxt(), "bcd");
        assertThat(overlap.dropReason()).isNull();
        assertThat(tcb.rcvNxt()).isEqualTo(rcvNxt + 1);
        assertThat(TcpFixture.text(t.read())).isEqualTo("abcd");
    }
}
