package io.vkernel.kernel;

import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.trace.PacketReport;
import org.junit.jupiter.api.Test;

import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.pending;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * shutdown(SHUT_RD) wakes a read asleep on the same socket (tcp_shutdown() -> sk_state_change()), which then returns
 * 0 as tcp_recvmsg() does once RCV_SHUTDOWN is set (from the Syscalls survivor that removed the wake-up).
 */
class ShutdownWakeupTest {

    private final TcpFixture t = new TcpFixture();

    @Test
    void shutRd_wakesTheReadAsleepOnTheSocket_whichReturnsEndOfFile() {
        t.established();
        PendingCall read = pending(t.kernel.read(t.pid, t.fd, 100));
        assertThat(done(t.kernel.shutdown(t.pid, t.fd, 0, new PacketReport(null))).ret()).isZero();
        assertThat(read.isDone()).isTrue();
        assertThat(read.result().ret()).isZero();
        assertThat(read.result().strace()).isEqualTo("read(" + t.fd + ", \"\", 100) = 0");
    }
}
