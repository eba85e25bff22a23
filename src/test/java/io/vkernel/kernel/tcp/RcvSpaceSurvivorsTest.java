package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The last RcvSpace mutants PIT left alive, worked by hand from Linux 6.18: quick-ack mode kept when the free window
 * is exactly half the clamp (__tcp_select_window()'s "free_space < full_space / 2"), a window still offered when one
 * segment is larger than the whole clamp, rcv_mss learnt from a segment exactly rcv_mss long when advmss is smaller
 * (tcp_measure_rcv_mss()), and rcv_ssthresh when tcp_set_window_clamp() is given the clamp it already has.
 */
class RcvSpaceSurvivorsTest {

    private final Sysctls sysctls = new Sysctls();

    /** An established TCB (128 KiB buffer, clamp 64076) whose queued data leaves a free window of exactly half the clamp. */
    private static Tcb halfTheClampFree(int wscale) {
        Tcb t = RcvSpaceTcbs.established();
        t.wscaleOk = wscale > 0;
        t.rcvWscale = wscale;
        RcvSpace.ensure(t);
        assertThat(t.rcvSpace.windowClamp).as("65536 of full space less one advmss").isEqualTo(64_076);
        // scaling_ratio 1/2: 131072 - 66996 = 64076 bytes free back a window of 32038 = 64076 >> 1
        RcvSpaceTcbs.receive(t, 100, 131_072 - 64_076);
        t.quickAcks = 5;
        return t;
    }

    @Test
    void aFreeWindowOfExactlyHalfTheClamp_keepsQuickAckMode() {
        Tcb t = halfTheClampFree(0);
        assertThat(RcvSpace.freeWindow(t, sysctls, true)).as("32038 rounded down to rcv_mss 536 multiples").isEqualTo(59 * 536);
        assertThat(t.quickAcks).as("not below half: icsk_ack.quick is left alone").isEqualTo(5);
    }

    @Test
    void withTcpShrinkWindow_aFreeWindowOfExactlyHalfTheClamp_keepsQuickAckMode() {
        sysctls.set(Sysctls.TCP_SHRINK_WINDOW, 1);
        Tcb t = halfTheClampFree(1); // 32038 is a multiple of the scale unit 2
        assertThat(RcvSpace.freeWindow(t, sysctls, true)).isEqualTo(32_038);
        assertThat(t.quickAcks).isEqualTo(5);
    }

    @Test
    void aSegmentLargerThanTheWholeClamp_stillLetsTheWindowOpen() {
        // the smallest SO_RCVBUF (SOCK_MIN_RCVBUF 2304): full space 1152, clamp 1152
        Tcb t = RcvSpaceTcbs.established();
        t.rcvBufLimit = 2304;
        t.rcvSpace.synWindow = 1152; // tcp_select_initial_window() rounds to mss multiples only when space > mss
        RcvSpace.ensure(t);
        assertThat(t.rcvSpace.windowClamp).isEqualTo(1152);
        // a 1000-byte segment costs a 2304-byte skb: scaling_ratio 1000 * 256 / 2304 = 111, full space and clamp
        // 2304 * 111 >> 8 = 999, one byte below the rcv_mss of 1000 the segment teaches
        Segment segment = new Segment(RcvSpaceTcbs.REMOTE, RcvSpaceTcbs.LOCAL, TcpFlags.ACK, 1001, 1, 1000, 0, new byte[1000], null);
        RcvSpace.measure(t, segment, RcvSpace.truesize(segment), 0);
        assertThat(t.rcvMss).isEqualTo(1000);
        assertThat(t.rcvSpace.windowClamp).isEqualTo(999);
        // __tcp_select_window(): "if (unlikely(mss > full_space)) { mss = full_space; if (mss <= 0) return 0; }":
        // 999 free bytes (rcv_ssthresh followed the clamp down to 999), one mss of 999, is offered, not zero
        assertThat(RcvSpace.freeWindow(t, sysctls, false)).isEqualTo(999);
    }

    @Test
    void aSegmentExactlyRcvMssLong_stillLowersRcvMssToAdvmss() {
        // TCP_MAXSEG 100: advmss 100 below the initial rcv_mss 536; tcp_measure_rcv_mss() takes a segment of
        // len >= rcv_mss: rcv_mss = min(len, advmss)
        Tcb t = RcvSpaceTcbs.established();
        t.advMss = 100;
        RcvSpace.ensure(t);
        Segment segment = new Segment(RcvSpaceTcbs.REMOTE, RcvSpaceTcbs.LOCAL, TcpFlags.ACK, 1001, 1, 1000, 0, new byte[536], null);
        RcvSpace.measure(t, segment, RcvSpace.truesize(segment), 0);
        assertThat(t.rcvMss).as("tcpi_rcv_mss").isEqualTo(100);
    }

    @Test
    void aNewScalingRatioGivingTheClampItHas_raisesRcvSsthreshToTheWindow() {
        Tcb t = RcvSpaceTcbs.established();
        RcvSpace.ensure(t);
        // a 1000-byte segment charged 2560 bytes: scaling_ratio 100, full space 131072 * 100 >> 8 = 51200
        t.rcvSpace.windowClamp = 51_200;
        t.rcvSpace.rcvWnd = 40_000;
        t.rcvSpace.rcvSsthresh = 30_000;
        Segment segment = new Segment(RcvSpaceTcbs.REMOTE, RcvSpaceTcbs.LOCAL, TcpFlags.ACK, 1001, 1, 1000, 0, new byte[1000], null);
        RcvSpace.measure(t, segment, 2560, 0);
        assertThat(t.rcvSpace.scalingRatio).isEqualTo(100);
        // tcp_set_window_clamp(): not decreasing, so rcv_ssthresh = max(min(rcv_wnd, val), rcv_ssthresh)
        assertThat(t.rcvSpace.rcvSsthresh).isEqualTo(40_000);
    }
}
