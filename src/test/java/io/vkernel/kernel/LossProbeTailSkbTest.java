package io.vkernel.kernel;

import io.vkernel.kernel.tcp.Tcb;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A tail loss probe that sends new data takes it from the front of the unsent skb (tso_fragment() at the probe's
 * end), so what stays unsent is still an skb nothing of which was sent, and the next write's bytes join it
 * (tcp_sendmsg_locked() appends to tcp_write_queue_tail() while it is below size_goal) instead of taking an skb of
 * their own: the send buffer's skb count and sk_wmem_queued (ss -m, the send-buffer view) show it. GSO on, MSS 1000,
 * SACK, a 100 ms handshake RTT.
 */
class LossProbeTailSkbTest {

    private final TcpFixture t = new TcpFixture();

    private int skbs() {
        Tcb tcb = t.tcb();
        return tcb.sendBuffer().skbCount(tcb);
    }

    @Test
    void aNewDataProbe_leavesTheRestAnOpenTail_thatTheNextWriteJoins() {
        t.sysctl(Sysctls.TCP_WMEM_DEFAULT, 1 << 20);
        int base = t.establishedBy(p -> {
            p.mss = 1000;
            p.sackOk = true;
        }, 0, 0.1);
        t.write(20_000); // cwnd 10: 10 000 bytes leave, the rest waits
        assertThat(t.tcb().sndNxt() - base).isEqualTo(10_000);
        int before = skbs();
        t.advanceSeconds(0.202); // the probe: 1000 new bytes
        assertThat(t.tcb().sndNxt() - base).isEqualTo(11_000);
        assertThat(skbs()).as("tso_fragment() at the probe's end").isEqualTo(before + 1);
        long queued = t.tcb().sendBuffer().wmemQueued(t.tcb());
        t.write(100);
        assertThat(skbs()).as("the 100 bytes join the unsent tail").isEqualTo(before + 1);
        assertThat(t.tcb().sendBuffer().wmemQueued(t.tcb())).isEqualTo(queued + 100);
    }
}
