package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.DropReason;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOption;
import io.vkernel.kernel.wire.TcpOptions;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static io.vkernel.kernel.TcpFixture.assertErrno;
import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The checks a segment on a synchronized connection passes in RFC 9293 §3.10.7.4 order (tcp_validate_incoming(),
 * tcp_ack()), each seen from the wire and the socket: what is answered, what is taken, what the next call says.
 */
class TcpInputChecksTest {

    private final TcpFixture t = new TcpFixture();

    private static String flags(Segment segment) {
        return TcpFlags.format(segment.flags());
    }

    @Test
    void ackAtSndUnaMinusOne_isStillAcceptable_rightAfterTheHandshake_andItsDataIsTaken() {
        t.established();
        int una = t.tcb().sndUna();
        // RFC 5961 §5.2 as tcp_ack() bounds it: MAX.SND.WND is at most the bytes acknowledged so far (the SYN: 1)
        PacketReport report = t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, t.peer.sndNxt(), una - 1, "old ack");
        assertThat(report.sentSegments()).as("taken and ACKed").hasSize(1);
        assertThat(report.sentSegments().get(0).ack()).isEqualTo(t.peer.sndNxt() + 7);
        assertThat(text(t.read())).isEqualTo("old ack");
    }

    @Test
    void ackBelowSndUnaMinusMaxSndWnd_isChallenged_andItsDataIsDropped() {
        t.established();
        int una = t.tcb().sndUna();
        PacketReport report = t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, t.peer.sndNxt(), una - 2, "too old");
        assertThat(report.sentSegments()).as("a challenge ACK that does not acknowledge the data").hasSize(1);
        Segment challenge = report.sentSegments().get(0);
        assertThat(flags(challenge)).isEqualTo(".");
        assertThat(challenge.ack()).isEqualTo(t.peer.sndNxt());
        assertThat(challenge.seq()).isEqualTo(una);
        assertThat(t.tcb().receiveQueued()).isZero();
        assertThat(t.state()).isEqualTo(TcpState.ESTABLISHED);
    }

    @Test
    void ackAboveSndNxt_isDroppedSilently_withItsData() {
        t.established();
        int nxt = t.tcb().sndNxt();
        PacketReport report = t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, t.peer.sndNxt(), nxt + 1, "from the future");
        assertThat(report.sentSegments()).as("Linux 6.18's tcp_ack() sends no challenge ACK for it").isEmpty();
        assertThat(t.tcb().receiveQueued()).isZero();
        assertThat(t.tcb().sndUna()).isEqualTo(nxt);
    }

    @Test
    void segmentWithoutAck_onAnEstablishedConnection_isDroppedSilently() {
        t.established();
        int rcvNxt = t.tcb().rcvNxt();
        PacketReport report = t.peer.sendAt(TcpFlags.PSH, t.peer.sndNxt(), 0, "no ack flag");
        assertThat(report.sentSegments()).isEmpty();
        assertThat(t.tcb().receiveQueued()).isZero();
        assertThat(t.tcb().rcvNxt()).isEqualTo(rcvNxt);
    }

    @Test
    void dataAfterThePeersFin_isIgnoredInCloseWait_andAnsweredWithTheSameAck() {
        t.closeWait();
        int rcvNxt = t.tcb().rcvNxt();
        PacketReport report = t.peer.data("late");
        assertThat(report.sentSegments()).extracting(TcpInputChecksTest::flags).containsExactly(".");
        assertThat(report.sentSegments().get(0).ack()).isEqualTo(rcvNxt);
        assertThat(t.read().ret()).as("still end of file, the late bytes are not readable").isZero();
    }

    @Test
    void rstInCloseWait_makesTheNextWriteFailWithEpipe_notEconnreset() {
        t.closeWait();
        t.peer.send(TcpFlags.RST, "");
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
        // tcp_reset(): sk_err = EPIPE in CLOSE_WAIT, ECONNRESET in ESTABLISHED and the FIN_WAITs
        assertErrno(t.write("x"), Errno.EPIPE);
        assertThat(t.read().ret()).as("the peer's FIN was seen: end of file").isZero();
    }

    @Test
    void rstInFinWait2_afterShutdown_isReportedAsEconnreset() {
        t.established();
        done(t.kernel.shutdown(t.pid, t.fd, 1, new PacketReport(null)));
        t.peer.consumeSent();
        t.peer.ack();
        assertThat(t.state()).isEqualTo(TcpState.FIN_WAIT2);
        t.peer.send(TcpFlags.RST, "");
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
        assertErrno(t.read(), Errno.ECONNRESET);
        assertThat(t.read().ret()).as("reported once, then end of file").isZero();
    }

    @Test
    void dataForAnOrphanInFinWait2_isAnsweredWithRst_andCountedAsTcpAbortOnData() {
        t.finWait2();
        PacketReport report = t.peer.data("anyone?");
        assertThat(report.sentSegments()).hasSize(1);
        assertThat(report.sentSegments().get(0).has(TcpFlags.RST)).isTrue();
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
        long aborts = t.kernel.inspect(k -> k.snmp().get(SnmpCounter.TCP_ABORT_ON_DATA));
        assertThat(aborts).isEqualTo(1L);
    }

    @Test
    void finBehindAGap_waits_andTheConnectionStaysEstablished_untilTheFinComesAtRcvNxt() {
        t.established();
        int start = t.peer.sndNxt();
        t.peer.sendAt(TcpFlags.FIN | TcpFlags.ACK, start + 3, t.tcb().sndNxt(), "");
        assertThat(t.state()).as("three bytes before the FIN are missing").isEqualTo(TcpState.ESTABLISHED);
        t.peer.data("abc");
        assertThat(t.state()).as("the FIN alone was not held").isEqualTo(TcpState.ESTABLISHED);
        t.peer.fin();
        assertThat(t.state()).isEqualTo(TcpState.CLOSE_WAIT);
        assertThat(text(t.read())).isEqualTo("abc");
        assertThat(t.read().ret()).isZero();
    }

    @Test
    void keepalive_countsIdleFromTheLastSegmentHeard_notFromWhenItWasArmed() {
        t.established();
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_KEEPALIVE", 1, true));
        t.advanceSeconds(7000);
        t.peer.ack();
        int heard = t.peer.received().size();
        t.advanceSeconds(200);
        assertThat(t.peer.received()).as("idle only 200 s at the first expiry: no probe").hasSize(heard);
        t.advanceSeconds(6999);
        assertThat(t.peer.received()).hasSize(heard);
        t.advanceSeconds(1);
        assertThat(t.peer.received()).as("7200 s after the last segment heard").hasSize(heard + 1);
        assertThat(t.peer.lastReceived().seq()).isEqualTo(t.tcb().sndUna() - 1);
    }

    @Test
    void dataSignedWithTcpMd5_onASocketWithoutAKey_isDroppedWithItsReason_andCounted() {
        t.established();
        long before = t.counter(SnmpCounter.TCP_MD5_UNEXPECTED);
        PacketReport report = t.kernel.receive(new Segment(Endpoint.parse(TcpFixture.CLIENT),
                Endpoint.parse(TcpFixture.SERVER), TcpFlags.PSH | TcpFlags.ACK, t.peer.sndNxt(),
                t.tcb().sndNxt(), 502, 0, "signed".getBytes(StandardCharsets.US_ASCII),
                TcpOptions.of(new TcpOption.Unknown(19, new byte[16]))));
        assertThat(report.dropReason()).isEqualTo(DropReason.MD5_UNEXPECTED);
        assertThat(report.dropDetail()).contains("tcp_inbound_md5_hash() drops it");
        assertThat(report.sentSegments()).isEmpty();
        assertThat(t.tcb().receiveQueued()).isZero();
        assertThat(t.counter(SnmpCounter.TCP_MD5_UNEXPECTED) - before).isEqualTo(1);
    }
}
