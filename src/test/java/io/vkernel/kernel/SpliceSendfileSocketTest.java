package io.vkernel.kernel;

import io.vkernel.kernel.fs.Pipe;
import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.syscall.FileCalls;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.trace.EventType;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.vkernel.kernel.TcpFixture.assertErrno;
import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.pending;
import static io.vkernel.kernel.fd.OpenFile.O_CREAT;
import static io.vkernel.kernel.fd.OpenFile.O_NONBLOCK;
import static io.vkernel.kernel.fd.OpenFile.O_RDWR;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * sendfile() and splice() against a TCP socket whose send buffer fills, and splice()'s blocking rules (from the
 * FileCalls survivors of the whole-kernel PIT run): what a partial, a blocked and a non-blocking call return, when a
 * send that ran out of room marks the socket SOCK_NOSPACE (so the ACKs that follow let tcp_new_space() grow
 * sk_sndbuf, which a send that fitted never does), SPLICE_F_MORE holding the bytes as MSG_MORE, SO_SNDTIMEO, and
 * which file's O_NONBLOCK a splice obeys (do_splice(): the pipe's for a pipe and a file).
 */
class SpliceSendfileSocketTest {

    private final TcpFixture t = new TcpFixture();
    private final Kernel kernel = t.kernel;
    private final int pid = t.pid;

    private int[] pipe(int flags) {
        SyscallResult p = done(kernel.pipe(pid, flags));
        return new int[] {p.revents().get(0), p.revents().get(1)};
    }

    private static byte[] pattern(int n) {
        byte[] data = new byte[n];
        for (int i = 0; i < n; i++) {
            data[i] = (byte) ('a' + i % 26);
        }
        return data;
    }

    /** A file of {@code n} bytes, open O_RDWR (plus {@code flags}), positioned at its start. */
    private int file(String path, int n, int flags) {
        int fd = (int) done(kernel.open(pid, path, O_RDWR | O_CREAT | flags)).ret();
        if (n > 0) {
            done(kernel.write(pid, fd, pattern(n), new PacketReport(null)));
        }
        done(kernel.lseek(pid, fd, 0, 0));
        return fd;
    }

    private long sndBuf() {
        return done(kernel.getsockopt(pid, t.fd, "SO_SNDBUF")).value();
    }

    private long threadWakes() {
        return t.events(EventType.THREAD_WAKE).size();
    }

