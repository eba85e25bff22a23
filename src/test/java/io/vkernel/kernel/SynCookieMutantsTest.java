package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.tcp.TcpInfo;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.DropReason;
import io.vkernel.kernel.trace.EventType;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.vkernel.kernel.TcpFixture.assertErrno;
import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.pending;
import static io.vkernel.kernel.TcpFixture.steps;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * SYN cookies with tcp_syncookies = 2 (every SYN is answered with one: tcp_syn_flood_action(), cookie_v4_check(),
 * tcp_get_cookie_sock()), and what a connection takes from the route and the sysctls when it is created, on each of
 * the three paths that create one (request, cookie, connect()): the SYN-ACK, nstat, the event log, the trace, the
 * clock view, TCP_INFO and the ports (PIT survivors in PassiveOpen.sendCookie() and cookieAccepted()).
 */
class SynCookieMutantsTest {

    private final TcpFixture t = new TcpFixture();

    private void routeAndSysctls() {
        t.sysctl(Sysctls.TCP_REORDERING, 5);
        t.sysctl(Sysctls.ROUTE_MTU, 1400);
    }

    @Test
    void aCookieForASmallMss_completesAtTheNextAck_andTheChildIsReadyAsAnyOther() {
        t.sysctl(Sysctls.TCP_SYNCOOKIES, 2);
        routeAndSysctls();
        done(t.kernel.setsockopt(t.pid, t.listenFd, "SO_KEEPALIVE", 1, true));
        PendingCall accept = pending(t.kernel.accept(t.pid, t.listenFd));
        t.advanceSeconds(100);
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.peer.mss = 600; // below msstab[1] = 1300: the cookie encodes msstab[0] = 536
        PacketReport syn = t.peer.send(TcpFlags.SYN, "");
        Segment synAck = syn.sentSegments().get(0);
        assertThat(synAck.ack()).isEqualTo(Peer.ISN + 1);
        assertThat(synAck.mss()).as("the route's advmss, 1400 - 40").isEqualTo(1360);
        assertThat(t.counter(SnmpCounter.TCP_REQ_Q_FULL_DO_COOKIES)).isEqualTo(1);
        assertThat(t.events(EventType.PACKET_DROP)).containsExactly("SYN answered with a SYN cookie: no request socket kept");
        assertThat(t.timers()).as("no state, no SYN-ACK timer").isEmpty();

        t.advanceSeconds(0.1);
        PacketReport ack = t.peer.ack();
        assertThat(ack.state()).isEqualTo("ESTABLISHED");
        assertThat(steps(ack, "tcp.syncookie")).containsExactly("SEG.ACK - 1 = " + Integer.toUnsignedString(synAck.seq())
                + " is a valid cookie (MSS 536): the connection is created ESTABLISHED in the accept queue of 0.0.0.0:8080");
        assertThat(t.timers()).as("SO_KEEPALIVE inherited: its timer runs from the ACK").containsExactly("keepalive");
        assertThat(accept.isDone()).as("the blocked accept() is woken").isTrue();
        t.fd = (int) accept.result().ret();
        Map<String, Long> info = TcpInfo.of(t.tcb());
        assertThat(info).containsEntry("tcpi_reordering", 5L).containsEntry("tcpi_pmtu", 1400L).containsEntry("tcpi_snd_mss", 536L);

        done(t.kernel.close(t.pid, t.listenFd, new PacketReport(null)));
        int other = (int) done(t.kernel.socket(t.pid)).ret();
        assertErrno(done(t.kernel.bind(t.pid, other, Endpoint.parse("0.0.0.0:8080"))), Errno.EADDRINUSE);
    }

