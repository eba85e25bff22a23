package io.vkernel.kernel.wire;

import io.vkernel.kernel.wire.MalformedPacketException.Reason;
import org.junit.jupiter.api.Test;

import java.util.List;

import java.util.Arrays;

import static io.vkernel.kernel.wire.WireFixtures.LINUX_SYN;
import static io.vkernel.kernel.wire.WireFixtures.LINUX_SYN_AS_CAPTURED;
import static io.vkernel.kernel.wire.WireFixtures.SCAPY_DATA;
import static io.vkernel.kernel.wire.WireFixtures.SCAPY_SYN;
import static io.vkernel.kernel.wire.WireFixtures.SCAPY_SYN_ACK;
import static io.vkernel.kernel.wire.WireFixtures.hex;
import static io.vkernel.kernel.wire.WireFixtures.set;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The IPv4 + TCP codec over fixed bytes, both ways: real packets decode, re-encode identically, and bad ones are refused. */
class WirePacketTest {

    @Test
    void linuxSyn_decodesEveryIpv4Field() throws Exception {
        Ipv4Header ip = WirePacket.parse(LINUX_SYN).ip();
        assertThat(ip.ihl()).isEqualTo(5);
        assertThat(ip.tos()).isZero();
        assertThat(ip.totalLength()).isEqualTo(60);
        assertThat(ip.id()).isEqualTo(0x8fe7);
        assertThat(ip.dontFragment()).isTrue();
        assertThat(ip.isFragment()).isFalse();
        assertThat(ip.ttl()).isEqualTo(64);
        assertThat(ip.protocol()).isEqualTo(6);
        assertThat(ip.checksum()).isEqualTo(0xacd2);
        assertThat(Ipv4.format(ip.src())).isEqualTo("127.0.0.1");
        assertThat(Ipv4.format(ip.dst())).isEqualTo("127.0.0.1");
    }

    @Test
    void linuxSyn_decodesEveryTcpFieldAndOption() throws Exception {
        TcpHeader tcp = WirePacket.parse(LINUX_SYN).tcp();
        assertThat(tcp.srcPort()).isEqualTo(56860);
        assertThat(tcp.dstPort()).isEqualTo(45678);
        assertThat(Seq.unsigned(tcp.seq())).isEqualTo(0xa44f02e6L);
        assertThat(tcp.ack()).isZero();
        assertThat(tcp.dataOffset()).isEqualTo(10);
        assertThat(tcp.flagText()).isEqualTo("S");
        assertThat(tcp.window()).isEqualTo(65495);
        assertThat(tcp.checksum()).isEqualTo(0x2983);
        assertThat(tcp.urgent()).isZero();
        assertThat(tcp.options().list()).containsExactly(new TcpOption.Mss(65495), new TcpOption.SackPermitted(),
                new TcpOption.Timestamps(2156162614L, 0), new TcpOption.Nop(), new TcpOption.WindowScale(10));
        assertThat(tcp.options()).hasToString("[mss 65495,sackOK,TS val 2156162614 ecr 0,nop,wscale 10]");
    }

    @Test
    void linuxSyn_reEncodesToIdenticalBytes() throws Exception {
        assertThat(WirePacket.parse(LINUX_SYN).emit()).isEqualTo(LINUX_SYN);
    }

    @Test
    void linuxSyn_mapsToTheKernelsSegment() throws Exception {
        Segment segment = WirePacket.parse(LINUX_SYN).segment();
        assertThat(segment.src()).hasToString("127.0.0.1:56860");
        assertThat(segment.dst()).hasToString("127.0.0.1:45678");
        assertThat(segment.flags()).isEqualTo(TcpFlags.SYN);
        assertThat(segment.mss()).isEqualTo(65495);
        assertThat(segment.window()).isEqualTo(65495);
        assertThat(segment.payload()).isEmpty();
    }

    @Test
    void loopbackCaptureWithOffloadedChecksum_isRefusedAsBadTcpChecksum_naming_bothValues() {
        MalformedPacketException e = refused(LINUX_SYN_AS_CAPTURED, Reason.BAD_TCP_CHECKSUM);
        assertThat(e.getMessage()).contains("0xfe30").contains("0x2983");
    }

