package io.vkernel.kernel;

import io.vkernel.kernel.socket.EventPoll;
import io.vkernel.kernel.tcp.TcpInfo;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOption;
import io.vkernel.kernel.wire.TcpOptions;
import org.junit.jupiter.api.Test;

import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.steps;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Where TcpInput.processAck() met Linux 6.18's tcp_ack() and tcp_rcv_state_process() only at an edge PIT found
 * unguarded: an echoed timestamp INT_MAX / 1000 ms old (tcp_rtt_tsopt_us()), the ACK that ends LAST_ACK (tcp_done(),
 * no tcp_check_space()), and the sndbuf-limited chronograph an ACK that frees space stops (tcp_check_space()).
 */
class TcpInputGapTest {

    private static final Endpoint CLIENT = Endpoint.parse(TcpFixture.CLIENT);
    private static final Endpoint SERVER = Endpoint.parse(TcpFixture.SERVER);

    private final TcpFixture t = new TcpFixture();

    private static TcpOptions timestamps(long value, long echo) {
        return TcpOptions.of(new TcpOption.Timestamps(value & 0xffffffffL, echo & 0xffffffffL));
    }

    private long info(String key) {
        return t.kernel.inspect(k -> TcpInfo.of(t.tcb(), k.clock().now())).get(key);
    }

    /**
     * A timestamps connection with a 100 ms handshake RTT whose first 1000 bytes the RTO resent (Karn: their ACK
     * gives no sample of its own), ACKed by a segment echoing a TSval {@code age} ms older than the resent one's.
     */
    private void resentAckedWithAnEchoOlderBy(long age) {
        t.sysctl(Sysctls.VKERNEL_GSO, 0);
        Segment synAck = t.kernel.receive(new Segment(CLIENT, SERVER, TcpFlags.SYN, 1000, 0, 65535, 1000, new byte[0],
                TcpOptions.of(new TcpOption.Mss(1000), new TcpOption.Timestamps(1, 0)))).sentSegments().get(0);
        t.advanceSeconds(0.1);
        t.kernel.receive(new Segment(CLIENT, SERVER, TcpFlags.ACK, 1001, synAck.seq() + 1, 65535, 0, new byte[0],
                timestamps(2, synAck.timestamps().value())));
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        assertThat(info("tcpi_rtt")).isEqualTo(100_000L);
        t.write(1000);
        t.advanceSeconds(0.3);
        Segment resent = t.peer.lastReceived();
        assertThat(resent.seq()).as("the RTO resent the data").isEqualTo(synAck.seq() + 1);
        t.kernel.receive(new Segment(CLIENT, SERVER, TcpFlags.ACK, 1001, synAck.seq() + 1001, 65535, 0, new byte[0],
                timestamps(3, resent.timestamps().value() - age)));
        assertThat(t.tcb().sndUna()).as("the ACK is taken").isEqualTo(synAck.seq() + 1001);
    }

    @Test
    void anEchoExactlyIntMaxOver1000MillisecondsOld_givesNoRttSample() {
        // tcp_rtt_tsopt_us(): delta < INT_MAX / (USEC_PER_SEC / TCP_TS_HZ) or -1, so 2147483 ms is no sample
        resentAckedWithAnEchoOlderBy(Integer.MAX_VALUE / 1000);
        assertThat(info("tcpi_rtt")).isEqualTo(100_000L);
    }

    @Test
    void anEchoOneMillisecondYounger_isASample() {
        resentAckedWithAnEchoOlderBy(Integer.MAX_VALUE / 1000 - 1);
        // SRTT = 100 ms + (2147482 ms - 100 ms) / 8 = 268522.75 ms (vkernel keeps whole milliseconds)
        assertThat(info("tcpi_rtt")).isEqualTo(268_522_000L);
    }

