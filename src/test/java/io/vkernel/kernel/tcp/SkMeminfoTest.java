package io.vkernel.kernel.tcp;

import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** getsockopt(SO_MEMINFO)'s receive entries (sk_get_meminfo()): the truesize queued and the buffer it counts against. */
class SkMeminfoTest {

    @Test
    void rmemAllocIsTheQueuedTruesize_rcvbufTheBuffer_inTheSelftestsOrder() {
        Tcb tcb = new Tcb(new FourTuple(Endpoint.parse("192.168.0.1:8080"), Endpoint.parse("192.0.2.1:48004")),
                TcpState.ESTABLISHED, 0);
        tcb.rcvBufLimit = 131_072;
        assertThat(SkMeminfo.of(tcb)).containsExactly(
                java.util.Map.entry("SK_MEMINFO_RMEM_ALLOC", 0L), java.util.Map.entry("SK_MEMINFO_RCVBUF", 131_072L));
        tcb.receiveQueue.append(new byte[1000], 0, 1000);
        RcvSpace.chargeQueued(tcb, 1000, 2304);
        assertThat(SkMeminfo.of(tcb)).containsEntry("SK_MEMINFO_RMEM_ALLOC", 2304L);
        assertThat(SkMeminfo.of(tcb).keySet()).containsExactlyElementsOf(SkMeminfo.FIELDS);
    }
}
