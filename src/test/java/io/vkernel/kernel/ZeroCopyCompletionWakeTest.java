package io.vkernel.kernel;

import io.vkernel.kernel.socket.EventPoll;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.pending;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * When a MSG_ZEROCOPY send() returns, its reference on the notification range is dropped (net_zcopy_put()). A range
 * whose skbs are already gone (a reset purged them while the call slept) completes right then:
 * __msg_zerocopy_callback() queues the notification and calls sk_error_report(), a wake-up an edge-triggered epoll
 * watch reports again. A send whose range still has skbs in flight completes nothing and wakes nobody. From the
 * ErrorQueue ledger's GAP rows (ErrorQueue.finish()).
 */
class ZeroCopyCompletionWakeTest {

    private final TcpFixture t = new TcpFixture();

    /** An edge-triggered watch on the connection, its first report consumed; answers the epoll fd. */
    private int edgeWatch(int events) {
        int ep = (int) done(t.kernel.epollCreate(t.pid, 1)).ret();
        done(t.kernel.epollCtl(t.pid, ep, EventPoll.CTL_ADD, t.fd, events | EventPoll.EPOLLET, 7));
        assertThat(done(t.kernel.epollWait(t.pid, ep, 4, 0)).revents()).containsExactly(EventPoll.EPOLLOUT, 7);
        assertThat(done(t.kernel.epollWait(t.pid, ep, 4, 0)).ret()).as("not again without a wake-up").isZero();
        return ep;
    }

    @Test
    void aPurgedRangeCompletingAsItsBlockedSendReturns_wakesAnEdgeTriggeredWatchAgain() {
        t.established();
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_ZEROCOPY", 1, true));
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_SNDBUF", 1, true));
        int ep = edgeWatch(EventPoll.EPOLLOUT | EventPoll.EPOLLERR);
        // a thread asleep in epoll_wait() first, then a zero-copy send() that fills the buffer and sleeps
        PendingCall watcher = pending(t.kernel.epollWait(t.pid, ep, 4, -1));
        PendingCall send = pending(t.kernel.send(t.pid, t.fd, new byte[100_000], Syscalls.MSG_ZEROCOPY, new PacketReport(null)));
        assertThat(watcher.isDone()).as("nothing new for the edge-triggered watch").isFalse();

        // tcp_reset(): the purge leaves the range the sleeping send() holds; sk_error_report() wakes both threads
        t.peer.sendAt(TcpFlags.RST, t.peer.sndNxt(), 0, "");

        assertThat(watcher.isDone()).isTrue();
        assertThat(watcher.result().revents()).containsExactly(EventPoll.EPOLLOUT | EventPoll.EPOLLERR | EventPoll.EPOLLHUP, 7);
        assertThat(send.isDone()).isTrue();
        assertThat(send.result().ret()).as("it had queued part of it").isPositive().isLessThan(100_000);
        // the send's return dropped the last reference: __msg_zerocopy_callback() queued the notification and
        // sk_error_report() queued the edge-triggered watch once more
        assertThat(done(t.kernel.epollWait(t.pid, ep, 4, 0)).revents())
                .containsExactly(EventPoll.EPOLLOUT | EventPoll.EPOLLERR | EventPoll.EPOLLHUP, 7);
        SyscallResult zc = done(t.kernel.recvmsg(t.pid, t.fd, 10, Syscalls.MSG_ERRQUEUE));
        assertThat(zc.extendedErr().info()).isZero();
        assertThat(zc.extendedErr().data()).isZero();
    }

    @Test
    void aSendWhoseRangeIsStillInFlight_returnsWithoutWakingAnEdgeTriggeredWatch() {
        t.established();
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_ZEROCOPY", 1, true));
        int ep = edgeWatch(EventPoll.EPOLLOUT | EventPoll.EPOLLERR);

        assertThat(done(t.kernel.send(t.pid, t.fd, new byte[1000], Syscalls.MSG_ZEROCOPY, new PacketReport(null))).ret()).isEqualTo(1000);

        assertThat(done(t.kernel.epollWait(t.pid, ep, 4, 0)).ret()).as("net_zcopy_put(): the skbs still hold the range, no callback")
                .isZero();
        t.peer.consumeSent();
        t.peer.ack();
        // the ACK frees the skbs: __msg_zerocopy_callback() -> sk_error_report()
        assertThat(done(t.kernel.epollWait(t.pid, ep, 4, 0)).revents()).containsExactly(EventPoll.EPOLLOUT | EventPoll.EPOLLERR, 7);
    }
}
