package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Accurate ECN's header fields (RFC 9768): the 3-bit ACE field in AE, CWR and ECE (tcp_accecn_ace()), the reflector
 * values of Table 2 (tcp_accecn_reflector_flags()), ACE = CE count + 5 on every non-SYN segment
 * (tcp_accecn_set_ace()), ECT(0) on every packet until a failure (tcp_ecn_send()), and when the option goes
 * (tcp_ecn_option 0/1/2, the beacon every SRTT / tcp_ecn_option_beacon).
 */
class AccEcnFieldsTest {

    private final Sysctls sysctls = new Sysctls();
    private final Tcb tcb = new Tcb(new FourTuple(Endpoint.parse("192.168.0.1:8080"), Endpoint.parse("192.0.2.1:40000")),
            TcpState.ESTABLISHED, 0);

    @Test
    void ace_isAeCwrEceAsThreeBits_andBack() {
        assertThat(AccEcn.ace(0)).isZero();
        assertThat(AccEcn.ace(TcpFlags.ECE)).isEqualTo(1);
        assertThat(AccEcn.ace(TcpFlags.CWR)).isEqualTo(2);
        assertThat(AccEcn.ace(TcpFlags.AE)).isEqualTo(4);
        assertThat(AccEcn.ace(TcpFlags.AE | TcpFlags.CWR | TcpFlags.ECE | TcpFlags.ACK | TcpFlags.SYN)).isEqualTo(7);
        for (int ace = 0; ace < 8; ace++) {
            assertThat(AccEcn.ace(AccEcn.aceFlags(ace))).isEqualTo(ace);
        }
        assertThat(AccEcn.aceFlags(5)).isEqualTo(TcpFlags.AE | TcpFlags.ECE);
        assertThat(AccEcn.aceFlags(2)).isEqualTo(TcpFlags.CWR);
    }

    @Test
    void reflector_answersEachIpEcnField() {
        assertThat(AccEcn.reflector(Ecn.NOT_ECT)).isEqualTo(0b010);
        assertThat(AccEcn.reflector(Ecn.ECT1)).isEqualTo(0b011);
        assertThat(AccEcn.reflector(Ecn.ECT0)).isEqualTo(0b100);
        assertThat(AccEcn.reflector(Ecn.CE)).isEqualTo(0b110);
        assertThat(AccEcn.reflector(0xB8 | Ecn.ECT1)).as("the DSCP bits are ignored").isEqualTo(0b011);
    }

    @Test
    void flags_carryTheCeCountPlus5_exceptOnASyn_andAReflectionOnce() {
        assertThat(AccEcn.flags(tcb, TcpFlags.ACK | TcpFlags.ECE)).as("no AccECN").isEqualTo(TcpFlags.ACK | TcpFlags.ECE);
        AccEcn a = new AccEcn(false, sysctls);
        tcb.accEcn = a;
        assertThat(AccEcn.flags(tcb, TcpFlags.ACK)).as("still pending").isEqualTo(TcpFlags.ACK);
        a.on = true;
        assertThat(AccEcn.flags(tcb, TcpFlags.ACK)).as("0 CE: ACE 5").isEqualTo(TcpFlags.ACK | TcpFlags.AE | TcpFlags.ECE);
        a.receivedCe = 4; // 9 & 7 = 1
        assertThat(AccEcn.flags(tcb, TcpFlags.ACK | TcpFlags.CWR | TcpFlags.AE)).isEqualTo(TcpFlags.ACK | TcpFlags.ECE);
        assertThat(AccEcn.flags(tcb, TcpFlags.SYN | TcpFlags.ACK | TcpFlags.ECE)).isEqualTo(TcpFlags.SYN | TcpFlags.ACK | TcpFlags.ECE);
        a.reflect = 0b110;
        a.ackNow = true;
        assertThat(AccEcn.flags(tcb, TcpFlags.ACK)).isEqualTo(TcpFlags.ACK | TcpFlags.AE | TcpFlags.CWR);
        assertThat(a.reflect).isEqualTo(-1);
        assertThat(a.ackNow).isFalse();
        assertThat(AccEcn.flags(tcb, TcpFlags.ACK)).as("then the counter again").isEqualTo(TcpFlags.ACK | TcpFlags.ECE);
        a.reflect = 0;
        assertThat(AccEcn.flags(tcb, TcpFlags.ACK | TcpFlags.ECE)).as("a reflected 0").isEqualTo(TcpFlags.ACK);
    }

