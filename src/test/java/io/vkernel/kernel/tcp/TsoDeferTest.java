package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.time.VirtualClock;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * tcp_tso_should_defer() (tcp_output.c), each reason to send now at its edge: a full-sized TSO packet (here 2 MSS:
 * tcp_tso_segs() at this rate is tcp_min_tso_segs), a mid-queue skb that fits, a third of the window
 * (tcp_tso_win_divisor), no deferring past 3 MSS with the divisor 0, nothing in flight, the next ACK more than
 * min(SRTT/2, 1 ms) away, a FIN or MSG_EOR at the tail, nothing sent for 1 ms; and Recovery never deferring.
 */
class TsoDeferTest {

    private static final int MSS = 1000;
    private final Sysctls sysctls = new Sysctls();
    private final VirtualClock clock = new VirtualClock();
    private final Tcb tcb = new Tcb(new FourTuple(Endpoint.parse("192.168.1.100:54321"), Endpoint.parse("10.0.0.50:8080")),
            TcpState.ESTABLISHED, 0);

    {
        clock.advance(1_000);
        tcb.cwnd = 10;
        tcb.srttMs = 100;
        tcb.sndWnd = 100_000;
        tcb.lastDataSent = 1_000; // something left in this millisecond
        inFlightSentAt(900); // its ACK is due now (sent one SRTT ago)
    }

    private void inFlightSentAt(long at) {
        tcb.rack.sent.clear();
        tcb.rack.sent.add(new Rack.Sent(-1000, 0, at));
    }

    /** write() of one skb of {@code bytes} at the end of the write queue. */
    private void skb(int bytes) {
        tcb.sendBuffer.entail(tcb);
        tcb.sendQueue.append(new byte[bytes]);
        tcb.sendBuffer.extendTail(SendBuffer.writeSeq(tcb));
    }

    private int sendable(int want, int room, int usable) {
        return TsoDefer.sendable(tcb, clock, sysctls, want, room, usable, MSS, false);
    }

    @Test
    void partOfATailSkb_withTheAckDue_waits() {
        skb(5000);
        assertThat(sendable(5000, 1500, 100_000)).isZero();
        assertThat(TsoDefer.sendable(tcb, clock, sysctls, 5000, 1500, 100_000, MSS, true)).isZero();
    }

    @Test
    void atMostOneMss_orInRecovery_goesAtOnce() {
        skb(5000);
        assertThat(sendable(5000, 1000, 100_000)).isEqualTo(1000);
        assertThat(sendable(1000, 1500, 100_000)).isEqualTo(1000);
        tcb.caState = CaState.RECOVERY;
        assertThat(sendable(5000, 1500, 100_000)).isEqualTo(1500);
        tcb.caState = CaState.LOSS;
        assertThat(sendable(5000, 1500, 100_000)).isEqualTo(1500);
        tcb.caState = CaState.CWR;
        assertThat(sendable(5000, 1500, 100_000)).isZero();
    }

    @Test
    void nothingSentForAMillisecond_sendsNow_unlessThisRoundAlreadySent() {
        skb(5000);
        tcb.lastDataSent = 999;
        assertThat(sendable(5000, 1500, 100_000)).isEqualTo(1500);
        assertThat(TsoDefer.sendable(tcb, clock, sysctls, 5000, 1500, 100_000, MSS, true)).isZero();
    }

    @Test
    void aFullSizedTsoPacket_sendsNow() {
        skb(5000);
        assertThat(sendable(5000, 2000, 100_000)).isEqualTo(2000);
        assertThat(sendable(5000, 1999, 100_000)).isZero();
        assertThat(sendable(5000, 100_000, 2000)).as("the peer's window").isEqualTo(2000);
        assertThat(sendable(5000, 100_000, 1999)).isZero();
    }

