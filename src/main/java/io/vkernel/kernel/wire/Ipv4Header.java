package io.vkernel.kernel.wire;

import java.util.Arrays;

/**
 * An IPv4 header (RFC 791 §3.1), parsed from and emitted to network bytes. The version is always 4 and the IHL
 * follows from the options' length. Fields keep what the sender wrote, checksum included, so {@link #emit()}
 * gives back the bytes {@link #parse(byte[])} read.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version|  IHL  |Type of Service|          Total Length         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Identification        |Flags|      Fragment Offset    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Time to Live |    Protocol   |         Header Checksum       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Source Address                          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Destination Address                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options                    |    Padding    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * @param tos            type of service: DSCP and ECN bits (RFC 2474, RFC 3168)
 * @param totalLength    header plus data, in bytes
 * @param flags          the three flag bits: reserved, {@link #DF}, {@link #MF}
 * @param fragmentOffset in 8-byte units
 * @param options        raw option bytes, padded to a multiple of 4 (at most 40)
 */
public record Ipv4Header(int tos, int totalLength, int id, int flags, int fragmentOffset, int ttl, int protocol,
                         int checksum, int src, int dst, byte[] options) {

    /** Byte offsets of the fields (RFC 791 §3.1). */
    public static final class Field {
        public static final int VERSION_IHL = 0;
        public static final int TOS = 1;
        public static final int TOTAL_LENGTH = 2;
        public static final int IDENTIFICATION = 4;
        public static final int FLAGS_FRAGMENT = 6;
        public static final int TTL = 8;
        public static final int PROTOCOL = 9;
        public static final int CHECKSUM = 10;
        public static final int SRC = 12;
        public static final int DST = 16;
        public static final int OPTIONS = 20;

        private Field() {
        }
    }

    public static final int VERSION = 4;
    public static final int MIN_LENGTH = 20;
    public static final int MAX_LENGTH = 60;
    public static final int MAX_TOTAL_LENGTH = 65535;
    /** Don't Fragment. */
    public static final int DF = 0b010;
    /** More Fragments. */
    public static final int MF = 0b001;
    /** The TTL Linux gives its packets (net.ipv4.ip_default_ttl). */
    public static final int DEFAULT_TTL = 64;

    public Ipv4Header {
        options = options == null ? new byte[0] : options;
        if (options.length % 4 != 0 || options.length > MAX_LENGTH - MIN_LENGTH) {
            throw new IllegalArgumentException("IPv4 options take a multiple of 4 bytes, at most 40; got " + options.length);
        }
        check("total length", totalLength, MAX_TOTAL_LENGTH);
        check("type of service", tos, 0xff);
        check("identification", id, 0xffff);
        check("flags", flags, 0b111);
        check("fragment offset", fragmentOffset, 0x1fff);
        check("TTL", ttl, 0xff);
        check("protocol", protocol, 0xff);
        check("checksum", checksum, 0xffff);
    }

    private static void check(String name, int value, int max) {
        if (value < 0 || value > max) {
            throw new IllegalArgumentException("IPv4 " + name + " " + value + " is out of range 0-" + max);
        }
    }

    /** A header as Linux sends one: no options, TTL 64, DF set, id 0, protocol TCP; checksum computed. */
    public static Ipv4Header outbound(int src, int dst, int payloadLength) {
        return outbound(src, dst, payloadLength, 0);
    }

    /** The same with the TOS byte the socket set (IP_TOS: __ip_queue_xmit() writes inet->tos into iph->tos). */
    public static Ipv4Header outbound(int src, int dst, int payloadLength, int tos) {
        return new Ipv4Header(tos, MIN_LENGTH + payloadLength, 0, DF, 0, DEFAULT_TTL, Checksum.PROTOCOL_TCP, 0, src, dst, null)
                .withChecksum();
    }

    /**
     * Reads the header at the start of {@code packet} in the order of Linux's {@code ip_rcv_core()}: room for a
     * header, version and IHL, room for the options, the checksum, then the total length against the bytes received.
     */
    public static Ipv4Header parse(byte[] packet) throws MalformedPacketException {
        if (packet.length < MIN_LENGTH) {
            throw new MalformedPacketException(MalformedPacketException.Reason.TRUNCATED, "the packet has " + packet.length
                    + " bytes, fewer than the 20 of an IPv4 header");
        }
        int version = Bytes.u8(packet, Field.VERSION_IHL) >>> 4;
        int ihl = Bytes.u8(packet, Field.VERSION_IHL) & 0x0f;
        if (version != VERSION) {
            throw new MalformedPacketException(MalformedPacketException.Reason.BAD_IP_HEADER, "IP version " + version + ", not 4");
        }
        int headerLength = ihl * 4;
        if (ihl < 5) {
            throw new MalformedPacketException(MalformedPacketException.Reason.BAD_IP_HEADER, "IHL " + ihl + " (" + headerLength
                    + " bytes) is below the minimum of 5 words (20 bytes)");
        }
        if (packet.length < headerLength) {
            throw new MalformedPacketException(MalformedPacketException.Reason.TRUNCATED, "IHL " + ihl + " announces a "
                    + headerLength + "-byte header but the packet has only " + packet.length + " bytes");
        }
        long sum = Checksum.ipv4HeaderSum(packet, 0, headerLength);
        int checksum = Bytes.u16(packet, Field.CHECKSUM);
        if (!Checksum.verifies(sum)) {
            int expected = Checksum.complement(sum - checksum);
            throw new MalformedPacketException(MalformedPacketException.Reason.BAD_IP_CHECKSUM, "IPv4 header checksum "
                    + Bytes.hex16(checksum) + " is wrong: the header sums to " + Bytes.hex16(expected) + " (RFC 1071)");
        }
        int totalLength = Bytes.u16(packet, Field.TOTAL_LENGTH);
        if (totalLength > packet.length) {
            throw new MalformedPacketException(MalformedPacketException.Reason.TRUNCATED, "total length " + totalLength
                    + " is larger than the " + packet.length + " bytes received");
        }
        if (totalLength < headerLength) {
            throw new MalformedPacketException(MalformedPacketException.Reason.BAD_IP_HEADER, "total length " + totalLength
                    + " is smaller than the " + headerLength + "-byte header");
        }
        int flagsFragment = Bytes.u16(packet, Field.FLAGS_FRAGMENT);
        return new Ipv4Header(Bytes.u8(packet, Field.TOS), totalLength, Bytes.u16(packet, Field.IDENTIFICATION),
                flagsFragment >>> 13, flagsFragment & 0x1fff, Bytes.u8(packet, Field.TTL), Bytes.u8(packet, Field.PROTOCOL),
                checksum, Bytes.u32(packet, Field.SRC), Bytes.u32(packet, Field.DST),
                Arrays.copyOfRange(packet, Field.OPTIONS, headerLength));
    }

    public int headerLength() {
        return MIN_LENGTH + options.length;
    }

    /** The header length in 32-bit words, as the IHL field holds it. */
    public int ihl() {
        return headerLength() / 4;
    }

    public int payloadLength() {
        return totalLength - headerLength();
    }

    public boolean dontFragment() {
        return (flags & DF) != 0;
    }

    /** A piece of a larger datagram: more fragments follow, or this one is not the first (RFC 791 §2.3). */
    public boolean isFragment() {
        return (flags & MF) != 0 || fragmentOffset != 0;
    }

    /** Writes the header, as held, at {@code offset}. */
    public void emit(byte[] out, int offset) {
        Bytes.put8(out, offset + Field.VERSION_IHL, (VERSION << 4) | ihl());
        Bytes.put8(out, offset + Field.TOS, tos);
        Bytes.put16(out, offset + Field.TOTAL_LENGTH, totalLength);
        Bytes.put16(out, offset + Field.IDENTIFICATION, id);
        Bytes.put16(out, offset + Field.FLAGS_FRAGMENT, (flags << 13) | fragmentOffset);
        Bytes.put8(out, offset + Field.TTL, ttl);
        Bytes.put8(out, offset + Field.PROTOCOL, protocol);
        Bytes.put16(out, offset + Field.CHECKSUM, checksum);
        Bytes.put32(out, offset + Field.SRC, src);
        Bytes.put32(out, offset + Field.DST, dst);
        System.arraycopy(options, 0, out, offset + Field.OPTIONS, options.length);
    }

    public byte[] emit() {
        byte[] out = new byte[headerLength()];
        emit(out, 0);
        return out;
    }

    /** This header with the checksum a sender computes (RFC 791 §3.1, RFC 1071). */
    public Ipv4Header withChecksum() {
        Ipv4Header zeroed = new Ipv4Header(tos, totalLength, id, flags, fragmentOffset, ttl, protocol, 0, src, dst, options);
        int sum = Checksum.complement(Checksum.ipv4HeaderSum(zeroed.emit(), 0, headerLength()));
        return new Ipv4Header(tos, totalLength, id, flags, fragmentOffset, ttl, protocol, sum, src, dst, options);
    }

    /** What {@code tcpdump -v} tells about the header, in words. */
    public String describe() {
        StringBuilder flagText = new StringBuilder();
        if ((flags & 0b100) != 0) {
            flagText.append("reserved,");
        }
        if ((flags & DF) != 0) {
            flagText.append("DF,");
        }
        if ((flags & MF) != 0) {
            flagText.append("MF,");
        }
        String flagList = flagText.length() == 0 ? "none" : flagText.substring(0, flagText.length() - 1);
        return "IPv4 " + Ipv4.format(src) + " > " + Ipv4.format(dst) + ": IHL " + ihl() + " (" + headerLength() + " bytes"
                + (options.length > 0 ? ", " + options.length + " of options" : "") + "), tos 0x" + Integer.toHexString(tos)
                + ", total length " + totalLength + ", id " + id + ", flags [" + flagList + "], offset " + fragmentOffset
                + ", ttl " + ttl + ", proto " + protocol + (protocol == Checksum.PROTOCOL_TCP ? " (TCP)" : "")
                + ", checksum " + Bytes.hex16(checksum);
    }
}
