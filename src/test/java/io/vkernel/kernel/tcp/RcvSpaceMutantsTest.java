package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOption;
import io.vkernel.kernel.wire.TcpOptions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Receive memory and window cases PIT found unasserted, worked by hand from Linux 6.18: the TCP header's options in
 * an skb's truesize (sk_rmem_alloc as ss -m shows it), skbs freed one by one as they are read and across the ring's
 * growth, tcp_collapse() when it would cost exactly what the queue does, tcp_rcv_space_adjust() at exactly
 * rcvq_space and from a zero rcvq_space, tcp_rcvbuf_grow() reaching exactly sk_rcvbuf, and __tcp_select_window()'s
 * shrink thresholds and mss rounding (the window the next ACK advertises).
 */
class RcvSpaceMutantsTest {

    private final Sysctls sysctls = new Sysctls();

    private static Tcb tcb() {
        return RcvSpaceTcbs.established();
    }

    private static Segment segment(int payload, TcpOptions options) {
        return new Segment(RcvSpaceTcbs.REMOTE, RcvSpaceTcbs.LOCAL, TcpFlags.ACK, 1001, 1, 1000, 0, new byte[payload], options);
    }

    @Test
    void truesize_countsTheOptionsPaddedToFourBytes() {
        // 7 option bytes pad to 8: IP 20 + TCP 28 + 209 = 257, one past the small-head cache
        TcpOptions seven = TcpOptions.of(new TcpOption.Mss(1460), new TcpOption.WindowScale(7));
        assertThat(RcvSpace.truesize(segment(209, seven))).isEqualTo(1024 + 256);
        assertThat(RcvSpace.truesize(segment(208, seven))).isEqualTo(640 + 256);
        assertThat(RcvSpace.truesize(segment(217, null))).as("20 + 20 + 217 = 257").isEqualTo(1024 + 256);
        assertThat(RcvSpace.truesize(segment(216, null))).isEqualTo(640 + 256);
    }

