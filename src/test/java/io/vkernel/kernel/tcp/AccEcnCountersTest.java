package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.Step;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOption;
import io.vkernel.kernel.wire.TcpOptions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Accurate ECN's bookkeeping (RFC 9768, Linux 6.18 tcp_ecn.h / tcp_input.c) one step at a time: what the receiver
 * counts per IP ECN field (tcp_ecn_received_counters()), what the sender learns from the peer's option and ACE field
 * (tcp_accecn_process_option(), __tcp_accecn_process()'s guess at ACE wraps), the handshake's negotiation, reflection
 * and validation (tcp_ecn_rcv_synack(), tcp_ecn_create_request(), tcp_accecn_third_ack()), and the TCP_INFO fields.
 */
class AccEcnCountersTest {

    private static final Endpoint LOCAL = Endpoint.parse("192.168.0.1:8080");
    private static final Endpoint REMOTE = Endpoint.parse("192.0.2.1:40000");
    private static final int ACE5 = TcpFlags.AE | TcpFlags.ECE;
    private static final int ACE6 = TcpFlags.AE | TcpFlags.CWR;

    private final Sysctls sysctls = new Sysctls();
    private final Tcb tcb = new Tcb(new FourTuple(LOCAL, REMOTE), TcpState.ESTABLISHED, 0);

    private AccEcn on() {
        AccEcn a = new AccEcn(true, sysctls);
        tcb.accEcn = a;
        return a;
    }

    private static Segment in(int flags, int tos, int len, TcpOption... options) {
        return new Segment(REMOTE, LOCAL, flags, 1, 1, 1000, 0, new byte[len], TcpOptions.of(options), tos);
    }

    /** An AccECN option of the given kind carrying these 24-bit wire values, in the kind's field order. */
    private static TcpOption option(int kind, long... wire) {
        byte[] value = new byte[3 * wire.length];
        for (int i = 0; i < wire.length; i++) {
            value[3 * i] = (byte) (wire[i] >>> 16);
            value[3 * i + 1] = (byte) (wire[i] >>> 8);
            value[3 * i + 2] = (byte) wire[i];
        }
        return new TcpOption.Unknown(kind, value);
    }

    /** AccECN1 with ECT(1), CE and ECT(0) byte counts (the initial offsets added as on the wire). */
    private static TcpOption option1(long e1b, long ceb, long e0b) {
        return option(AccEcn.KIND_ACCECN1, e1b + 1, ceb, e0b + 1);
    }

    private static long[] delivered(AccEcn a) {
        return new long[] {a.deliveredBytes[Ecn.ECT1 - 1], a.deliveredBytes[Ecn.CE - 1], a.deliveredBytes[Ecn.ECT0 - 1]};
    }

    private static AccEcn.Ack acked(int pkts, long bytes) {
        return new AccEcn.Ack(true, false, false, pkts, bytes);
    }

    private static List<String> details(PacketReport report) {
        return report.steps().stream().map(Step::detail).toList();
    }

    // ------------------------------------------------------------------ receiving

    @Test
    void received_countsPayloadBytesUnderTheirEcnField_andCeSegments_andAFieldChangeOwesTwoOptionsAndAnAckNow() {
        AccEcn a = on();

        AccEcn.received(tcb, in(TcpFlags.ACK, Ecn.ECT0, 100));
        assertThat(a.receivedBytes).as("ECT(1), ECT(0), CE").containsExactly(0, 100, 0);
        assertThat(a.minLen).as("ECT(0) bytes need all three counters").isEqualTo(3);
        assertThat(a.ackNow).as("not-ECT to ECT(0) is a change").isTrue();
        assertThat(a.optDemand).isEqualTo(2);
        assertThat(a.receivedCe).isZero();
        assertThat(tcb.ecnFlags & Ecn.SEEN).isEqualTo(Ecn.SEEN);

        a.ackNow = false;
        a.optDemand = 0;
        a.minLen = 0;
        AccEcn.received(tcb, in(TcpFlags.ACK, Ecn.ECT0, 50));
        assertThat(a.receivedBytes[Ecn.ECT0 - 1]).isEqualTo(150);
        assertThat(a.minLen).isEqualTo(3);
        assertThat(a.ackNow).as("the same field again").isFalse();
        assertThat(a.optDemand).isZero();

        a.minLen = 0;
        AccEcn.received(tcb, in(TcpFlags.ACK, Ecn.CE, 10));
        assertThat(a.receivedCe).isEqualTo(1);
        assertThat(a.receivedBytes).containsExactly(0, 150, 10);
        assertThat(a.minLen).as("CE bytes: two counters").isEqualTo(2);
        assertThat(a.ackNow).isTrue();
        assertThat(a.optDemand).isEqualTo(2);

        a.ackNow = false;
        a.optDemand = 0;
        a.minLen = 0;
        AccEcn.received(tcb, in(TcpFlags.ACK, Ecn.CE, 0));
        assertThat(a.receivedCe).as("a CE-marked pure ACK counts in ACE").isEqualTo(2);
        assertThat(a.receivedBytes).as("but has no bytes").containsExactly(0, 150, 10);
        assertThat(a.minLen).as("no byte counter changed").isZero();
        assertThat(a.ackNow).as("CE again is no change of field").isFalse();
        assertThat(a.optDemand).as("every CE mark owes the option").isEqualTo(2);

        AccEcn.received(tcb, in(TcpFlags.ACK, Ecn.ECT1, 7));
        assertThat(a.receivedBytes).containsExactly(7, 150, 10);
        assertThat(a.minLen).as("ECT(1) bytes: the first counter").isEqualTo(1);
        a.minLen = 2;
        AccEcn.received(tcb, in(TcpFlags.ACK, Ecn.ECT1, 7));
        assertThat(a.minLen).as("what an earlier change needs stays").isEqualTo(2);

        a.ackNow = false;
        AccEcn.received(tcb, in(TcpFlags.ACK, Ecn.NOT_ECT, 30));
        assertThat(a.receivedBytes).as("not-ECT bytes are not counted").containsExactly(14, 150, 10);
        assertThat(a.receivedCe).isEqualTo(2);
        assertThat(a.ackNow).as("ECT(1) to not-ECT is a change").isTrue();
    }

    @Test
    void received_notEctAlone_doesNotMarkEcnSeen_andAPendingOrAbsentAccEcnCountsNothing() {
        AccEcn a = on();
        AccEcn.received(tcb, in(TcpFlags.ACK, Ecn.NOT_ECT, 30));
        assertThat(tcb.ecnFlags & Ecn.SEEN).isZero();
        assertThat(a.ackNow).isFalse();
        assertThat(a.optDemand).isZero();

        a.on = false; // a client still waiting for the SYN-ACK
        AccEcn.received(tcb, in(TcpFlags.ACK, Ecn.CE, 30));
        assertThat(a.receivedCe).isZero();
        assertThat(a.receivedBytes).containsExactly(0, 0, 0);
        tcb.accEcn = null;
        AccEcn.received(tcb, in(TcpFlags.ACK, Ecn.CE, 30));
        assertThat(tcb.ecnFlags & Ecn.SEEN).isZero();
    }

    @Test
    void received_aCounterCrossingA2To22ByteBoundary_owesOneOption() {
        AccEcn a = on();
        a.prevEcnField = Ecn.ECT0;
        a.receivedBytes[Ecn.ECT0 - 1] = 0x3F_FFFF - 10;
        AccEcn.received(tcb, in(TcpFlags.ACK, Ecn.ECT0, 5));
        assertThat(a.optDemand).as("still below 2^22").isZero();
        AccEcn.received(tcb, in(TcpFlags.ACK, Ecn.ECT0, 10));
        assertThat(a.receivedBytes[Ecn.ECT0 - 1]).isEqualTo(0x40_0004);
        assertThat(a.optDemand).as("crossed 2^22: once").isEqualTo(1);
        a.optDemand = 2;
        a.receivedBytes[Ecn.ECT0 - 1] = 0x7F_FFFF;
        AccEcn.received(tcb, in(TcpFlags.ACK, Ecn.ECT0, 1));
        assertThat(a.optDemand).as("never lowered").isEqualTo(2);
    }

    @Test
    void synOnEstablished_makesTheChallengeAckReflectItsEcnField_andOwesAnOption() {
        AccEcn a = on();
        AccEcn.synOnEstablished(tcb, in(TcpFlags.SYN, Ecn.CE, 0));
        assertThat(a.reflect).isEqualTo(0b110);
        assertThat(a.optDemand).isEqualTo(1);
        a.optDemand = 2;
        AccEcn.synOnEstablished(tcb, in(TcpFlags.SYN, Ecn.ECT1, 0));
        assertThat(a.reflect).isEqualTo(0b011);
        assertThat(a.optDemand).isEqualTo(2);

        a.on = false;
        a.reflect = -1;
        AccEcn.synOnEstablished(tcb, in(TcpFlags.SYN, Ecn.CE, 0));
        assertThat(a.reflect).isEqualTo(-1);
    }

    // ------------------------------------------------------------------ the peer's option and ACE

    @Test
    void option_updatesWhatThePeerReportsOfOurBytes_inEitherFieldOrder_andFillsGapsFromTheLastChangedField() {
        AccEcn a = on();
        AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE5, 0, 0, option1(0, 0, 1000)), acked(1, 1000));
        assertThat(delivered(a)).as("ECT(1), CE, ECT(0) bytes less the initial offsets").containsExactly(0, 0, 1000);
        assertThat(a.sawOpt).isEqualTo(AccEcn.OPT_COUNTER_SEEN);
        assertThat(a.estEcnField).isEqualTo(Ecn.ECT0);

        AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE5, 0, 0), acked(1, 500));
        assertThat(delivered(a)).as("an ACK without the option: its bytes go to the field that changed last")
                .containsExactly(0, 0, 1500);

        // AccECN0 orders the fields ECT(0), CE, ECT(1)
        AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE5, 0, 0, option(AccEcn.KIND_ACCECN0, 2501, 0, 1)), acked(1, 500));
        assertThat(delivered(a)).as("the option's count, not the estimate").containsExactly(0, 0, 2500);

        // a smaller count than we hold: an old option, taken as it is (sign-extended delta) but no estimate after it
        AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE5, 0, 0, option1(0, 0, 1900)), acked(1, 500));
        assertThat(delivered(a)).containsExactly(0, 0, 1900);
        assertThat(a.estEcnField).isZero();
        AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE5, 0, 0), acked(1, 500));
        assertThat(delivered(a)).as("no field to credit").containsExactly(0, 0, 1900);
    }

    @Test
    void option_withTwoFieldsChanging_isAmbiguous_andAShortOptionCarriesOnlyItsFirstCounters() {
        AccEcn a = on();
        a.sawOpt = AccEcn.OPT_COUNTER_SEEN;
        a.estEcnField = Ecn.ECT0;
        AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE5, 0, 0, option1(300, 200, 0)), acked(1, 500));
        assertThat(delivered(a)).containsExactly(300, 200, 0);
        assertThat(a.estEcnField).as("ECT(1) and CE both moved").isZero();

        a.estEcnField = Ecn.ECT1;
        AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE5, 0, 0, option(AccEcn.KIND_ACCECN1, 401)), acked(1, 100));
        assertThat(delivered(a)).as("one counter: ECT(1) only").containsExactly(400, 200, 0);
        assertThat(a.estEcnField).isEqualTo(Ecn.ECT1);
        AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE5, 0, 0, option(AccEcn.KIND_ACCECN1, 401, 250)), acked(1, 100));
        assertThat(delivered(a)).as("two counters: ECT(1) and CE").containsExactly(400, 250, 0);
        assertThat(a.estEcnField).isEqualTo(Ecn.CE);

        AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE5, 0, 0, option1(400, 250, 0x12_3456)), acked(1, 100));
        assertThat(delivered(a)).as("all three bytes of a 24-bit counter").containsExactly(400, 250, 0x12_3456);
        AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE5, 0, 0, option(AccEcn.KIND_ACCECN1, 0, 0, 1)), acked(1, 100));
        assertThat(a.sawOpt).as("a zeroed option after counters were seen is not a failure").isEqualTo(AccEcn.OPT_COUNTER_SEEN);
        assertThat(a.failMode).isZero();
    }

    @Test
    void firstOption_zeroedOrEmpty_isRecordedAsTcpiAccecnOptSeen_andAZeroedOneStopsTheByteCounts() {
        AccEcn empty = on();
        AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE5, 0, 0, option(AccEcn.KIND_ACCECN1)), acked(1, 100));
        assertThat(empty.sawOpt).isEqualTo(AccEcn.OPT_EMPTY_SEEN);
        assertThat(empty.failMode).isZero();

        AccEcn oneCounter = on();
        AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE5, 0, 0, option(AccEcn.KIND_ACCECN1, 5)), acked(1, 100));
        assertThat(oneCounter.sawOpt).as("one counter, not zero").isEqualTo(AccEcn.OPT_COUNTER_SEEN);

        AccEcn shortOne = on();
        AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE5, 0, 0, option(AccEcn.KIND_ACCECN1, 1, 0)), acked(1, 100));
        assertThat(shortOne.sawOpt).as("two counters, the first not zero").isEqualTo(AccEcn.OPT_COUNTER_SEEN);

        AccEcn firstZero = on();
        AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE5, 0, 0, option(AccEcn.KIND_ACCECN1, 0, 0, 1)), acked(1, 100));
        assertThat(firstZero.sawOpt).isEqualTo(AccEcn.OPT_FAIL_SEEN);
        assertThat(firstZero.failMode).isEqualTo(AccEcn.OPT_FAIL_RECV);

        AccEcn thirdZero = on();
        AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE5, 0, 0, option(AccEcn.KIND_ACCECN1, 1, 0, 0)), acked(1, 100));
        assertThat(thirdZero.sawOpt).isEqualTo(AccEcn.OPT_FAIL_SEEN);
        assertThat(thirdZero.failMode).isEqualTo(AccEcn.OPT_FAIL_RECV);
        long[] before = delivered(thirdZero);
        AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE5, 0, 0, option1(0, 0, 5000)), acked(1, 100));
        assertThat(delivered(thirdZero)).as("options are no longer read").containsExactly(before);

        AccEcn fine = on();
        AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE5, 0, 0, option(AccEcn.KIND_ACCECN1, 1, 0, 0x0100)), acked(1, 100));
        assertThat(fine.sawOpt).as("a third counter of 256 is not zero").isEqualTo(AccEcn.OPT_COUNTER_SEEN);
        AccEcn fine2 = on();
        AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE5, 0, 0, option(AccEcn.KIND_ACCECN1, 0x10000, 0, 1)), acked(1, 100));
        assertThat(fine2.sawOpt).as("a first counter of 65536 is not zero").isEqualTo(AccEcn.OPT_COUNTER_SEEN);
        AccEcn fine3 = on();
        AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE5, 0, 0, option(AccEcn.KIND_ACCECN1, 0x100, 0, 0x10000)), acked(1, 100));
        assertThat(fine3.sawOpt).isEqualTo(AccEcn.OPT_COUNTER_SEEN);
    }

    @Test
    void ackedPacketsAverage_isAnEwmaInSixtyFourths_cappedAt0xffff() {
        AccEcn a = on();
        AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE5, 0, 0), acked(1, 100));
        assertThat(a.pktsAckedEwma).isEqualTo(64);
        AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE5, 0, 0), acked(3, 300));
        assertThat(a.pktsAckedEwma).as("(64 x 63 + 3 x 64) / 64").isEqualTo(66);
        AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE5, 0, 0), acked(0, 0));
        assertThat(a.pktsAckedEwma).as("an ACK of nothing leaves it").isEqualTo(66);
        AccEcn big = on();
        AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE5, 0, 0), acked(2000, 2_000_000));
        assertThat(big.pktsAckedEwma).isEqualTo(0xFFFF);
    }

    @Test
    void ace_countsCeDeliveredModulo8_butTheHandshakesAceIsAReflector() {
        AccEcn a = on();
        assertThat(AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE6, 0, 0), new AccEcn.Ack(true, false, true, 1, 0)))
                .as("the ACK of our SYN").isZero();
        assertThat(a.deliveredCe).isZero();
        assertThat(a.pktsAckedEwma).as("its packets still count in the average").isEqualTo(64);
        assertThat(AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE6, 0, 0), acked(1, 100))).isEqualTo(1);
        assertThat(AccEcn.ackProcessed(tcb, in(TcpFlags.ACK, 0, 0), acked(7, 700))).as("ACE 0 = 5 + 3").isEqualTo(2);
        assertThat(a.deliveredCe).isEqualTo(3);
    }

    /** A TCB whose send MSS is 500 and an AccECN on it that holds an ECT(0) estimate and a low ACK-size average. */
    private AccEcn wrapSetup() {
        tcb.peerMss = 512;
        AccEcn a = on();
        a.sawOpt = AccEcn.OPT_COUNTER_SEEN;
        a.estEcnField = Ecn.ECT0;
        a.pktsAckedEwma = 64;
        assertThat(TcpSender.sendMss(tcb)).as("512 less the option's 12 bytes").isEqualTo(500);
        return a;
    }

    @Test
    void largeAck_optionShowingNoCeBytes_meansNoWrap() {
        AccEcn a = wrapSetup();
        int counted = AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE5, 0, 0, option1(0, 0, 5000)), acked(10, 5000));
        assertThat(counted).isZero();
        assertThat(a.deliveredCe).isZero();

        AccEcn b = wrapSetup();
        b.estEcnField = 0;
        int guessed = AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE5, 0, 0), acked(10, 5000));
        assertThat(guessed).as("no option and no field to credit: every wrap the ACE allows is assumed").isEqualTo(8);
        assertThat(b.deliveredCe).isEqualTo(8);

        AccEcn c = wrapSetup();
        c.estEcnField = 0;
        c.pktsAckedEwma = 250; // with these 10 packets the average becomes 256: 4 packets per ACK, not compressed
        assertThat(AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE5, 0, 0), acked(10, 5000))).isEqualTo(8);
        assertThat(c.pktsAckedEwma).isEqualTo(256);
        AccEcn d = wrapSetup();
        d.estEcnField = 0;
        d.pktsAckedEwma = 251; // 257: compressed ACKs, the ACE is taken at face value
        assertThat(AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE5, 0, 0), acked(10, 5000))).isZero();
    }

    @Test
    void largeAck_withoutOption_trustsTheEstimate_unlessOptionsFailedOrTheLastOneWasAmbiguous() {
        AccEcn a = wrapSetup();
        assertThat(AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE5, 0, 0), acked(10, 5000)))
                .as("the bytes credited to ECT(0): no CE, no wrap").isZero();
        assertThat(delivered(a)).containsExactly(0, 0, 5000);

        AccEcn failed = wrapSetup();
        failed.failMode = AccEcn.OPT_FAIL_RECV;
        assertThat(AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE5, 0, 0, option1(0, 0, 5000)), acked(10, 5000)))
                .as("options failed: every wrap assumed").isEqualTo(8);
        assertThat(delivered(failed)).containsExactly(0, 0, 0);

        AccEcn ambiguous = wrapSetup();
        ambiguous.estEcnField = Ecn.CE;
        assertThat(AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE5, 0, 0, option1(2000, 0, 3000)), acked(10, 5000)))
                .as("ECT(1) and ECT(0) both moved: the option cannot be trusted").isEqualTo(8);
    }

    @Test
    void largeAck_countsOnlyTheCeBytesThisAckAdded() {
        AccEcn a = wrapSetup();
        a.deliveredBytes[Ecn.CE - 1] = 400;
        // 400 more CE bytes: not above one MSS (500) and below 9 x 500 / 2: the delta, 1
        assertThat(AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE6, 0, 0, option1(0, 800, 4600)), acked(10, 5000)))
                .isEqualTo(1);
    }

    @Test
    void largeAck_ceBytesAboveTheAceDeltaInMss_takeTheWrap_atOrBelowIt_takeTheDelta() {
        wrapSetup();
        // ACE 6: one CE more than the 0 delivered; 10 packets could hide one wrap: 9
        assertThat(AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE6, 0, 0, option1(0, 501, 4499)), acked(10, 5000)))
                .isEqualTo(9);
        wrapSetup();
        assertThat(AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE6, 0, 0, option1(0, 500, 4500)), acked(10, 5000)))
                .as("exactly one MSS of CE bytes").isEqualTo(1);
    }

    @Test
    void largeAckOfSixteenOrMore_scalesTheCeBytesToPackets_roundedDownToWholeWraps() {
        wrapSetup();
        // 16 packets of 1000 bytes, 1000 of them CE: ceil(1000 x 16 / 16000) = 1, no whole wrap: the delta, 1
        assertThat(AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE6, 0, 0, option1(0, 1000, 15000)), acked(16, 16000)))
                .isEqualTo(1);
        wrapSetup();
        // 20 packets, 9000 CE bytes of 20000: ceil(9) & ~7 = 8 more than the delta: 9 (below the 17 of all wraps)
        assertThat(AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE6, 0, 0, option1(0, 9000, 11000)), acked(20, 20000)))
                .isEqualTo(9);
        wrapSetup();
        // 20 packets, 8000 CE bytes: ceil(8) = 8 exactly, 8 more than the delta
        assertThat(AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE6, 0, 0, option1(0, 8000, 12000)), acked(20, 20000)))
                .isEqualTo(9);
        wrapSetup();
        // 20 packets, 7001 CE bytes: ceil(7.002) = 8
        assertThat(AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE6, 0, 0, option1(0, 7001, 12999)), acked(20, 20000)))
                .isEqualTo(9);
        wrapSetup();
        // 20 packets, 7000 CE bytes: ceil(7) = 7, below a whole wrap: the delta
        assertThat(AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE6, 0, 0, option1(0, 7000, 13000)), acked(20, 20000)))
                .isEqualTo(1);
        wrapSetup();
        // every byte CE-marked: all the wraps the ACE allows, 20 - (19 & 7) = 17
        assertThat(AccEcn.ackProcessed(tcb, in(TcpFlags.ACK | ACE6, 0, 0, option1(0, 20000, 0)), acked(20, 20000)))
                .isEqualTo(17);
    }

    // ------------------------------------------------------------------ negotiation

    @Test
    void syn_asksWithAeCwrEce_underTcpEcn3_untilTheSecondRetransmissionWithFallback() {
        Tcb client = new Tcb(new FourTuple(LOCAL, REMOTE), TcpState.SYN_SENT, 0);
        Segment syn = new Segment(LOCAL, REMOTE, TcpFlags.SYN, 0, 0, 1000, 1460, new byte[0], TcpOptions.NONE, 0xB8 | Ecn.ECT1);
        assertThat(AccEcn.syn(client, syn, sysctls)).as("tcp_ecn 2: not asked").isSameAs(syn);
        assertThat(client.accEcn).isNull();

        sysctls.set(Sysctls.TCP_ECN, 3);
        Segment asked = AccEcn.syn(client, syn, sysctls);
        assertThat(asked.flags()).isEqualTo(TcpFlags.SYN | TcpFlags.AE | TcpFlags.CWR | TcpFlags.ECE);
        assertThat(asked.tos()).isEqualTo(syn.tos());
        assertThat(client.accEcn.on).as("pending until the SYN-ACK").isFalse();
        assertThat(client.accEcn.synEctSnt).isEqualTo(Ecn.ECT1);
        AccEcn pending = client.accEcn;

        client.synRetries = 1;
        assertThat(AccEcn.syn(client, syn, sysctls).flags()).isEqualTo(asked.flags());
        assertThat(client.accEcn).as("the same negotiation").isSameAs(pending);
        client.synRetries = 2;
        assertThat(AccEcn.syn(client, syn, sysctls).flags()).as("tcp_ecn_fallback 1").isEqualTo(TcpFlags.SYN);
        sysctls.set(Sysctls.TCP_ECN_FALLBACK, 0);
        assertThat(AccEcn.syn(client, syn, sysctls).flags()).isEqualTo(asked.flags());
        client.accEcn.on = true;
        assertThat(AccEcn.syn(client, syn, sysctls)).isSameAs(syn);
    }

    private Tcb pendingClient(int synTos) {
        Tcb client = new Tcb(new FourTuple(LOCAL, REMOTE), TcpState.SYN_SENT, 0);
        client.accEcn = new AccEcn(false, sysctls);
        client.accEcn.synEctSnt = synTos;
        return client;
    }

    @Test
    void synAck_ace000Or111TurnsEcnOff_001IsClassicEcn_anyOtherIsAccEcn() {
        Tcb client = pendingClient(Ecn.NOT_ECT);
        Segment ace0 = in(TcpFlags.SYN | TcpFlags.ACK, 0, 0);
        PacketReport report = new PacketReport(ace0);
        assertThat(AccEcn.synAck(client, ace0, sysctls, report)).isTrue();
        assertThat(client.accEcn).isNull();
        assertThat(client.ecnFlags).isZero();
        assertThat(details(report)).singleElement().asString().contains("ACE is 000", "ECN is off");

        client = pendingClient(Ecn.NOT_ECT);
        client.ecnFlags = Ecn.OK;
        Segment ace7 = in(TcpFlags.SYN | TcpFlags.ACK | TcpFlags.AE | TcpFlags.CWR | TcpFlags.ECE, 0, 0);
        report = new PacketReport(ace7);
        assertThat(AccEcn.synAck(client, ace7, sysctls, report)).isTrue();
        assertThat(client.accEcn).isNull();
        assertThat(client.ecnFlags).isZero();
        assertThat(details(report)).singleElement().asString().contains("ACE is 111", "broken");

        client = pendingClient(Ecn.NOT_ECT);
        Segment ace1 = in(TcpFlags.SYN | TcpFlags.ACK | TcpFlags.ECE, 0, 0);
        report = new PacketReport(ace1);
        assertThat(AccEcn.synAck(client, ace1, sysctls, report)).as("classic ECN decides").isFalse();
        assertThat(client.accEcn).isNull();
        assertThat(client.ecnFlags).isEqualTo(Ecn.OK);
        assertThat(details(report)).singleElement().asString().contains("classic ECN");

        client = pendingClient(Ecn.NOT_ECT);
        AccEcn a = client.accEcn;
        Segment ace4 = in(TcpFlags.SYN | TcpFlags.ACK | TcpFlags.AE, Ecn.ECT0, 0);
        report = new PacketReport(ace4);
        assertThat(AccEcn.synAck(client, ace4, sysctls, report)).isTrue();
        assertThat(client.accEcn).isSameAs(a);
        assertThat(a.on).isTrue();
        assertThat(a.synEctRcv).isEqualTo(Ecn.ECT0);
        assertThat(a.reflect).as("the 3rd ACK reflects ECT(0)").isEqualTo(0b100);
        assertThat(a.sawOpt).as("no option on it").isEqualTo(AccEcn.OPT_NOT_SEEN);
        assertThat(a.optDemand).isZero();
        assertThat(a.receivedCe).isZero();
        assertThat(details(report)).singleElement().asString().contains("ACE is 100", "Accurate ECN is on");
    }

    @Test
    void synAck_withTheOption_recordsItAndOwesTwo_andACeMarkedOneCountsOnlyIfTheReflectorIsPlausible() {
        Tcb client = pendingClient(Ecn.NOT_ECT);
        Segment withOption = in(TcpFlags.SYN | TcpFlags.ACK | TcpFlags.CWR, Ecn.CE, 0, AccEcn.synAckOption());
        AccEcn.synAck(client, withOption, sysctls, new PacketReport(withOption));
        AccEcn a = client.accEcn;
        assertThat(a.sawOpt).isEqualTo(AccEcn.OPT_COUNTER_SEEN);
        assertThat(a.optDemand).isEqualTo(2);
        assertThat(a.reflect).isEqualTo(0b110);
        assertThat(a.receivedCe).as("our SYN went not-ECT and ACE 010 says so: the CE counts").isEqualTo(1);
        assertThat(a.failMode).isZero();

        client = pendingClient(Ecn.NOT_ECT);
        client.accEcn.sawOpt = AccEcn.OPT_COUNTER_SEEN;
        Segment claimsEct0 = in(TcpFlags.SYN | TcpFlags.ACK | TcpFlags.AE, Ecn.CE, 0, option(AccEcn.KIND_ACCECN1, 0, 0, 0));
        AccEcn.synAck(client, claimsEct0, sysctls, new PacketReport(claimsEct0));
        a = client.accEcn;
        assertThat(a.sawOpt).as("an option already counted is not re-read").isEqualTo(AccEcn.OPT_COUNTER_SEEN);
        assertThat(a.optDemand).isZero();
        assertThat(a.receivedCe).as("ACE 100 says our not-ECT SYN arrived ECT(0): impossible").isZero();
        assertThat(a.failMode).isEqualTo(AccEcn.ACE_FAIL_RECV);

        sysctls.set(Sysctls.TCP_ECN_FALLBACK, 0);
        client = pendingClient(Ecn.NOT_ECT);
        AccEcn.synAck(client, claimsEct0, sysctls, new PacketReport(claimsEct0));
        assertThat(client.accEcn.receivedCe).as("without tcp_ecn_fallback nothing is checked").isEqualTo(1);
        assertThat(client.accEcn.sawOpt).as("a zeroed option").isEqualTo(AccEcn.OPT_FAIL_SEEN);
        assertThat(client.accEcn.failMode).as("the option failed, the ACE did not").isEqualTo(AccEcn.OPT_FAIL_RECV);
        assertThat(client.accEcn.optDemand).isEqualTo(2);
    }

    @Test
    void request_acceptsAnyAceButClassicOrNone_underTcpEcn3to5_andReflectsTheSynsField() {
        Tcb request = new Tcb(new FourTuple(LOCAL, REMOTE), TcpState.SYN_RECV, 0);
        Segment accSyn = in(TcpFlags.SYN | TcpFlags.AE | TcpFlags.CWR | TcpFlags.ECE, Ecn.ECT1, 0);
        PacketReport report = new PacketReport(accSyn);
        assertThat(AccEcn.request(request, accSyn, sysctls, report)).as("tcp_ecn 2").isFalse();
        assertThat(request.accEcn).isNull();
        assertThat(report.steps()).isEmpty();

        sysctls.set(Sysctls.TCP_ECN, 3);
        request.accEcn = new AccEcn(true, sysctls);
        assertThat(AccEcn.request(request, in(TcpFlags.SYN, Ecn.ECT1, 0), sysctls, report)).isFalse();
        assertThat(request.accEcn).as("cleared").isNull();
        assertThat(AccEcn.request(request, in(TcpFlags.SYN | TcpFlags.CWR | TcpFlags.ECE, 0, 0), sysctls, report))
                .as("ACE 011: classic ECN").isFalse();

        request.ecnFlags = Ecn.OK;
        assertThat(AccEcn.request(request, accSyn, sysctls, report)).isTrue();
        assertThat(request.accEcn.on).isTrue();
        assertThat(request.accEcn.synEctRcv).isEqualTo(Ecn.ECT1);
        assertThat(request.accEcn.prevEcnField).isEqualTo(Ecn.ECT1);
        assertThat(request.ecnFlags).isZero();
        assertThat(details(report)).singleElement().asString().contains("AccECN SYN");

        sysctls.set(Sysctls.TCP_ECN, 5);
        assertThat(AccEcn.request(request, in(TcpFlags.SYN | TcpFlags.AE, 0, 0), sysctls, report)).as("ACE 100").isTrue();
        sysctls.set(Sysctls.TCP_ECN, 4);
        assertThat(AccEcn.request(request, in(TcpFlags.SYN | TcpFlags.ECE, 0, 0), sysctls, report)).as("ACE 001").isTrue();
    }

    @Test
    void synAgain_takesTheRetransmittedSynsField_andAce000MarksABleachingPath() {
        Tcb request = new Tcb(new FourTuple(LOCAL, REMOTE), TcpState.SYN_RECV, 0);
        AccEcn.synAgain(request, in(TcpFlags.SYN, Ecn.CE, 0)); // no AccECN: nothing to do
        request.accEcn = new AccEcn(true, sysctls);
        request.accEcn.synEctRcv = Ecn.ECT1;
        AccEcn.synAgain(request, in(TcpFlags.SYN | TcpFlags.AE | TcpFlags.CWR | TcpFlags.ECE, Ecn.CE, 0));
        assertThat(request.accEcn.synEctRcv).isEqualTo(Ecn.CE);
        assertThat(request.accEcn.failMode).isZero();
        AccEcn.synAgain(request, in(TcpFlags.SYN, Ecn.NOT_ECT, 0));
        assertThat(request.accEcn.synEctRcv).isEqualTo(Ecn.NOT_ECT);
        assertThat(request.accEcn.failMode).isEqualTo(AccEcn.ACE_FAIL_RECV);
    }

    @Test
    void synAcks_theFirstTwoReflect_onlyTheFirstCarriesTheOption_theThirdGivesUpEct() {
        Tcb request = new Tcb(new FourTuple(LOCAL, REMOTE), TcpState.SYN_RECV, 0);
        request.accEcn = new AccEcn(true, sysctls);
        request.accEcn.synEctRcv = Ecn.ECT1;
        int synAck = TcpFlags.SYN | TcpFlags.ACK;

        assertThat(AccEcn.synAckOption(request)).isTrue();
        assertThat(AccEcn.synAckFlags(request, synAck | TcpFlags.ECE)).isEqualTo(synAck | TcpFlags.CWR | TcpFlags.ECE);
        assertThat(AccEcn.synAckOption(request)).isFalse();
        assertThat(AccEcn.synAckFlags(request, synAck)).isEqualTo(synAck | TcpFlags.CWR | TcpFlags.ECE);
        assertThat(request.accEcn.failMode).isZero();
        assertThat(AccEcn.synAckOption(request)).isFalse();
        assertThat(AccEcn.synAckFlags(request, synAck | TcpFlags.AE)).isEqualTo(synAck);
        assertThat(request.accEcn.failMode).isEqualTo(AccEcn.ACE_FAIL_SEND);
        assertThat(AccEcn.tos(request, Ecn.ECT0)).as("then not-ECT").isEqualTo(Ecn.NOT_ECT);

        Tcb noOption = new Tcb(new FourTuple(LOCAL, REMOTE), TcpState.SYN_RECV, 0);
        noOption.accEcn = new AccEcn(true, sysctls);
        sysctls.set(Sysctls.TCP_ECN_OPTION, 0);
        assertThat(AccEcn.synAckOption(noOption)).isFalse();
        sysctls.set(Sysctls.TCP_ECN_OPTION, 1);
        Tcb established = new Tcb(new FourTuple(LOCAL, REMOTE), TcpState.ESTABLISHED, 0);
        established.accEcn = new AccEcn(true, sysctls);
        assertThat(AccEcn.synAckOption(established)).as("only in SYN_RECV").isFalse();

        assertThat(AccEcn.synAckOption()).isEqualTo(option(AccEcn.KIND_ACCECN1, 1, 0, 1));
    }

    @Test
    void thirdAck_ace000IsABleachingPath_aReflectedCeOnAPureAckCountsOnce_ifPlausible() {
        Tcb server = new Tcb(new FourTuple(LOCAL, REMOTE), TcpState.ESTABLISHED, 0);
        AccEcn.thirdAck(server, in(TcpFlags.ACK, 0, 0), sysctls, new PacketReport(in(TcpFlags.ACK, 0, 0)));

        server.accEcn = new AccEcn(true, sysctls);
        server.accEcn.synEctSnt = Ecn.ECT0;
        PacketReport report = new PacketReport(in(TcpFlags.ACK, 0, 0));
        AccEcn.thirdAck(server, in(TcpFlags.ACK, 0, 0), sysctls, report);
        assertThat(server.accEcn.failMode).isEqualTo(AccEcn.ACE_FAIL_RECV);
        assertThat(details(report)).singleElement().asString().contains("ACE 000", "stops sending ECT");

        AccEcn a = new AccEcn(true, sysctls);
        a.synEctSnt = Ecn.ECT0;
        server.accEcn = a;
        AccEcn.thirdAck(server, in(TcpFlags.ACK | ACE6, 0, 10), sysctls, new PacketReport(in(TcpFlags.ACK, 0, 0)));
        assertThat(a.deliveredCe).as("with data the ACE is a counter").isZero();
        AccEcn.thirdAck(server, in(TcpFlags.ACK | ACE5, 0, 0), sysctls, new PacketReport(in(TcpFlags.ACK, 0, 0)));
        assertThat(a.deliveredCe).isZero();
        assertThat(a.failMode).isZero();
        AccEcn.thirdAck(server, in(TcpFlags.ACK | ACE6, 0, 0), sysctls, new PacketReport(in(TcpFlags.ACK, 0, 0)));
        assertThat(a.deliveredCe).as("ACE 110: our SYN-ACK arrived CE").isEqualTo(1);
        AccEcn.thirdAck(server, in(TcpFlags.ACK | ACE6, 0, 0), sysctls, new PacketReport(in(TcpFlags.ACK, 0, 0)));
        assertThat(a.deliveredCe).as("once").isEqualTo(1);

        AccEcn fromNotEct = new AccEcn(true, sysctls);
        server.accEcn = fromNotEct;
        AccEcn.thirdAck(server, in(TcpFlags.ACK | ACE6, 0, 0), sysctls, new PacketReport(in(TcpFlags.ACK, 0, 0)));
        assertThat(fromNotEct.deliveredCe).as("a not-ECT SYN-ACK cannot arrive CE").isZero();
        assertThat(fromNotEct.failMode).isEqualTo(AccEcn.ACE_FAIL_RECV);

        AccEcn fromCe = new AccEcn(true, sysctls);
        fromCe.synEctSnt = Ecn.CE;
        server.accEcn = fromCe;
        AccEcn.thirdAck(server, in(TcpFlags.ACK | TcpFlags.AE, 0, 0), sysctls, new PacketReport(in(TcpFlags.ACK, 0, 0)));
        assertThat(fromCe.failMode).as("CE cannot turn back into ECT(0)").isEqualTo(AccEcn.ACE_FAIL_RECV);

        AccEcn ect1 = new AccEcn(true, sysctls);
        ect1.synEctSnt = Ecn.ECT0;
        server.accEcn = ect1;
        AccEcn.thirdAck(server, in(TcpFlags.ACK | TcpFlags.CWR | TcpFlags.ECE, 0, 0), sysctls, new PacketReport(in(TcpFlags.ACK, 0, 0)));
        assertThat(ect1.failMode).as("ECT(0) to ECT(1) passes").isZero();
        assertThat(ect1.deliveredCe).isZero();
    }

    // ------------------------------------------------------------------ sending and views

    @Test
    void appendOption_dropsCountersThatDoNotFit_downToNone_andOwesOneOptionLess() {
        AccEcn a = on();
        a.optDemand = 2;
        a.minLen = 1;
        a.receivedBytes[Ecn.ECT1 - 1] = 5;
        List<TcpOption> list = new ArrayList<>(List.of(new TcpOption.Unknown(253, new byte[30])));
        assertThat(a.appendOption(list, null, 777)).isNull();
        assertThat(list).hasSize(2);
        assertThat(list.get(1)).as("8 bytes left: two counters").isEqualTo(option(AccEcn.KIND_ACCECN1, 6, 0));
        assertThat(a.minLen).isZero();
        assertThat(a.optSentAtMs).isEqualTo(777);
        assertThat(a.optDemand).isEqualTo(1);

        List<TcpOption> four = new ArrayList<>(List.of(new TcpOption.Unknown(253, new byte[34])));
        a.appendOption(four, null, 800);
        assertThat(four.subList(1, four.size())).as("4 bytes left: the empty option and two nops")
                .containsExactly(option(AccEcn.KIND_ACCECN1), new TcpOption.Nop(), new TcpOption.Nop());
        assertThat(a.optDemand).isZero();
        a.appendOption(new ArrayList<>(), null, 900);
        assertThat(a.optDemand).as("not below zero").isZero();

        a.optSentAtMs = 5;
        List<TcpOption> full = new ArrayList<>(List.of(new TcpOption.Unknown(253, new byte[36])));
        a.appendOption(full, null, 1000);
        assertThat(full).as("2 bytes left: nothing").hasSize(1);
        assertThat(a.optSentAtMs).isEqualTo(5);

        a.receivedBytes[Ecn.ECT1 - 1] = 0x12_3455;
        List<TcpOption> big = new ArrayList<>();
        a.appendOption(big, null, 1000);
        assertThat(big.get(0)).as("a 24-bit counter written high byte first")
                .isEqualTo(option(AccEcn.KIND_ACCECN1, 0x12_3456, 0, 1));

        a.minLen = 1;
        List<TcpOption> six = new ArrayList<>(List.of(new TcpOption.Unknown(253, new byte[32])));
        a.appendOption(six, null, 1000);
        assertThat(six).as("6 bytes left: one counter would take 8 with its padding").hasSize(1);

        a.minLen = 3;
        List<TcpOption> twelve = new ArrayList<>(List.of(new TcpOption.Unknown(253, new byte[24])));
        a.appendOption(twelve, null, 1000);
        assertThat(twelve.get(1).size()).as("14 bytes left, three counters needed: 11 bytes and one nop").isEqualTo(11);
        assertThat(twelve).hasSize(3);
    }

    private static List<TcpOption> timestamps() {
        return new ArrayList<>(List.of(new TcpOption.Nop(), new TcpOption.Nop(), new TcpOption.Timestamps(1, 2)));
    }

    private static TcpOption sack(int blocks) {
        return new TcpOption.Unknown(5, new byte[8 * blocks]);
    }

    @Test
    void appendOption_besideTimestampsAndThreeSackBlocks_fitsTheEmptyOptionInTheSackOptionsOwnPadding() {
        AccEcn a = on();
        List<TcpOption> list = timestamps();
        TcpOption sack = sack(3);
        assertThat(a.appendOption(list, sack, 10)).as("all three blocks stay").isEqualTo(sack);
        assertThat(list).hasSize(4);
        assertThat(list.get(3)).isEqualTo(option(AccEcn.KIND_ACCECN1));
        assertThat(a.optSentAtMs).isEqualTo(10);
    }

    @Test
    void appendOption_needingAllThreeCounters_neverTakesOneOfOnlyTwoSackBlocks() {
        AccEcn a = on();
        a.minLen = 3;
        List<TcpOption> list = timestamps();
        TcpOption sack = sack(2);
        assertThat(a.appendOption(list, sack, 10)).isEqualTo(sack);
        assertThat(list).as("no option this time").hasSize(3);
        assertThat(a.minLen).as("still owed").isEqualTo(3);
    }

    @Test
    void segmentsInSoftware_onlyWhileTheOptionGoes() {
        assertThat(AccEcn.segmentsInSoftware(tcb)).isFalse();
        AccEcn a = on();
        assertThat(AccEcn.segmentsInSoftware(tcb)).as("the peer has shown no option yet").isFalse();
        a.sawOpt = AccEcn.OPT_EMPTY_SEEN;
        assertThat(AccEcn.segmentsInSoftware(tcb)).isTrue();
    }

    @Test
    void wantsOption_beaconAtTimeZero_withAZeroSrtt() {
        AccEcn a = on();
        a.sawOpt = AccEcn.OPT_COUNTER_SEEN;
        sysctls.set(Sysctls.TCP_ECN_OPTION, 1);
        tcb.srttMs = 0;
        assertThat(a.wantsOption(tcb, 0)).isTrue();
    }

    @Test
    void spuriousRetransmission_ofWhatAnOptionCarryingDsackReported_stopsTheOption() {
        AccEcn a = on();
        a.optSentWithDsack = true;
        AccEcn.spuriousRetrans(tcb, 1000); // no SACK state: nothing
        assertThat(a.failMode).isZero();

        tcb.rcvSack = new ReceiverSack();
        tcb.rcvSack.duplicate(1000, 2000);
        AccEcn.spuriousRetrans(tcb, 1500);
        assertThat(a.failMode).as("not what the D-SACK reported").isZero();
        a.optSentWithDsack = false;
        AccEcn.spuriousRetrans(tcb, 1000);
        assertThat(a.failMode).as("the D-SACK went without the option").isZero();
        a.on = false;
        a.optSentWithDsack = true;
        AccEcn.spuriousRetrans(tcb, 1000);
        assertThat(a.failMode).isZero();
        a.on = true;
        a.failMode = AccEcn.ACE_FAIL_RECV;
        AccEcn.spuriousRetrans(tcb, 1000);
        assertThat(a.failMode).as("the option stops").isEqualTo(AccEcn.ACE_FAIL_RECV | AccEcn.OPT_FAIL_SEND);
        assertThat(a.wantsOption(tcb, 0)).isFalse();
        tcb.accEcn = null;
        AccEcn.spuriousRetrans(tcb, 1000);
    }

    @Test
    void tcpInfo_showsTheCountersOnceAccEcnIsOn_andZerosOtherwise() {
        Map<String, Long> info = new HashMap<>();
        AccEcn.info(tcb, info);
        assertThat(info).containsOnlyKeys(AccEcn.INFO_FIELDS).allSatisfy((k, v) -> assertThat(v).isZero());

        AccEcn a = on();
        a.deliveredCe = 1;
        a.receivedCe = 2;
        a.deliveredBytes[Ecn.ECT1 - 1] = 3;
        a.deliveredBytes[Ecn.ECT0 - 1] = 4;
        a.deliveredBytes[Ecn.CE - 1] = 5;
        a.receivedBytes[Ecn.ECT1 - 1] = 6;
        a.receivedBytes[Ecn.ECT0 - 1] = 7;
        a.receivedBytes[Ecn.CE - 1] = 8;
        a.failMode = 9;
        a.sawOpt = AccEcn.OPT_FAIL_SEEN;
        AccEcn.info(tcb, info);
        assertThat(AccEcn.INFO_FIELDS.stream().map(info::get).toList()).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 3L);

        a.on = false;
        AccEcn.info(tcb, info);
        assertThat(info.values()).as("pending: nothing yet").allMatch(v -> v == 0);
    }
}
