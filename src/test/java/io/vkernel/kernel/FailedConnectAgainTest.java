package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import static io.vkernel.kernel.TcpFixture.assertErrno;
import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.pending;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A socket whose connect() failed, as __inet_stream_connect() leaves it: when a connect() call itself reports the
 * failure (sock_error:), the socket is SS_UNCONNECTED again and tcp_disconnect() has run, so connect() may start a
 * new connection. A non-blocking
 * connect whose failure no connect() has reported is still SS_CONNECTING: the next connect() reports it, with
 * ECONNABORTED when SO_ERROR has already taken the error.
 */
class FailedConnectAgainTest {

    private static final Endpoint REMOTE = Endpoint.parse("192.0.2.1:80");

    private final TcpFixture t = new TcpFixture();

    private PacketReport connectAgain(int fd, java.util.function.Consumer<Syscalls.Outcome> outcome) {
        PacketReport report = new PacketReport(null);
        outcome.accept(t.kernel.connect(t.pid, fd, REMOTE, report));
        return report;
    }

    private static void assertNewSyn(PacketReport report) {
        assertThat(report.sentSegments()).singleElement().satisfies(syn -> assertThat(syn.flags()).isEqualTo(TcpFlags.SYN));
    }

    @Test
    void aBlockingConnectRefused_leavesTheSocketUnconnected_soConnectStartsANewConnection() {
        int fd = t.socket(false);
        PendingCall call = pending(t.kernel.connect(t.pid, fd, REMOTE, new PacketReport(null)));
        t.refuse(fd);
        assertErrno(call.result(), Errno.ECONNREFUSED);
        // __inet_stream_connect(): sock_error: SS_UNCONNECTED and tcp_disconnect(); TCP_CLOSE lets connect() go on
        PacketReport report = connectAgain(fd, outcome -> assertThat(pending(outcome).waitChannel()).isEqualTo("inet_wait_for_connect"));
        assertNewSyn(report);
        assertThat(t.tcbOf(fd).state()).isEqualTo(TcpState.SYN_SENT);
    }

    @Test
    void aBlockingFastOpenSendRefused_leavesTheSocketUnconnected_soTheNextFastOpenSendConnectsAgain() {
        int fd = t.socket(false);
        PendingCall call = pending(t.kernel.sendto(t.pid, fd, new byte[100], Syscalls.MSG_FASTOPEN, REMOTE, false, new PacketReport(null)));
        t.refuse(fd);
        assertErrno(call.result(), Errno.ECONNREFUSED);
        // tcp_sendmsg_fastopen() -> __inet_stream_connect(): sock_error leaves SS_UNCONNECTED, not EISCONN's SS_CONNECTED
        PacketReport report = new PacketReport(null);
        pending(t.kernel.sendto(t.pid, fd, new byte[100], Syscalls.MSG_FASTOPEN, REMOTE, false, report));
        assertNewSyn(report);
    }

    @Test
    void aBlockingConnectRefused_readsEnotconn() {
        int fd = t.socket(false);
        PendingCall call = pending(t.kernel.connect(t.pid, fd, REMOTE, new PacketReport(null)));
        t.refuse(fd);
        assertErrno(call.result(), Errno.ECONNREFUSED);
        // tcp_recvmsg_locked(): TCP_CLOSE without SOCK_DONE is "never connected"; sock_error() took sk_err
        assertErrno(done(t.kernel.read(t.pid, fd, 10)), Errno.ENOTCONN);
    }

    @Test
    void aNonBlockingConnectRefused_isReportedByTheNextConnect_thenTheSocketConnectsAgain() {
        int fd = t.socket(true);
        assertErrno(done(t.kernel.connect(t.pid, fd, REMOTE, new PacketReport(null))), Errno.EINPROGRESS);
        t.refuse(fd);
        // SS_CONNECTING, TCP_CLOSE: sock_error: the error, SS_UNCONNECTED
        assertErrno(done(t.kernel.connect(t.pid, fd, REMOTE, new PacketReport(null))), Errno.ECONNREFUSED);
        assertNewSyn(connectAgain(fd, outcome -> assertErrno(done(outcome), Errno.EINPROGRESS)));
    }

    @Test
    void aNonBlockingConnectRefused_whoseErrorSoErrorTook_isEconnabortedForTheNextConnect() {
        int fd = t.socket(true);
        assertErrno(done(t.kernel.connect(t.pid, fd, REMOTE, new PacketReport(null))), Errno.EINPROGRESS);
        t.refuse(fd);
        assertThat(done(t.kernel.getsockopt(t.pid, fd, "SO_ERROR")).value()).isEqualTo(Errno.ECONNREFUSED.number());
        // sock_error: err = sock_error(sk) ? : -ECONNABORTED
        assertErrno(done(t.kernel.connect(t.pid, fd, REMOTE, new PacketReport(null))), Errno.ECONNABORTED);
        assertNewSyn(connectAgain(fd, outcome -> assertErrno(done(outcome), Errno.EINPROGRESS)));
    }
}
