package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The receive window a 128 KiB buffer backs, worked by hand from Linux 6.18: tcp_init_buffer_space()'s clamp and
 * rcv_ssthresh, __tcp_select_window() (rounding to the MSS, the zero window when less than a sixteenth of the
 * buffer or one MSS is free), tcp_select_window()'s never-shrink rule and tcp_shrink_window, ICSK_ACK_NOMEM's zero
 * window, tcp_cleanup_rbuf()'s window update after a read, and tcp_measure_rcv_mss() re-learning scaling_ratio.
 */
class RcvSpaceWindowTest {

    private static final Endpoint LOCAL = RcvSpaceTcbs.LOCAL;
    private static final Endpoint REMOTE = RcvSpaceTcbs.REMOTE;

    private final Sysctls sysctls = new Sysctls();
    private final Tcb tcb = tcb(TcpState.ESTABLISHED);

    private static Tcb tcb(TcpState state) {
        return RcvSpaceTcbs.tcb(state);
    }

    private void receive(int bytes, int truesize) {
        RcvSpaceTcbs.receive(tcb, bytes, truesize);
    }

    private static Segment data(int bytes) {
        return new Segment(REMOTE, LOCAL, TcpFlags.ACK, 1001, 1, 1000, 0, new byte[bytes]);
    }

    @Test
    void handshakeEnd_clampsTheWindowOneSegmentBelowTheFullSpace_andStartsAutotuningAtTenSegments() {
        RcvSpace s = tcb.rcvSpace;
        RcvSpace.ensure(tcb);
        assertThat(s.initialized).isTrue();
        assertThat(s.rcvWnd).as("44 segments of 1460 in half the buffer").isEqualTo(64_240);
        assertThat(s.rcvWup).isEqualTo(1001);
        assertThat(s.windowClamp).as("65536 - 1460").isEqualTo(64_076);
        assertThat(s.rcvSsthresh).isEqualTo(64_076);
        assertThat(s.rcvqSpace).as("10 x advmss").isEqualTo(14_600);

        Tcb fromSyn = tcb(TcpState.SYN_RECV);
        fromSyn.rcvSpace.synWindow = 5000;
        RcvSpace.ensure(fromSyn);
        assertThat(fromSyn.rcvSpace.rcvWnd).isEqualTo(5000);
        assertThat(fromSyn.rcvSpace.rcvSsthresh).isEqualTo(5000);
        assertThat(fromSyn.rcvSpace.rcvqSpace).isEqualTo(5000);

        Tcb big = tcb(TcpState.ESTABLISHED);
        big.rcvBufLimit = 262_144;
        RcvSpace.ensure(big);
        assertThat(big.rcvSpace.windowClamp).as("without window scaling: 65535").isEqualTo(65_535);

        Tcb scaled = tcb(TcpState.ESTABLISHED);
        scaled.wscaleOk = true;
        scaled.rcvWscale = 7;
        RcvSpace.ensure(scaled);
        assertThat(scaled.rcvSpace.windowClamp).isEqualTo(64_076);

        Tcb tiny = tcb(TcpState.ESTABLISHED);
        tiny.rcvBufLimit = 4096;
        RcvSpace.ensure(tiny);
        assertThat(tiny.rcvSpace.windowClamp).as("the full space of 2048, below two segments").isEqualTo(2048);
        assertThat(tiny.rcvSpace.rcvqSpace).isEqualTo(1460);
    }

    @Test
    void beforeTheHandshakeEnds_theWindowIsTheInitialOne_andNothingIsSetUp() {
        Tcb client = tcb(TcpState.SYN_SENT);
        assertThat(RcvSpace.select(client, sysctls)).isEqualTo(64_240);
        assertThat(RcvSpace.receiveWindow(client)).isEqualTo(64_240);
        assertThat(RcvSpace.windowUpdateAfterRead(client, sysctls)).isFalse();
        assertThat(client.rcvSpace.initialized).isFalse();
        Tcb listener = tcb(TcpState.LISTEN);
        RcvSpace.ensure(listener);
        assertThat(listener.rcvSpace.initialized).isFalse();
    }

    @Test
    void select_neverShrinksTheOffer_untilTheBufferIsFull_thenZero() {
        RcvSpace.ensure(tcb);
        assertThat(RcvSpace.freeWindow(tcb, sysctls, false)).as("64076 rounded down to 119 x 536").isEqualTo(63_784);
        assertThat(RcvSpace.select(tcb, sysctls)).as("the SYN's 64240 is kept").isEqualTo(64_240);

        receive(10_000, 23_040);
        assertThat(RcvSpace.receiveWindow(tcb)).isEqualTo(54_240);
        assertThat(RcvSpace.freeWindow(tcb, sysctls, false)).as("(131072 - 23040) / 2 = 54016, 100 x 536").isEqualTo(53_600);
        assertThat(RcvSpace.select(tcb, sysctls)).as("what is left of the offer").isEqualTo(54_240);
        assertThat(tcb.rcvSpace.rcvWup).isEqualTo(11_001);
        assertThat(tcb.rcvSpace.rcvWnd).isEqualTo(54_240);
    }

