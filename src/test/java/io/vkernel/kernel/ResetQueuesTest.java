package io.vkernel.kernel;

import io.vkernel.kernel.tcp.SkMeminfo;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a socket the process still holds keeps after a reset (tcp_reset() -> tcp_done_with_error()):
 * tcp_write_queue_purge() frees the send queue but leaves write_seq and snd_una, so SIOCOUTQ (tcp_ioctl(): write_seq -
 * snd_una) still reads the unacknowledged bytes while sk_wmem_queued is 0; tcp_done() does not purge the out-of-order
 * queue, so SO_MEMINFO's rmem_alloc still charges it until close() (tcp_v4_destroy_sock()). connect(AF_UNSPEC)
 * (tcp_disconnect()) purges it at once.
 */
class ResetQueuesTest {

    private final TcpFixture t = new TcpFixture();

    private long ioctl(String request) {
        return done(t.kernel.ioctl(t.pid, t.fd, request)).value();
    }

    /** The process's socket's connection: it stays there after it leaves the established table. */
    private io.vkernel.kernel.tcp.Tcb held() {
        return t.kernel.inspect(k -> k.process(t.pid).fds().get(t.fd).socket().tcb());
    }

    /** getsockopt(SO_MEMINFO)'s sk_rmem_alloc. */
    private long rmemAlloc() {
        return SkMeminfo.of(held()).get("SK_MEMINFO_RMEM_ALLOC");
    }

    /** Established, 3000 bytes written and in flight, unacknowledged; 100 bytes from the peer held out of order. */
    private void unackedAndOutOfOrder() {
        t.established();
        t.write(3000);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt() + 500, t.tcb().sndUna(), "x".repeat(100));
        assertThat(t.tcb().outOfOrderBytes()).isEqualTo(100);
        assertThat(ioctl("SIOCOUTQ")).isEqualTo(3000);
        assertThat(memory().sendQueued()).as("the memory view charges the queued bytes").isEqualTo(3000);
    }

    /** The memory view's Linux side of the process's socket (its sk_sndbuf as set, 0 here). */
    private MemoryAccount.Linux memory() {
        return MemoryAccount.connection(held(), 0).linux();
    }

    @Test
    void afterAReset_siocoutqStillReadsTheUnackedBytes_theSendQueueHoldsNone_andTheOutOfOrderQueueStaysCharged() {
        unackedAndOutOfOrder();
        long ofoCharge = rmemAlloc();
        assertThat(ofoCharge).as("the out-of-order skb's truesize").isGreaterThan(100);
        t.peer.sendAt(TcpFlags.RST, t.peer.sndNxt(), 0, "");
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
        assertThat(ioctl("SIOCOUTQ")).as("write_seq - snd_una").isEqualTo(3000);
        assertThat(ioctl("SIOCOUTQNSD")).as("write_seq - snd_nxt: all of it was sent").isZero();
        assertThat(held().sendBuffer().wmemQueued(held())).as("tcp_write_queue_purge()").isZero();
        assertThat(memory().sendQueued()).as("nor does the memory view charge them").isZero();
        assertThat(memory().sendCharged()).isZero();
        assertThat(rmemAlloc()).as("the out-of-order queue is kept until close()").isEqualTo(ofoCharge);
    }

    @Test
    void connectAfUnspec_purgesTheOutOfOrderQueue() {
        unackedAndOutOfOrder();
        done(t.kernel.disconnect(t.pid, t.fd, new PacketReport(null)));
        assertThat(held().outOfOrderBytes()).isZero();
        assertThat(rmemAlloc()).isZero();
    }
}
