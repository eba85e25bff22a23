package io.vkernel.kernel;

import io.vkernel.kernel.tcp.TcpInfo;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * RTT samples from segments RACK does not track, as Linux takes them in tcp_clean_rtx_queue(): the first newly
 * acknowledged skb that was never retransmitted gives the sample (tcp_ack_update_rtt(), tcp_rtt_estimator()). The
 * handshake happens at virtual time 0 and gives a 0 ms sample, so SRTT is 0 before each test's sample and a 100 ms
 * sample makes it 0 + 100 / 8 = 12.5 ms (tcpi_rtt in whole ms, as microseconds). The peer sends no timestamps, so no
 * sample comes from an echoed TSval.
 */
class RttTimingEdgesTest {

    private final TcpFixture t = new TcpFixture().established();

    /**
     * A one-skb segment acknowledged in part gives no sample (tcp_clean_rtx_queue() stops at a partly acknowledged
     * skb of one segment); its timing goes on, so the ACK of the rest is timed from when it left.
     */
    @Test
    void aCorkedWritesProbe_acknowledgedInPart_isTimedByTheAckOfTheRest() {
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_CORK", 1, true));
        t.write(1000);
        t.kernel.advance(200); // tcp_probe_timer() -> tcp_write_wakeup(): the held bytes leave as one segment
        Segment probe = t.peer.lastReceived();
        assertThat(probe.payload()).hasSize(1000);
        t.kernel.advance(50);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), probe.seq() + 400, "");
        assertThat(rttUs()).as("a partial ACK: no sample").isZero();
        t.kernel.advance(50);
        t.peer.consumeSent();
        t.peer.ack();
        assertThat(rttUs()).as("the rest acknowledged 100 ms after the probe left").isEqualTo(12_000L);
    }

    /** shutdown(SHUT_WR) with nothing unsent: the FIN's own skb, acknowledged 100 ms after it left, is a 100 ms sample. */
    @Test
    void aFinSentOnItsOwn_isTimedFromItsOwnTransmission() {
        t.kernel.advance(200);
        PacketReport report = new PacketReport(null);
        done(t.kernel.shutdown(t.pid, t.fd, 1, report));
        assertThat(TcpFlags.format(t.peer.lastReceived().flags())).isEqualTo("F.");
        t.kernel.advance(100);
        t.peer.consumeSent();
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), t.peer.lastReceived().seq() + 1, "");
        assertThat(t.state()).isEqualTo(TcpState.FIN_WAIT2);
        assertThat(rttUs()).as("100 ms from the FIN, not 300 ms from the handshake").isEqualTo(12_000L);
    }

    /** The same FIN sent at virtual time 0, right after the handshake: still a sample. */
    @Test
    void aFinSentAtTimeZero_isTimedToo() {
        done(t.kernel.shutdown(t.pid, t.fd, 1, new PacketReport(null)));
        t.kernel.advance(100);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), t.peer.lastReceived().seq() + 1, "");
        assertThat(t.state()).isEqualTo(TcpState.FIN_WAIT2);
        assertThat(rttUs()).isEqualTo(12_000L);
    }

    /** Karn: a FIN sent again (loss probe or retransmission timer) gives no sample (TCPCB_RETRANS, FLAG_RETRANS_DATA_ACKED). */
    @Test
    void aResentFin_givesNoSample() {
        t.kernel.advance(200);
        done(t.kernel.shutdown(t.pid, t.fd, 1, new PacketReport(null)));
        int fins = finsSent();
        for (int ms = 0; ms < 3000 && finsSent() == fins; ms++) {
            t.kernel.advance(1);
        }
        assertThat(finsSent()).as("the FIN again").isEqualTo(fins + 1);
        t.kernel.advance(50);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), t.peer.lastReceived().seq() + 1, "");
        assertThat(t.state()).isEqualTo(TcpState.FIN_WAIT2);
        assertThat(rttUs()).as("no sample: SRTT stays the handshake's").isZero();
    }

    private long rttUs() {
        return TcpInfo.of(t.tcb()).get("tcpi_rtt");
    }

    private int finsSent() {
        return (int) t.peer.received().stream().filter(s -> s.has(TcpFlags.FIN)).count();
    }
}
