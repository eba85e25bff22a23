package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.trace.DropReason;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.pending;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Segment arrival paths whose outcome PIT found unasserted (tcp_validate_incoming(), tcp_sequence(), tcp_ack(),
 * tcp_check_space(), tcp_reset()): the BeyondWindow counter and drop reason of segments ending past the window, a
 * segment that starts in the window but ends beyond it (taken only while nothing is queued), the send buffer
 * growing under a writer that ran out of room, an ACK of unsent data, and a reader woken by a RST.
 */
class TcpInputMutantsTest {

    private final TcpFixture t = new TcpFixture();

    @Test
    void segmentsEndingBeyondTheWindow_countBeyondWindow_andOldOrEmptyOnesDoNot() {
        t.established();
        t.peer.data("first");
        Tcb tcb = t.tcb();
        int rcvNxt = tcb.rcvNxt();
        int wnd = tcb.rcvWnd();

        PacketReport far = t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, rcvNxt + wnd + 10, tcb.sndNxt(), "zz");
        assertThat(far.dropReason()).isEqualTo(DropReason.OUT_OF_WINDOW);
        assertThat(far.sentSegments()).extracting(Segment::ack).as("a duplicate ACK").containsExactly(rcvNxt);
        assertThat(t.counter(SnmpCounter.BEYOND_WINDOW)).isEqualTo(1);

        PacketReport emptyFar = t.peer.sendAt(TcpFlags.ACK, rcvNxt + wnd + 10, tcb.sndNxt(), "");
        assertThat(emptyFar.dropReason()).isEqualTo(DropReason.OUT_OF_WINDOW);
        assertThat(t.counter(SnmpCounter.BEYOND_WINDOW)).as("a bare ACK carries nothing beyond the window").isEqualTo(1);

