package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.tcp.FastOpen;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.EventType;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOption;
import io.vkernel.kernel.wire.TcpOptions;
import org.junit.jupiter.api.Test;


import static io.vkernel.kernel.TcpFixture.assertErrno;
import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.pending;
import static io.vkernel.kernel.TcpFixture.steps;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Fast Open server child (tcp_fastopen_create_child(), tcp_fastopen_queue_check(), tcp_fastopen_synack_timer())
 * at kernel level, with tcp_fastopen = 0x203 (client, server, no cookie required) and a TCP_FASTOPEN queue on the
 * listener: what the SYN's answer, the counters, the event log, the trace, the clock view and the accept queue show
 * (PIT survivors in PassiveOpen.fastOpenChild(), pendingFastOpen() and armSynAckTimer()).
 */
class FastOpenChildMutantsTest {

    private final TcpFixture t = new TcpFixture();

    private void fastOpenListener(int queue) {
        t.sysctl(Sysctls.TCP_FASTOPEN, FastOpen.SERVER_ENABLE | FastOpen.SERVER_COOKIE_NOT_REQD | 1);
        done(t.kernel.setsockopt(t.pid, t.listenFd, "TCP_FASTOPEN", queue, true));
    }

    @Test
    void aSynWithData_makesAChildInTheAcceptQueue_countedLoggedTracedAndWakingABlockedAccept() {
        fastOpenListener(4);
        PendingCall accept = pending(t.kernel.accept(t.pid, t.listenFd));
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        PacketReport syn = t.peer.send(TcpFlags.SYN, "hello");

        Segment synAck = syn.sentSegments().get(0);
        assertThat(TcpFlags.format(synAck.flags())).isEqualTo("S.");
        assertThat(synAck.ack()).as("the SYN-ACK acknowledges the SYN's five bytes").isEqualTo(Peer.ISN + 6);
        assertThat(syn.state()).isEqualTo("SYN_RECV");
        assertThat(syn.connection()).isEqualTo(TcpFixture.CLIENT + "-" + TcpFixture.SERVER);
        assertThat(steps(syn, "tcp.fastopen")).last().isEqualTo("Fast Open child " + TcpFixture.CLIENT + "-" + TcpFixture.SERVER
                + " in SYN_RECV waits in the accept queue of 0.0.0.0:8080 with 5 bytes readable; its SYN-ACK acknowledges"
                + " RCV.NXT=" + Integer.toUnsignedString(Peer.ISN + 6));
        assertThat(t.counter(SnmpCounter.TCP_PASSIVE_OPENS)).as("tcp_create_openreq_child() at the SYN").isEqualTo(1);
        assertThat(t.stateEvents()).last().isEqualTo("LISTEN -> SYN_RECV: Fast Open child socket for listener 0.0.0.0:8080");
        assertThat(t.timers()).containsExactly("synack-retransmit");

        assertThat(accept.isDone()).as("the blocked accept() is woken by the child").isTrue();
        t.fd = (int) accept.result().ret();
        assertThat(TcpFixture.text(t.read())).isEqualTo("hello");
        assertThat(t.state()).isEqualTo(TcpState.SYN_RECV);

        done(t.kernel.close(t.pid, t.listenFd, new PacketReport(null)));
        int other = (int) done(t.kernel.socket(t.pid)).ret();
        assertErrno(done(t.kernel.bind(t.pid, other, Endpoint.parse("0.0.0.0:8080"))), Errno.EADDRINUSE);
    }

    @Test
    void aSynWithAnEmptyFastOpenOption_makesAChildWithNothingReadable() {
        fastOpenListener(4);
        Endpoint client = Endpoint.parse(TcpFixture.CLIENT);
        PacketReport syn = t.kernel.receive(new Segment(client, Endpoint.parse(TcpFixture.SERVER), TcpFlags.SYN, 1000, 0, 65535,
                1460, null, TcpOptions.of(new TcpOption.Unknown(FastOpen.KIND, new byte[0]))));
        assertThat(syn.sentSegments().get(0).ack()).isEqualTo(1001);
        assertThat(steps(syn, "tcp.fastopen")).last().isEqualTo("Fast Open child " + TcpFixture.CLIENT + "-" + TcpFixture.SERVER
                + " in SYN_RECV waits in the accept queue of 0.0.0.0:8080; its SYN-ACK acknowledges RCV.NXT=1001");
    }

    @Test
    void theFastOpenQueue_countsOnlyThisListenersChildrenStillInSynRecv() {
        fastOpenListener(1);
        Peer first = new Peer(t.kernel, "192.168.1.100:1001", TcpFixture.SERVER);
        assertThat(first.send(TcpFlags.SYN, "one").sentSegments().get(0).ack()).isEqualTo(Peer.ISN + 4);

        Peer second = new Peer(t.kernel, "192.168.1.100:1002", TcpFixture.SERVER);
        PacketReport ordinary = second.send(TcpFlags.SYN, "two");
        assertThat(ordinary.sentSegments().get(0).ack()).as("queue full: the data is not acknowledged").isEqualTo(Peer.ISN + 1);
        assertThat(steps(ordinary, "tcp.fastopen")).first().asString()
                .isEqualTo("1 Fast Open children already pending (TCP_FASTOPEN queue 1): this SYN gets an ordinary handshake");

        first.ack(); // the first child is ESTABLISHED: it no longer counts
        Peer third = new Peer(t.kernel, "192.168.1.100:1003", TcpFixture.SERVER);
        assertThat(third.send(TcpFlags.SYN, "three").sentSegments().get(0).ack()).isEqualTo(Peer.ISN + 6);
    }

    @Test
    void anUnacknowledgedChild_resendsItsSynAckOnceMoreThanARequest_thenFailsWithEtimedout() {
        fastOpenListener(4);
        t.sysctl(Sysctls.TCP_SYNACK_RETRIES, 1);
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.peer.send(TcpFlags.SYN, "hello");
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        TcpFixture.text(t.read());
        PendingCall read = pending(t.kernel.read(t.pid, t.fd, 100));

        t.advanceSeconds(6.999);
        assertThat(t.peer.receivedFlags()).as("SYN-ACKs at 0, 1 and 3 s").containsExactly("S.", "S.", "S.");
        assertThat(t.state()).isEqualTo(TcpState.SYN_RECV);
        assertThat(read.isDone()).isFalse();
        t.kernel.advance(1);
        assertThat(t.events(EventType.TIMER_FIRED)).containsExactly("SYN-ACK retransmission #1", "SYN-ACK retransmission #2",
                "Fast Open SYN-ACK retries exhausted: ETIMEDOUT");
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
        assertThat(read.isDone()).as("the blocked read() is woken").isTrue();
        assertErrno(read.result(), Errno.ETIMEDOUT);
        assertThat(t.peer.receivedFlags()).as("tcp_write_err(): no RST").hasSize(3);
    }
}