    @Test
    void aCookieChildWaitingInTheQueue_hasItsKeepaliveTimer_andTcpInfoCountsNothingYet() {
        t.sysctl(Sysctls.TCP_SYNCOOKIES, 2);
        done(t.kernel.setsockopt(t.pid, t.listenFd, "SO_KEEPALIVE", 1, true));
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.peer.send(TcpFlags.SYN, "");
        t.peer.ack();
        assertThat(t.state()).isEqualTo(TcpState.ESTABLISHED);
        assertThat(t.timers()).as("tcp_create_openreq_child(): the timer runs before accept()").containsExactly("keepalive");
        assertThat(TcpInfo.of(t.tcb())).containsEntry("tcpi_bytes_received", 0L).containsEntry("tcpi_bytes_acked", 0L);
        t.peer.data("hello");
        assertThat(TcpInfo.of(t.tcb())).containsEntry("tcpi_bytes_received", 5L);
    }

    @Test
    void closingTheListener_resetsEachQueuedConnection_andTracesIt() {
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER).connect();
        PacketReport close = new PacketReport(null);
        done(t.kernel.close(t.pid, t.listenFd, close));
        assertThat(steps(close, "tcp.close")).containsExactly(
                "listener closed: queued connection " + TcpFixture.CLIENT + "-" + TcpFixture.SERVER + " is reset");
        assertThat(close.sentSegments()).singleElement().satisfies(r -> assertThat(r.has(TcpFlags.RST)).isTrue());
    }

    @Test
    void aValidCookieFindingTheAcceptQueueFull_isDroppedAndCounted_notReset() {
        t.sysctl(Sysctls.TCP_SYNCOOKIES, 2);
        done(t.kernel.listen(t.pid, t.listenFd, 0));
        Peer late = new Peer(t.kernel, "192.168.1.100:1002", TcpFixture.SERVER);
        late.send(TcpFlags.SYN, "");
        new Peer(t.kernel, "192.168.1.100:1001", TcpFixture.SERVER).connect(); // its cookie fills the queue (backlog 0)
        PacketReport ack = late.ack();
        assertThat(ack.dropReason()).isEqualTo(DropReason.ACCEPT_QUEUE_FULL);
        assertThat(ack.dropDetail()).isEqualTo("a valid SYN cookie, but the accept queue is full: the ACK is dropped");
        assertThat(ack.sentSegments()).as("no RST").isEmpty();
        assertThat(t.counter(SnmpCounter.SYNCOOKIES_RECV)).isEqualTo(2);
        assertThat(t.counter(SnmpCounter.LISTEN_OVERFLOWS)).isEqualTo(1);
        assertThat(t.counter(SnmpCounter.LISTEN_DROPS)).isEqualTo(1);
    }

    @Test
    void aRequest_takesTheRoutesMtuAndTcpReordering() {
        routeAndSysctls();
        t.established();
        assertThat(TcpInfo.of(t.tcb())).containsEntry("tcpi_reordering", 5L).containsEntry("tcpi_pmtu", 1400L)
                .containsEntry("tcpi_snd_mss", 1360L);
        assertThat(t.state()).isEqualTo(TcpState.ESTABLISHED);
    }

    @Test
    void connect_takesTheRoutesMtuAndTcpReordering() {
        routeAndSysctls();
        int client = t.kernel.spawn("client").pid();
        int fd = (int) done(t.kernel.socket(client)).ret();
        PacketReport report = new PacketReport(null);
        PendingCall call = pending(t.kernel.connect(client, fd, Endpoint.parse("192.0.2.1:80"), report));
        Segment syn = report.sentSegments().get(0);
        assertThat(syn.mss()).isEqualTo(1360);
        t.kernel.receive(new Segment(syn.dst(), syn.src(), TcpFlags.SYN | TcpFlags.ACK, 5000, syn.seq() + 1, 65535, 1460, null));
        assertThat(call.result().ret()).isZero();
        Map<String, Long> info = t.kernel.inspect(k -> TcpInfo.of(k.established().find(
                new io.vkernel.kernel.wire.FourTuple(syn.dst(), syn.src()))));
        assertThat(info).containsEntry("tcpi_reordering", 5L).containsEntry("tcpi_pmtu", 1400L).containsEntry("tcpi_snd_mss", 1360L);
    }
}
