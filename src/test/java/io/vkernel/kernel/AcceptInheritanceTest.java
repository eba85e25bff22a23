package io.vkernel.kernel;

import io.vkernel.kernel.fd.OpenFile;
import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.socket.SocketOptions;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;

import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.pending;
import static org.assertj.core.api.Assertions.assertThat;

/** An accepted socket is a clone of its listener (sk_clone_lock()); the file it gets is new (do_accept()). */
class AcceptInheritanceTest {

    private final TcpFixture f = new TcpFixture();

    private void listenerOption(String option, long value) {
        assertThat(done(f.kernel.setsockopt(f.pid, f.listenFd, option, value, true)).ret()).isZero();
    }

    private SocketOptions optionsOf(int fd) {
        return f.kernel.inspect(k -> k.process(f.pid).fds().get(fd).socket().options());
    }

    @Test
    void listenerRcvTimeo_appliesToTheAcceptedSocket_readTimesOutWithEagain() {
        listenerOption("SO_RCVTIMEO", 2000);
        f.established();

        PendingCall read = pending(f.kernel.read(f.pid, f.fd, 100));
        f.advanceSeconds(1.9);
        assertThat(read.isDone()).isFalse();
        f.advanceSeconds(0.2);
        assertThat(read.isDone()).isTrue();
        assertThat(read.result().errno()).isEqualTo(Errno.EAGAIN);
    }

    @Test
    void listenerLingerZero_acceptedSocketCloseSendsRst() {
        listenerOption("SO_LINGER", 0);
        f.established();
        f.close();
        assertThat(TcpFlags.format(f.peer.lastReceived().flags())).isEqualTo("R.");
    }

    @Test
    void listenerNoDelay_acceptedSocketSendsTwoSmallWritesAtOnce() {
        listenerOption("TCP_NODELAY", 1);
        f.established();
        f.write("a");
        f.write("b");
        assertThat(f.peer.receivedFlags()).containsSubsequence("P.", "P.");
        assertThat(f.peer.received().stream().filter(s -> s.payload().length == 1).count()).isEqualTo(2);
    }

    @Test
    void everyModelledOption_isCopiedToTheAcceptedSocket() throws IllegalAccessException {
        SocketOptions listener = f.kernel.inspect(k -> k.process(f.pid).fds().get(f.listenFd).socket().options());
        int changed = 0;
        for (Field field : SocketOptions.class.getFields()) {
            if (Modifier.isStatic(field.getModifiers())) {
                continue;
            }
            if (field.getType() == boolean.class) {
                field.setBoolean(listener, true);
            } else if (field.getType() == int.class) {
                field.setInt(listener, 7);
            } else if (field.getType() == long.class) {
                field.setLong(listener, 3000);
            } else if (field.getType() == String.class) {
                field.set(listener, "reno");
            } else if (field.getType() == long[].class) {
                field.set(listener, new long[] {1, 2, 3, 4});
            } else {
                throw new AssertionError("add a value for " + field);
            }
            changed++;
        }
        assertThat(changed).isGreaterThanOrEqualTo(6);
        f.established();

        SocketOptions child = optionsOf(f.fd);
        assertThat(child).isNotSameAs(listener);
        assertThat(child).usingRecursiveComparison().isEqualTo(listener);
    }

    @Test
    void optionsSetOnTheListenerAfterTheHandshake_areNotInheritedByThatConnection() {
        f.peer = new Peer(f.kernel, TcpFixture.CLIENT, TcpFixture.SERVER).connect();
        listenerOption("SO_RCVTIMEO", 2000); // the child was cloned at the third segment, before this
        f.fd = (int) done(f.kernel.accept(f.pid, f.listenFd)).ret();
        assertThat(optionsOf(f.fd).rcvTimeoutMs).isZero();
    }

    @Test
    void nonBlockingListener_acceptedFileIsBlocking_becauseFileFlagsAreNotInherited() {
        done(f.kernel.fcntl(f.pid, f.listenFd, "F_SETFL", OpenFile.O_NONBLOCK));
        f.established();
        long flags = done(f.kernel.fcntl(f.pid, f.fd, "F_GETFL", 0)).ret();
        assertThat(flags & OpenFile.O_NONBLOCK).isZero();
    }

    @Test
    void listenerKeepalive_probesAConnectionStillInTheAcceptQueue() {
        listenerOption("SO_KEEPALIVE", 1);
        f.peer = new Peer(f.kernel, TcpFixture.CLIENT, TcpFixture.SERVER).connect();
        int before = f.peer.received().size();
        f.advanceSeconds(7200.5); // tcp_keepalive_time, counted from the handshake, not from accept()
        assertThat(f.peer.received().size()).isGreaterThan(before);
        assertThat(f.peer.lastReceived().seq()).isEqualTo(f.tcb().sndNxt() - 1);
    }
}
