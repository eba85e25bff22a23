package io.vkernel.kernel;

import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.tcp.TcpInfo;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Segment;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.socket.EventPoll.CTL_ADD;
import static io.vkernel.kernel.socket.EventPoll.EPOLLET;
import static io.vkernel.kernel.socket.EventPoll.EPOLLOUT;
import static io.vkernel.kernel.TcpFixture.steps;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The last TcpReceiver survivors PIT left, at kernel level: tcp_fin() in FIN_WAIT1 while our FIN still waits behind
 * one unsent byte (Linux 6.18 goes to CLOSING whatever the peer acknowledged); the receiver's RTT measured over one
 * window of data without timestamps (tcp_rcv_rtt_measure()), and the receive autotuning (tcp_rcv_space_adjust()) that
 * reading it, by read() or by splice(), then runs; which epoll watchers data and a FIN wake.
 */
class TcpReceiverSurvivorsTest {

    private final TcpFixture t = new TcpFixture();

    @Test
    void thePeersFin_whileOurFinWaitsBehindOneUnsentByte_isASimultaneousClose() {
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.peer.window = 1000;
        t.peer.connect();
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        t.write(1001);
        done(t.kernel.shutdown(t.pid, t.fd, 1, new PacketReport(null))); // SHUT_WR: the FIN queues behind the data
        List<Segment> sent = t.peer.received();
        assertThat(sent.stream().mapToInt(s -> s.payload().length).sum()).as("the peer's window takes 1000 of the 1001 bytes")
                .isEqualTo(1000);
        assertThat(t.state()).isEqualTo(TcpState.FIN_WAIT1);
        t.peer.consumeSent();
        t.peer.window = 0; // everything sent is acknowledged, the window closes: one byte and our FIN wait
        PacketReport fin = t.peer.fin();
        assertThat(t.state()).as("tcp_fin(): FIN_WAIT1 -> CLOSING").isEqualTo(TcpState.CLOSING);
        assertThat(steps(fin, "tcp.fin")).containsExactly("FIN received: state CLOSING");
    }

    /**
     * The peer sends one segment, then, 100 ms later, a window's worth (44 x 1460 bytes) that carries RCV.NXT past
     * where the measure started; the application takes each segment as it comes, by read() or by splice() into a
     * pipe it drains.
     */
    private void aWindowInOneRtt(boolean splice) {
        t.established();
        int[] pipe = new int[2];
        if (splice) {
            SyscallResult made = done(t.kernel.pipe(t.pid, 0));
            pipe = new int[] {made.revents().get(0), made.revents().get(1)};
        }
        String segment = "x".repeat(1460);
        for (int i = 0; i <= 44; i++) {
            if (i == 1) {
                t.kernel.advance(100);
            }
            t.peer.data(segment);
            if (splice) {
                assertThat(done(t.kernel.splice(t.pid, t.fd, pipe[1], 65_536, 0, new PacketReport(null))).ret()).isEqualTo(1460);
                assertThat(done(t.kernel.read(t.pid, pipe[0], 65_536)).ret()).isEqualTo(1460);
            } else {
                assertThat(t.read().ret()).isEqualTo(1460);
            }
        }
    }

    private long rcvbuf() {
        return done(t.kernel.getsockopt(t.pid, t.fd, "SO_RCVBUF")).value();
    }

    @Test
    void aWindowOfDataInOneRtt_givesTheReceiverRtt_andReadingItGrowsTheBuffer() {
        aWindowInOneRtt(false);
        assertThat(TcpInfo.of(t.tcb())).as("tcp_rcv_rtt_measure(): 100 ms").containsEntry("tcpi_rcv_rtt", 100_000L);
        assertThat(rcvbuf()).as("tcp_rcv_space_adjust() after the read: more than rcvq_space (14600) copied in one RTT")
                .isGreaterThan(131_072);
    }

    @Test
    void aWindowOfDataInOneRtt_splicedOut_growsTheBufferToo() {
        aWindowInOneRtt(true);
        assertThat(TcpInfo.of(t.tcb())).containsEntry("tcpi_rcv_rtt", 100_000L);
        assertThat(rcvbuf()).as("tcp_read_sock(): tcp_rcv_space_adjust()").isGreaterThan(131_072);
    }

    @Test
    void dataWakesNoWriteWatcher_butThePeersFinWakesEveryWatcher() {
        t.established();
        int ep = (int) done(t.kernel.epollCreate(t.pid, 1)).ret();
        done(t.kernel.epollCtl(t.pid, ep, CTL_ADD, t.fd, EPOLLOUT | EPOLLET, 5));
        assertThat(done(t.kernel.epollWait(t.pid, ep, 4, 0)).revents()).as("added while writeable").containsExactly(EPOLLOUT, 5);
        t.peer.data("hi");
        // sock_def_readable(): EPOLLIN | EPOLLPRI | EPOLLRDNORM | EPOLLRDBAND; ep_poll_callback() skips an EPOLLOUT watch
        assertThat(done(t.kernel.epollWait(t.pid, ep, 4, 0)).ret()).isZero();
        t.peer.fin();
        // tcp_fin() -> sk_state_change() -> sock_def_wakeup(): a wake-up without a key reaches every watch
        assertThat(done(t.kernel.epollWait(t.pid, ep, 4, 0)).revents()).containsExactly(EPOLLOUT, 5);
    }

    @Test
    void anOutOfOrderSegment_wakesNoBlockedReader() {
        t.established();
        var read = TcpFixture.pending(t.kernel.read(t.pid, t.fd, 100));
        // tcp_data_queue() -> tcp_data_queue_ofo(): held for reassembly, no sk_data_ready()
        PacketReport ofo = t.peer.sendAt(io.vkernel.kernel.wire.TcpFlags.ACK | io.vkernel.kernel.wire.TcpFlags.PSH,
                t.peer.sndNxt() + 10, t.peer.rcvNxt(), "later");
        assertThat(steps(ofo, "tcp.ofo")).hasSize(1);
        assertThat(steps(ofo, "wake")).isEmpty();
        assertThat(read.isDone()).isFalse();
    }
}
