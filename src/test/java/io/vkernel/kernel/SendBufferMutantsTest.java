package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.syscall.Syscalls.PollFd;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * sk_sndbuf and the tests against it at their exact edges (PIT survivors in SendBuffer): tcp_sndbuf_expand()'s
 * power-of-two head for a 1408-byte MSS, sk_stream_memory_free() refusing a new skb when sk_wmem_queued equals
 * sk_sndbuf or the unsent bytes equal TCP_NOTSENT_LOWAT, and POLLOUT (__sk_stream_is_writeable()) when the free space
 * is exactly half the queued truesize, or twice the unsent bytes exactly TCP_NOTSENT_LOWAT. The peer's window is
 * 0, so what is written stays unsent in whole skbs.
 */
class SendBufferMutantsTest {

    private static final int MSG_DONTWAIT = 0x40;
    private static final int MSG_EOR = 0x80;
    private static final int POLLOUT = 0x4;

    private final TcpFixture t = new TcpFixture();

    /** Established; SO_SNDBUF {@code sndbuf} (doubled by the kernel) when positive; the peer's window shut. */
    private void shutWindow(int sndbuf) {
        t.established();
        if (sndbuf > 0) {
            done(t.kernel.setsockopt(t.pid, t.fd, "SO_SNDBUF", sndbuf, true));
        }
        t.peer.window = 0;
        t.peer.ack();
    }

    /** send(MSG_DONTWAIT | MSG_EOR): the record ends with the write, so the next one needs a new skb. */
    private TcpResult sendRecord(int bytes) {
        var result = done(t.kernel.send(t.pid, t.fd, new byte[bytes], MSG_DONTWAIT | MSG_EOR, new PacketReport(null)));
        return new TcpResult(result.ret(), result.errno());
    }

    private record TcpResult(long ret, Errno errno) {
    }

    private boolean pollOut() {
        List<Integer> revents = done(t.kernel.poll(t.pid, List.of(new PollFd(t.fd, POLLOUT)), 0)).revents();
        return (revents.get(0) & POLLOUT) != 0;
    }

    private long wmemQueued() {
        return t.tcb().sendBuffer().wmemQueued(t.tcb());
    }

    @Test
    void aPeerMssOf1408_sizesSkSndbufWith2048ByteHeads() {
        // tcp_sndbuf_expand(): per_mss = roundup_pow_of_two(1408 + 320 + 320) + 256 = 2304; 2 x 10 x 2304 = 46080
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.peer.mss = 1408;
        t.peer.connect();
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        PacketReport report = new PacketReport(null);
        done(t.kernel.write(t.pid, t.fd, "x".getBytes(), report));
        assertThat(TcpFixture.steps(report, "tcp.sndbuf")).singleElement().asString().endsWith("of sk_sndbuf 46080");
        assertThat(t.tcb().sendBuffer().sndBuf(t.tcb(), t.kernel.inspect(Kernel::sysctls))).isEqualTo(46080);
    }

    @Test
    void skWmemQueuedEqualToSkSndbuf_leavesNoRoomForAnotherSkb() {
        shutWindow(2304); // sk_sndbuf 4608
        assertThat(sendRecord(3712).ret()).isEqualTo(3712);
        assertThat(wmemQueued()).isEqualTo(4608);
        assertThat(sendRecord(1).errno()).isEqualTo(Errno.EAGAIN);
    }

    @Test
    void unsentBytesEqualToNotsentLowat_leaveNoRoomForAnotherSkb() {
        shutWindow(0);
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_NOTSENT_LOWAT", 100, true));
        assertThat(sendRecord(99).ret()).isEqualTo(99);
        assertThat(sendRecord(1).ret()).as("99 unsent: below the mark").isEqualTo(1);
        assertThat(t.tcb().sendBuffer().notSentBytes(t.tcb())).isEqualTo(100);
        assertThat(sendRecord(1).errno()).isEqualTo(Errno.EAGAIN);
    }

    @Test
    void pollOut_whenTheFreeSpaceIsExactlyHalfTheQueuedTruesize() {
        shutWindow(2304); // sk_sndbuf 4608
        assertThat(sendRecord(2176).ret()).isEqualTo(2176);
        assertThat(wmemQueued()).isEqualTo(3072);
        assertThat(pollOut()).as("4608 - 3072 = 1536 = 3072 / 2").isTrue();
        assertThat(sendRecord(1).ret()).isEqualTo(1);
        assertThat(pollOut()).as("4608 - 3969 < 3969 / 2").isFalse();
    }

    @Test
    void pollOut_onlyWhileTwiceTheUnsentBytesStayBelowNotsentLowat() {
        shutWindow(0);
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_NOTSENT_LOWAT", 200, true));
        assertThat(sendRecord(99).ret()).isEqualTo(99);
        assertThat(pollOut()).as("2 x 99 < 200").isTrue();
        assertThat(sendRecord(1).ret()).isEqualTo(1);
        assertThat(pollOut()).as("2 x 100 = 200").isFalse();
    }

    /** write(fd, NULL, 10) on the non-blocking socket: EFAULT where there is room for bytes, else EAGAIN as any write. */
    private io.vkernel.kernel.syscall.SyscallResult nullBufferWrite() {
        t.nonBlocking();
        return done(t.kernel.nullBuffer(t.pid, "write", t.fd, 10, 0, null, new PacketReport(null)));
    }

    @Test
    void aNullBuffer_withTheTailSkbFullAtTheSizeGoal_andNoRoomForAnother_waitsLikeAnyWrite() {
        shutWindow(16_508); // sk_sndbuf 33016: one skb of 32120 bytes (the size goal) and its 896
        done(t.kernel.write(t.pid, t.fd, new byte[32_120], new PacketReport(null)));
        assertThat(wmemQueued()).isEqualTo(33_016);
        TcpFixture.assertErrno(nullBufferWrite(), Errno.EAGAIN);
    }

    @Test
    void aNullBuffer_afterARecordEnd_andNoRoomForAnotherSkb_waitsLikeAnyWrite() {
        shutWindow(2304); // sk_sndbuf 4608
        assertThat(sendRecord(3712).ret()).isEqualTo(3712);
        TcpFixture.assertErrno(nullBufferWrite(), Errno.EAGAIN);
    }

    @Test
    void aNullBuffer_withRoomInTheTailSkb_faults() {
        shutWindow(2304);
        done(t.kernel.write(t.pid, t.fd, new byte[3712], new PacketReport(null)));
        TcpFixture.assertErrno(nullBufferWrite(), Errno.EFAULT);
    }
}
