package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The receive-memory arithmetic at its edges, worked by hand from Linux 6.18: kmalloc_reserve()'s cache sizes and
 * alloc_skb_with_frags()' pages at their boundaries, tcp_init_buffer_space()'s clamp for small buffers and a window
 * scale that was not agreed, tcp_collapse() cutting queued data into 3776-byte skbs (and deciding whether that
 * saves memory), __tcp_grow_window() at its bounds, and the window computed before the handshake's end was noted.
 */
class RcvSpaceEdgesTest {

    private final Sysctls sysctls = new Sysctls();

    private static Tcb tcb() {
        return RcvSpaceTcbs.established();
    }

    private static void receive(Tcb tcb, int bytes, int truesize) {
        RcvSpaceTcbs.receive(tcb, bytes, truesize);
    }

    @Test
    void truesize_atTheCacheAndPageBoundaries() {
        assertThat(RcvSpace.truesize(256)).as("64 + 256 + 320 = 640: still the small-head cache").isEqualTo(896);
        assertThat(RcvSpace.truesize(257)).isEqualTo(1024 + 256);
        assertThat(RcvSpace.truesize(700)).as("764 rounds to 768, + 320 = 1088: kmalloc-2k").isEqualTo(2048 + 256);
        assertThat(RcvSpace.truesize(7808)).as("3712 in the head, exactly one page after it").isEqualTo(4352 + 4096);
        assertThat(RcvSpace.truesize(7809)).isEqualTo(4352 + 2 * 4096);
    }

    @Test
    void init_smallBuffersStillReserveOneSegment_andAnUnagreedScaleIsNotUsed() {
        Tcb small = tcb();
        small.rcvBufLimit = 8000;
        RcvSpace.ensure(small);
        assertThat(small.rcvSpace.windowClamp).as("full space 4000: max(2 x 1460, 4000 - 1460)").isEqualTo(2920);

        Tcb unscaled = tcb();
        unscaled.rcvBufLimit = 262_144;
        unscaled.rcvWscale = 7; // offered, but the peer's SYN had no window scale
        RcvSpace.ensure(unscaled);
        assertThat(unscaled.rcvSpace.windowClamp).isEqualTo(65_535);

        Tcb zero = tcb();
        zero.rcvSpace.synWindow = 0;
        RcvSpace.ensure(zero);
        assertThat(zero.rcvSpace.rcvWnd).as("a SYN-ACK that offered 0").isZero();
    }

    @Test
    void theWindowCalls_setUpTheBufferSpaceThemselves() {
        Tcb a = tcb();
        assertThat(RcvSpace.select(a, sysctls)).isEqualTo(64_240);
        assertThat(a.rcvSpace.windowClamp).isEqualTo(64_076);
        Tcb b = tcb();
        assertThat(RcvSpace.receiveWindow(b)).isEqualTo(64_240);
        assertThat(b.rcvSpace.initialized).isTrue();
        Tcb c = tcb();
        assertThat(RcvSpace.freeWindow(c, sysctls, false)).isEqualTo(63_784);
        Tcb d = tcb();
        assertThat(RcvSpace.windowUpdateAfterRead(d, sysctls)).isFalse();
        assertThat(d.rcvSpace.initialized).isTrue();
    }

    @Test
    void readingEverything_forgetsTheSkbs_soLaterChargesStandAlone() {
        Tcb t = tcb();
        receive(t, 1000, 2304);
        t.receiveQueue.take(1000);
        assertThat(RcvSpace.rmemAlloc(t)).isZero();
        receive(t, 1000, 2304);
        t.receiveQueue.take(500);
        assertThat(RcvSpace.rmemAlloc(t)).as("the second skb, half read").isEqualTo(2304);

        t.ofo().put(50_000, new byte[100]);
        RcvSpace.chargeOfo(t, 50_000, 2000);
        t.ofo().clear();
        assertThat(RcvSpace.rmemAlloc(t)).isEqualTo(2304);
        assertThat(RcvSpace.unchargeOfo(t, 50_000)).as("forgotten with the held queue").isZero();
    }

    @Test
    void collapse_cutsIntoFullChunksAndARemainder_andHappensOnlyWhenItSavesMemory() {
        Tcb t = tcb();
        receive(t, 3876, 130_000);
        assertThat(RcvSpace.tryRmemSchedule(t, 10_000)).isTrue();
        assertThat(RcvSpace.rmemAlloc(t)).as("3776 bytes (4352) and 100 (896)").isEqualTo(5248);

        Tcb exact = tcb();
        receive(exact, 7552, 9000);
        assertThat(RcvSpace.tryRmemSchedule(exact, 122_100)).isTrue();
        assertThat(RcvSpace.rmemAlloc(exact)).as("two whole chunks, no empty third").isEqualTo(8704);

        Tcb cheaper = tcb();
        receive(cheaper, 7552, 8000);
        assertThat(RcvSpace.tryRmemSchedule(cheaper, 123_073)).isFalse();
        assertThat(RcvSpace.rmemAlloc(cheaper)).as("already cheaper than 8704: left alone").isEqualTo(8000);

        Tcb held = tcb();
        held.ofo().put(50_000, new byte[59]);
        RcvSpace.chargeOfo(held, 50_000, 896);
        receive(held, 10, 130_500);
        RcvSpace.tryRmemSchedule(held, 1000);
        assertThat(RcvSpace.unchargeOfo(held, 50_000)).as("59 x 4352 / 3776 = 68 exactly").isEqualTo(68);
    }

    @Test
    void growWindowSlow_atItsBounds() {
        Tcb t = tcb();
        t.rcvSpace.synWindow = 5000;
        RcvSpace.ensure(t);
        t.rcvSpace.rcvSsthresh = 32_768;
        RcvSpace.growWindow(t, 600, 2304);
        assertThat(t.rcvSpace.rcvSsthresh).as("ssthresh = half the buffer's window: still grows by 2 x 600").isEqualTo(33_968);

        t.rcvSpace.rcvSsthresh = 20_000;
        RcvSpace.growWindow(t, 576, 2304);
        assertThat(t.rcvSpace.rcvSsthresh).as("576 <= 576 at once").isEqualTo(21_152);
    }

    @Test
    void spaceAdjust_measuresOncePerRttFromTheLastMeasure() {
        Tcb t = tcb();
        RcvSpace.ensure(t);
        t.rcvRttUs8 = 8 * 10_000;
        receive(t, 40_000, 80_000);
        t.receiveQueue.take(40_000);
        RcvSpace.spaceAdjust(t, sysctls, 10);
        assertThat(t.rcvSpace.rcvqTimeMs).isEqualTo(10);
        RcvSpace.spaceAdjust(t, sysctls, 15);
        assertThat(t.rcvSpace.rcvqTimeMs).as("5 ms after the last measure").isEqualTo(10);
    }

    @Test
    void windowUpdate_whenTheFreeWindowEqualsTheClamp_andTwiceWhatIsLeft() {
        Tcb t = tcb();
        t.wscaleOk = true;
        t.rcvWscale = 2;
        RcvSpace.ensure(t);
        assertThat(RcvSpace.select(t, sysctls)).isEqualTo(64_240);
        receive(t, 32_202, 80_000);
        assertThat(RcvSpace.receiveWindow(t)).isEqualTo(32_038);
        t.receiveQueue.take(32_202);
        assertThat(RcvSpace.windowUpdateAfterRead(t, sysctls)).as("64076 = the clamp = 2 x 32038").isTrue();
    }
}