    @Test
    void freeWindow_belowHalfTheClamp_roundsToTheMss_andIsZeroBelowASixteenthOfTheBuffer() {
        RcvSpace.ensure(tcb);
        int quick = tcb.quickAcks;
        receive(50_000, 100_000);
        assertThat(RcvSpace.freeWindow(tcb, sysctls, false)).as("15536 free: 28 x 536").isEqualTo(15_008);
        assertThat(tcb.quickAcks).as("no side effects asked for").isEqualTo(quick);
        RcvSpace.freeWindow(tcb, sysctls, true);
        assertThat(tcb.quickAcks).as("below half the clamp: quick ACKs end").isZero();

        Tcb edge = tcb(TcpState.ESTABLISHED);
        RcvSpace.ensure(edge);
        edge.receiveQueue.append(new byte[1000], 0, 1000);
        RcvSpace.chargeQueued(edge, 1000, 122_880);
        assertThat(RcvSpace.freeWindow(edge, sysctls, false)).as("exactly 4096 free: 7 x 536").isEqualTo(3752);
        edge.receiveQueue.append(new byte[1000], 0, 1000);
        RcvSpace.chargeQueued(edge, 1000, 2);
        assertThat(RcvSpace.freeWindow(edge, sysctls, false)).as("4095 free").isZero();
    }

    @Test
    void freeWindow_underAFullSegmentFree_isZero() {
        tcb.rcvBufLimit = 8192;
        RcvSpace.ensure(tcb);
        tcb.rcvMss = 1000;
        receive(100, 6200);
        assertThat(RcvSpace.freeWindow(tcb, sysctls, false)).as("(8192 - 6200) / 2 = 996, less than 1000").isZero();
        Tcb other = tcb(TcpState.ESTABLISHED);
        other.rcvBufLimit = 8192;
        RcvSpace.ensure(other);
        other.rcvMss = 996;
        other.receiveQueue.append(new byte[100], 0, 100);
        RcvSpace.chargeQueued(other, 100, 6200);
        assertThat(RcvSpace.freeWindow(other, sysctls, false)).as("exactly one 996-byte segment").isEqualTo(996);
    }

    @Test
    void nomem_advertisesZeroOnce_thenTheWindowReopensFromRcvNxt() {
        RcvSpace.ensure(tcb);
        tcb.rcvSpace.nomem = true;
        tcb.rcvNxt = 5001;
        assertThat(RcvSpace.select(tcb, sysctls)).isZero();
        assertThat(tcb.rcvSpace.nomem).isFalse();
        assertThat(tcb.rcvSpace.rcvWnd).isZero();
        assertThat(tcb.rcvSpace.rcvWup).isEqualTo(5001);
        assertThat(RcvSpace.receiveWindow(tcb)).isZero();
        assertThat(RcvSpace.select(tcb, sysctls)).isEqualTo(63_784);
    }

    @Test
    void withWindowScaling_theWindowIsAlignedUp_andShrinksOnlyUnderTcpShrinkWindow() {
        tcb.wscaleOk = true;
        tcb.rcvWscale = 2;
        tcb.rcvSpace.synWindow = 64_242;
        RcvSpace.ensure(tcb);
        assertThat(RcvSpace.freeWindow(tcb, sysctls, false)).isEqualTo(64_076);
        assertThat(RcvSpace.select(tcb, sysctls)).as("the offer kept, rounded up to 4").isEqualTo(64_244);

        Tcb shrinking = tcb(TcpState.ESTABLISHED);
        shrinking.wscaleOk = true;
        shrinking.rcvWscale = 2;
        sysctls.set(Sysctls.TCP_SHRINK_WINDOW, 1);
        RcvSpace.ensure(shrinking);
        assertThat(RcvSpace.select(shrinking, sysctls)).isEqualTo(64_076);
        assertThat(shrinking.rcvSpace.rcvWnd).isEqualTo(64_076);

        Tcb unscaled = tcb(TcpState.ESTABLISHED);
        RcvSpace.ensure(unscaled);
        assertThat(RcvSpace.select(unscaled, sysctls)).as("tcp_shrink_window needs a window scale").isEqualTo(64_240);
    }

    @Test
    void shrinkWindowMode_zeroWhenLittleIsFree_elseTheFreeSpaceInWholeScaleUnits() {
        sysctls.set(Sysctls.TCP_SHRINK_WINDOW, 1);
        tcb.wscaleOk = true;
        tcb.rcvWscale = 2;
        RcvSpace.ensure(tcb);
        int quick = tcb.quickAcks;
        receive(50_000, 100_001);
        // (131072 - 100001) / 2 = 15535, to whole units of 4: 15532
        assertThat(RcvSpace.freeWindow(tcb, sysctls, false)).isEqualTo(15_532);
        assertThat(tcb.quickAcks).isEqualTo(quick);
        RcvSpace.freeWindow(tcb, sysctls, true);
        assertThat(tcb.quickAcks).isZero();
        receive(1000, 25_000);
        assertThat(RcvSpace.freeWindow(tcb, sysctls, false)).as("3035 free, under 4096").isZero();
    }

