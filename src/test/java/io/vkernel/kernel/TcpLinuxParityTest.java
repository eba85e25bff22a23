package io.vkernel.kernel;

import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.DropReason;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Places where the seed's TCP departed from Linux 6.x on the wire, found by running public packetdrill scripts:
 * the delayed ACK of a FIN after data, challenge ACKs for unacceptable ACKs, and a FIN held by a zero window.
 */
class TcpLinuxParityTest {

    private final TcpFixture t = new TcpFixture();

    @Test
    void established_finAfterData_isAckedByTheDelayedAckTimer() {
        t.established();
        t.peer.data("hello");
        PacketReport fin = t.peer.fin();
        assertThat(fin.sentSegments()).as("tcp_fin() enters pingpong mode: no ACK at once").isEmpty();
        assertThat(t.state()).isEqualTo(TcpState.CLOSE_WAIT);
        t.advanceSeconds(0.039);
        assertThat(t.peer.lastReceived().ack()).isNotEqualTo(t.peer.sndNxt());
        t.advanceSeconds(0.001);
        assertThat(t.peer.lastReceived().ack()).as("40 ms later the FIN is acknowledged").isEqualTo(t.peer.sndNxt());
    }

    @Test
    void established_finWithoutEarlierData_isAckedAtOnce() {
        t.established();
        PacketReport fin = t.peer.fin();
        assertThat(fin.sentSegments()).hasSize(1);
        assertThat(fin.sentSegments().get(0).ack()).isEqualTo(t.peer.sndNxt());
    }

    @Test
    void closeWait_closeBeforeTheDelayedAck_carriesTheAckOnItsFin() {
        t.established();
        t.peer.data("hello");
        t.peer.fin();
        t.read();
        t.close();
        Segment finOut = t.peer.lastReceived();
        assertThat(finOut.has(TcpFlags.FIN)).isTrue();
        assertThat(finOut.ack()).isEqualTo(t.peer.sndNxt());
        int before = t.peer.received().size();
        t.advanceSeconds(0.1);
        assertThat(t.peer.received()).as("the delayed ACK was cancelled by the FIN carrying it").hasSize(before);
    }

    @Test
    void established_ackAboveSndNxt_isDroppedSilently_asLinux618Does() {
        t.established();
        t.write("abc");
        t.peer.consumeSent();
        PacketReport bad = t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), t.peer.rcvNxt() + 5000, "");
        assertThat(bad.dropReason()).isEqualTo(DropReason.ACK_UNSENT_DATA);
        assertThat(bad.sentSegments()).as("6.18's tcp_ack() sends no challenge ACK here (7.1 does)").isEmpty();
        assertThat(t.tcb().sndUna()).as("nothing was acknowledged").isEqualTo(t.peer.rcvNxt() - 3);
    }

    @Test
    void closeWait_ackAboveSndNxt_getsAChallengeAckAndIsDropped() {
        t.established();
        t.write("abc");
        t.peer.consumeSent();
        t.peer.fin();
        assertThat(t.state()).isEqualTo(TcpState.CLOSE_WAIT);
        t.advanceSeconds(1);
        int una = t.tcb().sndUna();
        PacketReport bad = t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), t.peer.rcvNxt() + 5000, "");
        assertThat(bad.dropReason()).isEqualTo(DropReason.ACK_UNSENT_DATA);
        assertThat(bad.sentSegments()).as("tcp_rcv_state_process() challenges every unacceptable ACK").singleElement()
                .satisfies(ack -> {
                    assertThat(TcpFlags.format(ack.flags())).isEqualTo(".");
                    assertThat(ack.seq()).as("SEQ=SND.NXT").isEqualTo(t.peer.rcvNxt());
                });
        assertThat(t.tcb().sndUna()).as("nothing was acknowledged").isEqualTo(una);
    }

    @Test
    void established_ackOlderThanTheLargestWindow_getsAChallengeAck_butARecentOldAckIsQuiet() {
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.peer.window = 100;
        t.peer.connect();
        t.fd = (int) TcpFixture.done(t.kernel.accept(t.pid, t.listenFd)).ret();
        for (int i = 0; i < 3; i++) {
            t.write("x".repeat(100));
            t.peer.consumeSent();
            t.peer.ack();
        }
        int una = t.peer.rcvNxt();
        PacketReport tooOld = t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), una - 101, "");
        assertThat(tooOld.dropReason()).isEqualTo(DropReason.ACK_TOO_OLD);
        assertThat(tooOld.sentSegments()).hasSize(1);
        PacketReport oldButFine = t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), una - 50, "");
        assertThat(oldButFine.dropReason()).isNull();
        assertThat(oldButFine.sentSegments()).isEmpty();
    }

    @Test
    void finWait1_finIntoAZeroWindow_isHeld_andZeroWindowProbesBackOff() {
        t.established();
        t.write("hello");
        t.peer.consumeSent();
        t.peer.window = 0;
        t.peer.ack();
        PacketReport close = t.close();
        assertThat(close.sentSegments()).as("the FIN waits for window").isEmpty();
        assertThat(TcpFixture.steps(close, "tcp.window")).as("the trace says why")
                .containsExactly("the FIN waits: the peer's window is full (SND.WND=0)");
        assertThat(t.state()).isEqualTo(TcpState.FIN_WAIT1);
        int una = t.peer.rcvNxt();
        List<Double> probeTimes = List.of(0.2, 0.4, 0.8);
        for (double wait : probeTimes) {
            int before = t.peer.received().size();
            t.advanceSeconds(wait - 0.001);
            assertThat(t.peer.received()).hasSize(before);
            t.advanceSeconds(0.001);
            Segment probe = t.peer.lastReceived();
            assertThat(probe.seq()).as("probe <SEQ=SND.UNA-1>").isEqualTo(una - 1);
            assertThat(probe.length()).isZero();
        }
        t.peer.window = 1000;
        PacketReport open = t.peer.ack();
        assertThat(open.sentSegments()).singleElement().satisfies(fin -> {
            assertThat(TcpFlags.format(fin.flags())).isEqualTo("F.");
            assertThat(fin.seq()).isEqualTo(una);
        });
    }
}
