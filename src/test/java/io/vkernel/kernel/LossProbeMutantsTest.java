package io.vkernel.kernel;

import io.vkernel.kernel.tcp.CaState;
import io.vkernel.kernel.time.VirtualClock;
import io.vkernel.kernel.trace.EventType;
import io.vkernel.kernel.trace.KernelEvent;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The tail loss probe as a user sees it (RFC 8985 §7; Linux tcp_schedule_loss_probe(), tcp_send_loss_probe(),
 * tcp_process_tlp_ack()): when the timer is due and what it is called, the probe's segment, TcpExtTCPLossProbes,
 * TcpRetransSegs and TcpExtTCPLossProbeRecovery, the event log's lines, and cwnd after an ACK beyond the probe.
 * MSS 1000, GSO off, SACK on unless said otherwise.
 */
class LossProbeMutantsTest {

    private final TcpFixture t = new TcpFixture();



    private List<String> events(EventType type) {
        return t.kernel.inspect(k -> k.events().after(0, 10_000)).stream().filter(e -> e.type() == type)
                .map(KernelEvent::detail).toList();
    }

    /** The retransmission slot's timer as name@ms-from-now ("loss-probe@202"), or "none". */
    private String timer() {
        VirtualClock.Timer timer = t.tcb().retransmitTimer();
        return timer == null ? "none" : timer.name() + "@" + (timer.deadline() - t.kernel.inspect(k -> k.clock().now()));
    }

    /** Advances the clock to when a timer described by {@link #timer()} is due. */
    private void advanceTo(String due) {
        t.kernel.advance(Long.parseLong(due.substring(due.indexOf('@') + 1)));
    }

    private static String probeEvent(long srtt, String what) {
        return "tail loss probe (RFC 8985 §7): nothing acknowledged for 2 x SRTT (" + srtt + " ms), sending " + what;
    }

    private static String range(int start, int end) {
        return Integer.toUnsignedString(start) + ":" + Integer.toUnsignedString(end);
    }

