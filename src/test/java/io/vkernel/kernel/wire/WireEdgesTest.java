package io.vkernel.kernel.wire;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The edges of what the wire layer accepts: valid TCP peers, the largest payload, and why a packet is refused. */
class WireEdgesTest {

    @Test
    void validPeers_areUnicastOutside0Slash8_below224() {
        assertThat(Ipv4.isValidPeer(Ipv4.parse("1.0.0.1"))).isTrue();
        assertThat(Ipv4.isValidPeer(Ipv4.parse("223.255.255.254"))).isTrue();
        assertThat(Ipv4.isValidPeer(Ipv4.parse("224.0.0.1"))).as("multicast").isFalse();
        assertThat(Ipv4.isValidPeer(Ipv4.parse("255.255.255.255"))).as("limited broadcast").isFalse();
        assertThat(Ipv4.isValidPeer(Ipv4.parse("0.0.0.1"))).as("this network").isFalse();
    }

    @Test
    void segmentPayload_fitsOneIpv4Packet_65495Bytes_andNotOneMore() {
        Endpoint a = Endpoint.parse("10.0.0.1:1");
        Endpoint b = Endpoint.parse("10.0.0.2:2");
        assertThat(new Segment(a, b, TcpFlags.ACK, 1, 1, 100, 0, new byte[Segment.MAX_PAYLOAD]).length()).isEqualTo(65495);
        assertThatThrownBy(() -> new Segment(a, b, TcpFlags.ACK, 1, 1, 100, 0, new byte[Segment.MAX_PAYLOAD + 1]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("65496 bytes");
    }

    private static byte[] packet(int flags, int fragmentOffset, int protocol) {
        Ipv4Header ip = new Ipv4Header(0, 40, 1, flags, fragmentOffset, 64, protocol, 0, Ipv4.parse("10.0.0.1"),
                Ipv4.parse("10.0.0.2"), null).withChecksum();
        byte[] out = new byte[40];
        ip.emit(out, 0);
        return out;
    }

    private static String refusal(byte[] packet) {
        MalformedPacketException e = catchThrowableOfType(() -> WirePacket.parse(packet), MalformedPacketException.class);
        assertThat(e).isNotNull();
        return e.getMessage();
    }

    @Test
    void fragments_areNamedByWhetherMoreFollow() {
        assertThat(refusal(packet(Ipv4Header.MF, 0, 6))).contains("flags MF, offset 0");
        assertThat(refusal(packet(Ipv4Header.DF, 3, 6))).contains("flags without MF, offset 3");
    }

    @Test
    void otherProtocols_areNamedInTheRefusal() {
        assertThat(refusal(packet(0, 0, 1))).contains("protocol 1 (ICMP) is not 6");
        assertThat(refusal(packet(0, 0, 17))).contains("protocol 17 (UDP) is not 6");
        assertThat(refusal(packet(0, 0, 41))).contains("protocol 41 (IPv6 in IPv4) is not 6");
        assertThat(refusal(packet(0, 0, 132))).contains("protocol 132 is not 6");
    }

    @Test
    void optionKinds_areTheNumbersOnTheWire() {
        assertThat(new TcpOption.Nop().kind()).isEqualTo(1);
        assertThat(new TcpOption.Mss(1460).kind()).isEqualTo(2);
        assertThat(new TcpOption.WindowScale(7).kind()).isEqualTo(3);
        assertThat(new TcpOption.SackPermitted().kind()).isEqualTo(4);
        assertThat(new TcpOption.Timestamps(1, 2).kind()).isEqualTo(8);
    }

    @Test
    void optionValues_holdTheirFieldsExtremes_andNothingBeyond() {
        assertThat(new TcpOption.Mss(0xffff).value()).isEqualTo(65535);
        assertThat(new TcpOption.Mss(0).value()).isZero();
        assertThatThrownBy(() -> new TcpOption.Mss(0x10000)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TcpOption.Mss(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(new TcpOption.WindowScale(255).shift()).isEqualTo(255);
        assertThat(new TcpOption.WindowScale(0).shift()).isZero();
        assertThatThrownBy(() -> new TcpOption.WindowScale(256)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TcpOption.WindowScale(-1)).isInstanceOf(IllegalArgumentException.class);
        TcpOption.Timestamps max = new TcpOption.Timestamps(0xffffffffL, 0);
        byte[] out = new byte[10];
        new TcpOption.Timestamps(0x01020304L, 0xffffffffL).write(out, 0);
        assertThat(out).containsExactly(8, 10, 1, 2, 3, 4, -1, -1, -1, -1);
        assertThat(max.value()).isEqualTo(0xffffffffL);
        assertThatThrownBy(() -> new TcpOption.Timestamps(0x100000000L, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TcpOption.Timestamps(0, 0x100000000L)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TcpOption.Timestamps(-1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TcpOption.Timestamps(0, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void eolOptions_areEqualByTheirPadding() {
        assertThat(new TcpOption.End(new byte[]{0, 7})).isEqualTo(new TcpOption.End(new byte[]{0, 7}));
        assertThat(new TcpOption.End(new byte[]{0, 7}).hashCode()).isEqualTo(new TcpOption.End(new byte[]{0, 7}).hashCode());
        assertThat(new TcpOption.End(new byte[]{0, 7})).isNotEqualTo(new TcpOption.End(new byte[]{0, 8}));
        assertThat(new TcpOption.End(null)).isNotEqualTo(new TcpOption.Nop());
    }

    @Test
    void fourTuple_isWrittenRemoteDashLocal() {
        FourTuple tuple = FourTuple.parse("192.168.1.100:54321-10.0.0.50:8080");
        assertThat(tuple.remote()).isEqualTo(Endpoint.parse("192.168.1.100:54321"));
        assertThat(tuple.local()).isEqualTo(Endpoint.parse("10.0.0.50:8080"));
        assertThatThrownBy(() -> FourTuple.parse("192.168.1.100:54321")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("remote-local");
        assertThatThrownBy(() -> FourTuple.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sillyOptionAtTheFirstByte_ofFortyOptionBytes_keepsAllForty() throws Exception {
        byte[] bytes = new byte[40];
        bytes[0] = 30;
        bytes[1] = 1; // a length below 2
        TcpOptions options = TcpOptions.parse(bytes, 0, 40);
        assertThat(options.list()).hasSize(1);
        assertThat(((TcpOption.Malformed) options.list().get(0)).bytes()).hasSize(40);
        assertThat(options.list().get(0).kind()).isEqualTo(30);
        assertThat(options.list().get(0)).isEqualTo(TcpOptions.parse(bytes.clone(), 0, 40).list().get(0));
        assertThatThrownBy(() -> new TcpOption.Malformed(new byte[41], "x")).isInstanceOf(IllegalArgumentException.class);
    }
}
