package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.Step;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOptions;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Classic ECN (RFC 3168, Linux 6.18 tcp_ecn.h) rule by rule: which SYN asks (tcp_ecn 1 and 4) and when a retransmitted
 * one stops asking, which SYN-ACK agrees, which SYN a listener accepts (not one sent ECT), ECT(0) on new data only,
 * CWR once after a reduction, ECE until the peer's CWR, quick ACKs on CE and on Not-ECT after ECT, and tcpi_options.
 */
class EcnRulesTest {

    private static final Endpoint LOCAL = Endpoint.parse("192.168.0.1:8080");
    private static final Endpoint REMOTE = Endpoint.parse("192.0.2.1:40000");

    private final Sysctls sysctls = new Sysctls();
    private final Tcb tcb = new Tcb(new FourTuple(LOCAL, REMOTE), TcpState.ESTABLISHED, 0);

    private static Segment in(int flags, int tos, int len) {
        return new Segment(REMOTE, LOCAL, flags, 1, 1, 1000, 0, new byte[len], TcpOptions.NONE, tos);
    }

    private static List<String> details(PacketReport report) {
        return report.steps().stream().map(Step::detail).toList();
    }

    @Test
    void syn_asksUnderTcpEcn1And4_andARetransmissionStopsAskingUnderFallback() {
        Segment syn = new Segment(LOCAL, REMOTE, TcpFlags.SYN, 0, 0, 1000, 1460, new byte[0], TcpOptions.NONE, 0xB8);
        int asked = TcpFlags.SYN | TcpFlags.ECE | TcpFlags.CWR;
        for (int mode : new int[] {0, 2, 3, 5}) {
            sysctls.set(Sysctls.TCP_ECN, mode);
            assertThat(Ecn.syn(tcb, syn, sysctls)).as("tcp_ecn %d", mode).isSameAs(syn);
            assertThat(tcb.ecnFlags).isZero();
        }
        sysctls.set(Sysctls.TCP_ECN, 4);
        assertThat(Ecn.syn(tcb, syn, sysctls).flags()).isEqualTo(asked);
        sysctls.set(Sysctls.TCP_ECN, 1);
        Segment first = Ecn.syn(tcb, syn, sysctls);
        assertThat(first.flags()).isEqualTo(asked);
        assertThat(first.tos()).isEqualTo(0xB8);
        assertThat(tcb.ecnFlags).isEqualTo(Ecn.OK);

        tcb.synRetries = 1;
        sysctls.set(Sysctls.TCP_ECN, 0); // read only for the first SYN
        assertThat(Ecn.syn(tcb, syn, sysctls).flags()).as("tcp_ecn_fallback 1").isEqualTo(TcpFlags.SYN);
        assertThat(tcb.ecnFlags).as("still hoping").isEqualTo(Ecn.OK);
        sysctls.set(Sysctls.TCP_ECN_FALLBACK, 0);
        assertThat(Ecn.syn(tcb, syn, sysctls).flags()).isEqualTo(asked);
    }

    @Test
    void synAck_agreesWithEceAlone_notWithEceAndCwr_norWithout() {
        tcb.ecnFlags = Ecn.OK;
        PacketReport report = new PacketReport(in(TcpFlags.SYN | TcpFlags.ACK | TcpFlags.ECE, 0, 0));
        Ecn.synAck(tcb, in(TcpFlags.SYN | TcpFlags.ACK | TcpFlags.ECE, 0, 0), report);
        assertThat(tcb.ecnFlags).isEqualTo(Ecn.OK);
        assertThat(details(report)).singleElement().asString().contains("ECN is on");

        tcb.ecnFlags = Ecn.OK | Ecn.SEEN;
        report = new PacketReport(in(TcpFlags.SYN | TcpFlags.ACK, 0, 0));
        Ecn.synAck(tcb, in(TcpFlags.SYN | TcpFlags.ACK | TcpFlags.ECE | TcpFlags.CWR, 0, 0), report);
        assertThat(tcb.ecnFlags).as("only OK is cleared").isEqualTo(Ecn.SEEN);
        assertThat(details(report)).singleElement().asString().contains("ECN is off");

        tcb.ecnFlags = Ecn.OK;
        Ecn.synAck(tcb, in(TcpFlags.SYN | TcpFlags.ACK, 0, 0), new PacketReport(in(TcpFlags.ACK, 0, 0)));
        assertThat(tcb.ecnFlags).isZero();

        tcb.ecnFlags = 0;
        report = new PacketReport(in(TcpFlags.SYN | TcpFlags.ACK, 0, 0));
        Ecn.synAck(tcb, in(TcpFlags.SYN | TcpFlags.ACK, 0, 0), report);
        assertThat(report.steps()).as("not asked, not agreed: nothing to say").isEmpty();
        Ecn.synAck(tcb, in(TcpFlags.SYN | TcpFlags.ACK | TcpFlags.ECE, 0, 0), report);
        assertThat(tcb.ecnFlags).as("not asked for").isZero();
        assertThat(report.steps()).isEmpty();
    }

