package io.vkernel.kernel;

import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.trace.Step;
import io.vkernel.kernel.wire.Seq;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The receive side as the trace tells it (tcp_data_queue(), tcp_data_queue_ofo(), tcp_fin()): bytes appended with
 * the buffer's fill, a segment held beyond a gap and its bytes following in order once the gap fills, a FIN that
 * must wait for missing bytes, and the D-SACK counters for data received twice.
 */
class TcpReceiverTraceTest {

    private final TcpFixture t = new TcpFixture();

    private static List<String> details(PacketReport report, String step) {
        return report.steps().stream().filter(s -> s.step().equals(step)).map(Step::detail).toList();
    }

    private long counter(SnmpCounter c) {
        return t.kernel.inspect(k -> k.snmp().get(c));
    }

    @Test
    void inOrderData_isAppended_andTheTraceGivesTheBufferFillAndRcvNxt() {
        t.established();
        int limit = t.tcb().rcvBufLimit();
        PacketReport first = t.peer.data("hello");
        int rcvNxt = t.tcb().rcvNxt();
        assertThat(details(first, "tcp.data")).containsExactly("5 bytes appended to the receive buffer (5 / " + limit
                + " bytes used); RCV.NXT=" + Seq.unsigned(rcvNxt));
        PacketReport second = t.peer.data("abc");
        assertThat(details(second, "tcp.data")).containsExactly("3 bytes appended to the receive buffer (8 / " + limit
                + " bytes used); RCV.NXT=" + Seq.unsigned(rcvNxt + 3));
    }

    @Test
    void aSegmentBeyondAGap_isHeld_andFollowsInOrderWhenTheGapFills() {
        t.established();
        Tcb tcb = t.tcb();
        int rcvNxt = tcb.rcvNxt();
        PacketReport ahead = t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, rcvNxt + 3, tcb.sndNxt(), "defg");
        assertThat(details(ahead, "tcp.ofo")).containsExactly("4 bytes at " + Seq.unsigned(rcvNxt + 3)
                + " are ahead of RCV.NXT=" + Seq.unsigned(rcvNxt) + ": held for reassembly, duplicate ACK sent");
        assertThat(ahead.sentSegments()).as("the duplicate ACK").hasSize(1);
        assertThat(ahead.sentSegments().get(0).ack()).isEqualTo(rcvNxt);

