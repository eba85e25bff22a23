package io.vkernel.kernel;

import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOptions;
import org.junit.jupiter.api.Test;

import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.pending;
import static org.assertj.core.api.Assertions.assertThat;

/** SYN and SYN-ACK options as Linux writes them, and what the negotiated options change afterwards. */
class TcpOptionsTest {

    private static final Endpoint CLIENT = Endpoint.parse(TcpFixture.CLIENT);
    private static final Endpoint SERVER = Endpoint.parse(TcpFixture.SERVER);

    private final TcpFixture t = new TcpFixture();

    @Test
    void linuxStyleSyn_getsSackTimestampsAndWscale_inLinuxsOrder_andAWindowOf45x1448() {
        Segment synAck = syn("mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7");
        assertThat(synAck.options().toString()).matches("\\[mss 1460,sackOK,TS val \\d+ ecr 100,nop,wscale 7]");
        assertThat(synAck.window()).isEqualTo(65160);
    }

    @Test
    void synWithOnlyMss_getsOnlyMss_andAWindowOf44x1460() {
        Segment synAck = syn("mss 1460");
        assertThat(synAck.options()).hasToString("[mss 1460]");
        assertThat(synAck.window()).isEqualTo(64240);
    }

    @Test
    void sackWithoutTimestamps_isPaddedWithTwoNops() {
        assertThat(syn("mss 1460,nop,nop,sackOK").options()).hasToString("[mss 1460,nop,nop,sackOK]");
    }

    @Test
    void afterWindowScaling_theAckCarriesTimestamps_andAWindowFieldOf510() {
        Segment synAck = syn("mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7");
        PacketReport ack = t.kernel.receive(new Segment(CLIENT, SERVER, TcpFlags.ACK, 1001, synAck.seq() + 1, 502, 0, null,
                TcpOptions.parseText("nop,nop,TS val 101 ecr 0")));
        assertThat(ack.state()).isEqualTo("ESTABLISHED");
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        assertThat(t.tcb().sndWnd()).as("502 << 7").isEqualTo(64256);
        PacketReport data = t.kernel.receive(new Segment(CLIENT, SERVER, TcpFlags.ACK | TcpFlags.PSH, 1001, synAck.seq() + 1, 502, 0,
                "hi".getBytes(), TcpOptions.parseText("nop,nop,TS val 150 ecr 0")));
        Segment reply = data.sentSegments().get(0);
        // tcp_select_window() never shrinks the 65160 offered in the SYN-ACK and rounds what is left of it up to the
        // scale (65158 -> 65280): the "win 510" tcpdump shows after a Linux handshake with timestamps
        assertThat(reply.window()).as("ALIGN(65160 - 2, 128) >> 7").isEqualTo(510);
        assertThat(reply.options().toString()).matches("\\[nop,nop,TS val \\d+ ecr 150]");
    }

    @Test
    void connect_offersMssSackTimestampsAndWscale() {
        int client = t.kernel.spawn("client").pid();
        int fd = (int) done(t.kernel.socket(client)).ret();
        PacketReport report = new PacketReport(null);
        pending(t.kernel.connect(client, fd, Endpoint.parse("192.0.2.1:80"), report));
        Segment syn = report.sentSegments().get(0);
        assertThat(syn.options().toString()).matches("\\[mss 1460,sackOK,TS val \\d+ ecr 0,nop,wscale 7]");
        assertThat(syn.window()).isEqualTo(64240);
    }

    private Segment syn(String options) {
        PacketReport report = t.kernel.receive(new Segment(CLIENT, SERVER, TcpFlags.SYN, 1000, 0, 64240, 0, null, TcpOptions.parseText(options)));
        return report.sentSegments().get(0);
    }
}
