package io.vkernel.kernel;

import io.vkernel.kernel.tcp.CaState;
import io.vkernel.kernel.tcp.TcpInfo;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ECN (RFC 3168) on a passive connection under Linux's default net.ipv4.tcp_ecn=2: negotiation in the handshake,
 * ECT(0) on new data only, the peer's ECE putting the sender in CWR once per window, CWR on its next new data.
 */
class EcnTest {

    private final TcpFixture t = new TcpFixture();

    private void ecnHandshake() {
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        List<Segment> synAck = t.peer.send(TcpFlags.SYN | TcpFlags.ECE | TcpFlags.CWR, "").sentSegments();
        assertThat(synAck).singleElement().satisfies(s -> {
            assertThat(s.flags()).isEqualTo(TcpFlags.SYN | TcpFlags.ACK | TcpFlags.ECE);
            assertThat(s.tos() & 3).as("a SYN-ACK is Not-ECT").isZero();
        });
        t.peer.send(TcpFlags.ACK, "");
        t.fd = (int) TcpFixture.done(t.kernel.accept(t.pid, t.listenFd)).ret();
    }

    @Test
    void ecnSetupSyn_isAgreed_andTcpInfoSaysSo() {
        ecnHandshake();
        assertThat(TcpInfo.of(t.tcb()).get("tcpi_options") & 8).as("TCPI_OPT_ECN").isEqualTo(8);
        assertThat(t.tcb().ecnOk()).isTrue();
        assertThat(t.tcb().ecnSeen()).isFalse();
    }

    @Test
    void withEcnOff_orASynWithoutCwr_theSynAckHasNoEce() {
        t.kernel.inspect(k -> {
            k.sysctls().set(Sysctls.TCP_ECN, 0);
            return null;
        });
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        assertThat(t.peer.send(TcpFlags.SYN | TcpFlags.ECE | TcpFlags.CWR, "").sentSegments()).singleElement()
                .satisfies(s -> assertThat(s.flags()).isEqualTo(TcpFlags.SYN | TcpFlags.ACK));
        TcpFixture other = new TcpFixture();
        Peer peer = new Peer(other.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        assertThat(peer.send(TcpFlags.SYN | TcpFlags.ECE, "").sentSegments()).singleElement()
                .satisfies(s -> assertThat(s.flags()).isEqualTo(TcpFlags.SYN | TcpFlags.ACK));
    }

    @Test
    void newData_goesEct0_theAckOfAnEcePutsTheSenderInCwr_andItsNextDataCarriesCwr() {
        ecnHandshake();
        t.write("a".repeat(1000));
        Segment data = t.peer.lastReceived();
        assertThat(data.tos() & 3).as("ECT(0)").isEqualTo(2);
        assertThat(data.has(TcpFlags.CWR)).isFalse();
        int cwnd = t.tcb().cwnd();
        t.peer.sendAt(TcpFlags.ACK | TcpFlags.ECE, t.peer.sndNxt(), data.seq() + 1000, "");
        assertThat(t.tcb().caState()).isEqualTo(CaState.CWR);
        assertThat(t.tcb().ssthresh()).isLessThan(cwnd);
        t.write("b".repeat(100));
        Segment next = t.peer.lastReceived();
        assertThat(next.has(TcpFlags.CWR)).as("CWR on the first new data after the reduction").isTrue();
        assertThat(next.tos() & 3).isEqualTo(2);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), next.seq() + 100, "");
        t.write("c".repeat(100));
        assertThat(t.peer.lastReceived().payload()[0]).isEqualTo((byte) 'c');
        assertThat(t.peer.lastReceived().has(TcpFlags.CWR)).as("only once").isFalse();
    }

    @Test
    void ceOnArrivingData_isEchoedWithEce_untilThePeersCwr() {
        ecnHandshake();
        Segment ce = new Segment(io.vkernel.kernel.wire.Endpoint.parse(TcpFixture.CLIENT), io.vkernel.kernel.wire.Endpoint.parse(TcpFixture.SERVER),
                TcpFlags.ACK | TcpFlags.PSH, t.peer.sndNxt(), t.peer.rcvNxt(), 1000, 0, "hello".getBytes(), null, 3);
        List<Segment> ack = t.kernel.receive(ce).sentSegments();
        assertThat(ack).singleElement().satisfies(s -> {
            assertThat(s.has(TcpFlags.ECE)).isTrue();
            assertThat(s.tos() & 3).as("an ACK is Not-ECT").isZero();
        });
        assertThat(t.tcb().ecnSeen()).isTrue();
        Segment cwr = new Segment(ce.src(), ce.dst(), TcpFlags.ACK | TcpFlags.PSH | TcpFlags.CWR, ce.seq() + 5, ce.ack(), 1000, 0,
                "world".getBytes(), null, 2);
        t.kernel.advance(100);
        t.kernel.receive(cwr);
        t.kernel.advance(100);
        t.write("x");
        assertThat(t.peer.lastReceived().has(TcpFlags.ECE)).as("the echo stops at the peer's CWR").isFalse();
    }
}
