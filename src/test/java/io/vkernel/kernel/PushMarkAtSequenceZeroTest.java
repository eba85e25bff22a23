package io.vkernel.kernel;

import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PSH is a mark on the skb that ends a write (tcp_mark_push()); a write that adds to an unsent tail first takes the
 * tail's mark away. Sequence numbers wrap, so a corked tail may end exactly at sequence 0, and a connection that never
 * marked anything has no mark there to take: the next write must still end with PSH. The ISN is the 4-tuple's keyed
 * hash plus a clock ticking every 64 ns (IsnGenerator), so waiting the right virtual time puts ISS + 1 just below 2^32.
 */
class PushMarkAtSequenceZeroTest {

    @Test
    void aWriteExtendingACorkedTailThatEndsAtSequenceZero_stillEndsWithPsh() {
        TcpFixture first = new TcpFixture().established();
        int keyed = first.tcb().iss(); // at virtual time 0 the clock adds nothing
        long waitMs = -1;
        int corked = 0;
        // the ISN grows by 15625 a millisecond (10^6 ns / 64); in each wrap of 2^32 take the first millisecond whose
        // ISN + 1 is at most 1000 below the wrap, until the bytes left to it are 100 to 999
        for (long wrap = 1; waitMs < 0 && wrap < 1000; wrap++) {
            long ms = Math.floorDiv((wrap << 32) - 1000 - Integer.toUnsignedLong(keyed) - 1 + 15624, 15625);
            long left = Integer.toUnsignedLong(-1 - (keyed + (int) (ms * 1_000_000L >>> 6))); // ISS + 1 + left = 2^32
            if (left >= 100 && left < 1000) {
                waitMs = ms;
                corked = (int) left;
            }
        }
        assertThat(waitMs).as("a virtual time whose ISN leaves 100 to 999 bytes before sequence 0").isNotNegative();

        TcpFixture t = new TcpFixture();
        t.kernel.advance(waitMs);
        t.established();
        int start = t.tcb().iss() + 1;
        assertThat(start + corked).isZero();
        int before = t.peer.received().size();
        TcpFixture.done(t.kernel.send(t.pid, t.fd, new byte[corked], Syscalls.MSG_MORE, new PacketReport(null)));
        assertThat(t.sentSince(before)).as("MSG_MORE holds a partial segment").isEmpty();

        t.write(10); // joins the tail [ISS + 1, 0) and ends at sequence 10: the whole skb leaves, PSH at its end
        List<Segment> sent = t.sentSince(before);
        assertThat(sent).hasSize(1);
        assertThat(sent.get(0).seq()).isEqualTo(start);
        assertThat(sent.get(0).payload()).hasSize(corked + 10);
        assertThat(sent.get(0).has(TcpFlags.PSH)).isTrue();
    }
}
