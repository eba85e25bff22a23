package io.vkernel.kernel.wire;

/**
 * A TCP header (RFC 9293 §3.1), parsed from and emitted to network bytes. The data offset follows from the
 * options' padded length. Fields keep what the sender wrote, checksum and reserved bits included, so
 * {@link #emit} gives back the bytes {@link #parse} read.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Sequence Number                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Acknowledgment Number                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Data |       |C|E|U|A|P|R|S|F|                               |
 * | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 * |       |       |R|E|G|K|H|T|N|N|                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Checksum            |         Urgent Pointer        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           [Options]                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                             Data                              :
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * @param seq      sequence number, 32 bits held in an int (compare with {@link Seq})
 * @param reserved the four reserved bits; the lowest is Accurate ECN's AE flag (RFC 9768), the others zero
 * @param flags    all eight control bits: {@link TcpFlags} plus {@link #ECE} and {@link #CWR}
 */
public record TcpHeader(int srcPort, int dstPort, int seq, int ack, int reserved, int flags, int window, int checksum,
                        int urgent, TcpOptions options) {

    /** Byte offsets of the fields (RFC 9293 §3.1). */
    public static final class Field {
        public static final int SRC_PORT = 0;
        public static final int DST_PORT = 2;
        public static final int SEQ = 4;
        public static final int ACK = 8;
        /** Data offset in the high four bits, reserved bits in the low four. */
        public static final int DATA_OFFSET = 12;
        public static final int FLAGS = 13;
        public static final int WINDOW = 14;
        public static final int CHECKSUM = 16;
        public static final int URGENT = 18;
        public static final int OPTIONS = 20;

        private Field() {
        }
    }

    public static final int MIN_LENGTH = 20;
    /** ECN-Echo and Congestion Window Reduced (RFC 3168 §6.1); the kernel itself reads only the six classic bits. */
    public static final int ECE = 0x40;
    public static final int CWR = 0x80;
    /** The control bits {@link Segment} carries. */
    public static final int SEGMENT_FLAGS = 0x3f;

    public TcpHeader {
        options = options == null ? TcpOptions.NONE : options;
        check("source port", srcPort, 0xffff);
        check("destination port", dstPort, 0xffff);
        check("reserved bits", reserved, 0xf);
        check("flags", flags, 0xff);
        check("window", window, 0xffff);
        check("checksum", checksum, 0xffff);
        check("urgent pointer", urgent, 0xffff);
    }

    private static void check(String name, int value, int max) {
        if (value < 0 || value > max) {
            throw new IllegalArgumentException("TCP " + name + " " + value + " is out of range 0-" + max);
        }
    }

    /**
     * Reads the header of the segment at {@code data[offset, offset + length)} in the order of Linux's
     * {@code tcp_v4_rcv()}: room for the fixed header, the data offset, the checksum over the pseudo-header made of
     * {@code src} and {@code dst}, then the options.
     */
    public static TcpHeader parse(byte[] data, int offset, int length, int src, int dst) throws MalformedPacketException {
        if (length < MIN_LENGTH) {
            throw new MalformedPacketException(MalformedPacketException.Reason.TRUNCATED, "the TCP segment has " + length
                    + " bytes, fewer than the 20 of a TCP header");
        }
        int dataOffset = Bytes.u8(data, offset + Field.DATA_OFFSET) >>> 4;
        int headerLength = dataOffset * 4;
        if (dataOffset < 5) {
            throw new MalformedPacketException(MalformedPacketException.Reason.BAD_TCP_HEADER, "data offset " + dataOffset
                    + " (" + headerLength + " bytes) is below the minimum of 5 words (20 bytes)");
        }
        if (headerLength > length) {
            throw new MalformedPacketException(MalformedPacketException.Reason.BAD_TCP_HEADER, "data offset " + dataOffset
                    + " announces a " + headerLength + "-byte header but the segment has only " + length + " bytes");
        }
        long sum = Checksum.tcpSum(src, dst, data, offset, length);
        int checksum = Bytes.u16(data, offset + Field.CHECKSUM);
        if (!Checksum.verifies(sum)) {
            int expected = Checksum.complement(sum - checksum);
            throw new MalformedPacketException(MalformedPacketException.Reason.BAD_TCP_CHECKSUM, "TCP checksum "
                    + Bytes.hex16(checksum) + " is wrong: pseudo-header, header and " + (length - headerLength)
                    + " payload bytes sum to " + Bytes.hex16(expected) + " (RFC 9293 §3.1)");
        }
        TcpOptions options = TcpOptions.parse(data, offset + Field.OPTIONS, headerLength - MIN_LENGTH);
        return new TcpHeader(Bytes.u16(data, offset + Field.SRC_PORT), Bytes.u16(data, offset + Field.DST_PORT),
                Bytes.u32(data, offset + Field.SEQ), Bytes.u32(data, offset + Field.ACK),
                Bytes.u8(data, offset + Field.DATA_OFFSET) & 0x0f, Bytes.u8(data, offset + Field.FLAGS),
                Bytes.u16(data, offset + Field.WINDOW), checksum, Bytes.u16(data, offset + Field.URGENT), options);
    }

    public int headerLength() {
        return MIN_LENGTH + options.paddedLength();
    }

    /** The header length in 32-bit words, as the data offset field holds it. */
    public int dataOffset() {
        return headerLength() / 4;
    }

    /** Writes the header, as held, at {@code offset}. */
    public void emit(byte[] out, int offset) {
        Bytes.put16(out, offset + Field.SRC_PORT, srcPort);
        Bytes.put16(out, offset + Field.DST_PORT, dstPort);
        Bytes.put32(out, offset + Field.SEQ, seq);
        Bytes.put32(out, offset + Field.ACK, ack);
        Bytes.put8(out, offset + Field.DATA_OFFSET, (dataOffset() << 4) | reserved);
        Bytes.put8(out, offset + Field.FLAGS, flags);
        Bytes.put16(out, offset + Field.WINDOW, window);
        Bytes.put16(out, offset + Field.CHECKSUM, checksum);
        Bytes.put16(out, offset + Field.URGENT, urgent);
        options.emit(out, offset + Field.OPTIONS);
    }

    public byte[] emit() {
        byte[] out = new byte[headerLength()];
        emit(out, 0);
        return out;
    }

    /** This header with the checksum a sender computes over the pseudo-header, this header and {@code payload}. */
    public TcpHeader withChecksum(int src, int dst, byte[] payload) {
        TcpHeader zeroed = withChecksumField(0);
        byte[] segment = new byte[headerLength() + payload.length];
        zeroed.emit(segment, 0);
        System.arraycopy(payload, 0, segment, headerLength(), payload.length);
        return withChecksumField(Checksum.complement(Checksum.tcpSum(src, dst, segment, 0, segment.length)));
    }

    private TcpHeader withChecksumField(int value) {
        return new TcpHeader(srcPort, dstPort, seq, ack, reserved, flags, window, value, urgent, options);
    }

    /** The control bits as tcpdump prints them, ECN bits last ({@code SEW} for an ECN-setup SYN, {@code S.E} for its answer). */
    public String flagText() {
        String classic = (flags & SEGMENT_FLAGS) == 0 ? "" : TcpFlags.format(flags & SEGMENT_FLAGS);
        String all = classic + ((flags & ECE) != 0 ? "E" : "") + ((flags & CWR) != 0 ? "W" : "") + ((reserved & 1) != 0 ? "A" : "");
        return all.isEmpty() ? "none" : all;
    }

    /** What {@code tcpdump -v} tells about the header, in words. */
    public String describe() {
        return "TCP " + srcPort + " > " + dstPort + ": data offset " + dataOffset() + " (" + headerLength() + " bytes"
                + (options.isEmpty() ? "" : ", options " + options) + "), flags [" + flagText() + "], seq "
                + Seq.unsigned(seq) + ", ack " + Seq.unsigned(ack) + ", win " + window + ", urg " + urgent
                + (reserved != 0 ? ", reserved bits 0x" + Integer.toHexString(reserved) : "")
                + ", checksum " + Bytes.hex16(checksum);
    }
}
