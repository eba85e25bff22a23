package io.vkernel.kernel;

import io.vkernel.kernel.nic.WireRecord;
import io.vkernel.kernel.wire.Ipv4Header;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * IP_TOS reaches the wire: __ip_queue_xmit() writes inet->tos into every outbound IPv4 header of the socket; the
 * listener's TOS goes on its SYN-ACKs (tcp_v4_send_synack()) and the accepted socket inherits it. A socket that
 * never set it sends TOS 0.
 */
class IpTosOnWireTest {

    private static int tosByte(WireRecord record) {
        return record.bytes()[Ipv4Header.Field.TOS] & 0xff;
    }

    private static List<WireRecord> sent(TcpFixture f, long after) {
        return f.kernel.inspect(k -> k.nic().wire(after, 1000)).stream().filter(r -> !r.inbound()).toList();
    }

    @Test
    void connectionSendsTheTosItsSocketSet_andTheEcnBitsStayTheKernels() {
        TcpFixture f = new TcpFixture().established();
        TcpFixture.done(f.kernel.setsockopt(f.pid, f.fd, "IP_TOS", 0x2b, true)); // DSCP bits 0x28, ECN bits 0x3 dropped
        long mark = f.kernel.inspect(k -> k.nic().packetsIn() + k.nic().packetsOut());
        f.write("hello");

        List<WireRecord> out = sent(f, mark);
        assertThat(out).isNotEmpty();
        assertThat(out).allSatisfy(r -> assertThat(tosByte(r)).isEqualTo(0x28));
        assertThat(out.get(out.size() - 1).segment().payload()).hasSize(5);
    }

    @Test
    void listenersTosGoesOnItsSynAck_andTheChildKeepsIt() {
        TcpFixture f = new TcpFixture();
        TcpFixture.done(f.kernel.setsockopt(f.pid, f.listenFd, "IP_TOS", 0x10, true));
        f.established();

        List<WireRecord> out = sent(f, 0);
        WireRecord synAck = out.stream().filter(r -> r.segment().has(TcpFlags.SYN)).findFirst().orElseThrow();
        assertThat(tosByte(synAck)).isEqualTo(0x10);

        long mark = f.kernel.inspect(k -> k.nic().packetsIn() + k.nic().packetsOut());
        f.write("x");
        assertThat(sent(f, mark)).allSatisfy(r -> assertThat(tosByte(r)).isEqualTo(0x10));
    }

    @Test
    void socketWithoutIpTosSendsZero_andTheInboundTosIsKeptOnTheSegment() throws Exception {
        TcpFixture f = new TcpFixture().established();
        f.write("plain");
        assertThat(sent(f, 0)).allSatisfy(r -> assertThat(tosByte(r)).isZero());

        Segment parsed = io.vkernel.kernel.wire.WirePacket.parse(io.vkernel.kernel.wire.WirePacket.encode(
                f.peer.lastReceived().withTos(0xb8))).segment();
        assertThat(parsed.tos()).isEqualTo(0xb8);
    }
}
