package io.vkernel.kernel;

import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * MSG_ZEROCOPY's frag count, seen where it shows: an skb holds at most 17 frags (MAX_SKB_FRAGS), every pinned page is
 * one (__zerocopy_sg_from_iter(): a page-crossing iovec is two), copied bytes take one page frag after a pinned one
 * and then share it (skb_can_coalesce()), and when the tail has no frag left the next pinned bytes start a new skb
 * behind a PSH mark (tcp_mark_push()), so the segments are cut there. PIT survivors in ZeroCopyFrags.take() and
 * SendBuffer.copiedIntoTail().
 */
class ZeroCopyFragsMutantsTest {

    private static final int MSG_ZEROCOPY = 0x4000000;

    private final TcpFixture t = new TcpFixture();

    private int base;
    private int index;

    private void establishedZeroCopyCorked() {
        t.established();
        base = t.tcb().sndUna();
        index = t.peer.received().size();
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_ZEROCOPY", 1, true));
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_CORK", 1, true));
    }

    private long pinned(int... iov) {
        return done(t.kernel.sendmsg(t.pid, t.fd, new byte[Arrays.stream(iov).sum()], iov, MSG_ZEROCOPY, new PacketReport(null))).ret();
    }

    private static int[] tens(int count) {
        int[] iov = new int[count];
        Arrays.fill(iov, 10);
        return iov;
    }

    /**
     * The data segments since the connection was established, after TCP_CORK is taken off and the peer acknowledged
     * what came (Nagle holds a small tail while a small segment is unacknowledged).
     */
    private List<Tuple> segmentsAfterUncork() {
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_CORK", 0, true));
        for (int i = 0; i < 3; i++) {
            t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), t.tcb().sndNxt(), "");
        }
        List<Segment> all = t.peer.received();
        return all.subList(index, all.size()).stream().map(s -> tuple(TcpFlags.format(s.flags()), s.seq() - base, s.length())).toList();
    }

    @Test
    void copiedBytesAfterPinnedOnes_takeOnePageFragBetweenThem() {
        establishedZeroCopyCorked();
        assertThat(pinned(tens(10))).isEqualTo(100); // 10 frags
        t.write("0123456789"); // a page frag of its own after a pinned page: 11
        t.write("abcdefghij"); // coalesces into it
        t.write("ABCDEFGHIJ");
        assertThat(pinned(tens(10))).isEqualTo(100); // 6 more fit (17), the other 4 start a new skb
        assertThat(segmentsAfterUncork()).containsExactly(tuple("P.", 0, 190), tuple("P.", 190, 40));
    }

    @Test
    void sendsThatEndOnAnIovecsLastByte_countOnlyTheFragsTheyPinned() {
        establishedZeroCopyCorked();
        for (int i = 0; i < 3; i++) {
            assertThat(pinned(tens(5))).isEqualTo(50); // 5, 10, 15 frags
        }
        assertThat(pinned(tens(5))).isEqualTo(50); // 2 fit
        assertThat(segmentsAfterUncork()).containsExactly(tuple("P.", 0, 170), tuple("P.", 170, 30));
    }

    @Test
    void anIovecCrossingPages_isAFragPerPage_evenWhereTheSizeGoalCutIt() {
        t.sysctl(Sysctls.ROUTE_INITCWND, 60);
        establishedZeroCopyCorked();
        int[] iov = new int[17];
        iov[0] = 30_000; // 8 frags
        iov[1] = 10_000; // 2120 to the size goal, then pages of 1976, 4096, 1808
        Arrays.fill(iov, 2, 17, 10);
        assertThat(pinned(iov)).isEqualTo(40_150);
        // the size goal (32120) cuts the first skb; the second holds the rest of the big iovec in 3 frags and 14 of the
        // small ones; the last small one starts a third
        assertThat(segmentsAfterUncork()).containsExactly(tuple("P.", 0, 32_120), tuple("P.", 32_120, 8020),
                tuple("P.", 40_140, 10));
    }
}