    @Test
    void scapySyn_decodesItsOptions_andReEncodesToIdenticalBytes() throws Exception {
        WirePacket packet = WirePacket.parse(SCAPY_SYN);
        assertThat(packet.tcp().options()).hasToString("[mss 1460,sackOK,TS val 3735928559 ecr 0,nop,wscale 7]");
        assertThat(packet.segment().summary())
                .isEqualTo("192.168.1.100:54321 > 10.0.0.50:8080: Flags [S], seq 4294957295, win 64240, options [mss 1460,sackOK,TS val 3735928559 ecr 0,nop,wscale 7], length 0");
        assertThat(packet.emit()).isEqualTo(SCAPY_SYN);
    }

    @Test
    void outboundSynAck_isByteForByteWhatScapyBuilds() {
        Segment synAck = new Segment(Endpoint.parse("10.0.0.50:8080"), Endpoint.parse("192.168.1.100:54321"),
                TcpFlags.SYN | TcpFlags.ACK, 208720245, -10_000, 64240, 1460, null);
        assertThat(WirePacket.encode(synAck)).isEqualTo(SCAPY_SYN_ACK);
    }

    @Test
    void dataWithOddLengthAndWrappingSeq_decodesAndReEncodes() throws Exception {
        WirePacket packet = WirePacket.parse(SCAPY_DATA);
        Segment segment = packet.segment();
        assertThat(TcpFlags.format(segment.flags())).isEqualTo("P.");
        assertThat(Seq.unsigned(segment.seq())).isEqualTo(4294967295L);
        assertThat(Seq.unsigned(segment.seq() + segment.length())).as("the next byte wraps to 4").isEqualTo(4);
        assertThat(segment.payloadText()).isEqualTo("hello");
        assertThat(packet.emit()).isEqualTo(SCAPY_DATA);
        assertThat(WirePacket.encode(segment)).as("vkernel's own encoding of it differs only in IP id")
                .isEqualTo(withIpId(SCAPY_DATA, 0));
    }

    @Test
    void everyEncodedSegment_parsesBackWithVerifiedChecksums() throws Exception {
        Segment rst = new Segment(Endpoint.parse("10.0.0.50:8080"), Endpoint.parse("192.168.1.100:54321"),
                TcpFlags.RST, -1, 0, 0, 0, null);
        Segment data = new Segment(Endpoint.parse("10.0.0.50:8080"), Endpoint.parse("192.168.1.100:54321"),
                TcpFlags.PSH | TcpFlags.ACK, 7, 9, 65535, 0, "HTTP/1.1 200 OK\r\n\r\nodd".getBytes());
        for (Segment segment : new Segment[]{rst, data}) {
            WirePacket back = WirePacket.parse(WirePacket.encode(segment));
            assertThat(back.ip().ttl()).isEqualTo(64);
            assertThat(back.ip().dontFragment()).isTrue();
            assertThat(back.segment().summary()).isEqualTo(segment.summary());
        }
    }

    @Test
    void unknownOptionsAndEolPadding_areKeptAndReEmittedUnchanged() throws Exception {
        // A duplicate ACK with a SACK block (kind 5, RFC 2018), then EOL and two bytes of padding.
        byte[] options = hex("01 01 05 0a 00 00 03 e8 00 00 07 d0 00 00 00 00");
        byte[] packet = tcpWithOptions(options);
        WirePacket parsed = WirePacket.parse(packet);
        assertThat(parsed.tcp().options().list()).containsExactly(new TcpOption.Nop(), new TcpOption.Nop(),
                new TcpOption.Unknown(5, hex("00 00 03 e8 00 00 07 d0")), new TcpOption.End(hex("00 00 00")));
        assertThat(parsed.tcp().options()).hasToString("[nop,nop,sack 1 {1000:2000},eol]");
        assertThat(parsed.emit()).isEqualTo(packet);
    }

    @Test
    void optionWithUnusualLength_isKeptRawNotRefused() throws Exception {
        // Linux's tcp_parse_options() ignores an MSS whose length is not 4; so does the codec, keeping the bytes.
        byte[] packet = tcpWithOptions(hex("02 03 05 00"));
        WirePacket parsed = WirePacket.parse(packet);
        assertThat(parsed.tcp().options().list()).containsExactly(new TcpOption.Unknown(2, hex("05")), new TcpOption.End());
        assertThat(parsed.segment().mss()).isZero();
        assertThat(parsed.emit()).isEqualTo(packet);
    }

