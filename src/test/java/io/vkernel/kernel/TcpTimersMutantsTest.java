package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.tcp.TcpInfo;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.EventType;
import io.vkernel.kernel.trace.KernelEvent;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The connection timers as a user sees them: which segment the retransmission timeout resends (its flags, a FIN
 * riding on it or alone), the RTT sample an ACK gives (tcpi_rtt), TCP_USER_TIMEOUT's clamp at the first
 * retransmission, keepalive probes after the peer's or our own FIN, and a blocked call woken when the connection
 * gives up. MSS 1000, GSO off, no SACK (no tail loss probe: the RTO is the only timer).
 */
class TcpTimersMutantsTest {

    private final TcpFixture t = new TcpFixture();



    private List<String> timerEvents() {
        return t.kernel.inspect(k -> k.events().after(0, 10_000)).stream().filter(e -> e.type() == EventType.TIMER_FIRED)
                .map(KernelEvent::detail).toList();
    }

    private void sendMore(int bytes) {
        done(t.kernel.send(t.pid, t.fd, new byte[bytes], 0x8000, new PacketReport(null))); // MSG_MORE: no PSH mark
    }

    @Test
    void anAckOfTwoSegments_measuresFromTheOlderOne_evenWhenItLeftAtTimeZero() {
        int base = t.establishedOneSegmentPerMss(false, 0, 0); // handshake and first send at virtual time 0
        t.write(1000);
        t.advanceSeconds(0.01);
        t.write(1000);
        t.advanceSeconds(0.09);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 2000, "");
        // SRTT from ~0 after the handshake: 1/8 of the 100 ms sample since 0:1000 left (not 90 ms, since 1000:2000)
        assertThat(TcpInfo.of(t.tcb())).containsEntry("tcpi_rtt", 12_000L);
    }

    @Test
    void theRto_resendsOneMssOfDataWrittenWithMsgMore_withoutPsh() {
        int base = t.establishedOneSegmentPerMss(false);
        sendMore(2500);
        int before = t.peer.received().size();
        t.advanceSeconds(0.3);
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly(". 0:1000");
        assertThat(timerEvents()).containsExactly("retransmission #1 after RTO 300 ms; next RTO 600 ms");
    }

    @Test
    void theRto_resendsAFinThatRodeOnTheData_withIt() {
        int base = t.establishedOneSegmentPerMss(false);
        sendMore(500);
        int before = t.peer.received().size();
        t.close(); // the FIN joins the held 500 bytes
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly("F. 0:500");
        t.advanceSeconds(0.3);
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly("F. 0:500", "F. 0:500");
    }

    @Test
    void theRto_resendsAFinAlone_whenNoDataIsOut() {
        int base = t.establishedOneSegmentPerMss(false);
        int before = t.peer.received().size();
        t.close();
        t.advanceSeconds(0.3);
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly("F. 0:0", "F. 0:0");
        assertThat(timerEvents()).containsExactly("retransmission #1 after RTO 300 ms; next RTO 600 ms");
    }

    @Test
    void userTimeoutShorterThanTheRto_stillOneRetransmission_thenTheDeadlineHasPassed() {
        t.established(); // RTO 200 ms
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_USER_TIMEOUT", 100, true));
        t.write("lost");
        int before = t.peer.received().size();
        t.kernel.advance(200);
        assertThat(t.sentSince(before)).as("retransmits_timed_out() needs one retransmission first").hasSize(1);
        assertThat(t.state()).isEqualTo(TcpState.ESTABLISHED);
        t.kernel.advance(1); // tcp_clamp_rto_to_user_timeout(): the deadline passed, fire in 1 ms
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
        TcpFixture.assertErrno(t.write("late"), Errno.ETIMEDOUT);
    }

    @Test
    void userTimeoutEqualToTheRto_theNextTimerIsOneMillisecond_notZero() {
        t.established();
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_USER_TIMEOUT", 200, true));
        t.write("lost");
        t.kernel.advance(200);
        assertThat(t.state()).isEqualTo(TcpState.ESTABLISHED);
        t.kernel.advance(1);
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
    }

    private void keepalive(int idle, int interval) {
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_KEEPALIVE", 1, true));
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_KEEPIDLE", idle, true));
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_KEEPINTVL", interval, true));
    }

    private long keepaliveProbes(int since) {
        return t.sentSince(since).stream().filter(s -> s.seq() == t.tcb().sndNxt() - 1 && s.payload().length == 0).count();
    }

    @Test
    void keepalive_goesOnInCloseWait() {
        t.established();
        keepalive(10, 5);
        t.peer.fin();
        assertThat(t.state()).isEqualTo(TcpState.CLOSE_WAIT);
        int before = t.peer.received().size();
        t.advanceSeconds(15);
        assertThat(keepaliveProbes(before)).as("at 10 s and 15 s").isEqualTo(2);
    }

    @Test
    void keepalive_goesOnInFinWait2_afterShutdownWrite() {
        t.established();
        keepalive(10, 5);
        done(t.kernel.shutdown(t.pid, t.fd, 1, new PacketReport(null))); // SHUT_WR: FIN, the socket stays open
        t.peer.consumeSent();
        t.peer.ack();
        assertThat(t.state()).isEqualTo(TcpState.FIN_WAIT2);
        int before = t.peer.received().size();
        t.advanceSeconds(15);
        assertThat(keepaliveProbes(before)).as("at 10 s and 15 s").isEqualTo(2);
    }

    @Test
    void givingUpWhileTheQdiscDropsEveryProbe_wakesABlockedRead_withEtimedout() {
        t.established();
        t.kernel.sysctl(Sysctls.TCP_RETRIES2, 2);
        t.kernel.sysctl(Sysctls.VKERNEL_QDISC_LIMIT, 0);
        t.write("lost at the qdisc");
        PendingCall read = TcpFixture.pending(t.kernel.read(t.pid, t.fd, 100));
        t.advanceSeconds(5);
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
        assertThat(read.isDone()).isTrue();
        TcpFixture.assertErrno(read.result(), Errno.ETIMEDOUT);
    }

    private static io.vkernel.kernel.wire.TcpOptions timestamps(long value, long echo) {
        return io.vkernel.kernel.wire.TcpOptions.of(new io.vkernel.kernel.wire.TcpOption.Timestamps(value, echo));
    }

    @Test
    void karnForbidsTheSample_butAnEchoedTimestampOfTheRetransmission_givesOne_evenOfZeroMilliseconds() {
        t.sysctl(Sysctls.VKERNEL_GSO, 0);
        io.vkernel.kernel.wire.Endpoint client = io.vkernel.kernel.wire.Endpoint.parse(TcpFixture.CLIENT);
        io.vkernel.kernel.wire.Endpoint server = io.vkernel.kernel.wire.Endpoint.parse(TcpFixture.SERVER);
        Segment synAck = t.kernel.receive(new Segment(client, server, TcpFlags.SYN, 1000, 0, 65535, 1000, new byte[0],
                io.vkernel.kernel.wire.TcpOptions.of(new io.vkernel.kernel.wire.TcpOption.Mss(1000),
                        new io.vkernel.kernel.wire.TcpOption.Timestamps(1, 0)))).sentSegments().get(0);
        t.advanceSeconds(0.1);
        t.kernel.receive(new Segment(client, server, TcpFlags.ACK, 1001, synAck.seq() + 1, 65535, 0, new byte[0],
                timestamps(2, synAck.timestamps().value())));
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        assertThat(t.tcb().timestampsOk()).isTrue();
        assertThat(TcpInfo.of(t.tcb())).containsEntry("tcpi_rtt", 100_000L);
        t.write(1000);
        t.advanceSeconds(0.3); // the RTO resends it: Karn, no sample from its ACK but by the echoed timestamp
        Segment resent = t.peer.lastReceived();
        assertThat(resent.seq()).isEqualTo(synAck.seq() + 1);
        t.kernel.receive(new Segment(client, server, TcpFlags.ACK, 1001, synAck.seq() + 1001, 65535, 0, new byte[0],
                timestamps(3, resent.timestamps().value())));
        // tcp_rtt_tsopt_us(): now - TSecr = 0 ms; SRTT = 100 - 100/8
        assertThat(TcpInfo.of(t.tcb())).containsEntry("tcpi_rtt", 87_000L);
    }
}
