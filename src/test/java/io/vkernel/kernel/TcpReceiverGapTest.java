package io.vkernel.kernel;

import io.vkernel.kernel.socket.EventPoll;
import io.vkernel.kernel.trace.DropReason;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.steps;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * TcpReceiver.queueData() where PIT found it unguarded, against Linux 6.18's tcp_data_queue_ofo() and
 * tcp_event_data_recv(): an out-of-order segment the receive buffer cannot hold (TCPOFODrop, sk_data_ready(), no
 * ACK), one it holds (no wake-up), and tcp_grow_window() for an in-order segment of exactly 128 bytes.
 */
class TcpReceiverGapTest {

    private final TcpFixture t = new TcpFixture();

    /** An edge-triggered watch for EPOLLIN | EPOLLOUT on the connection, its first report consumed; answers the epoll fd. */
    private int edgeWatch() {
        int ep = (int) done(t.kernel.epollCreate(t.pid, 1)).ret();
        done(t.kernel.epollCtl(t.pid, ep, EventPoll.CTL_ADD, t.fd, EventPoll.EPOLLIN | EventPoll.EPOLLOUT | EventPoll.EPOLLET, 7));
        assertThat(done(t.kernel.epollWait(t.pid, ep, 4, 0)).revents()).containsExactly(EventPoll.EPOLLOUT, 7);
        return ep;
    }

    @Test
    void anOutOfOrderSegmentTheBufferCannotHold_isDroppedUnanswered_countedAndWakesReaders() {
        t.established();
        // SO_RCVBUF after the handshake: sk_rcvbuf shrinks to SOCK_MIN_RCVBUF, the window already offered stays
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_RCVBUF", 1, true));
        int ep = edgeWatch();
        int index = t.peer.received().size();
        PacketReport ofo = t.peer.sendAt(TcpFlags.ACK | TcpFlags.PSH, t.peer.sndNxt() + 1000, t.peer.rcvNxt(), "x".repeat(3000));
        // tcp_data_queue_ofo(): tcp_try_rmem_schedule() fails, NET_INC_STATS(TCPOFODROP), sk_data_ready(), drop;
        // inet_csk_schedule_ack() comes after, so nothing answers it
        assertThat(ofo.dropReason()).isEqualTo(DropReason.RECEIVE_BUFFER_FULL);
        assertThat(ofo.dropDetail()).isEqualTo("no room to hold an out-of-order segment (TCPOFODrop): no ACK");
        assertThat(t.sentSince(index)).isEmpty();
        assertThat(t.counter(SnmpCounter.TCP_OFO_DROP)).isEqualTo(1);
        assertThat(done(t.kernel.epollWait(t.pid, ep, 4, 0)).revents()).as("sock_def_readable() woke the watch")
                .containsExactly(EventPoll.EPOLLOUT, 7);
        t.kernel.advance(1000);
        assertThat(t.sentSince(index)).as("no delayed ACK either").isEmpty();
    }

    @Test
    void anOutOfOrderSegmentHeld_isAnsweredAtOnce_andWakesNobody() {
        t.established();
        int ep = edgeWatch();
        int index = t.peer.received().size();
        PacketReport ofo = t.peer.sendAt(TcpFlags.ACK | TcpFlags.PSH, t.peer.sndNxt() + 1000, t.peer.rcvNxt(), "x".repeat(100));
        assertThat(steps(ofo, "tcp.ofo")).hasSize(1);
        List<Segment> sent = t.sentSince(index);
        assertThat(sent).hasSize(1);
        assertThat(sent.get(0).ack()).as("a duplicate ACK").isEqualTo(t.peer.sndNxt());
        // tcp_data_queue_ofo() holds it without sk_data_ready(): nothing is readable yet
        assertThat(done(t.kernel.epollWait(t.pid, ep, 4, 0)).ret()).isZero();
        assertThat(t.counter(SnmpCounter.TCP_OFO_DROP)).isZero();
    }

    private static final io.vkernel.kernel.wire.Endpoint CLIENT = io.vkernel.kernel.wire.Endpoint.parse(TcpFixture.CLIENT);
    private static final io.vkernel.kernel.wire.Endpoint SERVER = io.vkernel.kernel.wire.Endpoint.parse(TcpFixture.SERVER);

    /**
     * A 6 MiB receive buffer from the start (tcp_rmem[1]) and a peer that offers window scaling; after the handshake
     * one in-order segment of {@code bytes}. Answers the ACK that segment gets.
     */
    private Segment ackOfOneSegmentOf(int bytes) {
        t.sysctl(Sysctls.TCP_RMEM_DEFAULT, 6 << 20);
        var options = io.vkernel.kernel.wire.TcpOptions.of(new io.vkernel.kernel.wire.TcpOption.Mss(1460),
                new io.vkernel.kernel.wire.TcpOption.WindowScale(7));
        Segment synAck = t.kernel.receive(new Segment(CLIENT, SERVER, TcpFlags.SYN, 1000, 0, 65535, 1460, new byte[0], options))
                .sentSegments().get(0);
        t.kernel.receive(new Segment(CLIENT, SERVER, TcpFlags.ACK, 1001, synAck.seq() + 1, 512, 0, null));
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        PacketReport data = t.kernel.receive(new Segment(CLIENT, SERVER, TcpFlags.ACK | TcpFlags.PSH, 1001, synAck.seq() + 1, 512, 0,
                new byte[bytes]));
        assertThat(data.sentSegments()).as("quick-ack mode: the ACK goes at once").hasSize(1);
        assertThat(t.tcb().rcvWscale()).as("tcp_select_initial_window(): 6 MiB of tcp_rmem").isEqualTo(7);
        return data.sentSegments().get(0);
    }

    @Test
    void anInOrderSegmentOfExactly128Bytes_growsRcvSsthresh_andTheWindow() {
        // tcp_event_data_recv(): skb->len >= 128 calls tcp_grow_window(); at scaling_ratio 128 its 896-byte truesize
        // backs only 448 bytes of window, so __tcp_grow_window() halves until it fits: 2 x rcv_mss (536) = 1072;
        // rcv_ssthresh 65535 + 1072 = 66607, ALIGNed up to the 128-byte scale unit: 66688 = 521 << 7
        assertThat(ackOfOneSegmentOf(128).window()).isEqualTo(521);
    }

    @Test
    void anInOrderSegmentOf127Bytes_leavesRcvSsthreshAlone() {
        // rcv_ssthresh stays 65535: the window is 65536 = 512 << 7
        assertThat(ackOfOneSegmentOf(127).window()).isEqualTo(512);
    }
}
