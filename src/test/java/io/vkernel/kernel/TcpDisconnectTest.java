package io.vkernel.kernel;

import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which states an abort resets (tcp_need_reset(): ESTABLISHED, CLOSE_WAIT, FIN_WAIT1, FIN_WAIT2, SYN_RECV) and which
 * it ends silently (LAST_ACK, CLOSING): connect(AF_UNSPEC) (tcp_disconnect()) and close() with SO_LINGER {1, 0},
 * each from a socket the process still holds after shutdown(SHUT_WR).
 */
class TcpDisconnectTest {

    private final TcpFixture t = new TcpFixture();

    private PacketReport disconnect() {
        PacketReport report = new PacketReport(null);
        done(t.kernel.disconnect(t.pid, t.fd, report));
        return report;
    }

    private void shutdownWrite() {
        done(t.kernel.shutdown(t.pid, t.fd, 1, new PacketReport(null)));
    }

    /** FIN_WAIT2 with the socket still open: shutdown(SHUT_WR), the peer ACKs our FIN. */
    private void finWait2Open() {
        t.established();
        shutdownWrite();
        t.peer.consumeSent();
        t.peer.ack();
        assertThat(t.state()).isEqualTo(TcpState.FIN_WAIT2);
    }

    /** LAST_ACK with the socket still open: the peer's FIN, then shutdown(SHUT_WR). */
    private void lastAckOpen() {
        t.closeWait();
        shutdownWrite();
        assertThat(t.state()).isEqualTo(TcpState.LAST_ACK);
    }

    @Test
    void disconnect_established_sendsRst_andTheTraceNamesTheOldState() {
        t.established();
        t.peer.data("unread");
        assertThat(done(t.kernel.ioctl(t.pid, t.fd, "FIONREAD")).value()).isEqualTo(6);
        PacketReport report = disconnect();
        assertThat(report.sentSegments()).singleElement().satisfies(s -> assertThat(TcpFlags.format(s.flags())).isEqualTo("R."));
        assertThat(TcpFixture.steps(report, "tcp.disconnect")).containsExactly(
                "tcp_disconnect() from ESTABLISHED: the socket is unconnected and may connect again");
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
        assertThat(t.stateEvents()).last().isEqualTo("ESTABLISHED -> CLOSED: connect(AF_UNSPEC): tcp_disconnect() sent RST; "
                + "removed from the established table, buffers freed");
        // tcp_disconnect() purges the receive queue and sets copied_seq = rcv_nxt: SIOCINQ reads 0
        assertThat(done(t.kernel.ioctl(t.pid, t.fd, "FIONREAD")).value()).as("the unread bytes are gone").isZero();
    }

    @Test
    void disconnect_inFinWait2_sendsRst() {
        finWait2Open();
        PacketReport report = disconnect();
        assertThat(report.sentSegments()).extracting(s -> TcpFlags.format(s.flags())).containsExactly("R.");
        assertThat(TcpFixture.steps(report, "tcp.disconnect")).containsExactly(
                "tcp_disconnect() from FIN_WAIT2: the socket is unconnected and may connect again");
    }

    @Test
    void disconnect_inFinWait1_sendsRst() {
        t.established();
        shutdownWrite();
        assertThat(t.state()).isEqualTo(TcpState.FIN_WAIT1);
        assertThat(disconnect().sentSegments()).extracting(s -> TcpFlags.format(s.flags())).containsExactly("R.");
    }

    @Test
    void disconnect_inCloseWait_sendsRst() {
        t.closeWait();
        assertThat(disconnect().sentSegments()).extracting(s -> TcpFlags.format(s.flags())).containsExactly("R.");
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
    }

    @Test
    void disconnect_inLastAck_endsItWithoutRst() {
        lastAckOpen();
        PacketReport report = disconnect();
        assertThat(report.sentSegments()).isEmpty();
        assertThat(TcpFixture.steps(report, "tcp.disconnect")).containsExactly(
                "tcp_disconnect() from LAST_ACK: the socket is unconnected and may connect again");
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
        assertThat(t.stateEvents()).last().isEqualTo("LAST_ACK -> CLOSED: connect(AF_UNSPEC): tcp_disconnect(); "
                + "removed from the established table, buffers freed");
    }

    @Test
    void lingerZero_inFinWait2_resets_inLastAck_endsSilently_bothCounted() {
        finWait2Open();
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_LINGER", 0, true));
        List<Segment> rst = t.close().sentSegments();
        assertThat(rst).extracting(s -> TcpFlags.format(s.flags())).containsExactly("R.");
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);

        TcpFixture other = new TcpFixture();
        other.closeWait();
        done(other.kernel.shutdown(other.pid, other.fd, 1, new PacketReport(null)));
        assertThat(other.state()).isEqualTo(TcpState.LAST_ACK);
        done(other.kernel.setsockopt(other.pid, other.fd, "SO_LINGER", 0, true));
        PacketReport close = other.close();
        assertThat(close.sentSegments()).as("tcp_need_reset(): not from LAST_ACK").isEmpty();
        assertThat(other.state()).isEqualTo(TcpState.CLOSE);
        long aborts = other.kernel.inspect(k -> k.snmp().get(SnmpCounter.TCP_ABORT_ON_LINGER));
        assertThat(aborts).isEqualTo(1);
    }

    @Test
    void closeInLastAck_sendsNothingMore_andTheAckOfOurFinEndsIt() {
        lastAckOpen();
        int sent = t.peer.received().size();
        t.close();
        assertThat(t.peer.received()).hasSize(sent);
        assertThat(t.state()).as("the FIN already left: LAST_ACK waits for its ACK").isEqualTo(TcpState.LAST_ACK);
        t.peer.consumeSent();
        t.peer.ack();
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
    }
}
