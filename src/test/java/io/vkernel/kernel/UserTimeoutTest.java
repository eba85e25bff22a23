package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.EventType;
import io.vkernel.kernel.trace.KernelEvent;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * TCP_USER_TIMEOUT (RFC 5482) over retransmissions: the deadline counts from when the first unacknowledged segment left
 * (tcp_retransmit_skb()'s retrans_stamp), the last RTO is clamped to end exactly there
 * (tcp_clamp_rto_to_user_timeout()), and the connection fails with ETIMEDOUT at it, whatever tcp_retries2 says.
 */
class UserTimeoutTest {

    private final TcpFixture t = new TcpFixture().established();

    private List<String> timerEvents() {
        return t.kernel.inspect(k -> k.events().after(0, 10_000)).stream()
                .filter(e -> e.type() == EventType.TIMER_FIRED).map(KernelEvent::detail).toList();
    }

    @Test
    void retransmissions_stopExactlyAtTheUserTimeout_theLastRtoClampedToIt() {
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_USER_TIMEOUT", 1000, true));
        t.write("never acknowledged");
        // retransmissions at 200 and 600 ms (RTO 200, 400); the next RTO, 800 ms, is cut to the 400 ms left
        t.kernel.advance(999);
        assertThat(t.state()).isEqualTo(TcpState.ESTABLISHED);
        assertThat(timerEvents()).hasSize(2);
        t.kernel.advance(1);
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
        TcpFixture.assertErrno(t.write("late"), Errno.ETIMEDOUT);
    }

    @Test
    void theDeadline_countsFromWhenTheUnacknowledgedDataLeft_notFromTheWrite() {
        t.kernel.advance(5_000);
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_USER_TIMEOUT", 700, true));
        t.write("lost");
        // retransmissions at 200 and 600 ms after the write; the third RTO is clamped to the 100 ms left
        t.kernel.advance(699);
        assertThat(t.state()).isEqualTo(TcpState.ESTABLISHED);
        t.kernel.advance(1);
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
    }

    @Test
    void withoutAUserTimeout_tcpRetries2Decides() {
        t.kernel.sysctl(Sysctls.TCP_RETRIES2, 2);
        t.write("lost");
        t.kernel.advance(1_399);
        assertThat(t.state()).isEqualTo(TcpState.ESTABLISHED);
        t.kernel.advance(1);
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
    }
}