    @Test
    void request_acceptsAnEcnSetupSynSentNotEct_underAnyTcpEcnButZero() {
        Tcb request = new Tcb(new FourTuple(LOCAL, REMOTE), TcpState.SYN_RECV, 0);
        int setup = TcpFlags.SYN | TcpFlags.ECE | TcpFlags.CWR;
        PacketReport report = new PacketReport(in(setup, 0, 0));
        request.ecnFlags = Ecn.SEEN;
        Ecn.request(request, in(setup, Ecn.NOT_ECT, 0), sysctls, report);
        assertThat(request.ecnFlags).isEqualTo(Ecn.OK);
        assertThat(details(report)).singleElement().asString().contains("accepted");

        report = new PacketReport(in(setup, 0, 0));
        Ecn.request(request, in(setup, Ecn.ECT0, 0), sysctls, report);
        assertThat(request.ecnFlags).isZero();
        assertThat(details(report)).singleElement().asString().contains("broken sender");
        Ecn.request(request, in(setup, Ecn.ECT1, 0), sysctls, report);
        assertThat(request.ecnFlags).isZero();

        sysctls.set(Sysctls.TCP_ECN, 0);
        report = new PacketReport(in(setup, 0, 0));
        Ecn.request(request, in(setup, Ecn.NOT_ECT, 0), sysctls, report);
        assertThat(request.ecnFlags).isZero();
        assertThat(details(report)).singleElement().asString().contains("tcp_ecn=0");

        sysctls.set(Sysctls.TCP_ECN, 1);
        request.ecnFlags = Ecn.OK;
        report = new PacketReport(in(setup, 0, 0));
        Ecn.request(request, in(TcpFlags.SYN | TcpFlags.ECE, 0, 0), sysctls, report);
        assertThat(request.ecnFlags).as("ECE without CWR").isZero();
        Ecn.request(request, in(TcpFlags.SYN | TcpFlags.CWR, 0, 0), sysctls, report);
        assertThat(request.ecnFlags).isZero();
        assertThat(report.steps()).isEmpty();
    }

    @Test
    void synAckFlags_addEceOnlyForAnEcnRequest_andOnlyOnASyn() {
        int synAck = TcpFlags.SYN | TcpFlags.ACK;
        assertThat(Ecn.synAckFlags(tcb, synAck)).isEqualTo(synAck);
        tcb.ecnFlags = Ecn.OK;
        assertThat(Ecn.synAckFlags(tcb, synAck)).isEqualTo(synAck | TcpFlags.ECE);
        assertThat(Ecn.synAckFlags(tcb, TcpFlags.ACK)).isEqualTo(TcpFlags.ACK);
    }

