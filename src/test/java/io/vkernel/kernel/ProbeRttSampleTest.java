package io.vkernel.kernel;

import io.vkernel.kernel.tcp.TcpInfo;
import org.junit.jupiter.api.Test;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The handshake's timing ends with the ACK that covers the SYN-ACK, even when both happen at virtual time 0, so the
 * next timed segment starts a timing of its own: a corked write's probe sent at 200 ms and acknowledged at 300 ms is
 * a 100 ms sample (SRTT 0 + (100 - 0) / 8 = 12.5 ms), not one measured from the handshake at time 0.
 */
class ProbeRttSampleTest {

    private final TcpFixture t = new TcpFixture().established(); // SYN, SYN-ACK and ACK at virtual time 0

    @Test
    void aProbesAck_isTimedFromTheProbe_notFromAHandshakeAtTimeZero() {
        assertThat(TcpInfo.of(t.tcb()).get("tcpi_rtt")).isZero();
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_CORK", 1, true));
        t.write("held");
        t.kernel.advance(200); // the probe timer sends the held bytes
        assertThat(t.peer.lastReceived().payload()).hasSize(4);
        t.kernel.advance(100);
        t.peer.consumeSent();
        t.peer.ack();
        assertThat(TcpInfo.of(t.tcb()).get("tcpi_rtt")).isEqualTo(12_000L); // SRTT 12.5 ms, reported in whole ms
    }
}
