package io.vkernel.kernel;

import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.trace.PacketReport;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A MSG_EOR write whose skb a send cuts: tcp_mss_split_point() sends what one GSO packet takes and tso_fragment()
 * splits the skb there; tcp_skb_fragment_eor() moves TCP_SKB_CB(skb)->eor to the second part, which still ends the
 * record. So a resend of that second part takes in no later skb (tcp_retrans_try_collapse() stops at
 * tcp_skb_can_collapse()), though the next one would fit in the MSS. MSS 1000, GSO on, SACK, 100 ms RTT, TCP_NODELAY,
 * no loss probe; the peer offers an 8000-byte window. Offsets are from the first data byte.
 */
class EorSplitSkbCollapseTest {

    private final TcpFixture t = new TcpFixture();

    @Test
    void theTailOfASplitEorSkb_keepsItsEor_andItsResendTakesInNoLaterWrite() {
        t.sysctl(Sysctls.TCP_EARLY_RETRANS, 2); // no tail loss probe: the RTO resends first
        int base = t.establishedBy(p -> {
            p.mss = 1000;
            p.sackOk = true;
            p.window = 8000;
        }, 0, 0.1);
        TcpFixture.done(t.kernel.setsockopt(t.pid, t.fd, "TCP_NODELAY", 1, true));
        int before = t.peer.received().size();
        // one skb [0, 2500) with the record's eor (the size goal, half the 8000-byte window, is 4000); a GSO packet
        // takes two segments (tcp_tso_autosize(): tcp_min_tso_segs), so tso_fragment() splits it at 2000
        TcpFixture.done(t.kernel.send(t.pid, t.fd, new byte[2500], Syscalls.MSG_EOR, new PacketReport(null)));
        t.write(300); // the tail skb ends a record: tcp_sendmsg_locked() starts a new skb [2500, 2800)
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly("P. 0:2000", "P. 2000:2500", "P. 2500:2800");
        t.advanceSeconds(0.1);
        t.peer.sendSackBlocksFrom(base, 2000);
        before = t.peer.received().size();
        t.kernel.advance(t.tcb().rtoMs());
        // tcp_retransmit_skb() of [2000, 2500): it kept the record's eor through the split, so [2500, 2800) stays
        // apart though 800 bytes fit in the MSS (without the eor the resend would be 2000:2800)
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly("P. 2000:2500");
        t.advanceSeconds(0.1);
        before = t.peer.received().size();
        t.peer.sendSackBlocksFrom(base, 2500);
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly("P. 2500:2800");
    }
}
