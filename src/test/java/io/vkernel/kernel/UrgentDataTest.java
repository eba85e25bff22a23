package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.Seq;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Urgent data as read() sees it (net/ipv4/tcp_input.c tcp_check_urg() and tcp_urg(), net/ipv4/tcp.c
 * tcp_recvmsg_locked(), tcp_stdurg=0): which byte a pointer marks, a mark that arrives before its byte, pointers
 * into data already received or naming a mark already pending, and a new mark while the reader sits at the old one.
 * Each case reads the stream back and checks the trace's {@code tcp.urg} steps.
 */
class UrgentDataTest {

    private final TcpFixture f = new TcpFixture().established();
    /** The peer's first data byte. */
    private final int base = f.peer.sndNxt();

    /** A segment of {@code text} at {@code offset} bytes into the stream, with URG and {@code urg} unless urg < 0. */
    private PacketReport segment(int offset, String text, int urg) {
        int flags = TcpFlags.ACK | TcpFlags.PSH | (urg >= 0 ? TcpFlags.URG : 0);
        return f.kernel.receive(new Segment(f.peer.endpoint(), Endpoint.parse(TcpFixture.SERVER), flags, base + offset,
                f.peer.rcvNxt(), 1000, 0, text.getBytes(StandardCharsets.UTF_8), null, 0, Math.max(urg, 0)));
    }

    private String read() {
        return TcpFixture.text(f.read());
    }

    private List<String> readAll() {
        List<String> reads = new ArrayList<>();
        f.nonBlocking();
        while (true) {
            var result = f.read();
            if (result.ret() < 0) {
                assertThat(result.errno()).isEqualTo(Errno.EAGAIN);
                return reads;
            }
            reads.add(TcpFixture.text(result));
        }
    }

    private String markStep(int offset) {
        return "urgent pointer: the byte at " + Seq.unsigned(base + offset) + " is the urgent mark (tcp_check_urg(); "
                + "read() stops before it and skips it, out of band)";
    }

    @Test
    void aPointerOfZero_marksTheFirstByte_whichReadSkips() {
        // tcp_check_urg(): "if (ptr && !sysctl_tcp_stdurg) ptr--": a zero pointer is not stepped back
        PacketReport report = segment(0, "abc", 0);
        assertThat(TcpFixture.steps(report, "tcp.urg")).containsExactly(markStep(0));
        assertThat(readAll()).containsExactly("bc");
    }

    @Test
    void aMarkBeyondTheSegment_waitsForItsByte_andReadStopsThereOnceItCame() {
        PacketReport first = segment(0, "abc", 6);
        assertThat(TcpFixture.steps(first, "tcp.urg")).containsExactly(markStep(5));
        assertThat(read()).as("the mark's byte is not here yet: everything queued is readable").isEqualTo("abc");
        PacketReport second = segment(3, "defgh", -1);
        assertThat(TcpFixture.steps(second, "tcp.urg")).as("no new pointer").isEmpty();
        assertThat(readAll()).containsExactly("de", "gh");
    }

    @Test
    void aMarkJustPastTheSegment_isTheNextSegmentsFirstByte() {
        segment(0, "abc", 4);
        assertThat(readAll()).containsExactly("abc");
        segment(3, "def", -1);
        assertThat(readAll()).containsExactly("ef");
        segment(6, "ghi", -1);
        assertThat(readAll()).as("the mark was passed: nothing more is skipped").containsExactly("ghi");
    }

    @Test
    void aPointerIntoDataAlreadyReceived_isIgnored_readOrNot() {
        segment(0, "abcdef", -1);
        // starts two bytes below RCV.NXT; its pointer names the 'e' already queued (tcp_check_urg(): before rcv_nxt)
        PacketReport unread = segment(4, "efgh", 1);
        assertThat(TcpFixture.steps(unread, "tcp.urg")).isEmpty();
        assertThat(readAll()).containsExactly("abcdefgh");
        // the same once the application read past it (tcp_check_urg(): after copied_seq)
        PacketReport read = segment(6, "ghij", 1);
        assertThat(TcpFixture.steps(read, "tcp.urg")).isEmpty();
        assertThat(readAll()).containsExactly("ij");
    }

