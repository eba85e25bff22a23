package io.vkernel.kernel.wire;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import static io.vkernel.kernel.wire.WireFixtures.LINUX_SYN;
import static io.vkernel.kernel.wire.WireFixtures.SCAPY_DATA;
import static io.vkernel.kernel.wire.WireFixtures.set;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * What the wire classes print and refuse at their edges (from the wire survivors of the whole-kernel PIT run): the md5
 * option's text, a malformed option's equality, the 40-byte bound of options built directly, the texts of a bad
 * checksum and a silly option, an IPv4 header of exactly 20 bytes, the largest urgent pointer and TOS a segment holds, and addresses missing before
 * the separator.
 */
class WireTextAndEdgesTest {

    private static final Endpoint LOCAL = Endpoint.parse("10.0.0.50:8080");
    private static final Endpoint PEER = Endpoint.parse("192.168.1.100:54321");

    private static byte[] sixteen() {
        byte[] digest = new byte[16];
        for (int i = 0; i < 16; i++) {
            digest[i] = (byte) i;
        }
        return digest;
    }

    @Test
    void anMd5Option_printsAsPacketdrillWritesIt_onlyForKind19With16Bytes() {
        assertThat(new TcpOption.Unknown(19, sixteen())).hasToString("md5 000102030405060708090a0b0c0d0e0f");
        assertThat(new TcpOption.Unknown(19, Arrays.copyOf(sixteen(), 15))).hasToString("unknown-19 0x000102030405060708090a0b0c0d0e");
        assertThat(new TcpOption.Unknown(20, sixteen())).hasToString("unknown-20 0x000102030405060708090a0b0c0d0e0f");
    }

    @Test
    void malformedOptions_areEqualOnlyWithTheSameBytes() {
        TcpOption.Malformed a = new TcpOption.Malformed(new byte[] {8, 1}, "length 1");
        assertThat(a).isEqualTo(new TcpOption.Malformed(new byte[] {8, 1}, "another text"));
        assertThat(a).isNotEqualTo(new TcpOption.Malformed(new byte[] {8, 0}, "length 1"));
        assertThat(a).isNotEqualTo(new TcpOption.Nop());
    }

    @Test
    void optionsBuiltDirectly_takeFortyBytes_butNotFortyFour() {
        List<TcpOption> ten = Collections.nCopies(10, new TcpOption.Mss(1460));
        assertThat(new TcpOptions(ten).length()).isEqualTo(40);
        List<TcpOption> eleven = Collections.nCopies(11, new TcpOption.Mss(1460));
        assertThatThrownBy(() -> new TcpOptions(eleven)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("TCP options take 44 bytes; at most 40 fit a header");
    }

    @Test
    void aSillyOptionAfterTwoNops_isNamedByItsOwnLengthByte() throws Exception {
        byte[] data = {9, 9, 9, 9, 1, 1, 8, 0}; // four bytes before the options, then NOP, NOP, kind 8 with length 0
        List<TcpOption> options = TcpOptions.parse(data, 4, 4).list();
        assertThat(options).hasSize(3);
        assertThat(((TcpOption.Malformed) options.get(2)).problem())
                .isEqualTo("option kind 8 at option byte 2 has length 0 (at least 2: kind and length)");
    }

    @Test
    void aBadTcpChecksum_namesThePayloadBytesItSummed() {
        byte[] damaged = set(SCAPY_DATA, SCAPY_DATA.length - 1, 'O'); // "hello": 5 payload bytes
        MalformedPacketException e = catchThrowableOfType(MalformedPacketException.class, () -> WirePacket.parse(damaged));
        assertThat(e.reason()).isEqualTo(MalformedPacketException.Reason.BAD_TCP_CHECKSUM);
        assertThat(e.getMessage()).contains("pseudo-header, header and 5 payload bytes sum to");
    }

    @Test
    void aTcpHeadersOwnBytes_areTheOnesItWasParsedFrom() throws Exception {
        TcpHeader tcp = WirePacket.parse(LINUX_SYN).tcp();
        assertThat(tcp.emit()).isEqualTo(Arrays.copyOfRange(LINUX_SYN, 20, 20 + tcp.headerLength()));
    }

    @Test
    void anOutboundHeaderWithoutATos_isTheOneWithTos0() {
        Ipv4Header plain = Ipv4Header.outbound(LOCAL.address(), PEER.address(), 100);
        assertThat(plain.emit()).isEqualTo(Ipv4Header.outbound(LOCAL.address(), PEER.address(), 100, 0).emit());
        assertThat(plain.totalLength()).isEqualTo(120);
        assertThat(plain.dontFragment()).isTrue();
    }

    @Test
    void exactlyTwentyBytes_areAnIpv4HeaderWithNothingAfterIt() throws Exception {
        byte[] header = new Ipv4Header(0, 20, 0, Ipv4Header.DF, 0, 64, 6, 0, LOCAL.address(), PEER.address(), null).withChecksum().emit();
        assertThat(Ipv4Header.parse(header).payloadLength()).isZero();
        MalformedPacketException e = catchThrowableOfType(MalformedPacketException.class, () -> WirePacket.parse(header));
        assertThat(e.getMessage()).as("refused for the TCP header it lacks, not as a short IPv4 header")
                .doesNotContain("fewer than the 20 of an IPv4 header");
    }

    @Test
    void aSegment_holdsTheLargestUrgentPointerAndTos() {
        Segment s = new Segment(PEER, LOCAL, TcpFlags.ACK, 1, 1, 100, 0, new byte[0], null, 0xff, 0xffff);
        assertThat(s.urgent()).isEqualTo(0xffff);
        assertThat(s.tos()).isEqualTo(0xff);
    }

    @Test
    void anAddressMissingBeforeTheSeparator_isNamedAsMissing() {
        assertThatThrownBy(() -> Endpoint.parse(":80")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("an IPv4 address is required, written a.b.c.d");
        assertThatThrownBy(() -> FourTuple.parse("-10.0.0.50:8080")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("an address is required, written ip:port such as 10.0.0.50:8080");
    }
}
