package io.vkernel.kernel;

import io.vkernel.kernel.tcp.TcpInfo;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.EventType;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.vkernel.kernel.TcpFixture.assertErrno;
import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * tcp_set_state(), tcp_done(), tcp_time_wait() and the orphaned FIN_WAIT2 timeout (TcpStates) as a user sees them:
 * the state events, the nstat counters, the timers the clock view lists, TCP_INFO and what leaves on the wire.
 */
class TcpStatesMutantsTest {

    private final TcpFixture t = new TcpFixture();

    /** The clock view's pending timers (GET /clock): "name owner +inMs". */
    private List<String> pendingTimers() {
        return t.kernel.inspect(k -> k.clock().pending().stream()
                .map(timer -> timer.name() + " " + timer.owner() + " +" + (timer.deadline() - k.clock().now())).toList());
    }

    private String tuple() {
        return TcpFixture.CLIENT + "-" + TcpFixture.SERVER;
    }

    @Test
    void theHandshakesEnd_startsTcpiLastDataRecv_notTheSynsArrival() {
        // tcp_finish_connect() / tcp_create_openreq_child(): icsk_ack.lrcvtime = the handshake's end
        t.advanceSeconds(5);
        t.establishedOneSegmentPerMss(false); // SYN at 5.0 s, its ACK at 5.1 s
        t.advanceSeconds(2);
        java.util.Map<String, Long> info = t.kernel.inspect(k -> TcpInfo.of(t.tcb(), k.clock().now()));
        assertThat(info).containsEntry("tcpi_last_data_recv", 2000L);
    }

    @Test
    void aPeerReset_onAKeepaliveConnection_countsAnEstabReset_andCancelsEveryTimer() {
        t.established();
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_KEEPALIVE", 1, true));
        t.peer.data("abc");
        t.write("unacked"); // the retransmission timer runs
        assertThat(pendingTimers()).extracting(s -> s.split(" ")[0]).contains("keepalive", "retransmit");

        PacketReport rst = t.peer.send(TcpFlags.RST, "");
        assertThat(rst.verdict()).isEqualTo("reset by peer");
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
        assertThat(t.counter(SnmpCounter.TCP_ESTAB_RESETS)).isEqualTo(1);
        assertThat(t.counter(SnmpCounter.TCP_ATTEMPT_FAILS)).isZero();
        assertThat(t.stateEvents()).last().isEqualTo("ESTABLISHED -> CLOSED: peer sent RST; removed from the established table, buffers freed");
        assertThat(pendingTimers()).as("tcp_done(): no timer of the connection is left").isEmpty();

        int sent = t.peer.received().size();
        t.advanceSeconds(7200 + 75 * 10);
        assertThat(t.peer.received()).as("no keepalive probe from a closed socket").hasSize(sent);
        assertThat(t.events(EventType.TIMER_FIRED)).isEmpty();
        assertThat(TcpFixture.text(t.read())).as("a socket still open keeps what it received").isEqualTo("abc");
        assertErrno(t.read(), io.vkernel.kernel.socket.Errno.ECONNRESET);
    }

    @Test
    void aResetInTimeWait_endsIt_withoutTheTimerFiringLater() {
        t.timeWait();
        t.peer.send(TcpFlags.RST, "");
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
        assertThat(pendingTimers()).isEmpty();
        t.advanceSeconds(61);
        assertThat(t.events(EventType.TIMER_FIRED)).as("the TIME_WAIT timer went with the socket").isEmpty();
        assertThat(t.counter(SnmpCounter.TIME_WAITED)).isZero();
    }

    @Test
    void aResetDuringZeroWindowProbing_cancelsThePersistTimer() {
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.peer.window = 0;
        t.peer.connect();
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        t.write("waiting");
        assertThat(pendingTimers()).containsExactly("zero-window-probe " + tuple() + " +200");
        t.peer.send(TcpFlags.RST, "");
        assertThat(pendingTimers()).isEmpty();
    }

    @Test
    void aResetWhileAnAckIsDelayed_cancelsTheDelayedAckTimer() {
        t.established();
        for (int i = 0; i < 17; i++) {
            t.peer.data("x");
        }
        assertThat(pendingTimers()).containsExactly("delayed-ack " + tuple() + " +40");
        t.peer.send(TcpFlags.RST, "");
        assertThat(pendingTimers()).isEmpty();
    }