    @Test
    void aMidQueueSkbThatFitsWhole_sendsNow_andTheNextOneIsJudgedAgain() {
        skb(1500);
        skb(3500);
        assertThat(sendable(5000, 1500, 100_000)).isEqualTo(1500);
        assertThat(sendable(5000, 1499, 100_000)).isZero();
        // nothing sent for a while: the first skb goes; the next is judged as if just sent, and waits
        tcb.lastDataSent = 0;
        assertThat(sendable(5000, 1800, 100_000)).isEqualTo(1500);
    }

    @Test
    void aThirdOfTheWindow_sendsNow() {
        skb(5000);
        tcb.cwnd = 4; // min(SND.WND, 4 MSS) / 3 = 1333 bytes
        assertThat(sendable(5000, 1333, 100_000)).isEqualTo(1333);
        assertThat(sendable(5000, 1332, 100_000)).isZero();
        tcb.cwnd = 10;
        tcb.sndWnd = 4500; // min(4500, 10 MSS) / 3 = 1500
        assertThat(sendable(5000, 1500, 100_000)).isEqualTo(1500);
        assertThat(sendable(5000, 1499, 100_000)).isZero();
    }

    @Test
    void divisorZero_defersNoMoreThanThreeMss() {
        sysctls.set(Sysctls.TCP_TSO_WIN_DIVISOR, 0);
        tcb.srttMs = 1; // a fast path: 52-segment TSO packets, so only the 3 MSS rule sends
        inFlightSentAt(999);
        skb(5000);
        assertThat(sendable(5000, 3001, 100_000)).isEqualTo(3001);
        assertThat(sendable(5000, 3000, 100_000)).isZero();
    }

    @Test
    void nothingInFlight_sendsNow() {
        skb(5000);
        tcb.rack.sent.clear();
        assertThat(sendable(5000, 1500, 100_000)).isEqualTo(1500);
    }

    @Test
    void theNextAckMoreThanAMillisecondAway_sendsNow() {
        skb(5000);
        inFlightSentAt(902); // due in 2 ms
        assertThat(sendable(5000, 1500, 100_000)).isEqualTo(1500);
        inFlightSentAt(901); // due in 1 ms: within min(SRTT/2, 1 ms)
        assertThat(sendable(5000, 1500, 100_000)).isZero();
        tcb.srttMs = 1; // min(SRTT/2, 1 ms) = 0: an ACK due in 1 ms is too far
        inFlightSentAt(1000);
        assertThat(sendable(5000, 1500, 100_000)).isEqualTo(1500);
        inFlightSentAt(999);
        assertThat(sendable(5000, 1500, 100_000)).isZero();
    }

    @Test
    void aWindowLargerThanTheSkb_stillWaits_unlessTheSkbEndsWithFinOrEor() {
        skb(1200);
        assertThat(sendable(1200, 5000, 1500)).as("rwnd 1500 > 1200 but below a TSO packet").isZero();
        assertThat(sendable(1200, 1500, 5000)).as("cwnd 1500 > 1200").isZero();
        tcb.finQueued = true;
        assertThat(sendable(1200, 5000, 1500)).isEqualTo(1200);
        assertThat(sendable(1200, 1500, 5000)).isEqualTo(1200);
        tcb.finQueued = false;
        tcb.tailEor = true;
        assertThat(sendable(1200, 5000, 1500)).isEqualTo(1200);
    }

    @Test
    void theSmallerOfTheTwoWindows_decidesWhetherTheSkbFits() {
        skb(1500);
        skb(3000);
        // the first skb sits mid-queue: cwnd 1400 cannot hold it whole, rwnd could
        assertThat(sendable(4500, 1400, 1800)).isZero();
        assertThat(sendable(4500, 1800, 1400)).isZero();
        // a FIN queued behind the tail does not help a mid-queue skb
        tcb.finQueued = true;
        assertThat(sendable(4500, 1400, 1800)).isZero();
    }

