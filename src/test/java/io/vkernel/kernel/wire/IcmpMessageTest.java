package io.vkernel.kernel.wire;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * ICMP messages as icmp_rcv() reads them and a router writes them: what counts as ICMP, which types are errors, an
 * encoded "fragmentation needed" read back field by field, each refusal with its reason, tcpdump's line per type.
 */
class IcmpMessageTest {

    private static final int ROUTER = Ipv4.parse("198.51.100.1");
    private static final int US = Ipv4.parse("10.0.0.50");
    private static final FourTuple CONN = new FourTuple(Endpoint.parse("192.168.1.100:54321"), Endpoint.parse("10.0.0.50:8080"));

    /** An IPv4 packet carrying {@code message} (its ICMP checksum filled in unless {@code badChecksum}). */
    private static byte[] packet(byte[] message, int flags, int fragmentOffset, boolean badChecksum) {
        if (message.length >= 4) {
            Bytes.put16(message, 2, 0);
            Bytes.put16(message, 2, Checksum.complement(Checksum.add(0, message, 0, message.length)) ^ (badChecksum ? 1 : 0));
        }
        Ipv4Header ip = new Ipv4Header(0, Ipv4Header.MIN_LENGTH + message.length, 0, flags, fragmentOffset, 64,
                IcmpMessage.PROTOCOL_ICMP, 0, ROUTER, US, null).withChecksum();
        byte[] packet = new byte[ip.totalLength()];
        ip.emit(packet, 0);
        System.arraycopy(message, 0, packet, Ipv4Header.MIN_LENGTH, message.length);
        return packet;
    }

    private static byte[] message(int type, int code, int length) {
        byte[] m = new byte[length];
        m[0] = (byte) type;
        m[1] = (byte) code;
        return m;
    }

    private static MalformedPacketException.Reason refusal(byte[] packet) {
        try {
            IcmpMessage.parse(packet);
        } catch (MalformedPacketException e) {
            return e.reason();
        }
        throw new AssertionError("parsed");
    }

    @Test
    void encodedFragNeeded_parsesBack_fieldByField() throws Exception {
        byte[] wire = IcmpMessage.encode(ROUTER, US, IcmpMessage.DEST_UNREACH, IcmpMessage.FRAG_NEEDED, 0x0001_0578, CONN, 0x8000_0001, 100);
        assertThat(wire).hasSize(20 + 8 + 20 + 8);
        assertThat(IcmpMessage.isIcmp(wire)).isTrue();
        IcmpMessage m = IcmpMessage.parse(wire);
        assertThat(m.src()).isEqualTo(ROUTER);
        assertThat(m.dst()).isEqualTo(US);
        assertThat(m.type()).isEqualTo(3);
        assertThat(m.code()).isEqualTo(4);
        assertThat(m.info()).isEqualTo(0x0001_0578);
        assertThat(m.mtu()).as("the low 16 bits").isEqualTo(1400);
        assertThat(m.quotedProtocol()).isEqualTo(6);
        assertThat(m.quotedSrc()).isEqualTo(CONN.local().address());
        assertThat(m.quotedDst()).isEqualTo(CONN.remote().address());
        assertThat(m.quotedSrcPort()).isEqualTo(8080);
        assertThat(m.quotedDstPort()).isEqualTo(54321);
        assertThat(m.quotedSeq()).isEqualTo(0x8000_0001);
        assertThat(m.quotedTuple()).isEqualTo(CONN);
        assertThat(m.describe()).isEqualTo("ICMP 198.51.100.1 > 10.0.0.50: unreachable - need to frag (mtu 1400) about "
                + "10.0.0.50:8080 > 192.168.1.100:54321 seq 2147483649");
        // the quoted IPv4 header's total length counts the quoted payload
        assertThat(Bytes.u16(wire, 28 + 2)).isEqualTo(20 + 20 + 100);
    }

    @Test
    void isIcmp_needsAWholeIpv4HeaderVersion4AndProtocol1() {
        byte[] icmp = packet(message(8, 0, 8), 0, 0, false);
        assertThat(IcmpMessage.isIcmp(icmp)).isTrue();
        assertThat(IcmpMessage.isIcmp(java.util.Arrays.copyOf(icmp, 19))).isFalse();
        assertThat(IcmpMessage.isIcmp(java.util.Arrays.copyOf(icmp, 20))).isTrue();
        byte[] v6 = icmp.clone();
        v6[0] = 0x65;
        assertThat(IcmpMessage.isIcmp(v6)).isFalse();
        byte[] tcp = icmp.clone();
        tcp[9] = 6;
        assertThat(IcmpMessage.isIcmp(tcp)).isFalse();
    }

    @Test
    void errorTypes_areTheFiveIcmpRcvHandsToTcp() {
        for (int type = 0; type < 256; type++) {
            boolean expected = type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
            assertThat(IcmpMessage.isError(type)).as("type " + type).isEqualTo(expected);
        }
    }