    @Test
    void theSamePointerAgain_isNotANewMark() {
        segment(0, "abc", 6);
        PacketReport again = segment(3, "defgh", 3);
        assertThat(TcpFixture.steps(again, "tcp.urg")).as("the mark at 'f' is already pending").isEmpty();
        assertThat(readAll()).containsExactly("abcde", "gh");
    }

    @Test
    void aNewMarkBeyondTheOld_replacesIt_soTheOldByteIsReadAsData() {
        PacketReport first = segment(0, "abcdef", 2);
        PacketReport second = segment(6, "ghij", 2);
        assertThat(TcpFixture.steps(first, "tcp.urg")).containsExactly(markStep(1));
        assertThat(TcpFixture.steps(second, "tcp.urg")).containsExactly(markStep(7));
        assertThat(readAll()).containsExactly("abcdefg", "ij");
    }

    @Test
    void aNewMarkWhileTheReaderSitsAtTheOld_stepsOverTheOldByte() {
        segment(0, "abcdef", 2);
        assertThat(read()).isEqualTo("a");
        segment(6, "ghij", 2);
        assertThat(readAll()).as("'b' is skipped as the reader never will read it, then 'h'").containsExactly("cdefg", "ij");
    }

    @Test
    void withSoOobinline_theOldMarkStaysInTheStream_whenANewOneComes() {
        done(f.kernel.setsockopt(f.pid, f.fd, "SO_OOBINLINE", 1, true));
        PacketReport first = segment(0, "abcdef", 2);
        assertThat(TcpFixture.steps(first, "tcp.urg")).containsExactly("urgent pointer: the byte at " + Seq.unsigned(base + 1)
                + " is the urgent mark (tcp_check_urg(); SO_OOBINLINE: it stays in the stream)");
        assertThat(read()).isEqualTo("a");
        segment(6, "ghij", 2);
        assertThat(readAll()).containsExactly("bcdefg", "hij");
    }

    @Test
    void aMarkAtRcvNxt_withNothingQueued_doesNotDisturbAnEmptyRead() {
        segment(0, "abc", 4);
        assertThat(readAll()).as("then EAGAIN with the mark pending at RCV.NXT").containsExactly("abc");
        assertThat(readAll()).isEmpty();
        segment(3, "d", -1);
        segment(4, "ef", -1);
        assertThat(readAll()).containsExactly("ef");
    }

    @Test
    void afterThePeersFin_theMarkIsStillFoundFromWhatIsLeftToRead() {
        // copied_seq = RCV.NXT - queued - 1 once the FIN is in: the FIN takes a sequence number but no queue space
        segment(0, "abcdef", 3);
        f.peer.jumpTo(base + 6).fin();
        assertThat(f.state()).isEqualTo(TcpState.CLOSE_WAIT);
        assertThat(read()).isEqualTo("ab");
        assertThat(read()).isEqualTo("def");
        assertThat(read()).as("end of file").isEmpty();
    }

    @Test
    void anIgnoredPointer_leavesNoMark_evenWhereSequenceNumbersWrapToZero() {
        // the peer's ISN sits just below 2^32: the stream's byte at sequence number 0 is 'y' below, and a pointer
        // that tcp_check_urg() ignores must not make any byte urgent (tcp_urg() looks for one only while NOTYET)
        int zeroAt = -base;
        assertThat(zeroAt).isPositive();
        for (int sent = 0; sent < zeroAt; sent += 1000) {
            segment(sent, "x".repeat(Math.min(1000, zeroAt - sent)), -1);
            assertThat(readAll()).hasSize(1);
        }
        PacketReport overlap = segment(zeroAt - 1, "xyz", 1); // its pointer names the 'x' already read
        assertThat(TcpFixture.steps(overlap, "tcp.urg")).isEmpty();
        assertThat(readAll()).containsExactly("yz");
    }
}
