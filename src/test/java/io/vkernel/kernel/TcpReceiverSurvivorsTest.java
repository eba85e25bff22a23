package io.vkernel.kernel;

import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Segment;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.steps;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The last TcpReceiver survivors PIT left, at kernel level: tcp_fin() in FIN_WAIT1 while our FIN still waits behind
 * one unsent byte (Linux 6.18 goes to CLOSING whatever the peer acknowledged).
 */
class TcpReceiverSurvivorsTest {

    private final TcpFixture t = new TcpFixture();

    @Test
    void thePeersFin_whileOurFinWaitsBehindOneUnsentByte_isASimultaneousClose() {
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.peer.window = 1000;
        t.peer.connect();
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        t.write(1001);
        done(t.kernel.shutdown(t.pid, t.fd, 1, new PacketReport(null))); // SHUT_WR: the FIN queues behind the data
        List<Segment> sent = t.peer.received();
        assertThat(sent.stream().mapToInt(s -> s.payload().length).sum()).as("the peer's window takes 1000 of the 1001 bytes")
                .isEqualTo(1000);
        assertThat(t.state()).isEqualTo(TcpState.FIN_WAIT1);
        t.peer.consumeSent();
        t.peer.window = 0; // everything sent is acknowledged, the window closes: one byte and our FIN wait
        PacketReport fin = t.peer.fin();
        assertThat(t.state()).as("tcp_fin(): FIN_WAIT1 -> CLOSING").isEqualTo(TcpState.CLOSING);
        assertThat(steps(fin, "tcp.fin")).containsExactly("FIN received: state CLOSING");
    }
}