    @Test
    void tos_isEct0ForNewDataOnly() {
        tcb.sndNxt = 5000;
        assertThat(Ecn.tos(tcb, 0xB8, TcpFlags.ACK, 5000, 100)).as("no ECN").isEqualTo(0xB8);
        tcb.ecnFlags = Ecn.OK;
        assertThat(Ecn.tos(tcb, 0xB8, TcpFlags.ACK, 5000, 100)).isEqualTo(0xB8 | Ecn.ECT0);
        assertThat(Ecn.tos(tcb, 0xB8 | Ecn.CE, TcpFlags.ACK, 5001, 100)).isEqualTo(0xB8 | Ecn.ECT0);
        assertThat(Ecn.tos(tcb, 0xB8 | Ecn.ECT0, TcpFlags.ACK, 4999, 100)).as("a retransmission").isEqualTo(0xB8);
        assertThat(Ecn.tos(tcb, Ecn.ECT1, TcpFlags.ACK, 5000, 0)).as("a pure ACK").isEqualTo(Ecn.NOT_ECT);
        assertThat(Ecn.tos(tcb, Ecn.ECT1, TcpFlags.SYN | TcpFlags.ACK, 5000, 0)).as("a SYN-ACK is left alone").isEqualTo(Ecn.ECT1);
    }

    @Test
    void flags_cwrOnceOnNewDataAfterAReduction_eceWhileCwrIsDemanded() {
        tcb.sndNxt = 5000;
        tcb.ecnFlags = Ecn.QUEUE_CWR | Ecn.DEMAND_CWR;
        assertThat(Ecn.flags(tcb, TcpFlags.ACK, 5000, 100)).as("no ECN").isEqualTo(TcpFlags.ACK);
        tcb.ecnFlags = Ecn.OK | Ecn.QUEUE_CWR;
        assertThat(Ecn.flags(tcb, TcpFlags.ACK, 5000, 0)).as("not on a pure ACK").isEqualTo(TcpFlags.ACK);
        assertThat(Ecn.flags(tcb, TcpFlags.ACK, 4999, 100)).as("not on a retransmission").isEqualTo(TcpFlags.ACK);
        assertThat(Ecn.flags(tcb, TcpFlags.SYN, 5000, 100)).isEqualTo(TcpFlags.SYN);
        assertThat(Ecn.flags(tcb, TcpFlags.ACK, 5000, 100)).isEqualTo(TcpFlags.ACK | TcpFlags.CWR);
        assertThat(tcb.ecnFlags).isEqualTo(Ecn.OK);
        assertThat(Ecn.flags(tcb, TcpFlags.ACK, 5100, 100)).as("once").isEqualTo(TcpFlags.ACK);
        tcb.ecnFlags = Ecn.OK | Ecn.DEMAND_CWR;
        assertThat(Ecn.flags(tcb, TcpFlags.ACK, 5000, 0)).isEqualTo(TcpFlags.ACK | TcpFlags.ECE);
        assertThat(Ecn.flags(tcb, TcpFlags.ACK | TcpFlags.FIN, 4000, 0)).isEqualTo(TcpFlags.ACK | TcpFlags.FIN | TcpFlags.ECE);
        assertThat(tcb.ecnFlags).as("ECE goes on until CWR arrives").isEqualTo(Ecn.OK | Ecn.DEMAND_CWR);
    }