    @Test
    void theAckOfOurFinInLastAck_leavesSkSndbufAlone_evenWithAWriterMarkedNoSpace() {
        // sk_sndbuf starts at tcp_wmem[2] (tcp_sndbuf_expand() is capped by it), so a few writes fill it with
        // everything in flight; then tcp_wmem[2] is raised so tcp_new_space() could grow it
        t.sysctl(Sysctls.TCP_WMEM_DEFAULT, 4096);
        t.sysctl(Sysctls.TCP_WMEM_MAX, 12_000);
        t.closeWait();
        t.nonBlocking();
        int base = t.tcb().sndUna();
        int written = 0;
        for (var w = t.write(2000); w.ret() > 0; w = t.write(2000)) {
            written += (int) w.ret();
        }
        TcpFixture.assertErrno(t.write(2000), io.vkernel.kernel.socket.Errno.EAGAIN);
        assertThat(t.tcb().sndNxt()).as("everything written is in flight").isEqualTo(base + written);
        t.sysctl(Sysctls.TCP_WMEM_MAX, 4_194_304);
        done(t.kernel.shutdown(t.pid, t.fd, 1, new PacketReport(null)));
        assertThat(t.state()).isEqualTo(TcpState.LAST_ACK);
        assertThat(done(t.kernel.getsockopt(t.pid, t.fd, "SO_SNDBUF")).value()).isEqualTo(12_000);
        t.advanceSeconds(0.01);
        PacketReport last = t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + written + 1, "");
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
        // tcp_rcv_state_process() TCP_LAST_ACK: tcp_done(), goto consume: tcp_data_snd_check() never runs
        assertThat(steps(last, "tcp.sndbuf")).isEmpty();
        assertThat(done(t.kernel.getsockopt(t.pid, t.fd, "SO_SNDBUF")).value()).isEqualTo(12_000);
    }

    @Test
    void theAckOfOurFinInLastAck_wakesAnEdgeTriggeredWatcher() {
        t.closeWait();
        done(t.kernel.shutdown(t.pid, t.fd, 1, new PacketReport(null)));
        assertThat(t.state()).isEqualTo(TcpState.LAST_ACK);
        int ep = (int) done(t.kernel.epollCreate(t.pid, 1)).ret();
        done(t.kernel.epollCtl(t.pid, ep, EventPoll.CTL_ADD, t.fd, EventPoll.EPOLLOUT | EventPoll.EPOLLET, 5));
        assertThat(done(t.kernel.epollWait(t.pid, ep, 4, 0)).ret()).as("reported once when added").isEqualTo(1);
        assertThat(done(t.kernel.epollWait(t.pid, ep, 4, 0)).ret()).as("then not again without a wake-up").isZero();
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), t.peer.lastReceived().seq() + 1, "");
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
        // tcp_done() -> sk_state_change() -> sock_def_wakeup(): a wake-up without a key, although no data was acknowledged
        assertThat(done(t.kernel.epollWait(t.pid, ep, 4, 0)).revents()).containsExactly(EventPoll.EPOLLOUT | EventPoll.EPOLLHUP, 5);
    }

    @Test
    void anAckThatMakesTheSocketWriteable_endsTheSndbufLimitedTime_thoughDataIsStillQueued() {
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.peer.window = 1000;
        t.peer.connect();
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        int base = t.tcb().sndUna();
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_SNDBUF", 2304, true));
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_NODELAY", 1, true));
        t.nonBlocking();
        assertThat(t.write(20_000).ret()).isEqualTo(2000);
        TcpFixture.assertErrno(t.write(100), io.vkernel.kernel.socket.Errno.EAGAIN); // SOCK_NOSPACE
        t.kernel.advance(10);
        t.peer.window = 65535;
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base, ""); // a window update: the rest goes, the writer still waits
        assertThat(t.tcb().sndNxt()).isEqualTo(base + 2000);
        t.kernel.advance(100);
        assertThat(info("tcpi_sndbuf_limited")).as("tcp_cwnd_validate() started it").isEqualTo(100_000);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 1000, ""); // half acknowledged: writeable, 1000 bytes left
        t.kernel.advance(100);
        // tcp_check_space() -> sk_stream_write_space() cleared SOCK_NOSPACE; tcp_chrono_stop() falls back to busy
        assertThat(info("tcpi_sndbuf_limited")).isEqualTo(100_000);
        assertThat(info("tcpi_busy_time")).isEqualTo(210_000);
        assertThat(t.write(100).ret()).as("writeable").isEqualTo(100);
    }
}