    /** Four rounds of: the peer takes what was sent and ACKs it; the tcp.sndbuf steps each ACK traced. */
    private List<List<String>> ackRounds() {
        t.advanceSeconds(0.05);
        List<List<String>> grows = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            t.peer.consumeSent();
            grows.add(TcpFixture.steps(t.peer.ack(), "tcp.sndbuf"));
            t.advanceSeconds(0.05);
        }
        return grows;
    }

    private static final List<List<String>> GROWS_ON_THE_THIRD_ACK = List.of(List.of(), List.of(), List.of("sk_sndbuf grows"
            + " 46080 -> 368640 bytes: room for two windows of 80 segments (tcp_new_space() -> tcp_sndbuf_expand())"), List.of());

    // ---------------------------------------------------------------- sendfile() into a socket

    @Test
    void aNonBlockingSendfile_takesWhatFits_marksTheSocketNoSpace_andAnotherIsEagain() {
        t.establishedOneSegmentPerMss(false);
        t.nonBlocking();
        int in = file("/tmp/big", 100_000, 0);
        SyscallResult first = done(kernel.sendfile(pid, t.fd, in, null, 100_000, new PacketReport(null)));
        assertThat(first.ret()).as("as the writes of the same bytes: sk_sndbuf 46080 and ten segments out").isEqualTo(74_000);
        assertThat(done(kernel.lseek(pid, in, 0, 1)).ret()).as("the file position moved by what was sent").isEqualTo(74_000);
        SyscallResult again = done(kernel.sendfile(pid, t.fd, in, null, 100_000, new PacketReport(null)));
        assertErrno(again, Errno.EAGAIN);
        assertThat(ackRounds()).as("SOCK_NOSPACE: tcp_check_space() lets tcp_new_space() grow the buffer").isEqualTo(GROWS_ON_THE_THIRD_ACK);
        assertThat(sndBuf()).isEqualTo(368_640);
    }

    @Test
    void aSendfileThatFits_leavesSkSndbufAlone_whateverTheAcks() {
        t.establishedOneSegmentPerMss(false);
        int in = file("/tmp/small", 20_000, 0);
        assertThat(done(kernel.sendfile(pid, t.fd, in, null, 20_000, new PacketReport(null))).ret()).isEqualTo(20_000);
        assertThat(ackRounds()).as("no SOCK_NOSPACE, no tcp_new_space()").containsOnly(List.of());
        assertThat(sndBuf()).isEqualTo(46_080);
    }

    @Test
    void aBlockingSendfile_sleepsUntilItsLastByteIsQueued() {
        t.establishedOneSegmentPerMss(false);
        int in = file("/tmp/big", 100_000, 0);
        PendingCall call = pending(kernel.sendfile(pid, t.fd, in, 0L, 100_000, new PacketReport(null)));
        for (int i = 0; i < 20 && !call.isDone(); i++) {
            t.advanceSeconds(0.05);
            t.peer.consumeSent();
            t.peer.ack();
        }
        assertThat(call.isDone()).isTrue();
        assertThat(call.result().ret()).isEqualTo(100_000);
        assertThat(call.result().strace()).isEqualTo("sendfile(" + t.fd + ", " + in + ", [0] => [100000], 100000) = 100000");
    }

    @Test
    void aSendfileAfterShutWr_isEpipe_andOneCutShortByAReset_returnsWhatItSent() {
        t.establishedOneSegmentPerMss(false);
        int in = file("/tmp/big", 100_000, 0);
        PendingCall call = pending(kernel.sendfile(pid, t.fd, in, null, 100_000, new PacketReport(null)));
        t.peer.sendAt(TcpFlags.RST, t.peer.sndNxt(), 0, "");
        assertThat(call.isDone()).as("woken by the reset").isTrue();
        assertThat(call.result().ret()).as("tcp_sendmsg_locked(): the bytes copied before the error count").isEqualTo(74_000);

        TcpFixture other = new TcpFixture().established();
        done(other.kernel.shutdown(other.pid, other.fd, 1, new PacketReport(null)));
        int file = (int) done(other.kernel.open(other.pid, "/tmp/f", O_RDWR | O_CREAT)).ret();
        done(other.kernel.write(other.pid, file, pattern(10), new PacketReport(null)));
        SyscallResult r = done(other.kernel.sendfile(other.pid, other.fd, file, 0L, 10, new PacketReport(null)));
        assertErrno(r, Errno.EPIPE);
        assertThat(r.strace()).isEqualTo("sendfile(" + other.fd + ", " + file + ", [0], 10) = -1 EPIPE (Broken pipe)");
    }

    // ---------------------------------------------------------------- splice() from a pipe into a socket

    @Test
    void aSpliceFromAnEmptyPipe_sleepsWhileItHasAWriter_andReturnsZeroWhenTheWriterCloses() {
        t.established();
        int[] p = pipe(0);
        PendingCall call = pending(kernel.splice(pid, p[0], t.fd, 100, 0, new PacketReport(null)));
        done(kernel.close(pid, p[1], new PacketReport(null)));
        assertThat(call.isDone()).as("splice_from_pipe_next(): no writers, end of input").isTrue();
        assertThat(call.result().ret()).isZero();
        assertThat(call.result().strace()).isEqualTo("splice(" + p[0] + ", NULL, " + t.fd + ", NULL, 100, 0) = 0");

        int[] q = pipe(0);
        done(kernel.close(pid, q[1], new PacketReport(null)));
        assertThat(done(kernel.splice(pid, q[0], t.fd, 100, 0, new PacketReport(null))).ret()).isZero();
    }

    @Test
    void aSpliceOfLessThanThePipeHolds_movesExactlyLen_acrossASendBufferThatFills() {
        t.established();
        done(kernel.setsockopt(pid, t.fd, "SO_SNDBUF", 2304, true)); // sk_sndbuf 4608
        t.peer.window = 0;
        t.peer.ack();
        t.write(1); // an skb of 1 byte with room for 32119 more (the size goal 32120), nothing leaves
        int[] p = pipe(0);
        done(kernel.write(pid, p[1], pattern(Pipe.CAPACITY), new PacketReport(null)));
        PendingCall call = pending(kernel.splice(pid, p[0], t.fd, 50_000, 0, new PacketReport(null)));
        assertThat(t.tcb().sendBuffer().notSentBytes(t.tcb())).as("the tail skb filled, then no room for another").isEqualTo(32_120);
        t.peer.window = 65_535;
        for (int i = 0; i < 40 && !call.isDone(); i++) {
            t.advanceSeconds(0.05);
            t.peer.consumeSent();
            t.peer.ack();
        }
        assertThat(call.isDone()).isTrue();
        assertThat(call.result().ret()).as("the retries take only what len leaves").isEqualTo(50_000);
        assertThat(done(kernel.read(pid, p[0], Pipe.CAPACITY)).ret()).as("the rest stays in the pipe").isEqualTo(Pipe.CAPACITY - 50_000);
    }

    @Test
    void aSpliceIntoANonBlockingSocket_takesWhatFits_marksItNoSpace_andWithNoRoomIsEagainWakingNoWriter() {
        // splice_to_socket(): MSG_DONTWAIT from the socket's O_NONBLOCK; a send that takes part returns that part
        t.establishedOneSegmentPerMss(false);
        t.nonBlocking();
        int[] p = pipe(0);
        done(kernel.write(pid, p[1], pattern(Pipe.CAPACITY), new PacketReport(null)));
        assertThat(done(kernel.splice(pid, p[0], t.fd, Pipe.CAPACITY, 0, new PacketReport(null))).ret()).isEqualTo(Pipe.CAPACITY);
        done(kernel.write(pid, p[1], pattern(Pipe.CAPACITY), new PacketReport(null)));
        assertThat(done(kernel.splice(pid, p[0], t.fd, Pipe.CAPACITY, 0, new PacketReport(null))).ret())
                .as("74000 as for writes").isEqualTo(74_000 - Pipe.CAPACITY);

        PendingCall writer = pending(kernel.write(pid, p[1], pattern(74_000 - Pipe.CAPACITY + 10), new PacketReport(null)));
        long wakes = threadWakes();
        SyscallResult none = done(kernel.splice(pid, p[0], t.fd, 100, 0, new PacketReport(null)));
        assertErrno(none, Errno.EAGAIN);
        assertThat(threadWakes()).as("nothing left the pipe: its writer sleeps on").isEqualTo(wakes);
        assertThat(writer.isDone()).isFalse();
        assertThat(ackRounds()).isEqualTo(GROWS_ON_THE_THIRD_ACK);
    }

    @Test
    void aSpliceIntoASocketThatFits_leavesSkSndbufAlone() {
        t.establishedOneSegmentPerMss(false);
        int[] p = pipe(0);
        done(kernel.write(pid, p[1], pattern(20_000), new PacketReport(null)));
        assertThat(done(kernel.splice(pid, p[0], t.fd, 20_000, 0, new PacketReport(null))).ret()).isEqualTo(20_000);
        assertThat(ackRounds()).containsOnly(List.of());
        assertThat(sndBuf()).isEqualTo(46_080);
    }

    @Test
    void spliceFMore_holdsTheBytesAsMsgMore_withoutItTheyLeaveWithPsh() {
        t.established();
        int[] p = pipe(0);
        int before = t.peer.received().size();
        done(kernel.write(pid, p[1], pattern(100), new PacketReport(null)));
        assertThat(done(kernel.splice(pid, p[0], t.fd, 100, FileCalls.SPLICE_F_MORE, new PacketReport(null))).ret()).isEqualTo(100);
        assertThat(t.sentSince(before)).as("MSG_MORE: tcp_push() with TCP_NAGLE_CORK").isEmpty();
        done(kernel.write(pid, p[1], pattern(50), new PacketReport(null)));
        assertThat(done(kernel.splice(pid, p[0], t.fd, 50, 0, new PacketReport(null))).ret()).isEqualTo(50);
        List<Segment> sent = t.sentSince(before);
        assertThat(sent).hasSize(1);
        assertThat(TcpFlags.format(sent.get(0).flags())).isEqualTo("P.");
        assertThat(sent.get(0).payload()).hasSize(150);
    }

    @Test
    void soSndtimeo_endsASpliceBlockedOnAFullSocket_withEagain() {
        t.established();
        t.peer.window = 0;
        t.peer.ack();
        done(kernel.setsockopt(pid, t.fd, "SO_SNDTIMEO", 500, true));
        t.nonBlocking();
        assertThat(done(kernel.write(pid, t.fd, new byte[400_000], new PacketReport(null))).ret()).isLessThan(400_000);
        done(kernel.fcntl(pid, t.fd, "F_SETFL", 02));
        int[] p = pipe(0);
        done(kernel.write(pid, p[1], pattern(10), new PacketReport(null)));
        PendingCall call = pending(kernel.splice(pid, p[0], t.fd, 10, 0, new PacketReport(null)));
        kernel.advance(499);
        assertThat(call.isDone()).isFalse();
        kernel.advance(1);
        assertErrno(call.result(), Errno.EAGAIN);
        assertThat(call.result().strace()).isEqualTo("splice(" + p[0] + ", NULL, " + t.fd + ", NULL, 10, 0) = -1 EAGAIN"
                + " (Resource temporarily unavailable)");
    }

    @Test
    void soSndtimeo_endsASendfileThatSentPart_withWhatItSent_andTheFilePositionFollows() {
        t.established();
        t.peer.window = 0;
        t.peer.ack();
        done(kernel.setsockopt(pid, t.fd, "SO_SNDTIMEO", 500, true));
        int in = file("/tmp/big", 400_000, 0);
        PendingCall call = pending(kernel.sendfile(pid, t.fd, in, null, 400_000, new PacketReport(null)));
        kernel.advance(500);
        long sent = call.result().ret();
        assertThat(sent).as("the bytes queued before the wait, as a write's (tcp_sendmsg_locked()'s out:)").isBetween(1L, 399_999L);
        assertThat(done(kernel.lseek(pid, in, 0, 1)).ret()).isEqualTo(sent);
    }

    // ---------------------------------------------------------------- splice() from a socket into a pipe

    @Test
    void aSpliceFromAnEmptySocket_sleeps_unlessTheSocketIsONonblock() {
        // tcp_splice_read(): sock_rcvtimeo(sk, O_NONBLOCK of the socket's file)
        t.established();
        int[] p = pipe(0);
        PendingCall call = pending(kernel.splice(pid, t.fd, p[1], 100, 0, new PacketReport(null)));
        t.peer.data("late");
        assertThat(call.isDone()).isTrue();
        assertThat(call.result().ret()).isEqualTo(4);
        t.nonBlocking();
        assertErrno(done(kernel.splice(pid, t.fd, p[1], 100, 0, new PacketReport(null))), Errno.EAGAIN);
    }

    @Test
    void spliceFNonblock_governsThePipeSideOnly_aBlockingSocketWithNoDataStillSleeps() {
        // do_splice() turns the pipe's O_NONBLOCK into SPLICE_F_NONBLOCK; tcp_splice_read() reads only its own file's
        t.established();
        int[] p = pipe(0);
        PendingCall call = pending(kernel.splice(pid, t.fd, p[1], 100, FileCalls.SPLICE_F_NONBLOCK, new PacketReport(null)));
        t.peer.data("later");
        assertThat(call.result().ret()).isEqualTo(5);
        int[] nonBlockingPipe = pipe(O_NONBLOCK);
        PendingCall intoNonBlocking = pending(kernel.splice(pid, t.fd, nonBlockingPipe[1], 100, 0, new PacketReport(null)));
        t.peer.data("again");
        assertThat(intoNonBlocking.result().ret()).as("a non-blocking pipe does not make the socket's wait non-blocking").isEqualTo(5);
    }

    @Test
    void aFullPipe_isEagainWithSpliceFNonblock_andSleepsWithout_whateverTheSocketsOnonblock() {
        // splice_file_to_pipe(): wait_for_space() before tcp_splice_read(), by SPLICE_F_NONBLOCK alone
        t.established();
        t.peer.data("queued");
        t.nonBlocking();
        int[] p = pipe(0);
        done(kernel.write(pid, p[1], pattern(Pipe.CAPACITY), new PacketReport(null)));
        assertErrno(done(kernel.splice(pid, t.fd, p[1], 100, FileCalls.SPLICE_F_NONBLOCK, new PacketReport(null))), Errno.EAGAIN);
        PendingCall call = pending(kernel.splice(pid, t.fd, p[1], 100, 0, new PacketReport(null)));
        done(kernel.read(pid, p[0], 10));
        assertThat(call.result().ret()).as("room for ten bytes: the six queued move").isEqualTo(6);
    }

    @Test
    void aSpliceFromAnEmptyPipeIntoANonBlockingSocket_sleepsUntilAWriterComes_unlessThePipeSideIsNonblocking() {
        // splice_to_socket(): pipe_wait_readable() unless SPLICE_F_NONBLOCK; MSG_DONTWAIT only for the socket's sends
        t.established();
        t.nonBlocking();
        int[] p = pipe(0);
        assertErrno(done(kernel.splice(pid, p[0], t.fd, 100, FileCalls.SPLICE_F_NONBLOCK, new PacketReport(null))), Errno.EAGAIN);
        int before = t.peer.received().size();
        PendingCall call = pending(kernel.splice(pid, p[0], t.fd, 100, 0, new PacketReport(null)));
        done(kernel.write(pid, p[1], pattern(7), new PacketReport(null)));
        assertThat(call.result().ret()).isEqualTo(7);
        assertThat(t.sentSince(before)).singleElement().satisfies(s -> assertThat(s.payload()).hasSize(7));
    }

    @Test
    void spliceFNonblock_intoAFullBlockingSocket_sleepsForRoom() {
        // the socket's file is blocking, so splice_to_socket() sends without MSG_DONTWAIT: sk_stream_wait_memory()
        t.established();
        t.peer.window = 0;
        t.peer.ack();
        t.nonBlocking();
        assertThat(done(kernel.write(pid, t.fd, new byte[400_000], new PacketReport(null))).ret()).isLessThan(400_000);
        done(kernel.fcntl(pid, t.fd, "F_SETFL", 02));
        int[] p = pipe(0);
        done(kernel.write(pid, p[1], pattern(10), new PacketReport(null)));
        PendingCall call = pending(kernel.splice(pid, p[0], t.fd, 10, FileCalls.SPLICE_F_NONBLOCK, new PacketReport(null)));
        assertThat(call.isDone()).isFalse();
    }

    @Test
    void soRcvtimeo_endsASpliceWaitingForData_withEagain() {
        t.established();
        done(kernel.setsockopt(pid, t.fd, "SO_RCVTIMEO", 300, true));
        int[] p = pipe(0);
        PendingCall call = pending(kernel.splice(pid, t.fd, p[1], 100, 0, new PacketReport(null)));
        kernel.advance(299);
        assertThat(call.isDone()).isFalse();
        kernel.advance(1);
        assertErrno(call.result(), Errno.EAGAIN);
        assertThat(t.events(EventType.TIMER_FIRED)).contains("SO_RCVTIMEO expired for " + call.call());
    }

    @Test
    void aSpliceIntoASocketStillInSynSent_isEagainWhenTheSocketIsNonblocking_andWaitsForTheHandshakeWhenNot() {
        // tcp_sendmsg_locked(): sk_stream_wait_connect(), with the socket's own timeout
        int fd = (int) done(kernel.socket(pid)).ret();
        done(kernel.fcntl(pid, fd, "F_SETFL", 04002));
        assertErrno(done(kernel.connect(pid, fd, io.vkernel.kernel.wire.Endpoint.parse("192.0.2.1:80"), new PacketReport(null))),
                Errno.EINPROGRESS);
        int[] p = pipe(0);
        done(kernel.write(pid, p[1], pattern(10), new PacketReport(null)));
        assertErrno(done(kernel.splice(pid, p[0], fd, 10, 0, new PacketReport(null))), Errno.EAGAIN);
        done(kernel.fcntl(pid, fd, "F_SETFL", 02));
        PendingCall blocked = pending(kernel.splice(pid, p[0], fd, 10, 0, new PacketReport(null)));
        assertThat(blocked.isDone()).isFalse();
        assertThat(done(kernel.read(pid, p[0], 100)).ret()).as("the bytes stay in the pipe").isEqualTo(10);
    }

    @Test
    void aSpliceFromASocketWithoutAConnection_isEnotconn_andIntoAPipeWithoutReaders_isEpipe() {
        int[] p = pipe(0);
        SyscallResult listener = done(kernel.splice(pid, t.listenFd, p[1], 100, 0, new PacketReport(null)));
        assertErrno(listener, Errno.ENOTCONN); // tcp_splice_read() on a listener
        assertThat(listener.strace()).isEqualTo("splice(" + t.listenFd + ", NULL, " + p[1] + ", NULL, 100, 0) = -1 ENOTCONN"
                + " (Transport endpoint is not connected)");
        t.established();
        t.peer.data("kept");
        done(kernel.close(pid, p[0], new PacketReport(null)));
        assertErrno(done(kernel.splice(pid, t.fd, p[1], 100, 0, new PacketReport(null))), Errno.EPIPE);
        assertThat(TcpFixture.text(t.read())).as("the bytes stay in the socket").isEqualTo("kept");
    }

    // ---------------------------------------------------------------- splice() between pipes and files

    @Test
    void aSpliceBetweenPipes_intoAFullPipe_isWokenByItsReader() {
        int[] a = pipe(0);
        int[] b = pipe(0);
        done(kernel.write(pid, a[1], pattern(10), new PacketReport(null)));
        done(kernel.write(pid, b[1], pattern(Pipe.CAPACITY), new PacketReport(null)));
        PendingCall call = pending(kernel.splice(pid, a[0], b[1], 10, 0, new PacketReport(null)));
        assertThat(done(kernel.read(pid, b[0], 100)).ret()).isEqualTo(100);
        assertThat(call.isDone()).as("pipe_read() on b wakes the splice waiting for room in it").isTrue();
        assertThat(call.result().ret()).isEqualTo(10);
    }

    @Test
    void aSpliceBetweenPipes_isNonBlockingWhenEitherEndIsONonblock() {
        // do_splice(): (in->f_flags | out->f_flags) & O_NONBLOCK for pipe to pipe
        int[] blockingIn = pipe(0);
        int[] nonBlockingOut = pipe(O_NONBLOCK);
        SyscallResult r = done(kernel.splice(pid, blockingIn[0], nonBlockingOut[1], 10, 0, new PacketReport(null)));
        assertErrno(r, Errno.EAGAIN);
        int[] nonBlockingIn = pipe(O_NONBLOCK);
        int[] blockingOut = pipe(0);
        assertErrno(done(kernel.splice(pid, nonBlockingIn[0], blockingOut[1], 10, 0, new PacketReport(null))), Errno.EAGAIN);
        PendingCall both = pending(kernel.splice(pid, blockingIn[0], blockingOut[1], 10, 0, new PacketReport(null)));
        done(kernel.write(pid, blockingIn[1], pattern(4), new PacketReport(null)));
        assertThat(both.isDone()).as("both blocking: it slept until the write").isTrue();
        assertThat(both.result().ret()).isEqualTo(4);
    }

    @Test
    void aSpliceBetweenAPipeAndAFile_obeysThePipesONonblock_notTheFiles() {
        // do_splice(): SPLICE_F_NONBLOCK from the pipe's file (in for pipe -> file, out for file -> pipe)
        int nonBlockingFile = file("/tmp/nb", 10, O_NONBLOCK);
        int[] empty = pipe(0);
        PendingCall fromPipe = pending(kernel.splice(pid, empty[0], nonBlockingFile, 10, 0, new PacketReport(null)));
        done(kernel.write(pid, empty[1], pattern(3), new PacketReport(null)));
        assertThat(fromPipe.isDone()).isTrue();
        assertThat(fromPipe.result().ret()).isEqualTo(3);

        int[] full = pipe(0);
        done(kernel.write(pid, full[1], pattern(Pipe.CAPACITY), new PacketReport(null)));
        PendingCall intoPipe = pending(kernel.splice(pid, nonBlockingFile, full[1], 10, 0, new PacketReport(null)));
        done(kernel.read(pid, full[0], 10));
        assertThat(intoPipe.isDone()).isTrue();

        int plainFile = file("/tmp/plain", 10, 0);
        int[] nonBlocking = pipe(O_NONBLOCK);
        assertErrno(done(kernel.splice(pid, nonBlocking[0], plainFile, 10, 0, new PacketReport(null))), Errno.EAGAIN);
        done(kernel.write(pid, nonBlocking[1], pattern(Pipe.CAPACITY), new PacketReport(null)));
        assertErrno(done(kernel.splice(pid, plainFile, nonBlocking[1], 10, 0, new PacketReport(null))), Errno.EAGAIN);
    }
}
