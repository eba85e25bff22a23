package io.vkernel.kernel;

import io.vkernel.kernel.wire.Segment;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * tcp_check_probe_timer() arms the probe timer only when it is not already pending: a second corked write while it
 * runs changes nothing, so once that probe has gone and been acknowledged, the next corked bytes wait a full
 * max(RTO, 200 ms) of their own, not for a timer the second write would have left behind.
 */
class CorkProbeRearmTest {

    private final TcpFixture t = new TcpFixture().established();

    private List<String> data() {
        return t.peer.received().stream().filter(s -> s.payload().length > 0)
                .map((Segment s) -> new String(s.payload(), StandardCharsets.UTF_8)).toList();
    }

    @Test
    void afterAProbeIsAcknowledged_theNextCorkedBytesWaitTheirOwnProbeTimer() {
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_CORK", 1, true));
        t.write("held");
        t.kernel.advance(100);
        t.write(" back"); // the probe timer is pending: it stays at 200 ms
        t.kernel.advance(100);
        assertThat(data()).containsExactly("held back");
        t.peer.consumeSent();
        t.peer.ack();
        t.kernel.advance(50);
        t.write("later"); // at 250 ms, nothing in flight: a new probe timer, due at 450 ms
        t.kernel.advance(199);
        assertThat(data()).containsExactly("held back");
        t.kernel.advance(1);
        assertThat(data()).containsExactly("held back", "later");
    }
}
