package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.syscall.SyscallResult;
import org.junit.jupiter.api.Test;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * setsockopt(SO_TIMESTAMPING) as sock_set_timestamping() checks it: bits outside SOF_TIMESTAMPING_MASK (0x3ffff)
 * and negative values are EINVAL, and so is SOF_TIMESTAMPING_OPT_ID (0x80) on a socket in CLOSE or LISTEN; what
 * was taken reads back.
 */
class TxTimestampingOptionTest {

    private static final long OPT_ID = 0x80;
    private final TcpFixture t = new TcpFixture();

    private SyscallResult set(int fd, long value) {
        return done(t.kernel.setsockopt(t.pid, fd, "SO_TIMESTAMPING", value, true));
    }

    private long get(int fd) {
        return done(t.kernel.getsockopt(t.pid, fd, "SO_TIMESTAMPING")).value();
    }

    @Test
    void unknownBitsAndNegativeValues_areEinval() {
        int fd = (int) done(t.kernel.socket(t.pid)).ret();
        assertThat(get(fd)).isZero();
        assertThat(set(fd, 0x40000).errno()).isEqualTo(Errno.EINVAL);
        assertThat(set(fd, -1).errno()).isEqualTo(Errno.EINVAL);
        long allButOptId = 0x3ffff & ~OPT_ID;
        assertThat(set(fd, allButOptId).ret()).isZero();
        assertThat(get(fd)).isEqualTo(allButOptId);
        assertThat(set(fd, 0).ret()).isZero();
        assertThat(get(fd)).isZero();
    }

    @Test
    void optId_isRefusedBeforeAConnectionAndOnAListener_andTakenOnAConnection() {
        int fd = (int) done(t.kernel.socket(t.pid)).ret();
        assertThat(set(fd, OPT_ID | 0x2).errno()).isEqualTo(Errno.EINVAL);
        assertThat(get(fd)).isZero();
        assertThat(set(t.listenFd, OPT_ID | 0x2).errno()).isEqualTo(Errno.EINVAL);
        t.established();
        assertThat(set(t.fd, OPT_ID | 0x2).ret()).isZero();
        assertThat(get(t.fd)).isEqualTo(OPT_ID | 0x2);
    }
}
