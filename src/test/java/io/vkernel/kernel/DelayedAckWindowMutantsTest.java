package io.vkernel.kernel;

import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Segment;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * __tcp_ack_snd_check() after quick-ack mode: more than one full frame unacknowledged sends the ACK at once only when
 * the window the buffer backs now is at least the window last offered ({@code __tcp_select_window(sk) >= tp->rcv_wnd}),
 * so an application that reads keeps every second full segment acknowledged, and one that does not read lets the
 * ACK wait for the delayed-ACK timer while its window shrinks.
 */
class DelayedAckWindowMutantsTest {

    private static final String FULL = "x".repeat(1460);

    private final TcpFixture t = new TcpFixture();

    /** Sends full segments; answers, per segment, how many segments we sent at once in reply. */
    private List<Integer> fullSegments(int count, boolean read) {
        List<Integer> replies = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            replies.add(t.peer.data(FULL).sentSegments().size());
            if (read) {
                assertThat(t.read().ret()).isEqualTo(1460);
            }
        }
        return replies;
    }

    @Test
    void anApplicationThatReads_getsEverySecondFullSegmentAcknowledgedAtOnce_afterQuickAcks() {
        t.established();
        assertThat(fullSegments(16, true)).as("quick-ack mode").containsOnly(1);
        assertThat(fullSegments(8, true)).as("two full frames, the window as wide as offered").containsExactly(0, 1, 0, 1, 0, 1, 0, 1);
        assertThat(t.peer.lastReceived().ack()).isEqualTo(t.peer.sndNxt());
    }

    @Test
    void anApplicationThatDoesNotRead_letsTheAckWaitForTheTimer_whileItsWindowWouldShrink() {
        t.established();
        assertThat(fullSegments(16, false)).as("quick-ack mode").containsOnly(1);
        Segment lastQuick = t.peer.lastReceived();
        assertThat(fullSegments(8, false)).as("11680 bytes unacknowledged: the window would shrink, no ACK now").containsOnly(0);
        t.kernel.advance(40);
        Segment delayed = t.peer.lastReceived();
        assertThat(delayed.ack()).as("the delayed ACK covers all eight").isEqualTo(t.peer.sndNxt());
        assertThat(delayed.window()).isLessThan(lastQuick.window());
    }

    @Test
    void aReceiveBufferShrunkAfterTheHandshake_holdsTheAckOfFullSegments_theOfferedWindowCannotShrink() {
        // SO_RCVBUF 8192 after the handshake: the free window falls below the 65535 offered at once, so no ACK goes
        // at two full frames (here with RCV.NXT still below 2^32 - 8000: the peer's ISN is -10001)
        t.established();
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_RCVBUF", 8192, true));
        for (int i = 0; i < 16; i++) {
            t.peer.data("q");
        }
        assertThat(fullSegments(6, false)).as("8760 bytes, none acknowledged at once").containsOnly(0);
        t.kernel.advance(40);
        assertThat(t.peer.lastReceived().ack()).isEqualTo(t.peer.sndNxt());
    }
}
