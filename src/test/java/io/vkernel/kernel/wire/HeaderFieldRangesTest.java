package io.vkernel.kernel.wire;

import org.junit.jupiter.api.Test;

import java.util.function.IntFunction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Each IPv4 and TCP header field refuses what its width cannot hold, naming the field (RFC 791 §3.1, RFC 9293 §3.1),
 * and keeps the largest value it can; options and flags read back as tcpdump -v prints them.
 */
class HeaderFieldRangesTest {

    private static final int SRC = Ipv4.parse("10.0.0.1");
    private static final int DST = Ipv4.parse("10.0.0.2");

    private static Ipv4Header ip(int tos, int totalLength, int id, int flags, int fragmentOffset, int ttl, int protocol, int checksum) {
        return new Ipv4Header(tos, totalLength, id, flags, fragmentOffset, ttl, protocol, checksum, SRC, DST, null);
    }

    private static void assertRange(String field, int max, IntFunction<Object> build) {
        assertThat(build.apply(max)).as(field + " at its maximum").isNotNull();
        assertThat(build.apply(0)).as(field + " at 0").isNotNull();
        assertThatThrownBy(() -> build.apply(max + 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(field + " " + (max + 1) + " is out of range 0-" + max);
        assertThatThrownBy(() -> build.apply(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(field + " -1 is out of range");
    }

    @Test
    void everyIpv4Field_holdsItsMaximum_andRefusesOneMoreOrANegative_namingTheField() {
        assertRange("IPv4 total length", 65535, v -> ip(0, v, 0, 0, 0, 64, 6, 0));
        assertRange("IPv4 type of service", 0xff, v -> ip(v, 40, 0, 0, 0, 64, 6, 0));
        assertRange("IPv4 identification", 0xffff, v -> ip(0, 40, v, 0, 0, 64, 6, 0));
        assertRange("IPv4 flags", 0b111, v -> ip(0, 40, 0, v, 0, 64, 6, 0));
        assertRange("IPv4 fragment offset", 0x1fff, v -> ip(0, 40, 0, 0, v, 64, 6, 0));
        assertRange("IPv4 TTL", 0xff, v -> ip(0, 40, 0, 0, 0, v, 6, 0));
        assertRange("IPv4 protocol", 0xff, v -> ip(0, 40, 0, 0, 0, 64, v, 0));
        assertRange("IPv4 checksum", 0xffff, v -> ip(0, 40, 0, 0, 0, 64, 6, v));
    }

    @Test
    void ipv4Options_comeInWholeWords_upToForty() {
        Ipv4Header forty = new Ipv4Header(0, 60, 0, 0, 0, 64, 6, 0, SRC, DST, new byte[40]);
        assertThat(forty.headerLength()).isEqualTo(60);
        assertThat(forty.ihl()).isEqualTo(15);
        assertThatThrownBy(() -> new Ipv4Header(0, 64, 0, 0, 0, 64, 6, 0, SRC, DST, new byte[44]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 44");
        assertThatThrownBy(() -> new Ipv4Header(0, 24, 0, 0, 0, 64, 6, 0, SRC, DST, new byte[2]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("multiple of 4");
        assertThatThrownBy(() -> new Ipv4Header(0, 26, 0, 0, 0, 64, 6, 0, SRC, DST, new byte[6]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 6");
    }

    @Test
    void ipv4HeaderWithOptions_emitsThemAfterTheFixedPart_andParsesBackTheSame() throws Exception {
        byte[] options = {(byte) 0x94, 4, 0, 0, 1, 1, 1, 0}; // router alert, NOP, NOP, NOP, EOL
        Ipv4Header header = new Ipv4Header(0x10, 28, 7, Ipv4Header.DF, 0, 64, 6, 0, SRC, DST, options).withChecksum();
        byte[] bytes = header.emit();
        assertThat(bytes).hasSize(28);
        assertThat(bytes[0]).as("version 4, IHL 7").isEqualTo((byte) 0x47);
        assertThat(java.util.Arrays.copyOfRange(bytes, 20, 28)).isEqualTo(options);
        Ipv4Header back = Ipv4Header.parse(bytes);
        assertThat(back.options()).isEqualTo(options);
        assertThat(back.payloadLength()).isZero();
        assertThat(back.tos()).isEqualTo(0x10);
        assertThat(back.describe()).contains("IHL 7 (28 bytes, 8 of options)").contains("flags [DF]").contains("tos 0x10");
    }

    @Test
    void ipv4Flags_readAsTcpdumpPrintsThem() {
        assertThat(ip(0, 40, 0, Ipv4Header.DF, 0, 64, 6, 0).dontFragment()).isTrue();
        assertThat(ip(0, 40, 0, Ipv4Header.MF, 0, 64, 6, 0).dontFragment()).isFalse();
        assertThat(ip(0, 40, 0, 0, 0, 64, 6, 0).dontFragment()).isFalse();
        assertThat(ip(0, 40, 0, 0b111, 0, 64, 6, 0).describe()).contains("flags [reserved,DF,MF]");
        assertThat(ip(0, 40, 0, Ipv4Header.MF, 0, 64, 6, 0).describe()).contains("flags [MF]");
        assertThat(ip(0, 40, 0, 0b100, 0, 64, 6, 0).describe()).contains("flags [reserved]");
        assertThat(ip(0, 40, 0, 0, 0, 64, 6, 0).describe()).contains("flags [none]").contains("proto 6 (TCP)")
                .contains("(20 bytes)");
        assertThat(ip(0, 40, 0, 0, 0, 64, 17, 0).describe()).contains("proto 17,").doesNotContain("(TCP)");
    }

    private static TcpHeader tcp(int srcPort, int dstPort, int reserved, int flags, int window, int checksum, int urgent) {
        return new TcpHeader(srcPort, dstPort, 1, 2, reserved, flags, window, checksum, urgent, null);
    }

    @Test
    void everyTcpField_holdsItsMaximum_andRefusesOneMoreOrANegative_namingTheField() {
        assertRange("TCP source port", 0xffff, v -> tcp(v, 80, 0, 2, 100, 0, 0));
        assertRange("TCP destination port", 0xffff, v -> tcp(1, v, 0, 2, 100, 0, 0));
        assertRange("TCP reserved bits", 0xf, v -> tcp(1, 80, v, 2, 100, 0, 0));
        assertRange("TCP flags", 0xff, v -> tcp(1, 80, 0, v, 100, 0, 0));
        assertRange("TCP window", 0xffff, v -> tcp(1, 80, 0, 2, v, 0, 0));
        assertRange("TCP checksum", 0xffff, v -> tcp(1, 80, 0, 2, 100, v, 0));
        assertRange("TCP urgent pointer", 0xffff, v -> tcp(1, 80, 0, 2, 100, 0, v));
    }

    @Test
    void tcpFlagText_putsTheEcnBitsLast_andNoneForNoBits() {
        assertThat(tcp(1, 80, 0, TcpFlags.SYN | TcpHeader.ECE | TcpHeader.CWR, 0, 0, 0).flagText()).isEqualTo("SEW");
        assertThat(tcp(1, 80, 0, TcpFlags.SYN | TcpFlags.ACK | TcpHeader.ECE, 0, 0, 0).flagText()).isEqualTo("S.E");
        assertThat(tcp(1, 80, 0, TcpHeader.CWR, 0, 0, 0).flagText()).isEqualTo("W");
        assertThat(tcp(1, 80, 0, 0, 0, 0, 0).flagText()).isEqualTo("none");
        assertThat(tcp(1, 80, 0, TcpFlags.ACK, 0, 0, 0).describe()).contains("flags [.]").doesNotContain("reserved");
        assertThat(tcp(1, 80, 0b1010, TcpFlags.ACK, 0, 0, 7).describe()).contains("reserved bits 0xa").contains("urg 7");
    }

    @Test
    void tcpHeader_withReservedBitsAndUrgent_emitsEveryField_andParsesBackTheSame() throws Exception {
        TcpHeader header = new TcpHeader(40000, 443, -5, 77, 0b0101, TcpFlags.PSH | TcpFlags.ACK | TcpFlags.URG, 512, 0, 3,
                null).withChecksum(SRC, DST, new byte[]{1, 2, 3});
        byte[] segment = new byte[23];
        header.emit(segment, 0);
        segment[20] = 1;
        segment[21] = 2;
        segment[22] = 3;
        TcpHeader back = TcpHeader.parse(segment, 0, segment.length, SRC, DST);
        assertThat(back).usingRecursiveComparison().isEqualTo(header);
        assertThat(back.reserved()).isEqualTo(0b0101);
        assertThat(back.urgent()).isEqualTo(3);
        assertThat(back.window()).isEqualTo(512);
        assertThat(back.seq()).isEqualTo(-5);
        assertThat(segment[12]).as("data offset 5, reserved bits 0101").isEqualTo((byte) 0x55);
    }
}
