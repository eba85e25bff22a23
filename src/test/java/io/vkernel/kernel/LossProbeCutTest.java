package io.vkernel.kernel;

import io.vkernel.kernel.tcp.CaState;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * tcp_send_loss_probe() resending the last segment first cuts it from its skb (tcp_fragment()), so a later
 * retransmission that ends with it resends it as an skb of one segment: the train's last packet has one segment and,
 * as no write ended there, no PSH (__tcp_transmit_skb() sets PSH only on packets of more than one segment). GSO on,
 * MSS 1000, SACK, a 1 ms handshake RTT (one GSO packet for the whole send), 5000 bytes sent with MSG_MORE so no
 * write ends inside them and nothing waits unsent.
 */
class LossProbeCutTest {

    private final TcpFixture t = new TcpFixture();

    @Test
    void aRetransmissionEndingWithTheProbedSegment_endsWithAOneSegmentPacketWithoutPsh() {
        t.sysctl(Sysctls.TCP_WMEM_DEFAULT, 1 << 20);
        int base = t.establishedBy(p -> {
            p.mss = 1000;
            p.sackOk = true;
        }, 0, 0.001);
        TcpFixture.done(t.kernel.send(t.pid, t.fd, new byte[5000], io.vkernel.kernel.syscall.Syscalls.MSG_MORE,
                new io.vkernel.kernel.trace.PacketReport(null)));
        int start = t.peer.received().size();
        t.kernel.advance(1000);
        // the probe resends the last segment (no new data waits), then the RTO the head, twice
        assertThat(TcpFixture.summary(t.sentSince(start), base)).containsExactly(". 4000:5000", ". 0:1000", ". 0:1000");
        assertThat(t.tcb().caState()).isEqualTo(CaState.LOSS);
        int mark = t.peer.received().size();
        t.peer.sendSackBlocks(base + 1000);
        t.peer.sendSackBlocks(base + 3000);
        // [1000, 3000) is one packet of two segments: PSH; [3000, 5000) ends with the probed segment, an skb of its own
        assertThat(TcpFixture.summary(t.sentSince(mark), base)).containsExactly("P. 1000:3000", ". 3000:5000");
    }
}
