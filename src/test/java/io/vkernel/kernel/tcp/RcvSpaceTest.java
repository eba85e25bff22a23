package io.vkernel.kernel.tcp;

import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The memory Linux charges for a segment packetdrill injects through tun (tun_alloc_skb(), alloc_skb_with_frags(),
 * kmalloc_reserve()), and sk_rmem_alloc following the receive queue as the application reads.
 */
class RcvSpaceTest {

    @Test
    void smallPackets_costTheirKmallocHead_plusTheSkb() {
        assertThat(RcvSpace.truesize(40)).as("a bare header: the 640-byte small-head cache").isEqualTo(896);
        assertThat(RcvSpace.truesize(1052)).as("1000 bytes with timestamps: kmalloc-2k").isEqualTo(2304);
        assertThat(RcvSpace.truesize(2040)).as("2000 bytes: kmalloc-4k").isEqualTo(4352);
    }

    @Test
    void packetsOfAPageOrMore_costA3712ByteHead_plusWholePages() {
        assertThat(RcvSpace.truesize(4040)).as("4000 bytes: one page for the last 328").isEqualTo(4352 + 4096);
        assertThat(RcvSpace.truesize(20040)).as("20000 bytes: four pages").isEqualTo(4352 + 4 * 4096);
    }

    @Test
    void readingAnSkbWhole_freesItsCharge_aPartialReadDoesNot() {
        Tcb tcb = new Tcb(new FourTuple(Endpoint.parse("192.168.0.1:8080"), Endpoint.parse("192.0.2.1:48004")),
                TcpState.ESTABLISHED, 0);
        tcb.receiveQueue.append(new byte[1000], 0, 1000);
        RcvSpace.chargeQueued(tcb, 1000, 2304);
        tcb.receiveQueue.append(new byte[1000], 0, 1000);
        RcvSpace.chargeQueued(tcb, 1000, 2304);
        assertThat(RcvSpace.rmemAlloc(tcb)).isEqualTo(4608);

        tcb.receiveQueue.take(1500);
        assertThat(RcvSpace.rmemAlloc(tcb)).as("the second skb is half read and still charged").isEqualTo(2304);
        tcb.receiveQueue.take(500);
        assertThat(RcvSpace.rmemAlloc(tcb)).isZero();
    }
}
