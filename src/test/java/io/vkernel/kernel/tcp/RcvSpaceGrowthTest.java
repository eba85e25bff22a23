package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How the receive side grows and makes room, worked by hand from Linux 6.18 for a 128 KiB buffer: tcp_grow_window()
 * and __tcp_grow_window() raising rcv_ssthresh, tcp_rcv_space_adjust() growing the buffer once per receiver RTT
 * from what the application read (tcp_rcvbuf_grow()), and tcp_prune_queue() collapsing queued data into compact skbs
 * when a segment does not fit.
 */
class RcvSpaceGrowthTest {

    private final Sysctls sysctls = new Sysctls();
    private final Tcb tcb = RcvSpaceTcbs.established();

    private void receive(int bytes, int truesize) {
        RcvSpaceTcbs.receive(tcb, bytes, truesize);
    }

    private RcvSpace started(int synWindow) {
        tcb.rcvSpace.synWindow = synWindow;
        RcvSpace.ensure(tcb);
        return tcb.rcvSpace;
    }

    @Test
    void growWindow_aSegmentAsDenseAsTheRatio_growsRcvSsthreshByTwoAdvmss() {
        RcvSpace s = started(5000);
        RcvSpace.growWindow(tcb, 1448, 2304);
        assertThat(s.rcvSsthresh).as("1152 <= 1448: + 2 x 1460").isEqualTo(7920);
        RcvSpace.growWindow(tcb, 1000, 2000);
        assertThat(s.rcvSsthresh).as("exactly as dense: + 2920").isEqualTo(10_840);
        RcvSpace.growWindow(tcb, 2000, 4000);
        assertThat(s.rcvSsthresh).as("twice the segment when larger: + 4000").isEqualTo(14_840);
    }

    @Test
    void growWindow_aSparserSegment_growsByTwoRcvMss_whileHalvingFindsItRoom() {
        RcvSpace s = started(5000);
        RcvSpace.growWindow(tcb, 1000, 2304);
        assertThat(s.rcvSsthresh).as("576 <= 1000 at once: + max(2 x 536, 2 x 1000)").isEqualTo(7000);

        s.rcvSsthresh = 8000;
        RcvSpace.growWindow(tcb, 150, 2304);
        assertThat(s.rcvSsthresh).as("576, 288, 144 <= 150 while 8000 <= 32768, 16384, 8192: + 1072").isEqualTo(9072);

        s.rcvSsthresh = 9000;
        RcvSpace.growWindow(tcb, 150, 2304);
        assertThat(s.rcvSsthresh).as("9000 > 8192 before 144 is reached: no growth").isEqualTo(9000);

        s.rcvSsthresh = 40_000;
        RcvSpace.growWindow(tcb, 100, 2304);
        assertThat(s.rcvSsthresh).as("above half the buffer's window").isEqualTo(40_000);
    }

    @Test
    void growWindow_stopsAtTheClamp_andAtTheFreeSpace() {
        RcvSpace s = started(5000);
        s.rcvSsthresh = 63_000;
        RcvSpace.growWindow(tcb, 1448, 2304);
        assertThat(s.rcvSsthresh).as("the clamp").isEqualTo(64_076);
        RcvSpace.growWindow(tcb, 1448, 2304);
        assertThat(s.rcvSsthresh).isEqualTo(64_076);

        s.rcvSsthresh = 10_000;
        receive(1000, 110_000);
        RcvSpace.growWindow(tcb, 1448, 2304);
        assertThat(s.rcvSsthresh).as("(131072 - 110000) / 2 = 10536 free: + 536").isEqualTo(10_536);
    }

    @Test
    void spaceAdjust_oncePerReceiverRtt_growsTheBufferToTwiceWhatWasRead_moreInSlowStart() {
        RcvSpace s = started(-1);
        assertThat(s.rcvqSpace).isEqualTo(14_600);
        RcvSpace.spaceAdjust(tcb, sysctls, 50);
        assertThat(s.rcvqTimeMs).as("no receiver RTT yet: nothing measured").isZero();
        tcb.rcvRttUs8 = 8 * 10_000; // 10 ms
        receive(40_000, 80_000);
        tcb.receiveQueue.take(40_000);

        RcvSpace.spaceAdjust(tcb, sysctls, 9);
        assertThat(s.rcvqSpace).as("9 ms: less than one RTT").isEqualTo(14_600);
        assertThat(s.rcvqTimeMs).isZero();

        RcvSpace.spaceAdjust(tcb, sysctls, 10);
        assertThat(s.rcvqSpace).isEqualTo(40_000);
        // rcvwin = 2 x 40000 + 2 x (80000 x 25400 / 14600 = 139178) = 358356; space = 358356 x 256 / 128
        assertThat(tcb.rcvBufLimit).isEqualTo(716_712);
        assertThat(s.windowClamp).isEqualTo(358_356);
        assertThat(s.rcvqSeq).isEqualTo(40_000);
        assertThat(s.rcvqTimeMs).isEqualTo(10);

        RcvSpace.spaceAdjust(tcb, sysctls, 20);
        assertThat(s.rcvqSpace).as("nothing read in this RTT").isEqualTo(40_000);
        assertThat(s.rcvqTimeMs).isEqualTo(20);
    }

