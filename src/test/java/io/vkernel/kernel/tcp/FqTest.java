package io.vkernel.kernel.tcp;

import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Departure times under fq as tcp_update_skb_after_send() sets tcp_wstamp_ns: the first 10 segments unpaced, then
 * each packet's length at the pacing rate, less up to half of it for time the flow spent idle; without fq, now.
 */
class FqTest {

    private static final int MSS = 1000;
    private final Tcb tcb = new Tcb(new FourTuple(Endpoint.parse("192.168.1.100:54321"), Endpoint.parse("10.0.0.50:8080")),
            TcpState.ESTABLISHED, 0);

    {
        tcb.cwnd = 10;
        tcb.srttMs = 100; // slow start: 200 % of 10 x 1000 B per 100 ms = 200 000 B/s, 5 ms per 1000 bytes
    }

    @Test
    void withoutFq_everyPacketLeavesNow_andIsCounted() {
        assertThat(Fq.departure(tcb, 3000, 3, 7, MSS, false)).isEqualTo(7);
        assertThat(Fq.departure(tcb, 20000, 20, 7, MSS, false)).isEqualTo(7);
        assertThat(tcb.dataSegsOut).isEqualTo(23);
        assertThat(tcb.wstampUs).isZero();
    }

    @Test
    void firstTenSegmentsUnpaced_thenEachPacketPushesTheNextOneByItsLengthAtTheRate() {
        assertThat(Fq.departure(tcb, 9000, 9, 0, MSS, true)).isZero();
        assertThat(tcb.wstampUs).as("nine segments: not paced yet").isZero();
        assertThat(Fq.departure(tcb, 1000, 1, 0, MSS, true)).as("the tenth leaves now").isZero();
        assertThat(tcb.wstampUs).as("and the next one 5 ms later").isEqualTo(5_000);
        assertThat(Fq.departure(tcb, 1000, 1, 0, MSS, true)).isEqualTo(5);
        assertThat(Fq.departure(tcb, 2000, 2, 1, MSS, true)).isEqualTo(10);
        assertThat(tcb.wstampUs).isEqualTo(20_000);
        assertThat(tcb.dataSegsOut).isEqualTo(13);
    }

    @Test
    void idleTime_creditsAtMostHalfOfThePacketsSlot_andDeparturesRoundToTheNearestMs() {
        Fq.departure(tcb, 10_000, 10, 0, MSS, true); // wstamp 50 ms
        assertThat(tcb.wstampUs).isEqualTo(50_000);
        // at 60 ms the flow was idle for 10 ms: the 5 ms slot shrinks by half, to 2.5 ms
        assertThat(Fq.departure(tcb, 1000, 1, 60, MSS, true)).isEqualTo(60);
        assertThat(tcb.wstampUs).isEqualTo(62_500);
        assertThat(Fq.departure(tcb, 1000, 1, 60, MSS, true)).as("62.5 ms rounds up").isEqualTo(63);
        assertThat(tcb.wstampUs).as("no idle credit while waiting").isEqualTo(67_500);
        // idle for 1.5 ms only: the credit is that, less than half the slot
        Fq.departure(tcb, 1000, 1, 69, MSS, true);
        assertThat(tcb.wstampUs).isEqualTo(69_000 + 5_000 - 1_500);
        assertThat(Fq.departure(tcb, 400, 1, 69, MSS, true)).as("72.5 ms").isEqualTo(73);
        assertThat(tcb.wstampUs).isEqualTo(72_500 + 2_000);
    }

    @Test
    void noRttSample_noPacing() {
        tcb.srttMs = -1;
        Fq.departure(tcb, 10_000, 10, 0, MSS, true);
        assertThat(Fq.departure(tcb, 10_000, 10, 0, MSS, true)).isZero();
        assertThat(tcb.wstampUs).isZero();
        assertThat(Fq.departure(tcb, 1000, 1, 3, MSS, true)).isEqualTo(3);
        assertThat(tcb.wstampUs).isEqualTo(3_000);
    }
}