    @Test
    void dataReceived_ceStartsTheEchoAndQuickAcks_cwrEndsIt_notEctAfterEctQuickAcks() {
        Ecn.dataReceived(tcb, in(TcpFlags.ACK, Ecn.CE, 10), new PacketReport(in(TcpFlags.ACK, 0, 0)));
        assertThat(tcb.ecnFlags).as("no ECN: nothing").isZero();

        tcb.ecnFlags = Ecn.OK;
        tcb.quickAcks = 0;
        tcb.pingpong = true;
        Ecn.dataReceived(tcb, in(TcpFlags.ACK, Ecn.NOT_ECT, 10), new PacketReport(in(TcpFlags.ACK, 0, 0)));
        assertThat(tcb.quickAcks).as("Not-ECT before any ECT").isZero();
        assertThat(tcb.pingpong).isTrue();

        Ecn.dataReceived(tcb, in(TcpFlags.ACK, Ecn.ECT1, 10), new PacketReport(in(TcpFlags.ACK, 0, 0)));
        assertThat(tcb.ecnFlags).isEqualTo(Ecn.OK | Ecn.SEEN);
        assertThat(tcb.quickAcks).isZero();

        Ecn.dataReceived(tcb, in(TcpFlags.ACK, Ecn.NOT_ECT, 10), new PacketReport(in(TcpFlags.ACK, 0, 0)));
        assertThat(tcb.quickAcks).as("Not-ECT after ECT: probably a retransmission").isEqualTo(2);
        assertThat(tcb.pingpong).isFalse();

        tcb.quickAcks = 5;
        tcb.pingpong = true;
        PacketReport ce = new PacketReport(in(TcpFlags.ACK, 0, 0));
        Ecn.dataReceived(tcb, in(TcpFlags.ACK, Ecn.CE, 10), ce);
        assertThat(tcb.ecnFlags).isEqualTo(Ecn.OK | Ecn.SEEN | Ecn.DEMAND_CWR);
        assertThat(tcb.quickAcks).as("at least two").isEqualTo(5);
        assertThat(tcb.pingpong).isFalse();
        assertThat(details(ce)).singleElement().asString().contains("CE:");

        tcb.pingpong = true;
        PacketReport again = new PacketReport(in(TcpFlags.ACK, 0, 0));
        Ecn.dataReceived(tcb, in(TcpFlags.ACK, Ecn.CE, 10), again);
        assertThat(tcb.pingpong).as("already echoing: no new quick ACKs").isTrue();
        assertThat(again.steps()).isEmpty();

        PacketReport cwr = new PacketReport(in(TcpFlags.ACK, 0, 0));
        Ecn.dataReceived(tcb, in(TcpFlags.ACK | TcpFlags.CWR, Ecn.ECT0, 10), cwr);
        assertThat(tcb.ecnFlags).isEqualTo(Ecn.OK | Ecn.SEEN);
        assertThat(details(cwr)).singleElement().asString().contains("CWR");
        PacketReport cwrAgain = new PacketReport(in(TcpFlags.ACK, 0, 0));
        Ecn.dataReceived(tcb, in(TcpFlags.ACK | TcpFlags.CWR, Ecn.ECT0, 10), cwrAgain);
        assertThat(cwrAgain.steps()).as("nothing to end").isEmpty();

        Tcb fresh = new Tcb(new FourTuple(LOCAL, REMOTE), TcpState.ESTABLISHED, 0);
        fresh.ecnFlags = Ecn.OK;
        Ecn.dataReceived(fresh, in(TcpFlags.ACK, Ecn.ECT0, 10), new PacketReport(in(TcpFlags.ACK, 0, 0)));
        assertThat(fresh.ecnFlags).isEqualTo(Ecn.OK | Ecn.SEEN);
        fresh.ecnFlags = Ecn.OK;
        fresh.quickAcks = 0;
        Ecn.dataReceived(fresh, in(TcpFlags.ACK, Ecn.CE, 10), new PacketReport(in(TcpFlags.ACK, 0, 0)));
        assertThat(fresh.quickAcks).isEqualTo(2);
    }

    @Test
    void echoed_isEceOnANonSynOfAnEcnConnection_andTcpInfoShowsBothBits() {
        assertThat(Ecn.echoed(tcb, in(TcpFlags.ACK | TcpFlags.ECE, 0, 0))).isFalse();
        assertThat(Ecn.infoOptions(tcb)).isZero();
        tcb.ecnFlags = Ecn.OK;
        assertThat(Ecn.echoed(tcb, in(TcpFlags.ACK | TcpFlags.ECE, 0, 0))).isTrue();
        assertThat(Ecn.echoed(tcb, in(TcpFlags.ACK, 0, 0))).isFalse();
        assertThat(Ecn.echoed(tcb, in(TcpFlags.SYN | TcpFlags.ACK | TcpFlags.ECE, 0, 0))).isFalse();
        assertThat(Ecn.infoOptions(tcb)).isEqualTo(Ecn.TCPI_OPT_ECN);
        tcb.ecnFlags = Ecn.SEEN;
        assertThat(Ecn.infoOptions(tcb)).isEqualTo(Ecn.TCPI_OPT_ECN_SEEN);
        tcb.ecnFlags = Ecn.OK | Ecn.SEEN;
        assertThat(Ecn.infoOptions(tcb)).isEqualTo(Ecn.TCPI_OPT_ECN | Ecn.TCPI_OPT_ECN_SEEN);
    }
}
