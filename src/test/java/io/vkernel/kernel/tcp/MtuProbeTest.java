package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.time.VirtualClock;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * RFC 4821 path MTU probing as Linux's icsk_mtup runs it with tcp_mtu_probing = 2: tcp_mtup_init()'s search range,
 * tcp_mtu_probe()'s conditions each at its edge, tcp_mtup_probe_success() and tcp_sync_mss().
 */
class MtuProbeTest {

    private static final int MSS = 1024;
    private final Sysctls sysctls = new Sysctls();
    private final Tcb tcb = new Tcb(new FourTuple(Endpoint.parse("192.168.1.100:54321"), Endpoint.parse("10.0.0.50:8080")),
            TcpState.ESTABLISHED, 0);

    /** Probing on, peer MSS 1460: search_high 1500, search_low 1064 (base MSS 1024 + 40), the probe 1242 bytes. */
    private void probing() {
        sysctls.set(Sysctls.TCP_MTU_PROBING, 2);
        tcb.peerMss = 1460;
        MtuProbe.init(tcb, sysctls);
        tcb.cwnd = 11;
        tcb.sndWnd = 100_000;
    }

    /** What the probe needs: 1242 bytes plus (reordering 3 + 1) MSS. */
    private static final int NEEDED = 1242 + 4 * MSS;

    @Test
    void init_searchesBetweenTheBaseMssAndThePeersMss_asMtus() {
        probing();
        assertThat(tcb.mtup.initialized).isTrue();
        assertThat(tcb.mtup.enabled).isTrue();
        assertThat(tcb.mtup.searchHigh).isEqualTo(1500);
        assertThat(tcb.mtup.searchLow).isEqualTo(1064);
        assertThat(tcb.mtup.clamp).as("an active opener's MSS starts at search_low").isEqualTo(1024);
        assertThat(MtuProbe.probeNow(tcb, NEEDED, MSS, 0, 3)).isEqualTo(1242);
    }

    @Test
    void init_withTimestamps_countsTheOptionInTheMtu() {
        tcb.tsOk = true;
        probing();
        assertThat(tcb.mtup.searchLow).isEqualTo(1024 + 40 + 12);
        assertThat(tcb.mtup.clamp).isEqualTo(1024);
        assertThat(MtuProbe.mtuToMss(tcb, 1500)).isEqualTo(1448);
        assertThat(MtuProbe.mtuToMss(tcb, 60)).as("at least 48 before the option").isEqualTo(36);
    }

    @Test
    void probingOff_orOnlyOnBlackHoles_neverProbes() {
        sysctls.set(Sysctls.TCP_MTU_PROBING, 1);
        MtuProbe.init(tcb, sysctls);
        tcb.cwnd = 20;
        tcb.sndWnd = 100_000;
        assertThat(tcb.mtup.enabled).isFalse();
        assertThat(tcb.mtup.clamp).isZero();
        assertThat(MtuProbe.probeNow(tcb, 100_000, MSS, 0, 3)).isEqualTo(MtuProbe.NONE);
    }

    @Test
    void aServersConnection_keepsItsMssUntilTheFirstSync() {
        tcb.listener = new io.vkernel.kernel.socket.Socket(1);
        probing();
        assertThat(tcb.mtup.clamp).isZero();
        MtuProbe.sync(tcb, 1500);
        assertThat(tcb.mtup.clamp).isEqualTo(1024);
    }

