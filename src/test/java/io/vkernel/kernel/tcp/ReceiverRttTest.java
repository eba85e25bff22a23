package io.vkernel.kernel.tcp;

import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOption;
import io.vkernel.kernel.wire.TcpOptions;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The receiver's RTT estimate as TCP_INFO's tcpi_rcv_rtt shows it (tcp_rcv_rtt_measure(), tcp_rcv_rtt_measure_ts(),
 * tcp_rcv_rtt_update()): per receive window, the time RCV.NXT takes to move one window past where the measure started
 * (only ever lowering the estimate); per echoed timestamp, smoothed by 1/8.
 */
class ReceiverRttTest {

    private static long rcvRtt(Tcb tcb) {
        return TcpInfo.of(tcb).get("tcpi_rcv_rtt");
    }

    /** In-order bytes arrive at {@code nowMs} and tcp_event_data_recv() runs the per-window measure. */
    private static void arrive(Tcb tcb, int bytes, long nowMs) {
        RcvSpaceTcbs.receive(tcb, bytes, bytes);
        ReceiverRtt.measureWindow(tcb, nowMs);
    }

    @Test
    void perWindow_theSampleComesWhenRcvNxtReachesOneWindowPastTheStart_notAByteEarlier() {
        // 128 KiB free: half of it in whole 1460-byte segments is 44 x 1460 = 64240 bytes, below 65535
        Tcb tcb = RcvSpaceTcbs.established();
        ReceiverRtt.measureWindow(tcb, 0); // the measure starts at virtual time 0
        assertThat(rcvRtt(tcb)).isZero();
        arrive(tcb, 64_239, 30);
        assertThat(rcvRtt(tcb)).as("one byte short of the window").isZero();
        arrive(tcb, 1, 30);
        assertThat(rcvRtt(tcb)).isEqualTo(30_000);
    }

    @Test
    void perWindow_theWindowIsHalfTheFreeBufferInWholeSegments_lessWhatIsQueued() {
        Tcb tcb = RcvSpaceTcbs.established();
        RcvSpaceTcbs.receive(tcb, 10_000, 10_000); // unread: (131072 - 10000) / 2 = 60536 -> 41 x 1460 = 59860
        ReceiverRtt.measureWindow(tcb, 10);
        arrive(tcb, 59_859, 35);
        assertThat(rcvRtt(tcb)).isZero();
        arrive(tcb, 1, 35);
        assertThat(rcvRtt(tcb)).isEqualTo(25_000);
    }

    @Test
    void perWindow_withTimestamps_segmentsAre1448Bytes() {
        Tcb tcb = RcvSpaceTcbs.established();
        tcb.tsOk = true;
        ReceiverRtt.measureWindow(tcb, 5); // 65536 / 1448 = 45 segments: 65160
        arrive(tcb, 65_159, 45);
        assertThat(rcvRtt(tcb)).isZero();
        arrive(tcb, 1, 45);
        assertThat(rcvRtt(tcb)).isEqualTo(40_000);
    }

    @Test
    void perWindow_atMostTheLargestUnscaledWindowTimesTheScale() {
        Tcb big = RcvSpaceTcbs.established();
        big.rcvBufLimit = 1 << 20; // half the free buffer is far beyond 65535
        ReceiverRtt.measureWindow(big, 1);
        arrive(big, 65_534, 21);
        assertThat(rcvRtt(big)).isZero();
        arrive(big, 1, 21);
        assertThat(rcvRtt(big)).isEqualTo(20_000);

        Tcb scaled = RcvSpaceTcbs.established();
        scaled.rcvBufLimit = 1 << 20;
        scaled.rcvWscale = 1; // 65535 << 1 = 131070
        ReceiverRtt.measureWindow(scaled, 1);
        arrive(scaled, 131_069, 31);
        assertThat(rcvRtt(scaled)).isZero();
        arrive(scaled, 1, 31);
        assertThat(rcvRtt(scaled)).isEqualTo(30_000);
    }

    @Test
    void perWindow_aLaterWindowOnlyEverLowersTheEstimate_andASameMillisecondWindowCountsOneMicrosecond() {
        Tcb tcb = RcvSpaceTcbs.established();
        tcb.rcvBufLimit = 1 << 20;
        ReceiverRtt.measureWindow(tcb, 100);
        arrive(tcb, 65_535, 150);
        assertThat(rcvRtt(tcb)).isEqualTo(50_000);
        arrive(tcb, 65_535, 230); // 80 ms: slower, ignored (win_dep)
        assertThat(rcvRtt(tcb)).isEqualTo(50_000);
        arrive(tcb, 65_535, 250); // 20 ms: lower, taken as it is
        assertThat(rcvRtt(tcb)).isEqualTo(20_000);
        arrive(tcb, 65_535, 250); // the same millisecond: 1 us at least
        assertThat(rcvRtt(tcb)).isEqualTo(1);
    }

    private static Segment withTimestamps(long tsVal, long tsEcr, int bytes) {
        return new Segment(RcvSpaceTcbs.REMOTE, RcvSpaceTcbs.LOCAL, TcpFlags.ACK, 1001, 1, 65535, 0, new byte[bytes],
                TcpOptions.of(new TcpOption.Timestamps(tsVal, tsEcr)));
    }

    @Test
    void perTimestamp_aFullSizedSegmentEchoingANewTsval_givesNowMinusTsecr_smoothedByAnEighth() {
        Tcb tcb = RcvSpaceTcbs.established();
        tcb.tsOk = true;
        tcb.rcvMss = 1000;
        ReceiverRtt.measureTs(tcb, withTimestamps(7, 5000, 999), 5010);
        assertThat(rcvRtt(tcb)).as("shorter than rcv_mss: no sample").isZero();
        ReceiverRtt.measureTs(tcb, withTimestamps(7, 5001, 1000), 5011);
        assertThat(rcvRtt(tcb)).isEqualTo(10_000);
        ReceiverRtt.measureTs(tcb, withTimestamps(8, 5001, 1000), 5030);
        assertThat(rcvRtt(tcb)).as("the same TSecr again: no sample").isEqualTo(10_000);
        ReceiverRtt.measureTs(tcb, withTimestamps(9, 5002, 1000), 5020); // 18 ms: 10 - 10/8 + 18/8
        assertThat(rcvRtt(tcb)).isEqualTo(11_000);
    }

    @Test
    void perTimestamp_anEchoFromBeyondInt32MaxMicroseconds_isNoSample() {
        Tcb tcb = RcvSpaceTcbs.established();
        tcb.tsOk = true;
        long now = 3_000_000;
        ReceiverRtt.measureTs(tcb, withTimestamps(1, now - Integer.MAX_VALUE / 1000, 1460), now);
        assertThat(rcvRtt(tcb)).isZero();
        ReceiverRtt.measureTs(tcb, withTimestamps(1, now - Integer.MAX_VALUE / 1000 + 1, 1460), now);
        assertThat(rcvRtt(tcb)).isEqualTo((Integer.MAX_VALUE / 1000 - 1) * 1000L);
    }
}
