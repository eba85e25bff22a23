package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.socket.SocketOptions;
import io.vkernel.kernel.time.VirtualClock;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An urgent mark the reader has passed is forgotten (tcp_recvmsg_locked(): "if (tp->urg_data &&
 * after(tp->copied_seq, tp->urg_seq)) WRITE_ONCE(tp->urg_data, 0)"). A mark kept past that point names a sequence
 * number that comes round again 2^32 bytes later, where read() would stop at a byte that is not urgent: each case
 * passes a mark, then moves the connection on by 2^32 bytes less a few (as reading 4 GiB would), and reads the next
 * segment whole.
 */
class UrgentSurvivorsTest {

    private final Tcb t = RcvSpaceTcbs.established(); // RCV.NXT 1001

    /** The peer's next in-order segment of {@code text}, URG with pointer {@code urg} when urg > 0. */
    private void arrives(String text, int urg) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int flags = TcpFlags.ACK | (urg > 0 ? TcpFlags.URG : 0);
        Segment segment = new Segment(RcvSpaceTcbs.REMOTE, RcvSpaceTcbs.LOCAL, flags, t.rcvNxt, 1, 1000, 0, bytes, null, 0, urg);
        Urgent.received(t, segment, oobInline(), new PacketReport(null));
        RcvSpaceTcbs.receive(t, bytes.length, 2304);
    }

    private boolean oobInline() {
        return t.inherited != null && t.inherited.oobInline;
    }

    /**
     * As if nearly 4 GiB more had arrived and been read: nothing queued, RCV.NXT so far on that the old mark's
     * sequence number lies 2 bytes into the next data (2^32 - 2 - how far copied_seq is past the mark).
     */
    private void fourGibibytesLater(int markSeq) {
        assertThat(t.receiveQueue.size()).isZero();
        long past = Integer.toUnsignedLong(t.rcvNxt - markSeq);
        t.rcvNxt += (int) ((1L << 32) - past - 2);
    }

    @Test
    void aMarkSkippedAsTheLastQueuedByte_isForgotten() {
        arrives("abcde", 5); // the mark is "e", the last byte
        assertThat(Urgent.readable(t, 100, false)).as("read() stops before the mark").isEqualTo(4);
        t.receiveQueue.take(4);
        Urgent.clearIfPassed(t);
        assertThat(Urgent.readable(t, 100, false)).as("the mark is skipped; nothing is left").isEqualTo(100);
        assertThat(t.receiveQueue.size()).isZero();
        fourGibibytesLater(1005);
        arrives("0123456789", 0);
        assertThat(Urgent.readable(t, 100, false)).as("all ten bytes: no mark any more").isEqualTo(100);
        assertThat(Urgent.spliceable(t, 10)).isEqualTo(10);
    }

    @Test
    void aMarkReadInline_isForgottenByTheRead() {
        SocketOptions options = new SocketOptions();
        options.oobInline = true; // SO_OOBINLINE inherited from the listener: the urgent byte stays in the stream
        t.inherited = options;
        TcpReceiver receiver = new TcpReceiver(new Sysctls(), null, new TcpOutput(new VirtualClock(), null, null, new Sysctls()), null);
        arrives("abcde", 3); // the mark is "c"
        assertThat(receiver.read(t, 100, new PacketReport(null))).as("up to the mark").hasSize(2);
        assertThat(receiver.read(t, 100, new PacketReport(null))).as("the mark and what follows it").hasSize(3);
        fourGibibytesLater(1003);
        arrives("0123456789", 0);
        assertThat(receiver.read(t, 100, new PacketReport(null))).as("all ten bytes: no mark any more").hasSize(10);
    }
}