    @Test
    void linkLayerPaddingPastTotalLength_isIgnored() throws Exception {
        byte[] padded = Arrays.copyOf(SCAPY_DATA, SCAPY_DATA.length + 6);
        WirePacket parsed = WirePacket.parse(padded);
        assertThat(parsed.segment().payloadText()).isEqualTo("hello");
        assertThat(parsed.emit()).isEqualTo(SCAPY_DATA);
    }

    // ---------------------------------------------------------------- refused, with the reason

    @Test
    void fewerBytesThanAnIpv4Header_isTruncated() {
        assertThat(refused(Arrays.copyOf(LINUX_SYN, 19), Reason.TRUNCATED).getMessage()).contains("19 bytes");
        refused(new byte[0], Reason.TRUNCATED);
    }

    @Test
    void versionSix_isABadIpHeader() {
        byte[] packet = ipFixed(set(LINUX_SYN, 0, 0x65));
        assertThat(refused(packet, Reason.BAD_IP_HEADER).getMessage()).contains("version 6");
    }

    @Test
    void ihlBelowFive_isABadIpHeader() {
        assertThat(refused(set(LINUX_SYN, 0, 0x44), Reason.BAD_IP_HEADER).getMessage()).contains("IHL 4");
    }

    @Test
    void ihlPastTheBytesReceived_isTruncated() {
        byte[] packet = set(Arrays.copyOf(LINUX_SYN, 22), 0, 0x46);
        assertThat(refused(packet, Reason.TRUNCATED).getMessage()).contains("24-byte header").contains("22 bytes");
    }

    @Test
    void damagedIpHeader_isABadIpChecksum() {
        byte[] packet = set(LINUX_SYN, 8, 63); // TTL changed after the checksum was computed
        assertThat(refused(packet, Reason.BAD_IP_CHECKSUM).getMessage()).contains("0xacd2").contains("0xadd2");
    }

    @Test
    void totalLengthLargerThanTheBuffer_isTruncated() {
        byte[] packet = ipFixed(set16(LINUX_SYN, 2, 1500));
        assertThat(refused(packet, Reason.TRUNCATED).getMessage()).contains("total length 1500").contains("60 bytes");
    }

    @Test
    void totalLengthSmallerThanTheHeader_isABadIpHeader() {
        byte[] packet = ipFixed(set16(LINUX_SYN, 2, 16));
        assertThat(refused(packet, Reason.BAD_IP_HEADER).getMessage()).contains("total length 16");
    }

    @Test
    void fragments_areRefused_firstAndLater() {
        refused(ipFixed(set16(LINUX_SYN, 6, 0x2000)), Reason.FRAGMENTED);          // MF
        refused(ipFixed(set16(LINUX_SYN, 6, 0x4000 | 185)), Reason.FRAGMENTED);   // DF and offset 185 x 8
    }

    @Test
    void udp_isNotTcp() {
        assertThat(refused(ipFixed(set(LINUX_SYN, 9, 17)), Reason.NOT_TCP).getMessage()).contains("17 (UDP)");
    }

    @Test
    void ipv4HeaderWithoutRoomForTcp_isTruncated() {
        byte[] packet = ipFixed(set16(Arrays.copyOf(LINUX_SYN, 30), 2, 30));
        assertThat(refused(packet, Reason.TRUNCATED).getMessage()).contains("10 bytes");
    }

    @Test
    void dataOffsetBelowFive_isABadTcpHeader() {
        assertThat(refused(set(LINUX_SYN, 32, 0x40), Reason.BAD_TCP_HEADER).getMessage()).contains("data offset 4");
    }

    @Test
    void dataOffsetPastTheSegment_isABadTcpHeader() {
        assertThat(refused(set(LINUX_SYN, 32, 0xf0), Reason.BAD_TCP_HEADER).getMessage())
                .contains("60-byte header").contains("40 bytes");
    }

    @Test
    void damagedPayload_isABadTcpChecksum() {
        byte[] packet = set(SCAPY_DATA, SCAPY_DATA.length - 1, 'O');
        refused(packet, Reason.BAD_TCP_CHECKSUM);
    }

