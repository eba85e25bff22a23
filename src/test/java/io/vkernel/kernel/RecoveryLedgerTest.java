package io.vkernel.kernel;

import io.vkernel.kernel.tcp.CaState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Corners of loss recovery that PIT showed no test reached (the survivors in quality/equivalent-mutants/tcp/
 * Recovery.tsv): PRR in CWR while the sender is application-limited, the D-SACK undo of a timeout waiting for an
 * ACK that advances SND.UNA, PRR's rounding with Reno's ssthresh. MSS 1000, a 100 ms handshake RTT, GSO off; offsets
 * are from the first byte of data; cwnd is what {@code ss -ti} shows.
 */
class RecoveryLedgerTest {

    private final TcpFixture t = new TcpFixture();
    private int base;

    private PacketReport ack(int ack, int... edges) {
        return t.peer.sendSackBlocksFrom(base, ack, edges);
    }

    private PacketReport ece(int offset) {
        return t.peer.sendAt(TcpFlags.ACK | TcpFlags.ECE, t.peer.sndNxt(), base + offset, "");
    }

    private List<List<Integer>> sent(PacketReport reply) {
        return TcpFixture.dataSegments(reply, base);
    }

    @Test
    void cwrWhileApplicationLimited_prrGivesOneMoreOnlyWhenSndUnaAdvances_andNothingForAnAckDeliveringNothing() {
        base = t.establishedOneSegmentPerMss(false, TcpFlags.ECE | TcpFlags.CWR);
        t.write(3000); // three segments in flight, cwnd 10: the application, not cwnd, limits the sender
        t.advanceSeconds(0.1);
        ece(1000);
        assertThat(t.tcb().caState()).isEqualTo(CaState.CWR);
        assertThat(t.tcb().ssthresh()).isEqualTo(7);
        // tcp_cwnd_reduction(): 2 in flight, below ssthresh 7 (delta 5): sndcnt = min(5, max(prr_delivered 1 -
        // prr_out 0, delivered 1) + 1), the + 1 because SND.UNA advanced and nothing was newly lost; cwnd = 2 + 2
        assertThat(t.tcb().cwnd()).isEqualTo(4);
        // the peer's data acknowledges nothing and is no duplicate (it carries data): nothing delivered, so
        // tcp_cwnd_reduction() returns at once (newly_acked_sacked <= 0) and cwnd stays
        t.peer.data("x");
        assertThat(t.tcb().cwnd()).isEqualTo(4);
        // a duplicate ACK on this non-SACK connection delivers one segment (tcp_add_reno_sack()) but does not advance
        // SND.UNA: 1 in flight (2 out, 1 taken as SACKed), sndcnt = min(6, max(2 - 0, 1)) = 2 without the + 1
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 1000, "");
        assertThat(t.tcb().caState()).isEqualTo(CaState.CWR);
        assertThat(t.tcb().cwnd()).isEqualTo(3);
    }

    @Test
    void inLoss_duplicateAcksThatDsackEveryRetransmission_undoOnlyOnceSndUnaAdvances() {
        t.sysctl(Sysctls.TCP_EARLY_RETRANS, 2); // no loss probe: the RTO comes first
        base = t.establishedOneSegmentPerMss(true);
        t.write(10_000);
        t.advanceSeconds(0.3); // the RTO resends the head
        assertThat(t.tcb().caState()).isEqualTo(CaState.LOSS);
        t.advanceSeconds(0.01);
        // the original head arrived (not the resend: no D-SACK yet); everything but [1000, 2000) is SACKed
        assertThat(sent(ack(1000, 2000, 10_000))).containsExactly(List.of(1000, 1000));
        assertThat(t.tcb().totalRetransmits()).isEqualTo(2);
        // two duplicate ACKs, each D-SACKing [0, 1000) below the cumulative ACK: "dumb counting" takes one
        // retransmission off undo_retrans each, so after the second every retransmission is proven a duplicate
        ack(1000, 0, 1000, 2000, 10_000);
        ack(1000, 0, 1000, 2000, 10_000);
        // tcp_process_loss(): tcp_try_undo_loss() runs only for an ACK that advances SND.UNA
        assertThat(t.tcb().caState()).isEqualTo(CaState.LOSS);
        assertThat(t.counter(SnmpCounter.TCP_LOSS_UNDO)).isZero();
        ack(2000, 2000, 10_000);
        assertThat(t.counter(SnmpCounter.TCP_LOSS_UNDO)).isEqualTo(1);
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
    }

    @Test
    void renoPrr_roundsTheShareUp_onlyWhereDeliveredTimesSsthreshIsNotAMultipleOfPriorCwnd() {
        base = t.establishedOneSegmentPerMss(true);
        TcpFixture.done(t.kernel.setsockopt(t.pid, t.fd, "TCP_CONGESTION", "reno")); // ssthresh = cwnd / 2
        t.write(20_000);
        t.advanceSeconds(0.1);
        assertThat(sent(ack(0, 1000, 2000))).containsExactly(List.of(10_000, 1000));
        assertThat(sent(ack(0, 1000, 3000))).containsExactly(List.of(11_000, 1000));
        assertThat(sent(ack(0, 1000, 4000))).as("RACK: the head is lost").containsExactly(List.of(0, 1000));
        assertThat(t.tcb().ssthresh()).isEqualTo(5);
        // 12 out, 3 SACKed, the head lost: 8 in flight > ssthresh 5, so sndcnt = ceil(prr_delivered 1 x ssthresh 5 /
        // prior_cwnd 10) - prr_out 0 = 1 (the fast retransmit), cwnd = 8 + 1
        assertThat(t.tcb().cwnd()).isEqualTo(9);
        // prr_delivered 2: ceil(2 x 5 / 10) = 1, already sent: nothing goes, cwnd = 8 in flight + 0
        assertThat(sent(ack(0, 1000, 5000))).isEmpty();
        assertThat(t.tcb().cwnd()).isEqualTo(8);
        // prr_delivered 3: ceil(15 / 10) = 2, one sent: one new segment
        assertThat(sent(ack(0, 1000, 6000))).containsExactly(List.of(12_000, 1000));
        assertThat(t.tcb().cwnd()).isEqualTo(8);
    }

    private long info(String field) {
        return io.vkernel.kernel.tcp.TcpInfo.of(t.tcb()).get(field);
    }

    private void dupAck() {
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), t.tcb().sndUna(), "");
    }

    @Test
    void withoutSack_duplicateAcksCountInTcpiSacked_atMostPacketsOutLessOneHole() {
        base = t.establishedOneSegmentPerMss(false);
        t.write(3000);
        t.advanceSeconds(0.1);
        dupAck();
        assertThat(info("tcpi_sacked")).as("tcp_add_reno_sack(): each duplicate ACK is a segment that left").isEqualTo(1);
        dupAck();
        assertThat(info("tcpi_sacked")).isEqualTo(2);
        dupAck();
        // tcp_limit_reno_sacked(): 3 packets out, at least one hole, so at most 2 can have left
        assertThat(info("tcpi_sacked")).isEqualTo(2);
    }

    @Test
    void withoutSack_aPartialAckOfTwoSegments_takesOneDuplicateBack() {
        base = t.establishedOneSegmentPerMss(false);
        t.write(20_000);
        t.advanceSeconds(0.1);
        dupAck();
        dupAck();
        dupAck();
        assertThat(t.tcb().caState()).isEqualTo(CaState.RECOVERY);
        assertThat(info("tcpi_sacked")).isEqualTo(3);
        // tcp_remove_reno_sacks(): of the 2 segments acknowledged the first is the hole, the other one of the
        // duplicates: sacked_out = 3 - (2 - 1)
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 2000, "");
        assertThat(info("tcpi_sacked")).isEqualTo(2);
    }

    @Test
    void aTimeoutInLossAfterAPartialAck_startsANewUndoEpisode_soADsackOfItsResendUndoesIt() {
        t.sysctl(Sysctls.TCP_EARLY_RETRANS, 2);
        base = t.establishedOneSegmentPerMss(true);
        t.write(10_000);
        t.advanceSeconds(0.3);
        assertThat(t.tcb().caState()).isEqualTo(CaState.LOSS);
        t.advanceSeconds(0.01);
        // the original head arrived: SND.UNA advances (icsk_retransmits = 0), cwnd 2 resends the next two
        assertThat(sent(ack(1000))).containsExactly(List.of(1000, 1000), List.of(2000, 1000));
        // that ACK of a resent segment is no RTT sample (Karn), so the RTO stays backed off at 600 ms
        // (tcp_ack_update_rtt() alone calls tcp_set_rto()): the next timeout comes 0.6 s later
        t.advanceSeconds(0.59);
        assertThat(t.counter(SnmpCounter.TCP_TIMEOUTS)).isEqualTo(1);
        t.advanceSeconds(0.01);
        assertThat(t.counter(SnmpCounter.TCP_TIMEOUTS)).isEqualTo(2);
        assertThat(t.tcb().caState()).isEqualTo(CaState.LOSS);
        // tcp_enter_loss(): in Loss with icsk_retransmits 0 (before this timeout) a new undo episode starts at SND.UNA
        // 1000, counting only this timeout's resend; the D-SACK of that resend proves the whole episode spurious
        ack(2000, 1000, 2000);
        assertThat(t.counter(SnmpCounter.TCP_LOSS_UNDO)).isEqualTo(1);
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
    }

    @Test
    void afterATimeout_cubicStartsAFreshCurve_withNoWmaxToClimbBackTo() {
        t.sysctl(Sysctls.TCP_EARLY_RETRANS, 2);
        base = t.establishedOneSegmentPerMss(true);
        t.sysctl(Sysctls.TCP_WMEM_DEFAULT, 1 << 20);
        t.write(100_000);
        t.advanceSeconds(0.3); // the RTO: ssthresh 7 (0.7 x 10), cwnd 1
        t.advanceSeconds(0.1);
        ack(10_000);
        // slow start 1 -> 7 takes six of the ten segments; the other four start CUBIC's epoch at cwnd 7
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
        assertThat(t.tcb().ssthresh()).isEqualTo(7);
        assertThat(t.tcb().cwnd()).isEqualTo(7);
        t.advanceSeconds(0.1);
        ack(t.tcb().sndNxt() - base);
        // cubictcp_state(TCP_CA_Loss) -> bictcp_reset(): W_max is forgotten, so the curve starts flat at cwnd 7 and
        // cnt is capped at 20 (last_max_cwnd == 0): 4 + 7 ACKed segments earn nothing yet. With the W_max of 10 from
        // before the timeout, the concave curve toward it would give cnt 7 and one more segment here
        assertThat(t.tcb().cwnd()).isEqualTo(7);
    }

    @Test
    void inLossWithAnUndoMarker_aSackBelowTheHighestSack_stillMeasuresReordering() {
        t.sysctl(Sysctls.TCP_EARLY_RETRANS, 2);
        base = t.establishedOneSegmentPerMss(true);
        t.write(10_000);
        t.advanceSeconds(0.3); // the RTO: Loss, with an undo marker (tcp_init_undo())
        assertThat(t.tcb().caState()).isEqualTo(CaState.LOSS);
        t.advanceSeconds(0.01);
        // a SACK-only ACK in Loss: tcp_may_raise_cwnd() needs FLAG_DATA_ACKED, so cwnd stays 1; in flight is the
        // resent head alone (packets_out 10 - sacked 1 - lost 9 + retrans 1), so tcp_xmit_retransmit_queue() sends nothing
        PacketReport sackOnly = ack(0, 8000, 9000);
        assertThat(t.tcb().cwnd()).isEqualTo(1);
        assertThat(sent(sackOnly)).isEmpty();
        // [4000, 5000) was never retransmitted and is SACKed below the highest SACK 9000: tcp_sacktag_write_queue()
        // checks reordering in Loss when undo_marker is set, so the degree becomes (9000 - 4000) / 1000
        ack(0, 4000, 5000, 8000, 9000);
        assertThat(info("tcpi_reordering")).isEqualTo(5);
        assertThat(info("tcpi_reord_seen")).isEqualTo(1);
    }

    @Test
    void inLoss_theResendOfTheLastSegment_carriesTheFinItWasSentWith() {
        t.sysctl(Sysctls.TCP_EARLY_RETRANS, 2);
        base = t.establishedOneSegmentPerMss(true);
        t.write(12_000);
        t.close(); // cwnd 10 holds back the last two segments: the FIN waits to ride on the last one
        t.advanceSeconds(0.1);
        ack(2000);
        List<io.vkernel.kernel.wire.Segment> all = t.peer.received();
        assertThat(TcpFixture.summary(all.subList(all.size() - 2, all.size()), base)).containsExactly(". 10000:11000", "FP. 11000:12000");
        t.advanceSeconds(0.3); // the RTO resends the head
        assertThat(t.tcb().caState()).isEqualTo(CaState.LOSS);
        t.advanceSeconds(0.01);
        PacketReport reply = ack(11_000);
        // tcp_xmit_retransmit_queue() resends what is left below the timeout's SND.NXT: the last skb, with its FIN
        assertThat(TcpFixture.summary(reply.sentSegments(), base)).containsExactly("FP. 11000:12000");
    }

    @Test
    void aRecoveryStartedWithAResendStillOutstanding_countsItForTheUndo() {
        t.sysctl(Sysctls.TCP_RECOVERY, 0);
        base = t.establishedOneSegmentPerMss(true);
        t.write(10_000);
        t.advanceSeconds(0.1);
        // two holes below three SACKed segments: both lost, both resent (undo_retrans 2)
        assertThat(sent(ack(0, 2000, 5000))).containsExactly(List.of(0, 1000), List.of(1000, 1000));
        // the original head arrives, and the peer D-SACKs the resent head; then again on a duplicate ACK: by "dumb
        // counting" (a D-SACK below SND.UNA counts once per ACK) undo_retrans reaches 0 though [1000, 2000)'s resend
        // is still out, and tcp_try_undo_dsack() undoes the recovery: Disorder, since the SACKs remain
        ack(1000, 0, 1000, 2000, 5000);
        ack(1000, 0, 1000, 2000, 5000);
        assertThat(t.counter(SnmpCounter.TCP_DSACK_UNDO)).isEqualTo(1);
        assertThat(t.tcb().caState()).isEqualTo(CaState.DISORDER);
        assertThat(info("tcpi_retrans")).isEqualTo(1);
        // three segments SACKed: recovery again (RACK off). tcp_init_undo(): undo_retrans = retrans_out = 1, the
        // resend of [1000, 2000) still out
        ack(1000, 2000, 5000);
        assertThat(t.tcb().caState()).isEqualTo(CaState.RECOVERY);
        assertThat(t.counter(SnmpCounter.TCP_SACK_RECOVERY)).isEqualTo(2);
        // [1000, 5000) arrives, and two D-SACKs (RFC 2883 §4: the first block inside the second) show that
        // [1000, 2000) arrived more than once: with the resend that was out counted, the recovery is undone too
        ack(1000, 1000, 2000, 1000, 5000);
        ack(1000, 1000, 2000, 1000, 5000);
        assertThat(t.counter(SnmpCounter.TCP_DSACK_UNDO)).isEqualTo(2);
    }

    /** TSval of the peer's next segment when timestamps are on (0: none), for the AccECN tests. */
    private long peerTsVal;

    /**
     * An AccECN connection (net.ipv4.tcp_ecn=3): a SYN asking for it (AE, CWR, ECE) from ECT(1), with timestamps if
     * asked (MSS 1012, 1000 with them); the third ACK's ACE 010 reflects the SYN-ACK's Not-ECT. Three segments out.
     */
    private void accEcnWithThreeSegmentsOut(boolean timestamps) {
        t.sysctl(Sysctls.TCP_ECN, 3);
        t.sysctl(Sysctls.VKERNEL_GSO, 0);
        peerTsVal = timestamps ? 100 : 0;
        io.vkernel.kernel.wire.TcpOptions synOptions = timestamps
                ? io.vkernel.kernel.wire.TcpOptions.of(new io.vkernel.kernel.wire.TcpOption.Mss(1012),
                        new io.vkernel.kernel.wire.TcpOption.SackPermitted(), new io.vkernel.kernel.wire.TcpOption.Timestamps(peerTsVal, 0))
                : io.vkernel.kernel.wire.TcpOptions.of(new io.vkernel.kernel.wire.TcpOption.Mss(1000),
                        new io.vkernel.kernel.wire.TcpOption.Nop(), new io.vkernel.kernel.wire.TcpOption.Nop(),
                        new io.vkernel.kernel.wire.TcpOption.SackPermitted());
        io.vkernel.kernel.wire.Segment synAck = t.kernel.receive(new io.vkernel.kernel.wire.Segment(CLIENT, SERVER,
                TcpFlags.SYN | TcpFlags.ECE | TcpFlags.CWR | TcpFlags.AE, 1000, 0, 65535, 1000, new byte[0], synOptions, 1))
                .sentSegments().get(0);
        t.advanceSeconds(0.1);
        base = synAck.seq() + 1;
        accEcnAck(0, 2);
        t.fd = (int) TcpFixture.done(t.kernel.accept(t.pid, t.listenFd)).ret();
        assertThat(t.tcb().sndUna()).isEqualTo(base);
        t.write(3000);
        t.advanceSeconds(0.1);
    }

    /** The peer's ACK from ECT(0) with this ACE (CE-marked segments + 5, mod 8: RFC 9768 §3.2.2), TSval growing by 100. */
    private void accEcnAck(int offset, int ace) {
        int flags = TcpFlags.ACK | ((ace & 4) != 0 ? TcpFlags.AE : 0) | ((ace & 2) != 0 ? TcpFlags.CWR : 0)
                | ((ace & 1) != 0 ? TcpFlags.ECE : 0);
        io.vkernel.kernel.wire.TcpOptions options = null;
        if (peerTsVal > 0) {
            peerTsVal += 100;
            // TSecr 0: these tests read the TSval only (no RTT sample, no undo by timestamps)
            options = io.vkernel.kernel.wire.TcpOptions.of(new io.vkernel.kernel.wire.TcpOption.Timestamps(peerTsVal, 0));
        }
        t.kernel.receive(new io.vkernel.kernel.wire.Segment(CLIENT, SERVER, flags, 1001, base + offset, 65535, 0, new byte[0],
                options, 2));
    }

    @Test
    void accurateEcn_onlyAReportedCeMarkOnAnAckThatDeliversSomething_entersCwr() {
        accEcnWithThreeSegmentsOut(false);
        accEcnAck(1000, 5);
        assertThat(t.tcb().caState()).as("no CE mark reported: no reduction").isEqualTo(CaState.OPEN);
        // a duplicate ACK claims a CE mark, but __tcp_accecn_process() reads ACE only from an ACK with forward
        // progress (new data delivered) or a newer timestamp: this one has neither
        accEcnAck(1000, 6);
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
        assertThat(info("tcpi_delivered_ce")).isZero();
        accEcnAck(2000, 6);
        assertThat(info("tcpi_delivered_ce")).isEqualTo(1);
        assertThat(t.tcb().caState()).as("a CE mark is FLAG_ECE: tcp_enter_cwr()").isEqualTo(CaState.CWR);
    }

    @Test
    void accurateEcn_aDuplicateAckWithANewerTimestamp_isReadForCeMarks() {
        accEcnWithThreeSegmentsOut(true);
        assertThat(t.tcb().timestampsOk()).isTrue();
        accEcnAck(1000, 5);
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
        // no new data delivered, but the TSval moved on (FLAG_TS_PROGRESS): ACE is read, one CE mark
        accEcnAck(1000, 6);
        assertThat(info("tcpi_delivered_ce")).isEqualTo(1);
        assertThat(t.tcb().caState()).isEqualTo(CaState.CWR);
    }

    private static final io.vkernel.kernel.wire.Endpoint CLIENT = io.vkernel.kernel.wire.Endpoint.parse(TcpFixture.CLIENT);
    private static final io.vkernel.kernel.wire.Endpoint SERVER = io.vkernel.kernel.wire.Endpoint.parse(TcpFixture.SERVER);

    /** Established with SACK and timestamps (the peer's TSval 100, then 200), MSS 1012 (1000 with TS), GSO off; answers SND.UNA. */
    private int establishedWithTimestamps(double rttSeconds) {
        return establishedWithTimestamps(rttSeconds, true);
    }

    /** The same, with SACK only if {@code sack} (without it: Reno's duplicate-ACK counting). */
    private int establishedWithTimestamps(double rttSeconds, boolean sack) {
        t.sysctl(Sysctls.VKERNEL_GSO, 0);
        io.vkernel.kernel.wire.TcpOption ts = new io.vkernel.kernel.wire.TcpOption.Timestamps(100, 0);
        io.vkernel.kernel.wire.TcpOption mss = new io.vkernel.kernel.wire.TcpOption.Mss(1012);
        io.vkernel.kernel.wire.Segment synAck = t.kernel.receive(new io.vkernel.kernel.wire.Segment(CLIENT, SERVER,
                TcpFlags.SYN, 1000, 0, 65535, 1000, new byte[0], sack
                        ? io.vkernel.kernel.wire.TcpOptions.of(mss, new io.vkernel.kernel.wire.TcpOption.SackPermitted(), ts)
                        : io.vkernel.kernel.wire.TcpOptions.of(mss, ts))).sentSegments().get(0);
        t.advanceSeconds(rttSeconds);
        t.kernel.receive(new io.vkernel.kernel.wire.Segment(CLIENT, SERVER, TcpFlags.ACK, 1001, synAck.seq() + 1, 65535, 0,
                new byte[0], io.vkernel.kernel.wire.TcpOptions.of(new io.vkernel.kernel.wire.TcpOption.Timestamps(200,
                        synAck.timestamps().value()))));
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.fd = (int) TcpFixture.done(t.kernel.accept(t.pid, t.listenFd)).ret();
        assertThat(t.tcb().timestampsOk()).isTrue();
        return t.tcb().sndUna();
    }

    /** The peer's ACK with TSval 300 echoing {@code ecr}, and SACK blocks given as offsets from {@code base}. */
    private PacketReport tsAck(int ack, long ecr, int... edges) {
        java.nio.ByteBuffer blocks = java.nio.ByteBuffer.allocate(4 * edges.length);
        for (int edge : edges) {
            blocks.putInt(base + edge);
        }
        io.vkernel.kernel.wire.TcpOption ts = new io.vkernel.kernel.wire.TcpOption.Timestamps(300, ecr);
        io.vkernel.kernel.wire.TcpOptions options = edges.length == 0 ? io.vkernel.kernel.wire.TcpOptions.of(ts)
                : io.vkernel.kernel.wire.TcpOptions.of(ts, new io.vkernel.kernel.wire.TcpOption.Nop(),
                new io.vkernel.kernel.wire.TcpOption.Nop(), new io.vkernel.kernel.wire.TcpOption.Unknown(5, blocks.array()));
        return t.kernel.receive(new io.vkernel.kernel.wire.Segment(CLIENT, SERVER, TcpFlags.ACK, 1001, base + ack, 65535, 0,
                new byte[0], options));
    }

    /** Ten segments in one burst, then SACKs of the fifth to seventh: RACK calls the head lost, recovery resends it. */
    private long burstAndFastRetransmit(double sackAfterSeconds) {
        t.write(10_000);
        long burst = t.peer.lastReceived().timestamps().value();
        t.advanceSeconds(sackAfterSeconds);
        tsAck(0, burst, 4000, 5000);
        tsAck(0, burst, 4000, 6000);
        tsAck(0, burst, 4000, 7000);
        assertThat(t.tcb().caState()).isEqualTo(CaState.RECOVERY);
        return burst;
    }

    @Test
    void aPartialAckEchoingTheOriginalBurst_undoesTheFastRetransmit_andTheEventLogSaysWhy() {
        base = establishedWithTimestamps(0.05);
        long burst = burstAndFastRetransmit(0.05);
        t.advanceSeconds(0.01);
        // tcp_try_undo_partial(): the ACK of 4000 echoes the burst's TSval, older than the retransmission
        // (tcp_packet_delayed()), and no retransmission is left in flight
        tsAck(4000, burst, 4000, 7000);
        assertThat(t.counter(SnmpCounter.TCP_PARTIAL_UNDO)).isEqualTo(1);
        assertThat(t.tcb().caState()).isEqualTo(CaState.DISORDER);
        assertThat(t.congestionEvents()).last().asString()
                .startsWith("undo: the original segment arrived after all (its timestamp predates the retransmission)");
    }

    /**
     * Everything at virtual time 0, so the first retransmission's time (retrans_stamp) is 0; then a partial ACK at
     * 50 ms that lets more be resent, which leaves that time alone. Answers the burst's TSval (sent at time 0).
     */
    private long recoveryFromClockZero_withMoreResentAt50ms() {
        base = establishedWithTimestamps(0);
        long burst = burstAndFastRetransmit(0);
        t.advanceSeconds(0.05);
        assertThat(sent(tsAck(2000, burst, 4000, 7000))).isNotEmpty();
        return burst;
    }

    @Test
    void recoveryFromClockZero_anAckOfEverythingEchoingTimeZero_doesNotProveItSpurious() {
        long burst = recoveryFromClockZero_withMoreResentAt50ms();
        // tcp_packet_delayed(): the echoed time 0 is not before the first retransmission (also at 0)
        tsAck(10_000, burst);
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
        assertThat(t.counter(SnmpCounter.TCP_FULL_UNDO)).isZero();
    }

    @Test
    void recoveryFromClockZero_anAckOfEverythingEchoingATimeBeforeIt_undoesIt() {
        long burst = recoveryFromClockZero_withMoreResentAt50ms();
        // an echo 1 ms older than anything sent (TSval - offset = -1) predates the first retransmission at 0
        tsAck(10_000, burst - 1);
        assertThat(t.counter(SnmpCounter.TCP_FULL_UNDO)).isEqualTo(1);
    }

    @Test
    void withoutSack_duplicateAcksWithOnlyTheFinOutstanding_leaveTheCloseToFinish() {
        base = t.establishedOneSegmentPerMss(false);
        t.write(1000);
        t.close();
        t.advanceSeconds(0.1);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 1000, ""); // the data arrived, the FIN not yet
        for (int i = 0; i < 3; i++) {
            dupAck(); // nothing but the FIN is outstanding: no data to resend
        }
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 1001, "");
        assertThat(t.state()).isEqualTo(io.vkernel.kernel.tcp.TcpState.FIN_WAIT2);
    }

    @Test
    void anAckThatDeliversNothingNew_growsNothing_afterTheAckEndingRecoveryStartedCubicsEpoch() {
        t.sysctl(Sysctls.TCP_EARLY_RETRANS, 2); // no loss probe between the ACKs below
        base = t.establishedOneSegmentPerMss(true);
        t.sysctl(Sysctls.TCP_WMEM_DEFAULT, 1 << 20);
        t.write(100_000);
        t.advanceSeconds(0.1);
        ack(0, 1000, 2000);
        ack(0, 1000, 3000);
        ack(0, 1000, 4000); // the fast retransmit: ssthresh 7, W_max 10
        t.advanceSeconds(0.1);
        ack(t.tcb().sndNxt() - base); // the recovery point and everything after it: Open, cwnd = ssthresh
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
        // cwnd = ssthresh 7, then tcp_cong_control() in Open on this same ACK (tcp_ack() runs it after
        // tcp_fastretrans_alert()): CUBIC's epoch starts here, aiming at 8 on the curve back to W_max 10
        assertThat(t.tcb().cwnd()).isEqualTo(8);
        int una = t.tcb().sndUna() - base;
        int nxt = t.tcb().sndNxt() - base;
        t.advanceSeconds(0.1);
        // a duplicate ACK delivers nothing: cwnd does not grow (tcp_may_raise_cwnd(): SND.UNA did not advance)
        ack(una);
        assertThat(t.tcb().cwnd()).isEqualTo(8);
        t.advanceSeconds(0.15);
        ack(nxt);
        // 250 ms into the epoch the curve back to W_max 10 is at 9: the segments acknowledged earn one more
        assertThat(t.tcb().cwnd()).isEqualTo(9);
    }

    // ---- the GAP rows of quality/equivalent-mutants/tcp/Recovery.tsv (twelfth session) ----

    /** [0, 4000) lost and the head resent (burstAndFastRetransmit()), then 10 ms later [1000, 2000). Answers the burst's TSval. */
    private long headThenSecondSegmentResent() {
        base = establishedWithTimestamps(0.05);
        long burst = burstAndFastRetransmit(0.05);
        t.advanceSeconds(0.01);
        assertThat(sent(tsAck(0, burst, 4000, 8000))).containsExactly(List.of(1000, 1000));
        return burst;
    }

    @Test
    void inRecovery_aDuplicateAckThatLosesTheHeadsResendAgain_undoesNothing_evenEchoingTheOriginalBurst() {
        long burst = headThenSecondSegmentResent();
        t.advanceSeconds(0.06);
        // the resend of [1000, 2000) arrived, 60 ms after it left: RACK calls the head's earlier resend lost again, so
        // no retransmission is left in flight. The ACK echoes the burst's TSval, but tcp_fastretrans_alert() calls
        // tcp_try_undo_partial() only for an ACK that advances SND.UNA (FLAG_SND_UNA_ADVANCED); this one does not
        assertThat(sent(tsAck(0, burst, 1000, 2000, 4000, 8000))).first().isEqualTo(List.of(0, 1000));
        assertThat(t.counter(SnmpCounter.TCP_PARTIAL_UNDO)).isZero();
        assertThat(t.tcb().caState()).isEqualTo(CaState.RECOVERY);
        assertThat(t.tcb().ssthresh()).isEqualTo(7);
    }

    @Test
    void inRecovery_twoResendsLostAgainWithRoomToResendOne_tcpiRetransCountsOnlyTheOneOut() {
        long burst = headThenSecondSegmentResent();
        t.advanceSeconds(0.01);
        assertThat(sent(tsAck(0, burst, 4000, 9000))).containsExactly(List.of(2000, 1000));
        assertThat(info("tcpi_retrans")).isEqualTo(3);
        t.advanceSeconds(0.06);
        // the third resend arrived: the two sent before it are lost again (tcp_mark_skb_lost() takes them out of
        // retrans_out); PRR lets one go again. retrans_out: 3 resent - 1 SACKed - 2 lost + 1 resent = 1
        assertThat(sent(tsAck(0, burst, 2000, 3000, 4000, 9000))).containsExactly(List.of(0, 1000));
        assertThat(info("tcpi_retrans")).isEqualTo(1);
    }

    @Test
    void aFastRetransmitOfTheMtuProbe_leavesItInconclusive_soItsLateAckRaisesNothing() {
        t.sysctl(Sysctls.VKERNEL_GSO, 0);
        t.sysctl(Sysctls.TCP_MTU_PROBING, 2);
        t.sysctl(Sysctls.ROUTE_INITCWND, 12);
        t.sysctl(Sysctls.TCP_WMEM_DEFAULT, 1 << 20);
        base = t.establishedBy(p -> p.sackOk = true, 0, 0.1);
        int probe = 1242; // tcp_mtu_probe(): an MTU halfway between search_low 1064 and search_high 1500, less headers
        PacketReport write = new PacketReport(null);
        TcpFixture.done(t.kernel.write(t.pid, t.fd, new byte[20_000], write));
        assertThat(write.sentSegments().get(0).length()).isEqualTo(probe);
        assertThat(info("tcpi_snd_mss")).isEqualTo(1460);
        t.advanceSeconds(0.1);
        // the probe (the head) is missing, the next three segments SACKed: RACK calls it lost, recovery resends it
        ack(0, probe, probe + 1460);
        ack(0, probe, probe + 2 * 1460);
        assertThat(sent(ack(0, probe, probe + 3 * 1460))).first().isEqualTo(List.of(0, probe));
        assertThat(t.tcb().caState()).isEqualTo(CaState.RECOVERY);
        // __tcp_retransmit_skb(): any retransmission leaves the probe inconclusive (probe_size = 0), so the ACK that
        // covers it is no tcp_mtup_probe_success(): search_low and the MSS stay
        PacketReport reply = ack(probe + 3 * 1460);
        assertThat(TcpFixture.steps(reply, "tcp.mtup")).noneMatch(s -> s.contains("acknowledged"));
        assertThat(info("tcpi_snd_mss")).isEqualTo(1460);
    }

    /**
     * {@code bytes} sent (no tail loss probe), then [1000, 2000) arrives after [2000, 3000), then the head, and 3000
     * is acknowledged: reordering seen, so RACK's window is min_rtt / 4 from now on.
     */
    private void reorderingSeenIn(int bytes) {
        t.sysctl(Sysctls.TCP_EARLY_RETRANS, 2);
        base = t.establishedOneSegmentPerMss(true);
        t.write(bytes);
        t.advanceSeconds(0.1);
        ack(0, 2000, 3000);
        ack(0, 1000, 3000);
        ack(3000);
        assertThat(info("tcpi_reord_seen")).isPositive();
    }

    @Test
    void afterATimeout_aSackOfAnOriginal_armsNoReorderingTimer_sinceTheTimeoutMarkedEverythingLost() {
        reorderingSeenIn(10_000); // no loss probe: the RTO comes first
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
        t.advanceSeconds(0.4); // the RTO resends the head
        assertThat(t.tcb().caState()).isEqualTo(CaState.LOSS);
        t.advanceSeconds(0.01);
        // [5000, 6000) of the first flight is SACKed. tcp_enter_loss() marked everything outstanding lost, so
        // tcp_rack_detect_loss() skips [4000, 5000) although it was sent before: no reordering timer replaces the RTO
        ack(3000, 5000, 6000);
        assertThat(t.timers()).contains("retransmit").doesNotContain("rack-reorder");
    }

    @Test
    void aRecoveryEnteredWithAResendStillOut_keepsTheFirstResendsTime_soAnEchoOfThatResendUndoesNothing() {
        t.sysctl(Sysctls.TCP_RECOVERY, 0);
        base = establishedWithTimestamps(0.1);
        t.write(10_000);
        long burst = t.peer.lastReceived().timestamps().value();
        t.advanceSeconds(0.1);
        // two holes below three SACKed segments (RACK off): both lost, both resent; retrans_stamp = this time
        assertThat(sent(tsAck(0, burst, 2000, 5000))).containsExactly(List.of(0, 1000), List.of(1000, 1000));
        long firstResend = t.peer.lastReceived().timestamps().value();
        // the original head arrives and the resent one twice: D-SACK undo, Disorder, [1000, 2000)'s resend still out
        tsAck(1000, firstResend, 0, 1000, 2000, 5000);
        tsAck(1000, firstResend, 0, 1000, 2000, 5000);
        assertThat(t.counter(SnmpCounter.TCP_DSACK_UNDO)).isEqualTo(1);
        assertThat(t.tcb().caState()).isEqualTo(CaState.DISORDER);
        t.advanceSeconds(0.05);
        // recovery again, 50 ms later. tcp_enter_recovery() -> tcp_retrans_stamp_cleanup(): a retransmission is still
        // out (tcp_any_retrans_done()), so retrans_stamp stays at the first resend instead of this one
        assertThat(sent(tsAck(1000, firstResend, 2000, 5000))).containsExactly(List.of(1000, 1000));
        assertThat(t.tcb().caState()).isEqualTo(CaState.RECOVERY);
        t.advanceSeconds(0.01);
        // everything arrives; the ACK echoes the first resend's TSval, which is not before retrans_stamp:
        // tcp_packet_delayed() is false and the recovery stands
        tsAck(10_000, firstResend);
        assertThat(t.tcb().caState()).isEqualTo(CaState.OPEN);
        assertThat(t.counter(SnmpCounter.TCP_FULL_UNDO)).isZero();
        assertThat(t.tcb().ssthresh()).isEqualTo(7);
    }

    private List<List<Integer>> sentAfter(int before) {
        return t.peer.received().subList(before, t.peer.received().size()).stream().filter(s -> s.length() > 0)
                .map(s -> List.of(s.seq() - base, s.length())).toList();
    }

    @Test
    void inRecovery_theReorderingTimer_resendsOnlyAsManyLostSegmentsAsCwndLeavesRoomFor() {
        reorderingSeenIn(3000); // RACK now waits min_rtt / 4 = 25 ms before calling anything lost
        t.advanceSeconds(0.05);
        t.write(10_000); // [3000, 13000) in one burst
        t.advanceSeconds(0.1);
        // [7000, 8000) is SACKed; the four sent before it wait 25 ms, then the timer calls them lost: recovery, and PRR
        // lets one go
        ack(3000, 7000, 8000);
        int before = t.peer.received().size();
        t.advanceSeconds(0.03);
        assertThat(sentAfter(before)).containsExactly(List.of(3000, 1000));
        assertThat(t.tcb().caState()).isEqualTo(CaState.RECOVERY);
        // the last segment is SACKed: PRR resends one more hole, and the four sent before it wait again
        assertThat(sent(ack(3000, 7000, 8000, 12_000, 13_000))).containsExactly(List.of(4000, 1000));
        assertThat(t.tcb().cwnd()).isEqualTo(6);
        // tcp_rack_reo_timeout() -> tcp_xmit_retransmit_queue(): six segments are lost and not resent ([5000, 7000)
        // and [8000, 12000)), but cwnd 6 with 2 in flight leaves room for four, oldest first
        before = t.peer.received().size();
        t.advanceSeconds(0.03);
        assertThat(sentAfter(before)).containsExactly(List.of(5000, 1000), List.of(6000, 1000), List.of(8000, 1000),
                List.of(9000, 1000));
    }

    // ---- the GAP rows rEnd left in Recovery.tsv after the end-of-episode change (thirteenth session) ----

    /**
     * Reno with timestamps: ten segments at one TSval, the RTO resends the head (Loss), then 10 ms later an ACK of
     * [0, 3000) echoing the burst's TSval: the originals arrived, so tcp_try_undo_loss() undoes the timeout. Without
     * SACK Linux keeps Loss (only a SACK connection or F-RTO goes to Open) and tcp_process_loss() returns: nothing is
     * resent on that ACK, and the undo cleared every lost mark (tcp_undo_cwnd_reduction(sk, true)).
     */
    @Test
    void withoutSack_aLossUndoOnAPartialAck_keepsLoss_restoresCwnd_andResendsNothing() {
        base = establishedWithTimestamps(0.05, false);
        assertThat(t.tcb().sackOk()).isFalse();
        t.write(10_000);
        long burst = t.peer.lastReceived().timestamps().value();
        int before = t.peer.received().size();
        t.advanceSeconds(0.3);
        assertThat(t.sentSince(before)).hasSize(1);
        assertThat(t.tcb().caState()).isEqualTo(CaState.LOSS);
        assertThat(t.tcb().cwnd()).isEqualTo(1);
        t.advanceSeconds(0.01);
        PacketReport undo = tsAck(3000, burst);
        assertThat(t.counter(SnmpCounter.TCP_LOSS_UNDO)).isEqualTo(1);
        assertThat(t.tcb().caState()).isEqualTo(CaState.LOSS);
        assertThat(sent(undo)).isEmpty();
        // cwnd back to 10, ssthresh infinite again, then slow start by the three segments this ACK delivered
        // (tcp_cong_control() runs after tcp_fastretrans_alert())
        assertThat(t.tcb().cwnd()).isEqualTo(13);
    }

    /**
     * Reno with ECN: the head lost, duplicate ACKs start Recovery and keep coming while PRR sends new data above the
     * recovery point; the ACK of exactly the recovery point carries ECE. tcp_fastretrans_alert() resets sacked_out
     * (tcp_reset_reno_sack()) as Recovery ends, then tcp_try_to_open() enters CWR for the ECE: tcpi_sacked is 0 even
     * though duplicate ACKs counted segments above the recovery point.
     */
    @Test
    void withoutSack_theAckEndingRecoveryWithEce_forgetsTheDuplicateAcks_inCwr() {
        base = t.establishedOneSegmentPerMss(false, TcpFlags.ECE | TcpFlags.CWR);
        t.sysctl(Sysctls.TCP_WMEM_DEFAULT, 1 << 20);
        t.write(40_000);
        t.advanceSeconds(0.1);
        int highSeq = -1;
        for (int i = 0; i < 16; i++) {
            dupAck();
            if (highSeq < 0 && t.tcb().caState() == CaState.RECOVERY) {
                highSeq = t.tcb().sndNxt() - base;
            }
        }
        // limited transmit sent [10000, 12000) before the third duplicate: the recovery point is 12000; PRR sent up to 23000
        assertThat(highSeq).isEqualTo(12_000);
        assertThat(t.tcb().sndNxt() - base).isEqualTo(23_000);
        assertThat(info("tcpi_sacked")).isEqualTo(16);
        ece(highSeq);
        assertThat(t.tcb().caState()).isEqualTo(CaState.CWR);
        assertThat(info("tcpi_sacked")).isZero();
        // tcp_cwnd_reduction(): the eleven segments above 12000 all count in flight (none left the network), plus
        // PRR's one for the one segment delivered (ceil(1 x ssthresh 4 / prior cwnd 7))
        assertThat(t.tcb().ssthresh()).isEqualTo(4);
        assertThat(t.tcb().cwnd()).isEqualTo(12);
    }
}
