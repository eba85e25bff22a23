package io.vkernel.kernel.wire;

import java.util.Arrays;

/**
 * A whole IPv4 packet carrying one TCP segment, as bytes on the wire: the two headers with every field and option,
 * and the payload. {@link #parse} reads and checks real bytes; {@link #emit} writes them back unchanged;
 * {@link #segment()} and {@link #of(Segment)} map to and from the {@link Segment} the kernel works with.
 */
public record WirePacket(Ipv4Header ip, TcpHeader tcp, byte[] payload) {

    public WirePacket {
        payload = payload == null ? new byte[0] : payload;
        int expected = ip.headerLength() + tcp.headerLength() + payload.length;
        if (ip.totalLength() != expected) {
            throw new IllegalArgumentException("IPv4 total length " + ip.totalLength() + " does not match the " + expected
                    + " bytes of headers and payload");
        }
    }

    /**
     * Parses a packet as Linux's receive path checks it: the IPv4 header ({@code ip_rcv_core()}), fragments
     * ({@code ip_defrag()}), the protocol ({@code ip_protocol_deliver_rcu()}), then the TCP header and checksum
     * ({@code tcp_v4_rcv()}) and its options. Bytes past the IPv4 total length (link-layer padding) are ignored,
     * as {@code pskb_trim_rcsum()} trims them.
     */
    public static WirePacket parse(byte[] packet) throws MalformedPacketException {
        Ipv4Header ip = Ipv4Header.parse(packet);
        if (ip.isFragment()) {
            throw new MalformedPacketException(MalformedPacketException.Reason.FRAGMENTED, "a fragment (flags "
                    + ((ip.flags() & Ipv4Header.MF) != 0 ? "MF" : "without MF") + ", offset " + ip.fragmentOffset()
                    + " x 8 bytes): Linux would hold it for reassembly in ip_defrag(); vkernel does not reassemble");
        }
        if (ip.protocol() != Checksum.PROTOCOL_TCP) {
            throw new MalformedPacketException(MalformedPacketException.Reason.NOT_TCP, "IPv4 protocol " + ip.protocol()
                    + protocolName(ip.protocol()) + " is not 6 (TCP), the only protocol vkernel speaks");
        }
        int tcpLength = ip.payloadLength();
        TcpHeader tcp = TcpHeader.parse(packet, ip.headerLength(), tcpLength, ip.src(), ip.dst());
        int dataStart = ip.headerLength() + tcp.headerLength();
        return new WirePacket(ip, tcp, Arrays.copyOfRange(packet, dataStart, ip.totalLength()));
    }

    private static String protocolName(int protocol) {
        switch (protocol) {
            case 1:
                return " (ICMP)";
            case 17:
                return " (UDP)";
            case 41:
                return " (IPv6 in IPv4)";
            default:
                return "";
        }
    }

    /**
     * The packet vkernel puts on the wire for a segment: IPv4 with TTL 64, DF set, id 0 and no options; TCP with
     * the MSS option when the segment carries one; both checksums computed.
     */
    public static WirePacket of(Segment segment) {
        TcpOptions options = segment.options();
        TcpHeader tcp = new TcpHeader(segment.src().port(), segment.dst().port(), segment.seq(), segment.ack(),
                (segment.flags() & TcpFlags.AE) != 0 ? 1 : 0, segment.flags() & 0xff, segment.window(), 0, segment.urgent(), options)
                .withChecksum(segment.src().address(), segment.dst().address(), segment.payload());
        Ipv4Header ip = Ipv4Header.outbound(segment.src().address(), segment.dst().address(),
                tcp.headerLength() + segment.payload().length, segment.tos());
        return new WirePacket(ip, tcp, segment.payload());
    }

    /** The bytes of {@link #of(Segment)}. */
    public static byte[] encode(Segment segment) {
        return of(segment).emit();
    }

    /** The packet's bytes, every field as held. */
    public byte[] emit() {
        byte[] out = new byte[ip.totalLength()];
        ip.emit(out, 0);
        tcp.emit(out, ip.headerLength());
        System.arraycopy(payload, 0, out, ip.headerLength() + tcp.headerLength(), payload.length);
        return out;
    }

    /**
     * The segment the kernel works with: addresses and ports, the control bits (ECE and CWR too), seq, ack, window, the
     * MSS option (0 when absent) and the payload. The window is as sent: scaling applies only after the handshake.
     */
    public Segment segment() {
        return new Segment(new Endpoint(ip.src(), tcp.srcPort()), new Endpoint(ip.dst(), tcp.dstPort()),
                (tcp.flags() & 0xff) | ((tcp.reserved() & 1) != 0 ? TcpFlags.AE : 0), tcp.seq(), tcp.ack(), tcp.window(), tcp.options().mss(), payload,
                tcp.options(), ip.tos(), tcp.urgent());
    }
}
