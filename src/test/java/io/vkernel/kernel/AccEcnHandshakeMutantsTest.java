package io.vkernel.kernel;

import io.vkernel.kernel.tcp.Ecn;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.tcp.TcpInfo;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOption;
import io.vkernel.kernel.wire.TcpOptions;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An AccECN listener (net.ipv4.tcp_ecn=3) in SYN_RECV (tcp_check_req(), RFC 9768 §3.1.5 and §3.2.2): a
 * retransmitted SYN carries the IP ECN field its SYN-ACK must now reflect, and the handshake's third segment, when it
 * carries data, counts in the receiver's ECN counters like any later segment.
 */
class AccEcnHandshakeMutantsTest {

    private static final int ACCECN_SETUP = TcpFlags.SYN | TcpFlags.ECE | TcpFlags.CWR | TcpFlags.AE;
    private static final Endpoint CLIENT = Endpoint.parse(TcpFixture.CLIENT);
    private static final Endpoint SERVER = Endpoint.parse(TcpFixture.SERVER);

    private final TcpFixture t = new TcpFixture();

    private PacketReport syn(int tos) {
        return t.kernel.receive(new Segment(CLIENT, SERVER, ACCECN_SETUP, 1000, 0, 65535, 1460, null, TcpOptions.NONE, tos));
    }

    @Test
    void aRetransmittedSyn_isReflectedByTheResentSynAck_fromItsOwnEcnField() {
        t.sysctl(Sysctls.TCP_ECN, 3);
        Segment first = syn(Ecn.ECT1).sentSegments().get(0);
        assertThat(TcpFlags.format(first.flags())).as("ECT(1) reflected as ACE 011").isEqualTo("S.EW");

        Segment again = syn(Ecn.ECT0).sentSegments().get(0);
        assertThat(TcpFlags.format(again.flags())).as("the retransmitted SYN came ECT(0): ACE 100").isEqualTo("S.A");
        assertThat(again.seq()).isEqualTo(first.seq());
    }

    @Test
    void aThirdSegmentWithCeMarkedData_isCountedInTheAceOfOurAck() {
        t.sysctl(Sysctls.TCP_ECN, 3);
        Segment synAck = syn(Ecn.ECT0).sentSegments().get(0);
        // the third segment reflects the SYN-ACK's not-ECT as ACE 010 and carries 100 bytes marked CE on the path
        PacketReport third = t.kernel.receive(new Segment(CLIENT, SERVER, TcpFlags.ACK | TcpFlags.CWR, 1001, synAck.seq() + 1,
                1000, 0, new byte[100], TcpOptions.NONE, Ecn.CE));

        Tcb child = t.kernel.inspect(k -> k.established().find(new FourTuple(CLIENT, SERVER)));
        assertThat(child.state()).isEqualTo(TcpState.ESTABLISHED);
        assertThat(TcpInfo.of(child)).containsEntry("tcpi_received_ce", 1L).containsEntry("tcpi_received_ce_bytes", 100L);
        assertThat(third.sentSegments()).last().satisfies(ack -> {
            assertThat(ack.ack()).isEqualTo(1101);
            assertThat(TcpFlags.format(ack.flags())).as("ACE = 1 CE mark + 5 = 110").isEqualTo(".WA");
        });
    }

    @Test
    void afterQuickAcks_onlyAChangeOfEcnFieldSendsTheAckAtOnce() {
        // tcp_ecn_received_counters(): a new IP ECN field sets ICSK_ACK_NOW; data in the same field waits as any other
        t.sysctl(Sysctls.TCP_ECN, 3);
        Segment synAck = syn(Ecn.ECT0).sentSegments().get(0);
        int ack = synAck.seq() + 1;
        t.kernel.receive(new Segment(CLIENT, SERVER, TcpFlags.ACK | TcpFlags.CWR, 1001, ack, 1000, 0, null, TcpOptions.NONE, 0));
        int seq = 1001;
        for (int i = 0; i < 17; i++, seq += 10) { // the change to ECT(0), then quick-ack mode
            assertThat(data(seq, ack, Ecn.ECT0).sentSegments()).hasSize(1);
        }
        assertThat(data(seq, ack, Ecn.ECT0).sentSegments()).as("ECT(0) again: the ACK may wait").isEmpty();
        seq += 10;
        assertThat(data(seq, ack, Ecn.CE).sentSegments()).as("CE: a change of field, ACKed now").singleElement()
                .satisfies(s -> assertThat(s.ack()).isEqualTo(1001 + 19 * 10));
    }

    private PacketReport data(int seq, int ack, int tos) {
        return t.kernel.receive(new Segment(CLIENT, SERVER, TcpFlags.ACK | TcpFlags.AE | TcpFlags.ECE, seq, ack, 1000, 0,
                new byte[10], TcpOptions.NONE, tos));
    }

    @Test
    void aDsackThatLeftNoRoomForTheOption_isNotTakenForALostOptionWhenTheSegmentComesAgain() {
        // tcp_options_write(): accecn_opt_sent_w_dsack only when the option went with the D-SACK; a segment sent again
        // after an ACK that carried the D-SACK but no option says nothing about the option (tcp_rcv_spurious_retrans())
        t.sysctl(Sysctls.TCP_ECN, 3);
        PacketReport synReport = t.kernel.receive(new Segment(CLIENT, SERVER, ACCECN_SETUP, 1000, 0, 65535, 1460, null,
                TcpOptions.of(new TcpOption.SackPermitted(), new TcpOption.Timestamps(100, 0)), Ecn.ECT0));
        Segment synAck = synReport.sentSegments().get(0);
        int ack = synAck.seq() + 1;
        TcpOption seen = new TcpOption.Unknown(io.vkernel.kernel.tcp.AccEcn.KIND_ACCECN1, new byte[] {0, 0, 1, 0, 0, 0, 0, 0, 1});
        t.kernel.receive(new Segment(CLIENT, SERVER, TcpFlags.ACK | TcpFlags.CWR, 1001, ack, 1000, 0, null,
                TcpOptions.of(new TcpOption.Timestamps(101, 0), seen), 0));
        Tcb child = t.kernel.inspect(k -> k.established().find(new FourTuple(CLIENT, SERVER)));
        long tsecr = synAck.options().list().stream().filter(o -> o instanceof TcpOption.Timestamps)
                .mapToLong(o -> ((TcpOption.Timestamps) o).value()).findFirst().orElseThrow();
        dataWithTs(1001, ack, tsecr);
        dataWithTs(1021, ack, tsecr); // out of order: [1021, 1031)
        dataWithTs(1041, ack, tsecr); // [1041, 1051)
        Segment dsackAck = dataWithTs(1001, ack, tsecr).sentSegments().get(0); // a duplicate: D-SACK and two SACK blocks
        assertThat(dsackAck.options().list()).as("TS and SACK fill the 40 bytes: no AccECN option")
                .noneMatch(o -> o.kind() == io.vkernel.kernel.tcp.AccEcn.KIND_ACCECN1);
        t.kernel.advance(1000);
        dataWithTs(1001, ack, tsecr); // the same segment again
        assertThat(TcpInfo.of(child)).as("no TCP_ACCECN_OPT_FAIL_SEND").containsEntry("tcpi_accecn_fail_mode", 0L);
    }

    private PacketReport dataWithTs(int seq, int ack, long tsecr) {
        return t.kernel.receive(new Segment(CLIENT, SERVER, TcpFlags.ACK | TcpFlags.AE | TcpFlags.ECE, seq, ack, 1000, 0,
                new byte[10], TcpOptions.of(new TcpOption.Timestamps(200, tsecr)), Ecn.ECT0));
    }
}
