package io.vkernel.kernel;

import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Data TCP_CORK holds with nothing in flight leaves when the probe timer fires: tcp_check_probe_timer() arms
 * ICSK_TIME_PROBE0 for tcp_probe0_base() = max(RTO, 200 ms), and tcp_write_wakeup() sends what waits with PSH. A
 * second write does not push the deadline back, and a socket closed meanwhile sends nothing more.
 */
class CorkProbeTest {

    private final TcpFixture t = new TcpFixture().established();

    private List<Segment> data() {
        return t.peer.received().stream().filter(s -> s.payload().length > 0).toList();
    }

    @Test
    void corkedData_leavesWithPshExactlyAtTheProbeTime_andALaterWriteDoesNotDelayIt() {
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_CORK", 1, true));
        t.write("held");
        t.kernel.advance(100);
        t.write(" back");
        t.kernel.advance(99);
        assertThat(data()).isEmpty();
        t.kernel.advance(1);
        assertThat(data()).hasSize(1);
        Segment probe = data().get(0);
        assertThat(new String(probe.payload(), StandardCharsets.UTF_8)).isEqualTo("held back");
        assertThat(probe.flags() & (TcpFlags.PSH | TcpFlags.ACK)).isEqualTo(TcpFlags.PSH | TcpFlags.ACK);
    }

    @Test
    void theProbe_waitsForTheRto_whenItIsAbove200ms() {
        TcpFixture slow = new TcpFixture();
        slow.peer = new Peer(slow.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        slow.peer.send(TcpFlags.SYN, "");
        slow.advanceSeconds(0.5); // a 500 ms handshake RTT: RTO above 200 ms
        slow.peer.send(TcpFlags.ACK, "");
        slow.fd = (int) done(slow.kernel.accept(slow.pid, slow.listenFd)).ret();
        long rto = slow.tcb().rtoMs();
        assertThat(rto).isGreaterThan(200);
        done(slow.kernel.setsockopt(slow.pid, slow.fd, "TCP_CORK", 1, true));
        slow.write("corked");
        slow.kernel.advance(rto - 1);
        assertThat(slow.peer.received().stream().filter(s -> s.payload().length > 0)).isEmpty();
        slow.kernel.advance(1);
        assertThat(slow.peer.received().stream().filter(s -> s.payload().length > 0)).hasSize(1);
    }

    @Test
    void aSocketClosedBeforeTheProbe_sendsNoProbe() {
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_CORK", 1, true));
        t.write("held");
        t.peer.send(TcpFlags.RST, "");
        t.kernel.advance(1_000);
        assertThat(data()).isEmpty();
    }

    /**
     * After the peer's FIN the socket can still send (CLOSE_WAIT): clearing TCP_CORK lets the held bytes go at once
     * (tcp_push_pending_frames() from __tcp_sock_set_cork()), and so does setting TCP_NODELAY under the cork
     * (__tcp_sock_set_nodelay() pushes with TCP_NAGLE_PUSH), neither waiting for the probe timer.
     */
    @Test
    void inCloseWait_uncorkingOrSettingNodelay_sendsTheHeldBytesAtOnce() {
        TcpFixture closing = new TcpFixture().closeWait();
        List<Segment> before = List.copyOf(closing.peer.received());
        done(closing.kernel.setsockopt(closing.pid, closing.fd, "TCP_CORK", 1, true));
        closing.write("bye");
        assertThat(closing.peer.received()).as("corked").isEqualTo(before);
        done(closing.kernel.setsockopt(closing.pid, closing.fd, "TCP_CORK", 0, true));
        assertThat(closing.peer.received()).last().extracting(x -> new String(x.payload(), StandardCharsets.UTF_8)).isEqualTo("bye");

        done(closing.kernel.setsockopt(closing.pid, closing.fd, "TCP_CORK", 1, true));
        closing.write("now");
        int sent = closing.peer.received().size();
        done(closing.kernel.setsockopt(closing.pid, closing.fd, "TCP_NODELAY", 1, true));
        assertThat(closing.peer.received()).hasSize(sent + 1).last()
                .extracting(x -> new String(x.payload(), StandardCharsets.UTF_8)).isEqualTo("now");
    }
}
