package io.vkernel.kernel.wire;

/**
 * An ICMP error message in an IPv4 packet (RFC 792), as {@code icmp_rcv()} reads it: type, code, the 32-bit word
 * after the checksum (for "fragmentation needed" its low 16 bits are the next-hop MTU, RFC 1191 §4), and the start of
 * the datagram that caused it: the quoted IPv4 header and the first 8 bytes of its TCP header, which carry the ports
 * and the sequence number {@code tcp_v4_err()} needs. {@link #parse} checks real bytes; {@link #encode} builds them.
 *
 * @param src       the ICMP packet's source (the router or host that complains)
 * @param dst       its destination (us)
 * @param info      the word after the checksum (the MTU for type 3 code 4)
 * @param quotedSrc the quoted packet's source address: our side of the connection
 * @param quotedDst the quoted packet's destination: the peer
 * @param quotedProtocol the quoted packet's IPv4 protocol (6 for TCP)
 * @param quotedSrcPort, quotedDstPort, quotedSeq the quoted TCP header's first 8 bytes
 */
public record IcmpMessage(int src, int dst, int type, int code, int info, int quotedSrc, int quotedDst, int quotedProtocol,
                          int quotedSrcPort, int quotedDstPort, int quotedSeq) {

    public static final int PROTOCOL_ICMP = 1;
    public static final int DEST_UNREACH = 3;
    public static final int SOURCE_QUENCH = 4;
    public static final int REDIRECT = 5;
    public static final int TIME_EXCEEDED = 11;
    public static final int PARAMETER_PROBLEM = 12;
    /** ICMP_FRAG_NEEDED, the code of "fragmentation needed and DF set". */
    public static final int FRAG_NEEDED = 4;
    /** NR_ICMP_UNREACH: the highest destination-unreachable code Linux knows. */
    public static final int MAX_UNREACH_CODE = 15;

    /** ICMP header (8) + quoted IPv4 header (20) + 8 bytes of the quoted datagram: what an error message carries. */
    private static final int ERROR_BYTES = 8 + Ipv4Header.MIN_LENGTH + 8;

    /** Is this IPv4 packet an ICMP message (protocol 1), whatever else is true of it? */
    public static boolean isIcmp(byte[] packet) {
        return packet.length >= Ipv4Header.MIN_LENGTH && (packet[0] & 0xf0) == 0x40
                && (packet[Ipv4Header.Field.PROTOCOL] & 0xff) == PROTOCOL_ICMP;
    }

    /**
     * Reads an ICMP message: the IPv4 header as {@code ip_rcv_core()} checks it, then the ICMP checksum over the whole
     * message ({@code icmp_rcv()}), then, for the error types, the quoted header (room for it and its 8 bytes).
     * Messages of other types (echo, timestamp, ...) parse with the quoted fields 0.
     */
    public static IcmpMessage parse(byte[] packet) throws MalformedPacketException {
        Ipv4Header ip = Ipv4Header.parse(packet);
        if (ip.isFragment()) {
            throw new MalformedPacketException(MalformedPacketException.Reason.FRAGMENTED, "an ICMP fragment: Linux would "
                    + "hold it for reassembly in ip_defrag(); vkernel does not reassemble");
        }
        int at = ip.headerLength();
        int length = ip.payloadLength();
        if (length < 8) {
            throw new MalformedPacketException(MalformedPacketException.Reason.TRUNCATED, "the ICMP message has " + length
                    + " bytes, fewer than the 8 of its header");
        }
        if (!Checksum.verifies(Checksum.add(0, packet, at, length))) {
            throw new MalformedPacketException(MalformedPacketException.Reason.BAD_IP_CHECKSUM, "the ICMP checksum does not "
                    + "verify over the message's " + length + " bytes (RFC 792; Linux: icmp_rcv() csum_error, InCsumErrors)");
        }
        int type = Bytes.u8(packet, at);
        int code = Bytes.u8(packet, at + 1);
        int info = Bytes.u32(packet, at + 4);
        if (!isError(type)) {
            return new IcmpMessage(ip.src(), ip.dst(), type, code, info, 0, 0, 0, 0, 0, 0);
        }
        int quoted = at + 8;
        if (length < 8 + Ipv4Header.MIN_LENGTH) {
            throw new MalformedPacketException(MalformedPacketException.Reason.TRUNCATED, "the ICMP error has no room for "
                    + "the quoted IPv4 header (" + length + " bytes)");
        }
        int quotedIhl = (Bytes.u8(packet, quoted) & 0x0f) * 4;
        if (quotedIhl < Ipv4Header.MIN_LENGTH || length < 8 + quotedIhl + 8) {
            throw new MalformedPacketException(MalformedPacketException.Reason.TRUNCATED, "the ICMP error quotes too little "
                    + "of the datagram: its IPv4 header and 8 bytes are needed (icmp_unreach(): pskb_may_pull())");
        }
        int l4 = quoted + quotedIhl;
        return new IcmpMessage(ip.src(), ip.dst(), type, code, info, Bytes.u32(packet, quoted + Ipv4Header.Field.SRC),
                Bytes.u32(packet, quoted + Ipv4Header.Field.DST), Bytes.u8(packet, quoted + Ipv4Header.Field.PROTOCOL),
                Bytes.u16(packet, l4), Bytes.u16(packet, l4 + 2), Bytes.u32(packet, l4 + 4));
    }

    /** The types icmp_rcv() hands to the protocol of the quoted datagram (icmp_pointers[].error). */
    public static boolean isError(int type) {
        return type == DEST_UNREACH || type == SOURCE_QUENCH || type == REDIRECT || type == TIME_EXCEEDED
                || type == PARAMETER_PROBLEM;
    }

    /**
     * An ICMP message as a router sends one about a TCP segment: IPv4 (TTL 64, protocol 1), the ICMP header with
     * {@code info} (the MTU for "fragmentation needed"), the quoted IPv4 header of the segment (its total length counting
     * {@code quotedPayload} bytes) and the first 8 bytes of its TCP header; both checksums computed.
     */
    public static byte[] encode(int src, int dst, int type, int code, int info, FourTuple quoted, int quotedSeq, int quotedPayload) {
        int quotedSrc = quoted.local().address();
        int quotedDst = quoted.remote().address();
        byte[] message = new byte[ERROR_BYTES];
        Bytes.put8(message, 0, type);
        Bytes.put8(message, 1, code);
        Bytes.put32(message, 4, info);
        Ipv4Header inner = new Ipv4Header(0, Ipv4Header.MIN_LENGTH + 20 + quotedPayload, 0, Ipv4Header.DF, 0,
                Ipv4Header.DEFAULT_TTL, Checksum.PROTOCOL_TCP, 0, quotedSrc, quotedDst, null).withChecksum();
        inner.emit(message, 8);
        Bytes.put16(message, 8 + Ipv4Header.MIN_LENGTH, quoted.local().port());
        Bytes.put16(message, 8 + Ipv4Header.MIN_LENGTH + 2, quoted.remote().port());
        Bytes.put32(message, 8 + Ipv4Header.MIN_LENGTH + 4, quotedSeq);
        Bytes.put16(message, 2, Checksum.complement(Checksum.add(0, message, 0, message.length)));
        Ipv4Header outer = new Ipv4Header(0, Ipv4Header.MIN_LENGTH + message.length, 0, 0, 0, Ipv4Header.DEFAULT_TTL,
                PROTOCOL_ICMP, 0, src, dst, null).withChecksum();
        byte[] packet = new byte[outer.totalLength()];
        outer.emit(packet, 0);
        System.arraycopy(message, 0, packet, Ipv4Header.MIN_LENGTH, message.length);
        return packet;
    }

    /** The connection the quoted segment belongs to, seen from our side (its source is our local end). */
    public FourTuple quotedTuple() {
        return new FourTuple(new Endpoint(quotedDst, quotedDstPort), new Endpoint(quotedSrc, quotedSrcPort));
    }

    /** The next-hop MTU of "fragmentation needed" (RFC 1191 §4: the low 16 bits of the word after the checksum). */
    public int mtu() {
        return info & 0xffff;
    }

    /** As tcpdump prints it. */
    public String describe() {
        String what = switch (type) {
            case DEST_UNREACH -> code == FRAG_NEEDED ? "unreachable - need to frag (mtu " + mtu() + ")" : "unreachable, code " + code;
            case SOURCE_QUENCH -> "source quench";
            case REDIRECT -> "redirect, code " + code;
            case TIME_EXCEEDED -> "time exceeded, code " + code;
            case PARAMETER_PROBLEM -> "parameter problem, code " + code;
            default -> "type " + type + ", code " + code;
        };
        return "ICMP " + Ipv4.format(src) + " > " + Ipv4.format(dst) + ": " + what
                + (isError(type) ? " about " + Ipv4.format(quotedSrc) + ":" + quotedSrcPort + " > " + Ipv4.format(quotedDst)
                + ":" + quotedDstPort + " seq " + Integer.toUnsignedString(quotedSeq) : "");
    }
}