    @Test
    void probeNow_eachConditionAtItsEdge() {
        probing();
        assertThat(MtuProbe.probeNow(tcb, NEEDED, MSS, 9, 3)).as("9 in flight + 2 = cwnd 11").isEqualTo(1242);
        assertThat(MtuProbe.probeNow(tcb, NEEDED, MSS, 10, 3)).as("with packets in flight: wait for cwnd to drain")
                .isEqualTo(MtuProbe.WAIT);
        tcb.cwnd = 1;
        assertThat(MtuProbe.probeNow(tcb, NEEDED, MSS, 0, 3)).as("cwnd below 11 comes first").isEqualTo(MtuProbe.NONE);
        tcb.cwnd = 11;
        assertThat(MtuProbe.probeNow(tcb, NEEDED - 1, MSS, 0, 3)).as("too little data").isEqualTo(MtuProbe.NONE);
        assertThat(MtuProbe.probeNow(tcb, NEEDED, MSS, 0, 4)).as("reordering asks for one MSS more").isEqualTo(MtuProbe.NONE);
        tcb.cwnd = 10;
        assertThat(MtuProbe.probeNow(tcb, NEEDED, MSS, 0, 3)).as("cwnd below 11").isEqualTo(MtuProbe.NONE);
        tcb.cwnd = 11;
        tcb.sndWnd = NEEDED;
        assertThat(MtuProbe.probeNow(tcb, NEEDED, MSS, 0, 3)).as("the window just holds it").isEqualTo(1242);
        tcb.sndWnd = NEEDED - 1;
        assertThat(MtuProbe.probeNow(tcb, NEEDED, MSS, 0, 3)).isEqualTo(MtuProbe.NONE);
        tcb.sndWnd = NEEDED;
        tcb.sndNxt = 1;
        assertThat(MtuProbe.probeNow(tcb, NEEDED, MSS, 0, 3)).as("past SND.UNA + SND.WND: wait").isEqualTo(MtuProbe.WAIT);
        tcb.sndWnd = NEEDED + 1;
        assertThat(MtuProbe.probeNow(tcb, NEEDED, MSS, 0, 3)).isEqualTo(1242);
        tcb.caState = CaState.DISORDER;
        assertThat(MtuProbe.probeNow(tcb, NEEDED, MSS, 0, 3)).as("only in Open").isEqualTo(MtuProbe.NONE);
    }

    @Test
    void probeNow_stopsWhenTheSearchRangeIsNarrowerThan8() {
        probing();
        tcb.mtup.searchLow = 1492;
        assertThat(MtuProbe.probeNow(tcb, NEEDED + 1000, MSS, 0, 3)).as("a gap of 8 still probes").isEqualTo(1456);
        tcb.mtup.searchLow = 1493;
        assertThat(MtuProbe.probeNow(tcb, NEEDED + 1000, MSS, 0, 3)).isEqualTo(MtuProbe.NONE);
    }

    @Test
    void probeNow_notWhileOneIsInFlight_andTheRetransmissionLeavesItInconclusive() {
        probing();
        PacketReport report = new PacketReport(null, true);
        MtuProbe.sent(tcb, 100, 1342, report);
        assertThat(tcb.mtup.probeSeqStart).isEqualTo(100);
        assertThat(tcb.mtup.probeSeqEnd).isEqualTo(1342);
        assertThat(tcb.mtup.probeSize).isEqualTo(1282);
        assertThat(report.steps()).hasSize(1);
        assertThat(report.steps().get(0).toString()).contains("MTU probe: 1242 bytes (a 1282-byte packet, between 1064 and 1500)");
        assertThat(MtuProbe.probeNow(tcb, NEEDED, MSS, 0, 3)).isEqualTo(MtuProbe.NONE);
        MtuProbe.onRetransmit(tcb);
        assertThat(tcb.mtup.probeSize).isZero();
        assertThat(tcb.mtup.searchLow).isEqualTo(1064);
        assertThat(MtuProbe.flags()).isEqualTo(io.vkernel.kernel.wire.TcpFlags.ACK);
    }

    @Test
    void onAck_ofTheWholeProbe_raisesSearchLow_andRescalesCwnd() {
        probing();
        tcb.cwnd = 20;
        tcb.ssthresh = 10;
        tcb.pmtu = 1500;
        MtuProbe.sent(tcb, 0, 1242, new PacketReport(null, false));
        tcb.sndUna = 1241;
        MtuProbe.onAck(tcb, null);
        assertThat(tcb.mtup.probeSize).as("not yet covered").isEqualTo(1282);
        tcb.sndUna = 1242;
        tcb.cwndCnt = 5;
        PacketReport report = new PacketReport(null, true);
        MtuProbe.onAck(tcb, report);
        assertThat(tcb.mtup.probeSize).isZero();
        assertThat(tcb.mtup.searchLow).isEqualTo(1282);
        assertThat(tcb.mtup.clamp).as("the MSS rises to the probe's").isEqualTo(1242);
        // cwnd scaled from the old packet size (1064) to the probe's (1282): 20 x 1064 / 1282 = 16
        assertThat(tcb.cwnd).isEqualTo(16);
        assertThat(tcb.cwndCnt).isZero();
        assertThat(tcb.ssthresh).as("tcp_current_ssthresh() after the rescale: 3/4 of 16").isEqualTo(12);
        assertThat(report.steps().get(0).toString()).contains("1282-byte MTU probe was acknowledged: search_low = 1282, cwnd 16");
        MtuProbe.onAck(tcb, null);
        assertThat(tcb.mtup.searchLow).as("nothing in flight any more").isEqualTo(1282);
    }