        PacketReport old = t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, rcvNxt - 5, tcb.sndNxt(), "first");
        assertThat(old.dropReason()).isEqualTo(DropReason.DUPLICATE);
        assertThat(t.counter(SnmpCounter.BEYOND_WINDOW)).isEqualTo(1);

        // from two bytes below RCV.NXT to past the window's end: neither end is in the window
        PacketReport spanning = t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, rcvNxt - 2, tcb.sndNxt(), "s".repeat(wnd + 12));
        assertThat(spanning.dropReason()).as("not old: it ends beyond RCV.NXT").isEqualTo(DropReason.OUT_OF_WINDOW);
        assertThat(t.counter(SnmpCounter.BEYOND_WINDOW)).isEqualTo(2);
        assertThat(tcb.rcvNxt()).isEqualTo(rcvNxt);
    }

    @Test
    void aSegmentFromRcvNxtPastTheWindow_isRefusedWhileDataIsQueued_andTakenWholeOnceTheQueueIsEmpty() {
        // tcp_sequence(): "Only accept this packet if receive queue is empty."
        t.established();
        t.peer.data("abc");
        Tcb tcb = t.tcb();
        int rcvNxt = tcb.rcvNxt();
        String tooLong = "x".repeat(tcb.rcvWnd() + 1);
        PacketReport refused = t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, rcvNxt, tcb.sndNxt(), tooLong);
        assertThat(refused.dropReason()).isEqualTo(DropReason.OUT_OF_WINDOW);
        assertThat(t.counter(SnmpCounter.BEYOND_WINDOW)).isEqualTo(1);
        assertThat(tcb.rcvNxt()).isEqualTo(rcvNxt);

        assertThat(TcpFixture.text(t.read())).isEqualTo("abc");
        String wholeLong = "y".repeat(tcb.rcvWnd() + 1);
        PacketReport taken = t.peer.sendAt(TcpFlags.PSH | TcpFlags.ACK, rcvNxt, tcb.sndNxt(), wholeLong);
        assertThat(taken.dropReason()).isNull();
        assertThat(tcb.rcvNxt()).isEqualTo(rcvNxt + wholeLong.length());
        assertThat(t.counter(SnmpCounter.BEYOND_WINDOW)).isEqualTo(1);
    }

    @Test
    void aWriterOutOfRoom_seesTheSendBufferGrowOnTheAckThatLetsCwndOutgrowIt() {
        t.establishedOneSegmentPerMss(false);
        t.nonBlocking();
        long queued = 0;
        while (true) {
            SyscallResult r = done(t.kernel.write(t.pid, t.fd, new byte[10_000], new PacketReport(null)));
            if (r.ret() < 0) {
                TcpFixture.assertErrno(r, Errno.EAGAIN);
                break;
            }
            queued += r.ret();
        }
        assertThat(queued).isEqualTo(74_000);
        assertThat(sndBuf()).isEqualTo(46_080);
        t.advanceSeconds(0.05);
        List<List<String>> grows = new ArrayList<>();
        List<Long> sndBufs = new ArrayList<>();
        List<Long> writes = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            t.peer.consumeSent();
            grows.add(TcpFixture.steps(t.peer.ack(), "tcp.sndbuf"));
            sndBufs.add(sndBuf());
            writes.add(done(t.kernel.write(t.pid, t.fd, new byte[100], new PacketReport(null))).ret());
            t.advanceSeconds(0.05);
        }
        assertThat(grows).containsExactly(List.of(), List.of(), List.of("sk_sndbuf grows 46080 -> 368640 bytes: room for two"
                + " windows of 80 segments (tcp_new_space() -> tcp_sndbuf_expand())"), List.of());
        assertThat(sndBufs).containsExactly(46_080L, 46_080L, 368_640L, 368_640L);
        assertThat(writes).as("the first ACK frees too little for a writer (sk_stream_memory_free())")
                .containsExactly(-1L, 100L, 100L, 100L);
    }

    private long sndBuf() {
        return done(t.kernel.getsockopt(t.pid, t.fd, "SO_SNDBUF")).value();
    }

    @Test
    void anAckOfUnsentData_onAnEstablishedConnection_isDroppedWithoutAChallengeAck_andTheTraceSaysSo() {
        t.established();
        Tcb tcb = t.tcb();
        PacketReport report = t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), tcb.sndNxt() + 10, "");
        assertThat(report.sentSegments()).isEmpty();
        assertThat(TcpFixture.steps(report, "tcp.ack")).containsExactly("an ACK of unsent data on an ESTABLISHED connection is"
                + " dropped without a challenge ACK (Linux 6.18's tcp_ack() in tcp_rcv_established())");
    }

    @Test
    void aReaderBlockedOnAnEmptyBuffer_isWokenByTheRst_andGetsEconnreset() {
        t.established();
        PendingCall read = pending(t.kernel.read(t.pid, t.fd, 100));
        t.peer.sendAt(TcpFlags.RST, t.peer.sndNxt(), 0, "");
        assertThat(read.isDone()).isTrue();
        TcpFixture.assertErrno(read.result(), Errno.ECONNRESET);
    }

    @Test
    void aBareAckAtAZeroWindow_isAcceptableAtRcvNxt() {
        t.sysctl(Sysctls.TCP_RMEM_DEFAULT, 8192);
        t.established();
        assertThat(t.sendUntilZeroWindow().window()).isZero();
        assertThat(t.tcb().rcvWnd()).isZero();
        PacketReport bare = t.peer.sendAt(TcpFlags.ACK, t.tcb().rcvNxt(), t.peer.rcvNxt(), "");
        assertThat(bare.dropReason()).as("RFC 9293: a zero-length segment at RCV.NXT is acceptable with RCV.WND = 0").isNull();
        assertThat(bare.sentSegments()).isEmpty();
        PacketReport ahead = t.peer.sendAt(TcpFlags.ACK, t.tcb().rcvNxt() + 1, t.peer.rcvNxt(), "");
        assertThat(ahead.dropReason()).isEqualTo(DropReason.OUT_OF_WINDOW);
    }

    @Test
    void aSecondZeroWindow_isNotAReopening_butTheWindowThatFollowsIs() {
        t.established();
        t.peer.window = 0;
        List<String> first = TcpFixture.steps(t.peer.ack(), "tcp.window");
        List<String> second = TcpFixture.steps(t.peer.ack(), "tcp.window");
        t.peer.window = 1000;
        List<String> reopened = TcpFixture.steps(t.peer.ack(), "tcp.window");
        assertThat(first).isEmpty();
        assertThat(second).as("still closed").isEmpty();
        assertThat(reopened).containsExactly("the peer's window reopened to 1000 bytes: sending resumes");
    }
}
