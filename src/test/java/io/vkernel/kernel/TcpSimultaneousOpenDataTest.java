package io.vkernel.kernel;

import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.pending;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The ACK that completes a simultaneous open (RFC 9293 Figure 8) is a full segment: data on it is delivered, and
 * the now established connection gets its keepalive timer when SO_KEEPALIVE was set before connect().
 */
class TcpSimultaneousOpenDataTest {

    private static final Endpoint REMOTE = Endpoint.parse("192.0.2.1:80");

    private final TcpFixture t = new TcpFixture();

    @Test
    void theCompletingAck_carriesData_whichTheClientReads_andKeepaliveStartsWithTheConnection() {
        int client = t.kernel.spawn("client").pid();
        int fd = (int) done(t.kernel.socket(client)).ret();
        done(t.kernel.setsockopt(client, fd, "SO_KEEPALIVE", 1, true));
        PacketReport report = new PacketReport(null);
        PendingCall call = pending(t.kernel.connect(client, fd, REMOTE, report));
        Segment syn = report.sentSegments().get(0);
        t.kernel.receive(new Segment(REMOTE, syn.src(), TcpFlags.SYN, 3000, 0, 65535, 1460, null));
        t.kernel.receive(new Segment(REMOTE, syn.src(), TcpFlags.ACK | TcpFlags.PSH, 3001, syn.seq() + 1, 65535, 0,
                "hi".getBytes(StandardCharsets.UTF_8)));

        Tcb tcb = t.kernel.inspect(k -> k.established().find(new FourTuple(REMOTE, syn.src())));
        assertThat(tcb.state()).isEqualTo(TcpState.ESTABLISHED);
        assertThat(call.result().ret()).isZero();
        assertThat(tcb.rcvNxt()).as("the two bytes on the ACK are taken").isEqualTo(3003);
        assertThat(TcpFixture.text(done(t.kernel.read(client, fd, 100)))).isEqualTo("hi");
        assertThat(tcb.keepaliveTimer()).as("SO_KEEPALIVE: armed once ESTABLISHED").isNotNull();
    }
}