    @Test
    void skbsAreFreedOneByOne_asEachIsWhollyRead() {
        Tcb t = tcb();
        RcvSpaceTcbs.receive(t, 1000, 2304);
        RcvSpaceTcbs.receive(t, 1000, 2048);
        RcvSpaceTcbs.receive(t, 1000, 1280);
        List<Integer> rmem = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            t.receiveQueue.take(500);
            rmem.add(RcvSpace.rmemAlloc(t));
        }
        assertThat(rmem).containsExactly(5632, 3328, 3328, 1280, 1280, 0);
    }

    @Test
    void theSkbRingGrows_keepingEachSkbsCharge_whenItsHeadHasMoved() {
        Tcb t = tcb();
        for (int i = 1; i <= 8; i++) {
            RcvSpaceTcbs.receive(t, 100, 1000 + i); // skb i charged 1000 + i
        }
        t.receiveQueue.take(300);
        assertThat(RcvSpace.rmemAlloc(t)).isEqualTo(5 * 1000 + 4 + 5 + 6 + 7 + 8);
        for (int i = 9; i <= 12; i++) {
            RcvSpaceTcbs.receive(t, 100, 1000 + i); // the ninth live skb grows the ring from 8 to 16
        }
        List<Integer> rmem = new ArrayList<>();
        for (int i = 4; i <= 12; i++) {
            t.receiveQueue.take(100);
            rmem.add(RcvSpace.rmemAlloc(t));
        }
        List<Integer> expected = new ArrayList<>();
        for (int freed = 4; freed <= 12; freed++) {
            int left = 0;
            for (int j = freed + 1; j <= 12; j++) {
                left += 1000 + j;
            }
            expected.add(left);
        }
        assertThat(rmem).isEqualTo(expected);
    }

    @Test
    void collapse_isSkippedWhenItWouldCostExactlyWhatTheQueueDoes() {
        Tcb t = tcb();
        RcvSpaceTcbs.receive(t, 1000, 2304);
        RcvSpaceTcbs.receive(t, 2776, 2048); // 3776 bytes charged 4352: what one collapsed skb would cost
        assertThat(RcvSpace.tryRmemSchedule(t, 131_072 - 4352 + 1)).isFalse();
        t.receiveQueue.take(1000);
        assertThat(RcvSpace.rmemAlloc(t)).as("the first skb freed on its own: nothing was collapsed").isEqualTo(2048);
    }

    private static Tcb autotuned(int rcvBufLimit) {
        Tcb t = tcb();
        RcvSpace.ensure(t);
        assertThat(t.rcvSpace.rcvqSpace).isEqualTo(14_600); // TCP_INIT_CWND x advmss 1460
        t.rcvBufLimit = rcvBufLimit;
        t.rcvRttUs8 = 8 * 10_000;
        return t;
    }

    @Test
    void spaceAdjust_growsTheBufferOnlyWhenMoreThanRcvqSpaceWasRead() {
        Tcb exactly = autotuned(40_000);
        RcvSpaceTcbs.receive(exactly, 14_600, 30_000);
        exactly.receiveQueue.take(14_600);
        RcvSpace.spaceAdjust(exactly, sysctls, 10);
        assertThat(exactly.rcvBufLimit).as("copied == rcvq_space: tcp_rcv_space_adjust() keeps the buffer").isEqualTo(40_000);

        Tcb more = autotuned(40_000);
        RcvSpaceTcbs.receive(more, 14_601, 30_000);
        more.receiveQueue.take(14_601);
        RcvSpace.spaceAdjust(more, sysctls, 10);
        // rcvwin 2 x 14601 = 29202, + 2 x (29202 x 1 / 14600 = 2): 29206 bytes of window, twice that of buffer
        assertThat(more.rcvBufLimit).isEqualTo(58_412);
        assertThat(more.rcvSpace.windowClamp).isEqualTo(29_206);
        assertThat(more.rcvSpace.rcvqSpace).isEqualTo(14_601);
    }

    @Test
    void rcvbufGrow_reachingExactlyTheBuffer_leavesTheClampAlone() {
        Tcb t = autotuned(58_412);
        int clamp = t.rcvSpace.windowClamp;
        RcvSpaceTcbs.receive(t, 14_601, 30_000);
        t.receiveQueue.take(14_601);
        RcvSpace.spaceAdjust(t, sysctls, 10);
        assertThat(t.rcvBufLimit).isEqualTo(58_412);
        assertThat(t.rcvSpace.windowClamp).isEqualTo(clamp);
    }

    @Test
    void spaceAdjust_fromAZeroRcvqSpace_takesWhatWasReadWithoutTheSlowStartBonus() {
        Tcb t = tcb();
        t.rcvSpace.synWindow = 0;
        RcvSpace.ensure(t);
        assertThat(t.rcvSpace.rcvqSpace).isZero();
        t.rcvRttUs8 = 8 * 10_000;
        t.rcvBufLimit = 3000;
        RcvSpaceTcbs.receive(t, 1000, 2304);
        t.receiveQueue.take(1000);
        RcvSpace.spaceAdjust(t, sysctls, 10);
        assertThat(t.rcvSpace.rcvqSpace).isEqualTo(1000);
        assertThat(t.rcvBufLimit).as("2 x 1000 of window: 4000 bytes of buffer").isEqualTo(4000);
    }

    private Tcb shrinking(int wscale) {
        sysctls.set(Sysctls.TCP_SHRINK_WINDOW, 1);
        Tcb t = tcb();
        t.wscaleOk = true;
        t.rcvWscale = wscale;
        RcvSpace.ensure(t);
        assertThat(t.rcvSpace.windowClamp).isEqualTo(64_076);
        return t;
    }

    /** Queues data charged so that the free space backs {@code window} bytes (scaling_ratio 1/2: half the free memory). */
    private static void leaveWindow(Tcb t, int window) {
        RcvSpaceTcbs.receive(t, 100, t.rcvBufLimit - 2 * window);
    }

    @Test
    void withTcpShrinkWindow_aFreeWindowOfExactlyOneSixteenthOfTheBuffer_isStillOffered() {
        Tcb t = shrinking(2);
        leaveWindow(t, 4096); // 131072 x 1/2 >> 4 = 4096
        assertThat(RcvSpace.freeWindow(t, sysctls, true)).isEqualTo(4096);
        assertThat(t.quickAcks).as("below half the clamp: quick-ack mode ends").isZero();
    }

    @Test
    void withTcpShrinkWindow_aFreeWindowOfExactlyOneMss_isStillOffered() {
        Tcb t = shrinking(2);
        t.rcvMss = 8192;
        leaveWindow(t, 8192);
        assertThat(RcvSpace.freeWindow(t, sysctls, true)).isEqualTo(8192);
    }

    @Test
    void withTcpShrinkWindow_aFreeWindowOfExactlyOneScaleUnit_isStillOffered() {
        Tcb t = shrinking(14);
        leaveWindow(t, 16_384);
        assertThat(RcvSpace.freeWindow(t, sysctls, true)).isEqualTo(16_384);
    }

    @Test
    void withTcpShrinkWindow_plentyOfRoom_keepsQuickAckMode() {
        Tcb t = shrinking(2);
        int quick = t.quickAcks;
        assertThat(RcvSpace.freeWindow(t, sysctls, true)).as("rcv_ssthresh, within the clamp").isEqualTo(64_076);
        assertThat(t.quickAcks).isEqualTo(quick);
    }

    @Test
    void withTcpShrinkWindow_butNoWindowScale_theWindowIsChosenAsWithoutIt() {
        Tcb plain = tcb();
        assertThat(RcvSpace.freeWindow(plain, sysctls, false)).isEqualTo(63_784);
        sysctls.set(Sysctls.TCP_SHRINK_WINDOW, 1);
        Tcb unscaled = tcb();
        assertThat(RcvSpace.freeWindow(unscaled, sysctls, false)).as("rounded down to rcv_mss multiples all the same").isEqualTo(63_784);
    }

    @Test
    void belowHalfTheClamp_theFreeWindowIsRoundedDownToTheScaleUnit() {
        Tcb t = tcb();
        t.wscaleOk = true;
        t.rcvWscale = 2;
        RcvSpace.ensure(t);
        leaveWindow(t, 30_001);
        assertThat(RcvSpace.freeWindow(t, sysctls, false)).isEqualTo(30_000);
    }

    /** An unscaled connection with rcv_mss 1000 whose free window is 20500 (the ssthresh) and whose last offer was {@code rcvWnd}. */
    private static int unscaledWindow(int rcvWnd) {
        Tcb t = tcb();
        RcvSpace.ensure(t);
        t.rcvMss = 1000;
        t.rcvSpace.rcvSsthresh = 20_500;
        t.rcvSpace.rcvWnd = rcvWnd;
        return RcvSpace.freeWindow(t, new Sysctls(), false);
    }

    @Test
    void withoutAWindowScale_theLastOfferIsKeptWithinOneMssBelowTheFreeWindow_elseRoundedToMss() {
        // __tcp_select_window(): "if (window <= free_space - mss || window > free_space) window = rounddown(free_space, mss)"
        assertThat(unscaledWindow(19_500)).as("exactly one mss below: rounded").isEqualTo(20_000);
        assertThat(unscaledWindow(19_501)).isEqualTo(19_501);
        assertThat(unscaledWindow(20_499)).isEqualTo(20_499);
        assertThat(unscaledWindow(20_500)).as("exactly the free window: kept").isEqualTo(20_500);
        assertThat(unscaledWindow(20_501)).isEqualTo(20_000);
    }

    /** As above, but the clamp (10000) is no more than rcv_mss, so mss = full_space. */
    private static int clampedWindow(int rcvWnd) {
        Tcb t = tcb();
        RcvSpace.ensure(t);
        t.rcvMss = 10_000;
        t.rcvSpace.windowClamp = 10_000;
        t.rcvSpace.rcvSsthresh = 20_000;
        t.rcvSpace.rcvWnd = rcvWnd;
        return RcvSpace.freeWindow(t, new Sysctls(), false);
    }

    @Test
    void whenOneMssIsTheWholeClamp_aFreeWindowHalfAClampAboveTheLastOffer_isOfferedWhole() {
        // "else if (mss == full_space && free_space > window + (full_space >> 1)) window = free_space"
        assertThat(clampedWindow(12_000)).isEqualTo(20_000);
        assertThat(clampedWindow(15_000)).as("exactly half the clamp above: the last offer stays").isEqualTo(15_000);
    }
}
