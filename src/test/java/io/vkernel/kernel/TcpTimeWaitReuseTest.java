package io.vkernel.kernel;

import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/** A new SYN for a 4-tuple in TIME_WAIT (tcp_timewait_state_process(), TCP_TW_SYN). */
class TcpTimeWaitReuseTest {

    @Test
    void timeWait_synAboveRcvNxt_synAckCarriesOldSndNxtPlus65537_andHandshakeCompletes() {
        TcpFixture f = new TcpFixture().timeWait();
        int oldSndNxt = f.tcb().sndNxt();

        f.peer.jumpTo(f.peer.sndNxt() + 100_000).send(TcpFlags.SYN, "");

        Segment synAck = f.peer.lastReceived();
        assertThat(TcpFlags.format(synAck.flags())).isEqualTo("S.");
        assertThat(synAck.seq()).isEqualTo(oldSndNxt + 65537);
        assertThat(f.state()).isEqualTo(TcpState.SYN_RECV);
        assertThat(f.tcb().iss()).isEqualTo(synAck.seq());

        f.peer.ack();
        assertThat(f.peer.receivedFlags()).doesNotContain("R");
        assertThat(f.state()).isEqualTo(TcpState.ESTABLISHED);
        int fd = (int) done(f.kernel.accept(f.pid, f.listenFd)).ret();
        assertThat(fd).isPositive();
    }

    @Test
    void timeWait_synWithAck_isNotANewConnection_answeredWithTheTimeWaitAck() {
        TcpFixture f = new TcpFixture().timeWait();
        int oldSndNxt = f.tcb().sndNxt();

        f.peer.sendAt(TcpFlags.SYN | TcpFlags.ACK, f.peer.sndNxt() + 100_000, f.peer.rcvNxt(), "");

        assertThat(f.state()).isEqualTo(TcpState.TIME_WAIT);
        Segment reply = f.peer.lastReceived();
        assertThat(TcpFlags.format(reply.flags())).isEqualTo(".");
        assertThat(reply.seq()).isEqualTo(oldSndNxt);
    }
}
