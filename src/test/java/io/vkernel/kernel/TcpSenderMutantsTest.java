package io.vkernel.kernel;

import io.vkernel.kernel.tcp.CaState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * tcp_mtu_probe() seen from the wire (PIT survivors in TcpSender.mtuProbe(), reached before only by one script whose
 * ACK covers everything at once): with net.ipv4.tcp_mtu_probing=2 and a 100 ms handshake RTT, a 20000-byte write
 * sends a 1242-byte probe ((1064 + 1500) / 2 = 1282-byte packet) ahead of the MSS-sized segments; the probe is its
 * own skb, RTT-timed on its own (Karn), known to RACK, and resent alone when lost.
 */
class TcpSenderMutantsTest {

    private static final int PROBE = 1242;
    private static final int MSS = 1460;

    private final TcpFixture t = new TcpFixture();

    /** Established (100 ms handshake RTT, initcwnd 12, GSO off), then the write; answers SND.UNA before it. */
    private int probeSent(boolean sack) {
        t.mtuProbingWithInitcwnd12();
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.peer.sackOk = sack;
        t.peer.send(TcpFlags.SYN, "");
        t.advanceSeconds(0.1);
        t.peer.send(TcpFlags.ACK, "");
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        int base = t.tcb().sndUna();
        done(t.kernel.write(t.pid, t.fd, new byte[20000], new PacketReport(null)));
        return base;
    }

    private List<Tuple> sentSince(int index, int base) {
        List<Segment> all = t.peer.received();
        return all.subList(index, all.size()).stream().map(s -> tuple(TcpFlags.format(s.flags()), s.seq() - base, s.length())).toList();
    }

    @Test
    void mtuProbe_leavesAheadOfTheMssSegments_asItsOwnSkb_withTheRetransmissionTimerRunning() {
        int base = probeSent(false);
        // the SYN-ACK, then the probe and ten 1460-byte segments: cwnd 12, less one for the probe ("we are sending
        // effectively two packets", tcp_mtu_probe()), PSH on every second, as tcp_tso_autosize()'s 2-segment GSO packets mark them
        assertThat(sentSince(1, base)).containsExactly(tuple(".", 0, PROBE), tuple(".", PROBE, MSS), tuple("P.", PROBE + MSS, MSS),
                tuple(".", PROBE + 2 * MSS, MSS), tuple("P.", PROBE + 3 * MSS, MSS), tuple(".", PROBE + 4 * MSS, MSS),
                tuple("P.", PROBE + 5 * MSS, MSS), tuple(".", PROBE + 6 * MSS, MSS), tuple("P.", PROBE + 7 * MSS, MSS),
                tuple(".", PROBE + 8 * MSS, MSS), tuple("P.", PROBE + 9 * MSS, MSS));
        assertThat(t.tcb().sndNxt() - base).isEqualTo(PROBE + 10 * MSS);
        assertThat(t.tcb().cwnd()).isEqualTo(11);
        // the write's one skb split where the probe ended and where the burst stopped (tso_fragment())
        assertThat(t.tcb().sendBuffer().skbCount(t.tcb())).isEqualTo(3);
        assertThat(t.tcb().retransmitTimer()).isNotNull();
    }

    @Test
    void anRtoWhileTheMtuProbeIsOut_leavesItInconclusive_soTheAckOfEverythingRaisesNothing() {
        int base = probeSent(false);
        long mss = io.vkernel.kernel.tcp.TcpInfo.of(t.tcb()).get("tcpi_snd_mss");
        t.advanceSeconds(0.3); // the RTO resends the head: __tcp_retransmit_skb() sets probe_size 0
        // tcp_retransmit_skb(head, 1): the head skb is the probe, shorter than an MSS, and the 2-segment skb after it
        // cannot join it (tcp_can_collapse()), so the probe's bytes go alone
        assertThat(sentSince(12, base)).first().isEqualTo(tuple(".", 0, PROBE));
        PacketReport ack = t.peer.sendSackBlocks(base + PROBE + 10 * MSS); // everything, the probe included
        assertThat(t.tcb().sndUna() - base).isEqualTo(PROBE + 10 * MSS);
        assertThat(TcpFixture.steps(ack, "tcp.mtup")).as("no tcp_mtup_probe_success()").isEmpty();
        assertThat(io.vkernel.kernel.tcp.TcpInfo.of(t.tcb()).get("tcpi_snd_mss")).isEqualTo(mss);
    }

    @Test
    void theProbe_isRttTimedAlone_aPartialAckTakesNoSample_itsWholeAckDoes_andRaisesTheMss() {
        int base = probeSent(false);
        t.advanceSeconds(0.03);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 100, "");
        assertThat(t.tcb().srttMs()).as("Karn: the timed segment is the probe, not yet wholly acknowledged").isEqualTo(100);
        assertThat(t.tcb().sendBuffer().skbCount(t.tcb())).as("the probe's skb trimmed, kept").isEqualTo(4);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + PROBE, "");
        // tcp_rtt_estimator(): srtt 100 + (30 - 100) / 8 = 91 ms; rto = srtt + 4 x rttvar
        assertThat(t.tcb().srttMs()).isEqualTo(91);
        assertThat(t.tcb().rtoMs()).isEqualTo(294);
        // the probe's skb freed, and the two segments the rescaled cwnd lets out split the unsent one
        assertThat(t.tcb().sendBuffer().skbCount(t.tcb())).isEqualTo(4);
        // cwnd scaled from 1500-byte packets to the probe's 1282: 13 x 1500 / 1282 = 15 (12 after the partial ACK, 13 now)
        assertThat(t.tcb().cwnd()).isEqualTo(15);
        int index = t.peer.received().size();
        t.advanceSeconds(1);
        // the RTO resends the head at the MSS the acknowledged probe raised search_low to (1242), then again after backoff
        assertThat(sentSince(index, base)).containsExactly(tuple(".", PROBE, PROBE), tuple(".", PROBE, PROBE));
    }

    @Test
    void aProbeLostBelowSackedData_isMarkedLostByRack_andResentAlone() {
        int base = probeSent(true);
        int index = t.peer.received().size();
        t.advanceSeconds(0.03);
        t.peer.sendSack(base, base + PROBE, base + PROBE + 4 * MSS);
        t.advanceSeconds(0.01);
        t.peer.sendSack(base, base + PROBE, base + PROBE + 5 * MSS);
        t.advanceSeconds(0.1);
        assertThat(sentSince(index, base)).containsExactly(tuple(".", 0, PROBE), tuple(".", PROBE + 10 * MSS, MSS));
        assertThat(t.tcb().caState()).isEqualTo(CaState.RECOVERY);
        assertThat(t.tcb().totalRetransmits()).isEqualTo(1);
    }
}
