package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * close() where tcp_close() has a special case: unread data (RST, TCPAbortOnClose, the trace says why), SO_LINGER
 * {1, 0}, a socket still in SYN_SENT (gone without a segment), TIME_WAIT (no RST: the connection is over), FIN_WAIT2
 * after shutdown() (the orphan's tcp_fin_timeout starts at close()), and the out-of-order queue an orphan can never
 * read.
 */
class TcpCloseEdgesTest {

    private static final Endpoint REMOTE = Endpoint.parse("192.0.2.1:80");

    private final TcpFixture t = new TcpFixture();

    private long counter(SnmpCounter c) {
        return t.kernel.inspect(k -> k.snmp().get(c));
    }

    @Test
    void closeWithUnreadData_sendsRst_countsTcpAbortOnClose_andTheTraceSaysWhy() {
        t.established();
        t.peer.data("unread");
        PacketReport report = t.close();
        assertThat(report.sentSegments()).extracting(s -> TcpFlags.format(s.flags())).containsExactly("R.");
        assertThat(counter(SnmpCounter.TCP_ABORT_ON_CLOSE)).isEqualTo(1);
        assertThat(report.steps()).anySatisfy(step ->
                assertThat(step.detail()).isEqualTo("6 unread bytes discarded: RST instead of FIN (RFC 2525 §2.17)"));
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
    }

    @Test
    void closeWithoutUnreadData_sendsFin_andCountsNoAbort() {
        t.established();
        t.peer.data("read");
        assertThat(TcpFixture.text(t.read())).isEqualTo("read");
        PacketReport report = t.close();
        assertThat(report.sentSegments()).extracting(s -> TcpFlags.format(s.flags())).containsExactly("F.");
        assertThat(counter(SnmpCounter.TCP_ABORT_ON_CLOSE)).isZero();
    }

    @Test
    void closeInTimeWait_afterDataAndFin_sendsNothing_noRst() {
        t.established();
        done(t.kernel.shutdown(t.pid, t.fd, 1, new PacketReport(null))); // SHUT_WR: FIN out, the socket stays open
        t.peer.consumeSent();
        t.peer.ack();
        assertThat(t.state()).isEqualTo(TcpState.FIN_WAIT2);
        t.peer.data("late");
        t.peer.fin();
        assertThat(t.state()).isEqualTo(TcpState.TIME_WAIT);
        int sent = t.peer.received().size();
        PacketReport report = t.close();
        assertThat(report.sentSegments()).as("TIME_WAIT: nothing more to say, no RST").isEmpty();
        assertThat(t.peer.received()).hasSize(sent);
        assertThat(t.state()).isEqualTo(TcpState.TIME_WAIT);
        assertThat(counter(SnmpCounter.TCP_ABORT_ON_CLOSE)).isZero();
    }

    @Test
    void close_dropsTheOutOfOrderQueue_anOrphanWillNeverReadIt() {
        t.established();
        int rcvNxt = t.tcb().rcvNxt();
        t.peer.sendAt(TcpFlags.ACK, rcvNxt + 100, t.tcb().sndNxt(), "held beyond a gap");
        assertThat(t.tcb().outOfOrderSegments()).isEqualTo(1);
        PacketReport report = t.close();
        assertThat(report.sentSegments()).extracting(s -> TcpFlags.format(s.flags())).as("nothing was in order to read")
                .containsExactly("F.");
        assertThat(t.tcb().outOfOrderSegments()).isZero();
        assertThat(t.tcb().outOfOrderBytes()).isZero();
    }

    @Test
    void closeInSynSent_removesTheConnectionWithoutASegment_andALateSynAckGetsRst() {
        int client = t.kernel.spawn("client").pid();
        int fd = (int) done(t.kernel.socket(client)).ret();
        done(t.kernel.fcntl(client, fd, "F_SETFL", 04000));
        PacketReport connect = new PacketReport(null);
        SyscallResult inProgress = done(t.kernel.connect(client, fd, REMOTE, connect));
        assertThat(inProgress.errno()).isEqualTo(Errno.EINPROGRESS);
        Segment syn = connect.sentSegments().get(0);
        FourTuple tuple = new FourTuple(REMOTE, syn.src());
        io.vkernel.kernel.tcp.Tcb connecting = t.kernel.inspect(k -> k.established().find(tuple));
        assertThat(connecting.state()).isEqualTo(TcpState.SYN_SENT);

        PacketReport close = new PacketReport(null);
        done(t.kernel.close(client, fd, close));
        assertThat(close.sentSegments()).as("tcp_close() in SYN_SENT: no FIN, no RST").isEmpty();
        io.vkernel.kernel.tcp.Tcb gone = t.kernel.inspect(k -> k.established().find(tuple));
        assertThat(gone).as("the SYN_SENT socket is gone").isNull();

        PacketReport late = t.kernel.receive(new Segment(REMOTE, syn.src(), TcpFlags.SYN | TcpFlags.ACK, 5000, syn.seq() + 1,
                65535, 1460, null));
        assertThat(late.sentSegments()).extracting(s -> TcpFlags.format(s.flags())).containsExactly("R");
    }

    @Test
    void closeWithSoLingerZero_abortsWithRst_countsTcpAbortOnLinger_andTheTraceSaysWhy() {
        t.established();
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_LINGER", 0, true));
        PacketReport report = t.close();
        assertThat(report.sentSegments()).extracting(s -> TcpFlags.format(s.flags())).containsExactly("R.");
        assertThat(counter(SnmpCounter.TCP_ABORT_ON_LINGER)).isEqualTo(1);
        assertThat(counter(SnmpCounter.TCP_ABORT_ON_CLOSE)).isZero();
        assertThat(report.steps()).anySatisfy(step -> assertThat(step.detail()).isEqualTo("SO_LINGER {1, 0}: abort with RST"));
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
    }

    @Test
    void closeInFinWait2AfterShutdown_startsTheOrphansFinTimeout() {
        t.established();
        done(t.kernel.shutdown(t.pid, t.fd, 1, new PacketReport(null)));
        t.peer.consumeSent();
        t.peer.ack();
        assertThat(t.state()).isEqualTo(TcpState.FIN_WAIT2);
        t.advanceSeconds(120);
        assertThat(t.state()).as("still owned by the process: FIN_WAIT2 waits for the peer").isEqualTo(TcpState.FIN_WAIT2);
        t.close();
        t.advanceSeconds(59);
        assertThat(t.state()).isEqualTo(TcpState.FIN_WAIT2);
        t.advanceSeconds(1);
        assertThat(t.state()).as("orphaned: tcp_fin_timeout (60 s) ends it").isEqualTo(TcpState.CLOSE);
    }

    @Test
    void shutdownWriteInCloseWait_sendsFin_andGoesToLastAck() {
        t.closeWait();
        PacketReport report = new PacketReport(null);
        done(t.kernel.shutdown(t.pid, t.fd, 1, report));
        assertThat(report.sentSegments()).extracting(s -> TcpFlags.format(s.flags())).containsExactly("F.");
        assertThat(t.state()).isEqualTo(TcpState.LAST_ACK);
        t.peer.consumeSent();
        t.peer.ack();
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
    }

    /**
     * tcp_fin() in FIN_WAIT1 goes to CLOSING: our FIN, queued behind data a zero window holds back, has not even been
     * sent, so the peer's FIN cannot have acknowledged it (tcp_ack() moves FIN_WAIT1 to FIN_WAIT2 only for an
     * acknowledged FIN, before tcp_fin() runs).
     */
    @Test
    void peersFin_whileOurFinWaitsBehindAZeroWindow_isClosing_notTimeWait() {
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.peer.window = 0;
        t.peer.connect();
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        t.write("pending");
        t.close();
        assertThat(t.state()).isEqualTo(TcpState.FIN_WAIT1);

        PacketReport fin = t.peer.fin();

        assertThat(t.state()).isEqualTo(TcpState.CLOSING);
        assertThat(fin.sentSegments()).as("the peer's FIN is acknowledged").isNotEmpty();
        assertThat(fin.sentSegments().get(fin.sentSegments().size() - 1).ack()).isEqualTo(t.peer.sndNxt());
    }
}