        PacketReport fill = t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, rcvNxt, tcb.sndNxt(), "abc");
        assertThat(details(fill, "tcp.reassembly")).containsExactly("4 held bytes now follow in order; RCV.NXT="
                + Seq.unsigned(rcvNxt + 7));
        assertThat(fill.sentSegments().get(fill.sentSegments().size() - 1).ack()).isEqualTo(rcvNxt + 7);
        assertThat(TcpFixture.text(t.read())).isEqualTo("abcdefg");
    }

    @Test
    void aHeldSegmentFullyCoveredByTheFill_addsNothing() {
        t.established();
        Tcb tcb = t.tcb();
        int rcvNxt = tcb.rcvNxt();
        t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, rcvNxt + 1, tcb.sndNxt(), "bc");
        PacketReport fill = t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, rcvNxt, tcb.sndNxt(), "abcd");
        assertThat(details(fill, "tcp.reassembly")).as("the held bytes were all inside the new segment").isEmpty();
        assertThat(tcb.outOfOrderSegments()).isZero();
        assertThat(TcpFixture.text(t.read())).isEqualTo("abcd");
    }

    @Test
    void aFinBehindAGap_saysWhatItWaitsFor_andAFinAtRcvNxtNamesTheNewState() {
        t.established();
        Tcb tcb = t.tcb();
        int rcvNxt = tcb.rcvNxt();
        PacketReport early = t.peer.sendAt(TcpFlags.FIN | TcpFlags.ACK, rcvNxt + 2, tcb.sndNxt(), "");
        assertThat(details(early, "tcp.fin")).containsExactly("FIN at " + Seq.unsigned(rcvNxt + 2)
                + " waits: bytes before it are missing (RCV.NXT=" + Seq.unsigned(rcvNxt) + ")");
        assertThat(t.state()).isEqualTo(TcpState.ESTABLISHED);
        PacketReport fin = t.peer.sendAt(TcpFlags.FIN | TcpFlags.ACK, rcvNxt, tcb.sndNxt(), "");
        assertThat(details(fin, "tcp.fin")).containsExactly("FIN received: state CLOSE_WAIT");
        assertThat(fin.sentSegments()).extracting(s -> s.ack()).containsExactly(rcvNxt + 1);
    }

    @Test
    void dataAfterThePeersFin_isNamedIgnoredInCloseWait() {
        t.closeWait();
        int rcvNxt = t.tcb().rcvNxt();
        PacketReport late = t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, rcvNxt, t.tcb().sndNxt(), "late");
        assertThat(details(late, "tcp.data")).containsExactly("data after the peer's FIN is ignored in CLOSE_WAIT");
        assertThat(t.tcb().rcvNxt()).isEqualTo(rcvNxt);
    }

    @Test
    void dataForAnOrphan_isResetWithTheRfcCited() {
        t.finWait1();
        PacketReport data = t.peer.data("too late");
        assertThat(details(data, "tcp.data")).containsExactly("data for a socket the application already closed: RST "
                + "(RFC 1122 §4.2.2.13; tcp_reset(), then tcp_v4_do_rcv() answers the segment itself)");
        assertThat(data.verdict()).isEqualTo("reset");
        assertThat(counter(SnmpCounter.TCP_ABORT_ON_DATA)).isEqualTo(1);
    }

    @Test
    void withSack_dataReceivedTwiceBelowRcvNxt_countsDsackOldSent_andHeldDataTwiceCountsOfoSent() {
        t.establishedOneSegmentPerMss(true);
        Tcb tcb = t.tcb();
        int rcvNxt = tcb.rcvNxt();
        t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, rcvNxt, tcb.sndNxt(), "abcd");
        t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, rcvNxt, tcb.sndNxt(), "abcd");
        assertThat(counter(SnmpCounter.TCP_DSACK_OLD_SENT)).isEqualTo(1);
        assertThat(counter(SnmpCounter.TCP_DSACK_OFO_SENT)).isZero();
        t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, rcvNxt + 10, tcb.sndNxt(), "xyz");
        t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, rcvNxt + 10, tcb.sndNxt(), "xy");
        assertThat(counter(SnmpCounter.TCP_DSACK_OFO_SENT)).as("the second copy lies inside the held segment").isEqualTo(1);
        assertThat(counter(SnmpCounter.TCP_DSACK_OLD_SENT)).isEqualTo(1);
    }

    @Test
    void withoutSack_dataReceivedTwice_countsNoDsack() {
        t.establishedOneSegmentPerMss(false);
        Tcb tcb = t.tcb();
        int rcvNxt = tcb.rcvNxt();
        t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, rcvNxt, tcb.sndNxt(), "abcd");
        t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, rcvNxt, tcb.sndNxt(), "abcd");
        assertThat(counter(SnmpCounter.TCP_DSACK_OLD_SENT)).isZero();
    }

    @Test
    void withSack_butTcpDsackOff_countsNoDsack() {
        t.kernel.sysctl(Sysctls.TCP_DSACK, 0);
        t.establishedOneSegmentPerMss(true);
        Tcb tcb = t.tcb();
        int rcvNxt = tcb.rcvNxt();
        t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, rcvNxt, tcb.sndNxt(), "abcd");
        t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, rcvNxt, tcb.sndNxt(), "abcd");
        assertThat(counter(SnmpCounter.TCP_DSACK_OLD_SENT)).isZero();
    }

    @Test
    void aSegmentPartlyBelowRcvNxt_isTrimmed_andOnlyItsNewBytesAreAppended() {
        t.established();
        Tcb tcb = t.tcb();
        int rcvNxt = tcb.rcvNxt();
        t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, rcvNxt, tcb.sndNxt(), "abc");
        PacketReport overlap = t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, rcvNxt + 1, tcb.sndNxt(), "bcde");
        assertThat(details(overlap, "tcp.data")).containsExactly("2 bytes appended to the receive buffer (5 / "
                + tcb.rcvBufLimit() + " bytes used); RCV.NXT=" + Seq.unsigned(rcvNxt + 5));
        assertThat(TcpFixture.text(done(t.kernel.read(t.pid, t.fd, 100)))).isEqualTo("abcde");
    }
}