    @Test
    void aFinQueued_doesNotHelpWhenTheWindowIsNoLargerThanTheSkb() {
        skb(1500);
        tcb.finQueued = true;
        assertThat(sendable(1500, 1500, 100_000)).as("cwnd = the skb").isZero();
        assertThat(sendable(1500, 5000, 1500)).as("rwnd = the skb").isZero();
        assertThat(sendable(1500, 1600, 100_000)).isEqualTo(1500);
    }

    @Test
    void afterTheFirstSkb_theRestIsJudgedWithWhatIsLeftOfBothWindows() {
        skb(1500);
        skb(3500);
        tcb.lastDataSent = 0;
        assertThat(sendable(5000, 100_000, 1800)).as("300 bytes of rwnd left for the tail").isEqualTo(1500);
        assertThat(sendable(2500, 100_000, 100_000)).as("never more than asked").isEqualTo(2500);
    }

    @Test
    void aTailOfOneMssOrLess_isNeverDeferred() {
        skb(1500);
        skb(1000);
        tcb.lastDataSent = 0;
        assertThat(sendable(2500, 2300, 100_000)).isEqualTo(2300);
    }

    @Test
    void aTailThatFitsTheWindow_stillWaitsForMoreData_whenItIsBelowATsoPacket() {
        tcb.srttMs = 1; // 52-segment TSO packets
        inFlightSentAt(999);
        skb(1500);
        skb(1200);
        tcb.lastDataSent = 0;
        assertThat(sendable(2700, 4500, 100_000)).isEqualTo(1500);
    }

    @Test
    void anRttBelowAMillisecond_sendsNowWhenTheHeadLeftThisInstant_andWaitsWhenItLeftEarlier() {
        skb(5000);
        tcb.srttMs = 0; // a sub-millisecond path: Linux's srtt_us is still positive, so the head's ACK is ahead
        inFlightSentAt(1000);
        assertThat(sendable(5000, 1500, 100_000)).isEqualTo(1500);
        inFlightSentAt(999); // its ACK is overdue: wait for it
        assertThat(sendable(5000, 1500, 100_000)).isZero();
    }

    private String why(int want, int room, int usable) {
        TsoDefer.Verdict verdict = TsoDefer.judge(tcb, clock, sysctls, want, room, usable, MSS, false);
        return verdict.sendable() + (verdict.cwndLimited() ? " cwnd" : "") + (verdict.rwndLimited() ? " rwnd" : "");
    }

    @Test
    void whatAWaitIsFor_cwndWhenItIsBelowTheWindowAndNoMoreThanTheSkb_rwndWhenTheWindowIsNoMoreThanCwnd() {
        skb(1500);
        // tcp_tso_should_defer(): cong_win < send_win && cong_win <= skb->len sets *is_cwnd_limited
        assertThat(why(1500, 1500, 100_000)).as("cwnd leaves exactly the skb").isEqualTo("0 cwnd");
        assertThat(why(1500, 1500, 1501)).isEqualTo("0 cwnd");
        // send_win <= cong_win: the peer's window is what it waits for, even when it equals cwnd
        assertThat(why(1500, 1500, 1500)).as("both windows the skb").isEqualTo("0 rwnd");
        assertThat(why(1500, 100_000, 1500)).isEqualTo("0 rwnd");
        // windows above the skb: it waits only for more data to fill a bigger packet, limited by neither
        assertThat(why(1500, 1600, 100_000)).isEqualTo("0");
        assertThat(why(1500, 100_000, 1600)).isEqualTo("0");
        // sent at once: no reason recorded
        assertThat(why(1500, 2000, 100_000)).isEqualTo("1500");
        assertThat(why(1000, 1500, 100_000)).isEqualTo("1000");
    }

    @Test
    void whatAWaitIsFor_isTheTailSkbsAfterAMidQueueSkbLeft() {
        skb(1500);
        skb(3500);
        tcb.lastDataSent = 0;
        assertThat(why(5000, 3000, 100_000)).as("1500 of cwnd left for a 3500-byte tail").isEqualTo("1500 cwnd");
        assertThat(why(5000, 100_000, 3000)).isEqualTo("1500 rwnd");
    }
}