    @Test
    void tos_isEct0_untilAnAceFailure() {
        assertThat(AccEcn.tos(tcb, 0xB8)).isEqualTo(0xB8);
        AccEcn a = new AccEcn(false, sysctls);
        tcb.accEcn = a;
        assertThat(AccEcn.tos(tcb, 0xB8 | Ecn.CE)).as("not on yet").isEqualTo(0xB8 | Ecn.CE);
        a.on = true;
        assertThat(AccEcn.tos(tcb, 0xB8 | Ecn.ECT1)).isEqualTo(0xB8 | Ecn.ECT0);
        a.failMode = AccEcn.OPT_FAIL_SEND | AccEcn.OPT_FAIL_RECV;
        assertThat(AccEcn.tos(tcb, 0)).as("an option failure keeps ECT").isEqualTo(Ecn.ECT0);
        a.failMode = AccEcn.ACE_FAIL_SEND;
        assertThat(AccEcn.tos(tcb, 0xB8 | Ecn.ECT0)).isEqualTo(0xB8);
        a.failMode = AccEcn.ACE_FAIL_RECV;
        assertThat(AccEcn.tos(tcb, Ecn.ECT0)).isEqualTo(Ecn.NOT_ECT);
    }

    @Test
    void wantsOption_byTcpEcnOption_once_thePeerHasShownItSeesOptions() {
        AccEcn a = new AccEcn(true, sysctls);
        tcb.accEcn = a;
        assertThat(a.wantsOption(tcb, 0)).as("no option seen from the peer yet").isFalse();
        assertThat(AccEcn.mssReserve(tcb)).isZero();
        a.sawOpt = AccEcn.OPT_EMPTY_SEEN;
        assertThat(a.wantsOption(tcb, 0)).as("tcp_ecn_option 2: always").isTrue();
        assertThat(AccEcn.mssReserve(tcb)).isEqualTo(12);
        assertThat(AccEcn.segmentsInSoftware(tcb)).isTrue();
        a.failMode = AccEcn.OPT_FAIL_SEND;
        assertThat(a.wantsOption(tcb, 0)).isFalse();
        a.failMode = AccEcn.OPT_FAIL_RECV;
        assertThat(a.wantsOption(tcb, 0)).isTrue();
        sysctls.set(Sysctls.TCP_ECN_OPTION, 0);
        assertThat(a.wantsOption(tcb, 0)).isFalse();
        a.on = false;
        sysctls.set(Sysctls.TCP_ECN_OPTION, 2);
        assertThat(a.wantsOption(tcb, 0)).isFalse();
    }

    @Test
    void wantsOption_mode1_whenOwed_orAsABeaconEverySrttOverTheBeaconCount() {
        AccEcn a = new AccEcn(true, sysctls);
        tcb.accEcn = a;
        a.sawOpt = AccEcn.OPT_COUNTER_SEEN;
        sysctls.set(Sysctls.TCP_ECN_OPTION, 1);
        tcb.srttMs = 90;
        a.optSentAtMs = 1_000;
        // beacon 3: every 30 ms
        assertThat(a.wantsOption(tcb, 1_029)).isFalse();
        assertThat(a.wantsOption(tcb, 1_030)).isTrue();
        assertThat(a.wantsOption(tcb, -1)).as("no time given: no beacon").isFalse();
        a.optDemand = 1;
        assertThat(a.wantsOption(tcb, 1_000)).as("owed after a change").isTrue();
        a.optDemand = 0;
        sysctls.set(Sysctls.TCP_ECN_OPTION_BEACON, 0);
        assertThat(a.wantsOption(tcb, 5_000)).as("no beacon").isFalse();
        sysctls.set(Sysctls.TCP_ECN_OPTION_BEACON, 1);
        tcb.srttMs = -1;
        assertThat(a.wantsOption(tcb, 5_000)).as("no SRTT yet").isFalse();
        tcb.srttMs = 0;
        assertThat(a.wantsOption(tcb, 1_000)).isTrue();
    }
}