    @Test
    void onAck_withTimestamps_scalesCwndByPacketSizesThatCountTheOption() {
        tcb.tsOk = true;
        probing();
        tcb.cwnd = 100;
        tcb.pmtu = 1500;
        MtuProbe.sent(tcb, 0, 1230, new PacketReport(null, false));
        assertThat(tcb.mtup.probeSize).isEqualTo(1230 + 40 + 12);
        tcb.sndUna = 1230;
        MtuProbe.onAck(tcb, null);
        // the MSS was 1024 - 12 = 1012, a 1064-byte packet: 100 x 1064 / 1282 = 82
        assertThat(tcb.cwnd).isEqualTo(82);
        assertThat(tcb.mtup.clamp).isEqualTo(1282 - 40 - 12);
    }

    @Test
    void probeNow_aMaxsegBelowTheMiddle_probesAtTheClamp() {
        probing();
        tcb.advMss = 1000; // TCP_MAXSEG after the search began: both ends map to 1000 bytes
        assertThat(MtuProbe.probeNow(tcb, 1000 + 4 * MSS, MSS, 0, 3)).isEqualTo(1000);
    }

    @Test
    void sync_lowersSearchHighToASmallerPathMtu_only() {
        probing();
        MtuProbe.sync(tcb, 1600);
        assertThat(tcb.mtup.searchHigh).isEqualTo(1500);
        assertThat(tcb.pmtu).isEqualTo(1600);
        MtuProbe.sync(tcb, 1400);
        assertThat(tcb.mtup.searchHigh).isEqualTo(1400);
        assertThat(tcb.pmtu).isEqualTo(1400);
    }

    @Test
    void currentMss_initialisesOnceEstablished_andFollowsTheRoutesMtu() {
        sysctls.set(Sysctls.TCP_MTU_PROBING, 2);
        Tcb connecting = new Tcb(tcb.tuple(), TcpState.SYN_SENT, 0);
        MtuProbe.currentMss(connecting, sysctls);
        assertThat(connecting.mtup.initialized).isFalse();
        Tcb handshaking = new Tcb(tcb.tuple(), TcpState.SYN_RECV, 0);
        MtuProbe.currentMss(handshaking, sysctls);
        assertThat(handshaking.mtup.initialized).isFalse();

        Routes routes = new Routes(sysctls, new VirtualClock());
        routes.init(tcb);
        tcb.peerMss = 1460;
        MtuProbe.currentMss(tcb, sysctls);
        assertThat(tcb.mtup.initialized).isTrue();
        assertThat(tcb.pmtu).isEqualTo(1500);
        routes.learn(tcb.tuple().remote().address(), 1300);
        MtuProbe.currentMss(tcb, sysctls);
        assertThat(tcb.pmtu).as("not before a packet left").isEqualTo(1500);
        MtuProbe.refreshDst(tcb);
        assertThat(tcb.mtup.dstMtu).isEqualTo(1300);
        MtuProbe.currentMss(tcb, sysctls);
        assertThat(tcb.pmtu).isEqualTo(1300);
        assertThat(tcb.mtup.searchHigh).isEqualTo(1300);
        tcb.mtup.searchLow = 1100;
        MtuProbe.currentMss(tcb, sysctls);
        assertThat(tcb.mtup.searchLow).as("initialised only once").isEqualTo(1100);
    }

    @Test
    void refreshDst_withoutARoute_keepsTheCachedMtu() {
        tcb.mtup.dstMtu = 1234;
        MtuProbe.refreshDst(tcb);
        assertThat(tcb.mtup.dstMtu).isEqualTo(1234);
    }
}