    @Test
    void aLostTail_isProbedWithItsLastSegment_2SrttPlus2msAfterTheSend_thenTheRtoRunsFromTheProbe() {
        int base = t.establishedOneSegmentPerMss(true);
        t.write(3000);
        assertThat(timer()).isEqualTo("loss-probe@202");
        int before = t.peer.received().size();
        t.advanceSeconds(0.201);
        assertThat(t.sentSince(before)).isEmpty();
        t.advanceSeconds(0.001);
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly("P. 2000:3000");
        assertThat(events(EventType.TIMER_FIRED)).containsExactly(probeEvent(100, "the last segment again, "
                + range(base + 2000, base + 3000)));
        assertThat(t.counter(SnmpCounter.TCP_LOSS_PROBES)).isEqualTo(1);
        assertThat(t.counter(SnmpCounter.TCP_RETRANS_SEGS)).isEqualTo(1);
        assertThat(t.tcb().totalRetransmits()).isEqualTo(1);
        assertThat(timer()).as("tcp_rearm_rto(): a full RTO from the probe").isEqualTo("retransmit@300");

        // more data: the probe timer again, now capped by when the RTO would fire for the head (sent 202 ms ago)
        t.write(2000);
        assertThat(timer()).isEqualTo("loss-probe@98");
        t.advanceSeconds(0.05);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 5000, "");
        // the ACK goes beyond the retransmitted probe: a loss was repaired, cwnd reduced once (CUBIC: 10 x 0.7)
        assertThat(t.counter(SnmpCounter.TCP_LOSS_PROBE_RECOVERY)).isEqualTo(1);
        assertThat(events(EventType.CONGESTION)).containsExactly("the tail loss probe repaired a loss: cwnd reduced once to "
                + "ssthresh 7 (tcp_process_tlp_ack(), CWR)");
        assertThat(t.tcb().ssthresh()).isEqualTo(7);
        assertThat(t.tcb().cwnd()).isEqualTo(7);
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
        assertThat(timer()).isEqualTo("none");
    }

    @Test
    void oneFullSegmentOut_theProbeWaits2SrttPlusRtoMin_beforeTheRto() {
        // a 300 ms handshake: SRTT 300, RTO 900 (3 x RTT); one segment out: 600 + 200 ms (a delayed ACK may hold it)
        int base = t.establishedOneSegmentPerMss(true, 0, 0.3);
        assertThat(t.tcb().rtoMs()).isEqualTo(900);
        t.write(1000);
        assertThat(timer()).isEqualTo("loss-probe@800");
        int before = t.peer.received().size();
        t.advanceSeconds(0.799);
        assertThat(t.sentSince(before)).isEmpty();
        t.advanceSeconds(0.001);
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly("P. 0:1000");
        assertThat(events(EventType.TIMER_FIRED)).containsExactly(probeEvent(300, "the last segment again, "
                + range(base, base + 1000)));
        assertThat(timer()).isEqualTo("retransmit@900");
    }

    @Test
    void twoSegmentsOut_evenOneByteBeyondAnMss_theProbeWaits2SrttPlus2ms() {
        int base = t.establishedOneSegmentPerMss(true, 0, 0.3);
        t.write(1001);
        assertThat(timer()).isEqualTo("loss-probe@602");
        int before = t.peer.received().size();
        t.advanceSeconds(0.602);
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly("P. 1000:1001");
    }

    @Test
    void unsentDataWaiting_theProbeIsNewData_noRetransmission_andItsAckEndsTheProbeWithoutACwndCut() {
        int base = t.establishedOneSegmentPerMss(true);
        t.sysctl(Sysctls.TCP_WMEM_DEFAULT, 1 << 20);
        t.write(12_000); // ten segments leave (cwnd 10), two wait
        int before = t.peer.received().size();
        t.advanceSeconds(0.202);
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly(". 10000:11000");
        assertThat(events(EventType.TIMER_FIRED)).containsExactly(probeEvent(100, "new data 1000 bytes"));
        assertThat(t.counter(SnmpCounter.TCP_LOSS_PROBES)).isEqualTo(1);
        assertThat(t.counter(SnmpCounter.TCP_RETRANS_SEGS)).isZero();
        assertThat(t.tcb().totalRetransmits()).isZero();
        assertThat(t.tcb().sndNxt() - base).isEqualTo(11_000);
        assertThat(timer()).isEqualTo("retransmit@300");

        t.advanceSeconds(0.05);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 11_000, "");
        assertThat(t.counter(SnmpCounter.TCP_LOSS_PROBE_RECOVERY)).as("new data repairs nothing").isZero();
        assertThat(events(EventType.CONGESTION)).isEmpty();
        assertThat(t.tcb().ssthresh()).as("still the initial, unbounded ssthresh").isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void newDataProbe_shorterThanAnMss_carriesTheWritesPsh_andTheFinQueuedBehindIt() {
        int base = t.establishedOneSegmentPerMss(true);
        t.sysctl(Sysctls.TCP_WMEM_DEFAULT, 1 << 20);
        t.write(10_000);
        t.write(300);
        t.write(400); // appended to the unsent tail: one skb, PSH at its end
        int before = t.peer.received().size();
        t.advanceSeconds(0.202);
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly("P. 10000:10700");
        assertThat(events(EventType.TIMER_FIRED)).containsExactly(probeEvent(100, "new data 700 bytes"));

        TcpFixture f = new TcpFixture();
        int fbase = f.establishedOneSegmentPerMss(true);
        f.sysctl(Sysctls.TCP_WMEM_DEFAULT, 1 << 20);
        f.write(10_500);
        f.close(); // the FIN is queued behind the 500 bytes that wait
        int fbefore = f.peer.received().size();
        f.advanceSeconds(0.202);
        List<Segment> probe = f.peer.received().subList(fbefore, f.peer.received().size());
        assertThat(TcpFixture.summary(probe, fbase)).containsExactly("FP. 10000:10500");
        assertThat(f.tcb().sndNxt() - fbase).as("the FIN takes a sequence number").isEqualTo(10_501);
    }

    @Test
    void newDataTheWindowCannotTake_theProbeResendsTheLastSegment_butDataThatJustFitsGoesNew() {
        TcpFixture narrow = new TcpFixture();
        int base = narrowWindow(narrow, 10_000);
        narrow.write(12_000);
        int before = narrow.peer.received().size();
        narrow.advanceSeconds(0.202);
        assertThat(TcpFixture.summary(narrow.peer.received().subList(before, narrow.peer.received().size()), base))
                .containsExactly(". 9000:10000");

        TcpFixture exact = new TcpFixture();
        int ebase = narrowWindow(exact, 11_000);
        exact.write(12_000);
        int ebefore = exact.peer.received().size();
        exact.advanceSeconds(0.202);
        assertThat(TcpFixture.summary(exact.peer.received().subList(ebefore, exact.peer.received().size()), ebase))
                .as("the window's last byte").containsExactly(". 10000:11000");
    }

    /** Established as the loss tests are, then the peer offers {@code window} bytes (no window scaling). */
    private static int narrowWindow(TcpFixture f, int window) {
        int base = f.establishedOneSegmentPerMss(true);
        f.sysctl(Sysctls.TCP_WMEM_DEFAULT, 1 << 20);
        f.peer.window = window;
        f.peer.ack();
        assertThat(f.tcb().sndWnd()).isEqualTo(window);
        return base;
    }

    @Test
    void aFinAloneBehindUnacknowledgedData_isProbedAlone_notTheLastDataSegment() {
        int base = t.establishedOneSegmentPerMss(true);
        t.write(3000);
        t.advanceSeconds(0.02);
        int before = t.peer.received().size();
        t.close(); // everything written was sent: the FIN leaves in an skb of its own
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly("F. 3000:3000");
        String due = timer();
        advanceTo(due);
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly("F. 3000:3000", "F. 3000:3000");
        assertThat(events(EventType.TIMER_FIRED)).containsExactly(probeEvent(100, "the FIN again"));
        assertThat(t.counter(SnmpCounter.TCP_RETRANS_SEGS)).isEqualTo(1);
        assertThat(t.counter(SnmpCounter.TCP_LOSS_PROBES)).isEqualTo(1);
        assertThat(t.tcb().totalRetransmits()).isEqualTo(1);
    }

    @Test
    void aFinThatRodeOnTheLastSegment_isResentWithIt() {
        int base = t.establishedOneSegmentPerMss(true);
        TcpFixture.done(t.kernel.send(t.pid, t.fd, new byte[2500], 0x8000, new io.vkernel.kernel.trace.PacketReport(null))); // MSG_MORE
        int before = t.peer.received().size();
        t.close(); // the FIN joins the 500 bytes MSG_MORE held
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly("F. 2000:2500");
        String due = timer();
        advanceTo(due);
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly("F. 2000:2500", "F. 2000:2500");
        assertThat(events(EventType.TIMER_FIRED)).containsExactly(probeEvent(100, "the last segment again, "
                + range(base + 2000, base + 2500)));
    }

    @Test
    void aFinThatRodeOnDataNowAcknowledged_isResentAlone() {
        int base = t.establishedOneSegmentPerMss(true);
        TcpFixture.done(t.kernel.send(t.pid, t.fd, new byte[500], 0x8000, new io.vkernel.kernel.trace.PacketReport(null))); // MSG_MORE
        t.close(); // the FIN rides on the 500 held bytes
        assertThat(TcpFixture.summary(List.of(t.peer.lastReceived()), base)).containsExactly("F. 0:500");
        t.advanceSeconds(0.1);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 500, ""); // the data, not the FIN
        int before = t.peer.received().size();
        String due = timer();
        assertThat(due).startsWith("loss-probe@");
        advanceTo(due);
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly("F. 500:500");
        assertThat(events(EventType.TIMER_FIRED)).containsExactly(probeEvent(100, "the FIN again"));
        assertThat(t.counter(SnmpCounter.TCP_LOSS_PROBES)).isEqualTo(1);
        assertThat(t.counter(SnmpCounter.TCP_RETRANS_SEGS)).isEqualTo(1);
        assertThat(t.tcb().totalRetransmits()).isEqualTo(1);
    }

    @Test
    void tcpEarlyRetrans_threeAndFourProbe_otherValuesAndNoSackLeaveTheRto() {
        for (int value : new int[] {3, 4}) {
            TcpFixture f = new TcpFixture();
            f.sysctl(Sysctls.TCP_EARLY_RETRANS, value);
            f.establishedOneSegmentPerMss(true);
            f.write(3000);
            assertThat(f.tcb().retransmitTimer().name()).as("tcp_early_retrans %d", value).isEqualTo("loss-probe");
        }
        for (int value : new int[] {0, 1, 2}) {
            TcpFixture f = new TcpFixture();
            f.sysctl(Sysctls.TCP_EARLY_RETRANS, value);
            f.establishedOneSegmentPerMss(true);
            f.write(3000);
            assertThat(f.tcb().retransmitTimer().name()).as("tcp_early_retrans %d", value).isEqualTo("retransmit");
        }
        t.establishedOneSegmentPerMss(false);
        t.write(3000);
        assertThat(timer()).as("no SACK: no probe").isEqualTo("retransmit@300");
        t.advanceSeconds(0.3);
        assertThat(t.counter(SnmpCounter.TCP_LOSS_PROBES)).isZero();
    }

    @Test
    void inDisorder_noProbeIsScheduled_RacksReorderingTimerHoldsTheSlot() {
        int base = t.establishedOneSegmentPerMss(true);
        t.write(4000);
        t.advanceSeconds(0.05);
        t.peer.sendSack(base, base + 3000, base + 4000);
        assertThat(t.tcb().caState()).isEqualTo(CaState.DISORDER);
        assertThat(t.tcb().retransmitTimer().name()).isNotEqualTo("loss-probe");
    }

    @Test
    void aProbeAcknowledgedExactly_staysOutstanding_soTheNextTailGetsNoProbe_andTheAckBeyondItCutsCwnd() {
        int base = t.establishedOneSegmentPerMss(true);
        t.write(3000);
        t.advanceSeconds(0.202); // the probe: 2000:3000 again
        t.advanceSeconds(0.05);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 3000, "");
        assertThat(t.counter(SnmpCounter.TCP_LOSS_PROBE_RECOVERY)).as("not beyond the probe").isZero();

        t.write(3000);
        String due = timer();
        assertThat(due).startsWith("loss-probe@");
        int before = t.peer.received().size();
        advanceTo(due);
        assertThat(t.sentSince(before)).as("tlp_high_seq still set: one probe at a time").isEmpty();
        assertThat(t.counter(SnmpCounter.TCP_LOSS_PROBES)).isEqualTo(1);
        assertThat(timer()).startsWith("retransmit@");

        t.advanceSeconds(0.01);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 6000, "");
        assertThat(t.counter(SnmpCounter.TCP_LOSS_PROBE_RECOVERY)).isEqualTo(1);
        assertThat(events(EventType.CONGESTION)).hasSize(1);
    }

    @Test
    void aPureDuplicateAckAfterTheProbesAck_withDataOut_meansNothingWasLost_andTheNextTailIsProbed() {
        int base = t.establishedOneSegmentPerMss(true);
        t.write(3000);
        t.advanceSeconds(0.202); // the probe: 2000:3000 again
        t.write(1000);
        t.advanceSeconds(0.05);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 3000, "");
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 3000, ""); // the probe's own ACK: a pure duplicate
        String due = timer();
        assertThat(due).startsWith("loss-probe@");
        int before = t.peer.received().size();
        advanceTo(due);
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly("P. 3000:4000");
        assertThat(t.counter(SnmpCounter.TCP_LOSS_PROBES)).isEqualTo(2);
        assertThat(t.counter(SnmpCounter.TCP_LOSS_PROBE_RECOVERY)).isZero();
    }

    @Test
    void aDsackOfTheProbe_meansTheOriginalArrivedToo_noCwndCut_andTheNextTailIsProbed() {
        int base = t.establishedOneSegmentPerMss(true);
        t.write(3000);
        t.advanceSeconds(0.252);
        // the ACK carries a D-SACK of the probe (RFC 2883): the original arrived too
        t.peer.sendSack(base + 3000, base + 2000, base + 3000);
        t.write(3000);
        assertThat(timer()).isEqualTo("loss-probe@202");
        int before = t.peer.received().size();
        t.advanceSeconds(0.202);
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly("P. 5000:6000");
        assertThat(t.counter(SnmpCounter.TCP_LOSS_PROBES)).isEqualTo(2);
        assertThat(t.counter(SnmpCounter.TCP_LOSS_PROBE_RECOVERY)).isZero();
    }

    @Test
    void aSubMillisecondRtt_givesSrttZero_andAProbe2msAfterTheSend() {
        // tcp_rtt_estimator() keeps srtt_us at 1 at least: SRTT is "0 ms" but measured, so 2 x 0 + TCP_TIMEOUT_MIN
        int base = t.establishedOneSegmentPerMss(true, 0, 0);
        assertThat(t.tcb().srttMs()).isZero();
        assertThat(t.tcb().rtoMs()).isEqualTo(200);
        t.write(3000);
        assertThat(timer()).isEqualTo("loss-probe@2");
        int before = t.peer.received().size();
        t.advanceSeconds(0.002);
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly("P. 2000:3000");
        assertThat(events(EventType.TIMER_FIRED)).containsExactly(probeEvent(0, "the last segment again, "
                + range(base + 2000, base + 3000)));
    }

    @Test
    void newDataWhileTheHeadIsOut_theProbeComesNoLaterThanTheHeadsRto_evenForAHeadSentAtTimeZero() {
        int base = t.establishedOneSegmentPerMss(true, 0, 0); // the whole handshake at virtual time 0
        t.write(3000); // the head leaves at 0 ms; a probe of 2000:3000 at 2 ms, then one at a time
        t.advanceSeconds(0.15);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 1000, ""); // 0:1000 after 150 ms
        long rto = t.tcb().rtoMs();
        long srtt = t.tcb().srttMs();
        t.advanceSeconds(0.035);
        t.write(1000);
        // tcp_rto_delta_us(): the RTO of 1000:2000, sent at 0, is due at rto; 185 ms have passed
        assertThat(rto - 185).isLessThan(2 * srtt + 2).isPositive();
        assertThat(timer()).isEqualTo("loss-probe@" + (rto - 185));
    }

    @Test
    void newDataExactlyWhenTheHeadsRtoIsDue_isProbedAfter2Srtt_notAtOnce() {
        t.establishedOneSegmentPerMss(true);
        t.write(3000);
        t.advanceSeconds(0.202); // the probe; the RTO re-armed for 300 ms from now
        t.advanceSeconds(0.097);
        t.write(1000);
        assertThat(timer()).as("1 ms before the head's RTO").isEqualTo("loss-probe@1");
        TcpFixture f = new TcpFixture();
        f.establishedOneSegmentPerMss(true);
        f.write(3000);
        f.advanceSeconds(0.202);
        f.advanceSeconds(0.098);
        f.write(1000);
        VirtualClock.Timer timer = f.tcb().retransmitTimer();
        assertThat(timer.name() + "@" + (timer.deadline() - f.kernel.inspect(k -> k.clock().now())))
                .as("the head's RTO due now: no cap (rto_delta_us is not > 0)").isEqualTo("loss-probe@202");
    }

    @Test
    void inCwrASackThatArmsRacksReorderingTimer_keepsItsSlot_noProbeReplacesIt() {
        int base = t.establishedOneSegmentPerMss(true, TcpFlags.ECE | TcpFlags.CWR);
        t.write(5000);
        t.advanceSeconds(0.05);
        t.peer.sendAt(TcpFlags.ACK | TcpFlags.ECE, t.peer.sndNxt(), base + 1000, ""); // ECE: CWR
        assertThat(t.tcb().caState()).isEqualTo(CaState.CWR);
        assertThat(timer()).as("CWR, like Open, may probe").startsWith("loss-probe@");
        t.advanceSeconds(0.01);
        // 1000:2000 acknowledged, 3000:4000 SACKed: 2000:3000, sent before it, is given RACK's reordering window
        byte[] block = java.nio.ByteBuffer.allocate(8).putInt(base + 3000).putInt(base + 4000).array();
        t.kernel.receive(new Segment(t.peer.endpoint(), io.vkernel.kernel.wire.Endpoint.parse(TcpFixture.SERVER), TcpFlags.ACK,
                t.peer.sndNxt(), base + 2000, t.peer.window, 0, new byte[0], io.vkernel.kernel.wire.TcpOptions.of(
                        new io.vkernel.kernel.wire.TcpOption.Nop(), new io.vkernel.kernel.wire.TcpOption.Nop(),
                        new io.vkernel.kernel.wire.TcpOption.Unknown(5, block))));
        assertThat(t.tcb().caState()).isEqualTo(CaState.CWR);
        assertThat(timer()).startsWith("rack-reorder@");
    }

    @Test
    void aCorkedTailWithoutPsh_isSentWholeAsTheProbe_withoutPsh() {
        int base = t.establishedOneSegmentPerMss(true);
        t.sysctl(Sysctls.TCP_WMEM_DEFAULT, 1 << 20);
        t.write(10_000);
        TcpFixture.done(t.kernel.send(t.pid, t.fd, new byte[500], 0x8000, new io.vkernel.kernel.trace.PacketReport(null))); // MSG_MORE
        int before = t.peer.received().size();
        t.advanceSeconds(0.202);
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly(". 10000:10500");
        assertThat(events(EventType.TIMER_FIRED)).containsExactly(probeEvent(100, "new data 500 bytes"));
    }

    @Test
    void aFinQueuedBehindNewDataThatEndsAtTheWindowsEdge_waits_theProbeCarriesOnlyTheData() {
        int base = narrowWindow(t, 10_500);
        t.write(10_500);
        t.close();
        int before = t.peer.received().size();
        t.advanceSeconds(0.202);
        assertThat(TcpFixture.summary(t.sentSince(before), base)).containsExactly("P. 10000:10500");
        assertThat(t.tcb().sndNxt() - base).isEqualTo(10_500);
    }

    @Test
    void aNewDataProbeIsKnownToRack_itsSackMarksTheFlightBeforeItLost_andItSplitsTheUnsentSkb() {
        int base = t.establishedOneSegmentPerMss(true);
        t.sysctl(Sysctls.TCP_WMEM_DEFAULT, 1 << 20);
        t.write(12_000);
        int skbs = t.tcb().sendBuffer().skbCount(t.tcb());
        t.advanceSeconds(0.202);
        assertThat(t.tcb().sendBuffer().skbCount(t.tcb())).as("tcp_fragment() at the probe's end").isEqualTo(skbs + 1);
        t.advanceSeconds(0.1);
        int before = t.peer.received().size();
        t.peer.sendSack(base, base + 10_000, base + 11_000);
        assertThat(t.tcb().caState()).isEqualTo(CaState.RECOVERY);
        assertThat(TcpFixture.summary(t.sentSince(before), base)).first().isEqualTo(". 0:1000");
    }
}
