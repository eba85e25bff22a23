package io.vkernel.kernel;

import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * inet_csk_listen_stop() for a request still in SYN_RECV (PIT survivors in PassiveOpen.closeListener() and
 * dropRequest()): closing the listener removes the request from the established table, says so in the event log,
 * and stops its SYN-ACK retransmissions.
 */
class PassiveOpenMutantsTest {

    private final TcpFixture t = new TcpFixture();

    @Test
    void closingTheListener_dropsARequestInSynRecv_andItsSynAckIsNeverResent() {
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.peer.send(TcpFlags.SYN, "");
        assertThat(t.state()).isEqualTo(TcpState.SYN_RECV);
        assertThat(t.peer.receivedFlags()).containsExactly("S.");

        done(t.kernel.close(t.pid, t.listenFd, new PacketReport(null)));

        assertThat(t.state()).as("gone from the established table").isEqualTo(TcpState.CLOSE);
        assertThat(t.stateEvents()).contains("SYN_RECV -> CLOSED: request removed from the established table");
        t.advanceSeconds(70);
        assertThat(t.peer.receivedFlags()).as("no SYN-ACK retransmission after the listener closed").containsExactly("S.");
    }
}
