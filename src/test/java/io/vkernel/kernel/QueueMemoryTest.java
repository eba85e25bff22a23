package io.vkernel.kernel;

import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the memory view (GET /memory, MemoryAccount) says vkernel itself holds for one connection: the backing arrays
 * of its receive and send queues (a queue holds only what it needs, at least 64 bytes, and doubles when it grows) plus
 * the out-of-order bytes it keeps, and nothing once close() discarded what was unread.
 */
class QueueMemoryTest {

    private final TcpFixture t = new TcpFixture();

    private long vkernelBytes() {
        MemoryAccount.Report report = t.kernel.inspect(k -> MemoryAccount.of(k, 100));
        assertThat(report.connections()).hasSize(1);
        return report.connections().get(0).vkernelBytes();
    }

    @Test
    void unreadBytes_unacknowledgedBytes_andOutOfOrderBytes_allCount() {
        t.established();
        t.peer.data("r".repeat(100)); // unread: a 100-byte receive queue
        // 200 bytes 300 bytes beyond RCV.NXT: kept out of order
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt() + 300, t.peer.rcvNxt(), "o".repeat(200));
        assertThat(t.tcb().outOfOrderBytes()).isEqualTo(200);
        t.write(1000); // sent, not acknowledged: a 1000-byte send queue
        assertThat(vkernelBytes()).isEqualTo(100 + 1000 + 200);
    }

    @Test
    void aSendQueueThatGrows_doublesItsArray() {
        t.established();
        t.write(1000);
        assertThat(vkernelBytes()).isEqualTo(1000);
        t.write(1); // 1001 bytes queued: the array doubles to 2000
        assertThat(vkernelBytes()).isEqualTo(2000);
    }

    @Test
    void aSendQueueFilledExactlyToItsArray_keepsIt() {
        t.established();
        int una = t.tcb().sndUna();
        t.write(1000);
        t.peer.sendSackBlocks(una + 400); // 600 bytes left in the 1000-byte array
        assertThat(vkernelBytes()).isEqualTo(1000);
        t.write(400); // exactly 1000 queued again: no need to grow
        assertThat(vkernelBytes()).isEqualTo(1000);
    }

    @Test
    void closeInTimeWait_withUnreadData_discardsItWithoutARst_andHoldsNothing() {
        t.established();
        TcpFixture.done(t.kernel.shutdown(t.pid, t.fd, 1, new PacketReport(null))); // SHUT_WR: FIN_WAIT1, the fd stays open
        t.peer.consumeSent();
        t.peer.ack();
        assertThat(t.state()).isEqualTo(TcpState.FIN_WAIT2);
        t.peer.data("unread");
        t.peer.fin();
        assertThat(t.state()).isEqualTo(TcpState.TIME_WAIT);
        assertThat(vkernelBytes()).as("6 unread bytes in a 64-byte array").isEqualTo(64);
        int sent = t.peer.received().size();
        PacketReport report = new PacketReport(null);
        TcpFixture.done(t.kernel.close(t.pid, t.fd, report));
        // __tcp_close(): Linux's socket is already TCP_CLOSE here (tcp_time_wait() -> tcp_done()), so no RST either
        assertThat(t.sentSince(sent)).isEmpty();
        assertThat(t.counter(SnmpCounter.TCP_ABORT_ON_CLOSE)).isZero();
        assertThat(t.state()).isEqualTo(TcpState.TIME_WAIT);
        assertThat(vkernelBytes()).isZero();
    }
}