    @Test
    void afterARead_anUpdateGoes_whenTheFreeWindowIsTwiceWhatIsLeftOfTheOffer() {
        RcvSpace.ensure(tcb);
        RcvSpace.select(tcb, sysctls);
        int quick = tcb.quickAcks;
        receive(32_348, 80_000);
        assertThat(RcvSpace.receiveWindow(tcb)).isEqualTo(31_892);
        assertThat(RcvSpace.windowUpdateAfterRead(tcb, sysctls)).as("nothing read yet").isFalse();
        assertThat(tcb.quickAcks).isEqualTo(quick);
        tcb.receiveQueue.take(32_348);
        assertThat(RcvSpace.windowUpdateAfterRead(tcb, sysctls)).as("63784 is exactly twice 31892").isTrue();

        Tcb less = tcb(TcpState.ESTABLISHED);
        RcvSpace.ensure(less);
        RcvSpace.select(less, sysctls);
        less.receiveQueue.append(new byte[32_347], 0, 32_347);
        RcvSpace.chargeQueued(less, 32_347, 80_000);
        less.rcvNxt += 32_347;
        less.receiveQueue.take(32_347);
        assertThat(RcvSpace.windowUpdateAfterRead(less, sysctls)).as("31893 left: twice is more than 63784").isFalse();

        Tcb most = tcb(TcpState.ESTABLISHED);
        RcvSpace.ensure(most);
        RcvSpace.select(most, sysctls);
        assertThat(RcvSpace.windowUpdateAfterRead(most, sysctls)).as("more than half the clamp still offered").isFalse();
    }

    @Test
    void measure_aFullerSegment_relearnsTheScalingRatio_andTheClampFollows() {
        RcvSpace.ensure(tcb);
        RcvSpace s = tcb.rcvSpace;
        RcvSpace.measure(tcb, data(100), 896, 0);
        assertThat(s.scalingRatio).as("shorter than rcv_mss: not measured").isEqualTo(128);
        assertThat(tcb.rcvMss).isEqualTo(536);

        RcvSpace.measure(tcb, data(1000), 2304, 0);
        assertThat(s.scalingRatio).as("1000 x 256 / 2304").isEqualTo(111);
        assertThat(s.windowClamp).as("131072 x 111 / 256").isEqualTo(56_832);
        assertThat(s.rcvSsthresh).as("follows the clamp down").isEqualTo(56_832);
        assertThat(tcb.rcvMss).isEqualTo(1000);

        s.scalingRatio = 120;
        RcvSpace.measure(tcb, data(1000), 1000, 0);
        assertThat(s.scalingRatio).as("the same size as rcv_mss: not re-measured").isEqualTo(120);

        RcvSpace.measure(tcb, data(1460), 2304, 0);
        assertThat(s.scalingRatio).as("1460 x 256 / 2304").isEqualTo(162);
        assertThat(s.windowClamp).isEqualTo(82_944);
        assertThat(s.rcvSsthresh).as("up to the window offered").isEqualTo(64_240);
        assertThat(tcb.rcvMss).isEqualTo(1460);
    }

    @Test
    void measure_takesTheGsoSize_boundsTheRatio_andPullsTheAutotuningEstimateUnderTheClamp() {
        RcvSpace.ensure(tcb);
        RcvSpace s = tcb.rcvSpace;
        RcvSpace.measure(tcb, data(3000), 8448, 1000);
        assertThat(tcb.rcvMss).as("the GSO size, not the skb").isEqualTo(1000);
        assertThat(s.scalingRatio).as("3000 x 256 / 8448").isEqualTo(90);

        Tcb dense = tcb(TcpState.ESTABLISHED);
        RcvSpace.ensure(dense);
        RcvSpace.measure(dense, data(1000), 500, 0);
        assertThat(dense.rcvSpace.scalingRatio).isEqualTo(255);

        Tcb sparse = tcb(TcpState.ESTABLISHED);
        RcvSpace.ensure(sparse);
        RcvSpace.measure(sparse, data(600), 1_000_000, 0);
        assertThat(sparse.rcvSpace.scalingRatio).isEqualTo(1);
        assertThat(sparse.rcvSpace.windowClamp).isEqualTo(512);
        assertThat(sparse.rcvSpace.rcvqSpace).as("never above the clamp").isEqualTo(512);
        assertThat(sparse.rcvMss).isEqualTo(600);

        Tcb large = tcb(TcpState.ESTABLISHED);
        RcvSpace.ensure(large);
        RcvSpace.measure(large, data(2000), 4352, 0);
        assertThat(large.rcvMss).as("at most advmss").isEqualTo(1460);
    }
}