    @Test
    void anEcho_parsesWithoutAQuotedHeader() throws Exception {
        IcmpMessage echo = IcmpMessage.parse(packet(message(8, 0, 8), 0, 0, false));
        assertThat(echo.type()).isEqualTo(8);
        assertThat(echo.quotedSrc()).isZero();
        assertThat(echo.quotedSeq()).isZero();
        assertThat(echo.describe()).isEqualTo("ICMP 198.51.100.1 > 10.0.0.50: type 8, code 0");
    }

    @Test
    void refusals_fragmentShortBadChecksumAndTooLittleQuoted() {
        assertThat(refusal(packet(message(3, 1, 36), Ipv4Header.MF, 0, false))).isEqualTo(MalformedPacketException.Reason.FRAGMENTED);
        assertThat(refusal(packet(message(3, 1, 36), 0, 8, false))).isEqualTo(MalformedPacketException.Reason.FRAGMENTED);
        assertThat(refusal(packet(message(8, 0, 7), 0, 0, false))).isEqualTo(MalformedPacketException.Reason.TRUNCATED);
        assertThat(refusal(packet(message(8, 0, 8), 0, 0, true))).isEqualTo(MalformedPacketException.Reason.BAD_IP_CHECKSUM);
        // an error needs 8 + 20 bytes for the quoted header, then its IHL's worth and 8 more
        assertThat(refusal(packet(message(3, 1, 27), 0, 0, false))).isEqualTo(MalformedPacketException.Reason.TRUNCATED);
        byte[] shortQuote = message(3, 1, 35);
        shortQuote[8] = 0x45;
        assertThat(refusal(packet(shortQuote, 0, 0, false))).isEqualTo(MalformedPacketException.Reason.TRUNCATED);
        byte[] tinyIhl = message(3, 1, 36);
        tinyIhl[8] = 0x44; // IHL 4 words: 16 bytes, below the minimum
        assertThat(refusal(packet(tinyIhl, 0, 0, false))).isEqualTo(MalformedPacketException.Reason.TRUNCATED);
        byte[] exact = message(3, 1, 36);
        exact[8] = 0x45;
        assertThat(parses(packet(exact, 0, 0, false))).as("exactly the quoted header and 8 bytes").isTrue();
    }

    private static boolean parses(byte[] packet) {
        try {
            IcmpMessage.parse(packet);
            return true;
        } catch (MalformedPacketException e) {
            return false;
        }
    }

    @Test
    void describe_namesEachErrorType() throws Exception {
        assertThat(describe(3, 1)).startsWith("ICMP 198.51.100.1 > 10.0.0.50: unreachable, code 1 about ");
        assertThat(describe(4, 0)).contains(": source quench about ");
        assertThat(describe(5, 1)).contains(": redirect, code 1 about ");
        assertThat(describe(11, 0)).contains(": time exceeded, code 0 about ");
        assertThat(describe(12, 0)).contains(": parameter problem, code 0 about ");
    }

    private static String describe(int type, int code) throws Exception {
        return IcmpMessage.parse(IcmpMessage.encode(ROUTER, US, type, code, 0, CONN, 1, 0)).describe();
    }

    @Test
    void anErrorQuotingJustAnIpv4Header_hasRoomForIt_butQuotesTooLittle() {
        byte[] quotesHeader = message(IcmpMessage.DEST_UNREACH, 1, 8 + 20);
        quotesHeader[8] = 0x45;
        assertThatThrownBy(() -> IcmpMessage.parse(packet(quotesHeader, 0, 0, false))).isInstanceOf(MalformedPacketException.class)
                .hasMessageContaining("quotes too little of the datagram");
        byte[] shorter = message(IcmpMessage.DEST_UNREACH, 1, 8 + 19);
        shorter[8] = 0x45;
        assertThatThrownBy(() -> IcmpMessage.parse(packet(shorter, 0, 0, false))).isInstanceOf(MalformedPacketException.class)
                .hasMessageContaining("no room for the quoted IPv4 header (27 bytes)");
    }

    @Test
    void anError_readsTheQuotedSourceFromTheQuotedHeader_notFromItsOwnDestination() throws Exception {
        FourTuple otherLocal = new FourTuple(CONN.remote(), Endpoint.parse("10.0.0.51:8080"));
        IcmpMessage m = IcmpMessage.parse(IcmpMessage.encode(ROUTER, US, IcmpMessage.DEST_UNREACH, 1, 0, otherLocal, 7, 0));
        assertThat(m.dst()).isEqualTo(US);
        assertThat(m.quotedSrc()).as("10.0.0.51, not the 10.0.0.50 the error went to").isEqualTo(otherLocal.local().address());
        assertThat(m.quotedTuple()).isEqualTo(otherLocal);
    }
}