    @Test
    void aRefusedConnect_isAnAttemptFail_andFreesItsEphemeralPort() {
        int client = t.kernel.spawn("client").pid();
        int fd = (int) done(t.kernel.socket(client)).ret();
        PacketReport report = new PacketReport(null);
        TcpFixture.pending(t.kernel.connect(client, fd, io.vkernel.kernel.wire.Endpoint.parse("192.0.2.1:80"), report));
        io.vkernel.kernel.wire.Segment syn = report.sentSegments().get(0);
        t.kernel.receive(new io.vkernel.kernel.wire.Segment(syn.dst(), syn.src(), TcpFlags.RST | TcpFlags.ACK, 0, syn.seq() + 1, 0, 0, null));
        assertThat(t.counter(SnmpCounter.TCP_ATTEMPT_FAILS)).isEqualTo(1);
        assertThat(t.counter(SnmpCounter.TCP_ESTAB_RESETS)).isZero();
        assertThat(pendingTimers()).as("no SYN retransmission is left").isEmpty();
        int other = (int) done(t.kernel.socket(client)).ret();
        assertThat(done(t.kernel.bind(client, other, syn.src())).ret()).as("the port went with the connection").isZero();
    }

    @Test
    void aResetInCloseWait_isAnEstabReset() {
        t.closeWait();
        t.peer.send(TcpFlags.RST, "");
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
        assertThat(t.counter(SnmpCounter.TCP_ESTAB_RESETS)).isEqualTo(1);
        assertThat(t.counter(SnmpCounter.TCP_ATTEMPT_FAILS)).isZero();
    }

    @Test
    void aResetInFinWait1_isNeitherAnEstabResetNorAnAttemptFail() {
        t.finWait1();
        t.peer.send(TcpFlags.RST, "");
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
        assertThat(t.counter(SnmpCounter.TCP_ESTAB_RESETS)).isZero();
        assertThat(t.counter(SnmpCounter.TCP_ATTEMPT_FAILS)).isZero();
        assertThat(pendingTimers()).isEmpty();
    }

    @Test
    void timeWait_lastsExactly60s_thenCountsTcpExtTW_andFreesThePort() {
        t.timeWait();
        assertThat(pendingTimers()).containsExactly("time-wait " + tuple() + " +60000");
        t.advanceSeconds(59.999);
        assertThat(t.state()).isEqualTo(TcpState.TIME_WAIT);
        assertThat(t.counter(SnmpCounter.TIME_WAITED)).isZero();
        t.kernel.advance(1);
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
        assertThat(t.counter(SnmpCounter.TIME_WAITED)).isEqualTo(1);
        assertThat(t.events(EventType.TIMER_FIRED)).containsExactly("TIME_WAIT expired after 60 s");
        assertThat(t.stateEvents()).last()
                .isEqualTo("TIME_WAIT -> CLOSED: TIME_WAIT expired; removed from the established table, buffers freed");
        assertThat(t.counter(SnmpCounter.TCP_ESTAB_RESETS)).isZero();
        assertThat(pendingTimers()).isEmpty();
    }

    @Test
    void timeWait_cancelsTheKeepaliveTimer_soNoProbeLeavesDuringIt() {
        t.established();
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_KEEPALIVE", 1, true));
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_KEEPIDLE", 10, true));
        t.close();
        t.peer.consumeSent();
        t.peer.ack();
        t.peer.fin();
        assertThat(t.state()).isEqualTo(TcpState.TIME_WAIT);
        assertThat(pendingTimers()).containsExactly("time-wait " + tuple() + " +60000");
        int sent = t.peer.received().size();
        t.advanceSeconds(30);
        assertThat(t.peer.received()).as("no keepalive probe in TIME_WAIT").hasSize(sent);
    }

    @Test
    void anOrphanedFinWait2_waitsTcpFinTimeoutSeconds_thenCloses() {
        t.sysctl(Sysctls.TCP_FIN_TIMEOUT, 5);
        t.finWait2();
        assertThat(pendingTimers()).containsExactly("fin-wait-2 " + tuple() + " +5000");
        t.advanceSeconds(4.999);
        assertThat(t.state()).isEqualTo(TcpState.FIN_WAIT2);
        t.kernel.advance(1);
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
        assertThat(t.events(EventType.TIMER_FIRED)).containsExactly("orphaned FIN_WAIT2 timed out (tcp_fin_timeout)");
        assertThat(t.stateEvents()).last()
                .isEqualTo("FIN_WAIT2 -> CLOSED: tcp_fin_timeout expired; removed from the established table, buffers freed");
        assertThat(t.counter(SnmpCounter.TCP_ESTAB_RESETS)).isZero();
        assertThat(t.counter(SnmpCounter.TCP_ATTEMPT_FAILS)).isZero();
        assertThat(pendingTimers()).isEmpty();
    }
}