    @Test
    void spaceAdjust_countsOnlyWhatWasRead_notWhatStillWaits() {
        RcvSpace s = started(-1);
        tcb.rcvRttUs8 = 8 * 10_000;
        receive(40_000, 80_000);
        tcb.receiveQueue.take(30_000);
        RcvSpace.spaceAdjust(tcb, sysctls, 10);
        assertThat(s.rcvqSpace).as("30000 read, less the 10000 waiting").isEqualTo(20_000);
        // rcvwin = 40000 + 2 x (40000 x 5400 / 14600 = 14794) = 69588
        assertThat(tcb.rcvBufLimit).isEqualTo(139_176);
        assertThat(s.windowClamp).isEqualTo(69_588);
        assertThat(s.rcvqSeq).isEqualTo(30_000);
    }

    @Test
    void spaceAdjust_readingNoMoreThanTheEstimate_orALockedBuffer_orTcpRmemMax_limitTheGrowth() {
        RcvSpace s = started(-1);
        tcb.rcvRttUs8 = 8 * 10_000;
        receive(14_600, 30_000);
        tcb.receiveQueue.take(14_600);
        RcvSpace.spaceAdjust(tcb, sysctls, 10);
        assertThat(s.rcvqSpace).as("exactly the estimate: no growth").isEqualTo(14_600);
        assertThat(tcb.rcvBufLimit).isEqualTo(131_072);

        Tcb locked = RcvSpaceTcbs.established();
        locked.rcvBufLocked = true;
        RcvSpace.ensure(locked);
        locked.rcvRttUs8 = 8 * 10_000;
        locked.receiveQueue.append(new byte[40_000], 0, 40_000);
        RcvSpace.chargeQueued(locked, 40_000, 80_000);
        locked.receiveQueue.take(40_000);
        RcvSpace.spaceAdjust(locked, sysctls, 10);
        assertThat(locked.rcvSpace.rcvqSpace).isEqualTo(40_000);
        assertThat(locked.rcvBufLimit).as("SO_RCVBUF set: the buffer stays").isEqualTo(131_072);

        Tcb capped = RcvSpaceTcbs.established();
        RcvSpace.ensure(capped);
        capped.rcvRttUs8 = 8 * 10_000;
        sysctls.set(Sysctls.TCP_RMEM_MAX, 200_000);
        capped.receiveQueue.append(new byte[40_000], 0, 40_000);
        RcvSpace.chargeQueued(capped, 40_000, 80_000);
        capped.receiveQueue.take(40_000);
        RcvSpace.spaceAdjust(capped, sysctls, 10);
        assertThat(capped.rcvBufLimit).isEqualTo(200_000);
        assertThat(capped.rcvSpace.windowClamp).isEqualTo(100_000);
    }

    @Test
    void rmemSchedule_collapsesTheQueueIntoCompactSkbs_whenThatMakesTheSegmentFit() {
        RcvSpace.ensure(tcb);
        receive(30_000, 129_000);
        assertThat(RcvSpace.canIngest(tcb, 2072)).isTrue();
        assertThat(RcvSpace.canIngest(tcb, 2073)).isFalse();
        assertThat(RcvSpace.tryRmemSchedule(tcb, 3000)).isTrue();
        assertThat(RcvSpace.rmemAlloc(tcb)).as("eight skbs of up to 3776 bytes, 4352 each").isEqualTo(34_816);
        tcb.receiveQueue.take(3776);
        assertThat(RcvSpace.rmemAlloc(tcb)).as("the first compact skb read whole").isEqualTo(30_464);
    }

    @Test
    void rmemSchedule_keepsSkbsThatAreAlreadyCompact_andRefusesWhatStillDoesNotFit() {
        RcvSpace.ensure(tcb);
        receive(30_000, 30_000);
        assertThat(RcvSpace.tryRmemSchedule(tcb, 101_073)).isFalse();
        assertThat(RcvSpace.rmemAlloc(tcb)).isEqualTo(30_000);
        assertThat(RcvSpace.tryRmemSchedule(tcb, 101_072)).isTrue();

        Tcb empty = RcvSpaceTcbs.established();
        assertThat(RcvSpace.tryRmemSchedule(empty, 131_073)).isFalse();
    }

    @Test
    void heldSegments_areChargedAndUncharged_andCollapsedToPagesWorthOfTheirBytes() {
        RcvSpace.ensure(tcb);
        tcb.ofo().put(20_001, new byte[1000]);
        RcvSpace.chargeOfo(tcb, 20_001, 2304);
        RcvSpace.chargeOfo(tcb, 20_001, 2400);
        assertThat(RcvSpace.rmemAlloc(tcb)).as("re-charged in place").isEqualTo(2400);
        tcb.ofo().put(30_001, new byte[100]);
        RcvSpace.chargeOfo(tcb, 30_001, 100);
        receive(1000, 128_000);
        assertThat(RcvSpace.rmemAlloc(tcb)).isEqualTo(130_500);

        assertThat(RcvSpace.tryRmemSchedule(tcb, 1600)).isTrue();
        // the 1000 queued bytes: one 2048-byte head, 2304; the held 1000: 1000 x 4352 / 3776 rounded up = 1153;
        // the held 100 (116) stays at the 100 it was charged
        assertThat(RcvSpace.rmemAlloc(tcb)).isEqualTo(2304 + 1153 + 100);

        assertThat(RcvSpace.unchargeOfo(tcb, 20_001)).isEqualTo(1153);
        assertThat(RcvSpace.unchargeOfo(tcb, 20_001)).as("no longer held").isZero();
        tcb.ofo().remove(20_001);
        assertThat(RcvSpace.rmemAlloc(tcb)).isEqualTo(2304 + 100);
        tcb.ofo().clear();
        assertThat(RcvSpace.rmemAlloc(tcb)).as("the held queue dropped").isEqualTo(2304);
    }
}