    @Test
    void optionRunningPastTheHeader_endsParsingThere_andThePacketIsKept() throws Exception {
        // The timestamps option (option byte 6) claims 16 bytes where 14 are left before the data: tcp_parse_options()
        // stops there (MSS and SACK-permitted before it still count) and the segment goes on.
        byte[] packet = tcpFixed(set(LINUX_SYN, 47, 16));
        WirePacket parsed = WirePacket.parse(packet);
        List<TcpOption> options = parsed.tcp().options().list();
        assertThat(options.get(0)).isEqualTo(new TcpOption.Mss(65495));
        TcpOption last = options.get(options.size() - 1);
        assertThat(last).isInstanceOf(TcpOption.Malformed.class);
        assertThat(((TcpOption.Malformed) last).problem()).contains("kind 8").contains("length 16");
        assertThat(parsed.segment().timestamps()).isNull();
        assertThat(parsed.emit()).as("re-emitted byte for byte").isEqualTo(packet);
    }

    @Test
    void optionShorterThanItsOwnKindAndLength_isASillyOption_parsingStopsAndTheRestIsIgnored() throws Exception {
        byte[] packet = tcpFixed(set(LINUX_SYN, 41, 1)); // the MSS option (first) now says length 1
        WirePacket parsed = WirePacket.parse(packet);
        assertThat(parsed.tcp().options().list()).hasSize(1);
        assertThat(((TcpOption.Malformed) parsed.tcp().options().list().get(0)).problem()).contains("kind 2").contains("length 1");
        assertThat(parsed.segment().mss()).isZero();
        assertThat(parsed.segment().windowScale()).as("options after a silly one are not read").isLessThan(0);
        assertThat(parsed.tcp().options()).hasToString("[[bad opt]]");
        assertThat(parsed.emit()).isEqualTo(packet);
    }

    @Test
    void optionKindAsTheLastHeaderByte_hasNoLength_theNopsBeforeItCount() throws Exception {
        byte[] packet = tcpWithOptions(hex("01 01 01 08"));
        WirePacket parsed = WirePacket.parse(packet);
        assertThat(parsed.tcp().options().list()).containsExactly(new TcpOption.Nop(), new TcpOption.Nop(), new TcpOption.Nop(),
                new TcpOption.Malformed(hex("08"), "no length byte"));
        assertThat(parsed.emit()).isEqualTo(packet);
    }

    // ---------------------------------------------------------------- helpers

    private static MalformedPacketException refused(byte[] packet, Reason reason) {
        MalformedPacketException e = catchThrowableOfType(() -> WirePacket.parse(packet), MalformedPacketException.class);
        assertThat(e).as("parse should refuse the packet").isNotNull();
        assertThat(e.reason()).as(e.getMessage()).isEqualTo(reason);
        return e;
    }

    private static byte[] set16(byte[] packet, int at, int value) {
        return set(set(packet, at, value >>> 8), at + 1, value & 0xff);
    }

    private static byte[] withIpId(byte[] packet, int id) {
        return ipFixed(set16(packet, 4, id));
    }

    /** Recomputes the IPv4 header checksum, so a test reaches the check it means. */
    private static byte[] ipFixed(byte[] packet) {
        int headerLength = Math.min(packet.length, (packet[0] & 0x0f) * 4);
        byte[] copy = set16(packet, 10, 0);
        return set16(copy, 10, Checksum.complement(Checksum.ipv4HeaderSum(copy, 0, headerLength)));
    }

    /** Recomputes the TCP checksum of a packet with a 20-byte IPv4 header. */
    private static byte[] tcpFixed(byte[] packet) {
        byte[] copy = set16(packet, 36, 0);
        int src = ((copy[12] & 0xff) << 24) | ((copy[13] & 0xff) << 16) | ((copy[14] & 0xff) << 8) | (copy[15] & 0xff);
        int dst = ((copy[16] & 0xff) << 24) | ((copy[17] & 0xff) << 16) | ((copy[18] & 0xff) << 8) | (copy[19] & 0xff);
        return set16(copy, 36, Checksum.complement(Checksum.tcpSum(src, dst, copy, 20, copy.length - 20)));
    }

    /** An ACK from the scapy data segment's endpoints with these option bytes and no payload, checksums right. */
    private static byte[] tcpWithOptions(byte[] options) {
        byte[] packet = new byte[40 + options.length];
        System.arraycopy(SCAPY_DATA, 0, packet, 0, 40);
        System.arraycopy(options, 0, packet, 40, options.length);
        packet[32] = (byte) (((20 + options.length) / 4) << 4);
        packet[33] = TcpFlags.ACK;
        return tcpFixed(ipFixed(set16(packet, 2, packet.length)));
    }
}
