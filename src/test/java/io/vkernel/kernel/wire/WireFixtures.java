package io.vkernel.kernel.wire;

import java.util.HexFormat;

/**
 * Real packets as fixed bytes, each with how it was made, shared by the codec, kernel and HTTP tests. Sequence
 * numbers sit near 2^32 so arithmetic on them wraps.
 */
public final class WireFixtures {

    /**
     * A real Linux 6.x SYN, captured with {@code tshark -i lo -w} during a Python {@code socket.create_connection()}
     * from 127.0.0.1:56860 to 127.0.0.1:45678 (options mss 65495, sackOK, TS, nop, wscale 10). On loopback the
     * kernel offloads the TCP checksum (CHECKSUM_PARTIAL), so the capture holds only the pseudo-header sum
     * {@code 0xfe30}; Wireshark computes the real checksum as {@code 0x2983}, which this fixture carries.
     * {@link #LINUX_SYN_AS_CAPTURED} is the capture unchanged.
     */
    public static final String LINUX_SYN_HEX = """
            45 00 00 3c 8f e7 40 00 40 06 ac d2 7f 00 00 01 7f 00 00 01
            de 1c b2 6e a4 4f 02 e6 00 00 00 00 a0 02 ff d7 29 83 00 00
            02 04 ff d7 04 02 08 0a 80 84 6e 36 00 00 00 00 01 03 03 0a""";
    public static final byte[] LINUX_SYN = hex(LINUX_SYN_HEX);

    public static final byte[] LINUX_SYN_AS_CAPTURED = hex("""
            45 00 00 3c 8f e7 40 00 40 06 ac d2 7f 00 00 01 7f 00 00 01
            de 1c b2 6e a4 4f 02 e6 00 00 00 00 a0 02 ff d7 fe 30 00 00
            02 04 ff d7 04 02 08 0a 80 84 6e 36 00 00 00 00 01 03 03 0a""");

    /**
     * A SYN crafted with scapy 2.5.0 (Debian python3-scapy), as a Linux client would send it to the seed's server:
     * <pre>
     * IP(src="192.168.1.100", dst="10.0.0.50", id=54321, ttl=64, flags="DF")
     *   / TCP(sport=54321, dport=8080, flags="S", seq=4294957295, window=64240,
     *         options=[("MSS",1460), ("SAckOK",b""), ("Timestamp",(3735928559,0)), ("NOP",None), ("WScale",7)])
     * </pre>
     * then {@code raw(p).hex()}; {@link #SCAPY_SYN_BASE64} is {@code base64.b64encode(raw(p))}.
     */
    public static final String SCAPY_SYN_HEX =
            "4500003cd431400040069a4cc0a801640a000032d4311f90ffffd8ef00000000a002faf016820000020405b40402080adeadbeef0000000001030307";
    public static final String SCAPY_SYN_BASE64 = "RQAAPNQxQABABppMwKgBZAoAADLUMR+Q///Y7wAAAACgAvrwFoIAAAIEBbQEAggK3q2+7wAAAAABAwMH";
    public static final byte[] SCAPY_SYN = hex(SCAPY_SYN_HEX);

    /**
     * What vkernel should send as its SYN-ACK to that SYN, built with scapy:
     * {@code IP(src="10.0.0.50", dst="192.168.1.100", id=0, ttl=64, flags="DF")/TCP(sport=8080, dport=54321,
     * flags="SA", seq=208720245, ack=4294957296, window=64240, options=[("MSS",1460)])}.
     */
    public static final byte[] SCAPY_SYN_ACK = hex("4500002c0000400040066e8e0a000032c0a801641f90d4310c70d175ffffd8f06012faf0264f0000020405b4");

    /**
     * A data segment with an odd payload length and the last sequence number before the wrap, built with scapy:
     * {@code IP(src="192.168.1.100", dst="10.0.0.50", id=54322, ttl=64, flags="DF")/TCP(sport=54321, dport=8080,
     * flags="PA", seq=4294967295, ack=208720246, window=502)/Raw(b"hello")}.
     */
    public static final byte[] SCAPY_DATA = hex("4500002dd432400040069a5ac0a801640a000032d4311f90ffffffff0c70d176501801f6cc18000068656c6c6f");

    private WireFixtures() {
    }

    public static byte[] hex(String text) {
        return HexFormat.of().parseHex(text.replaceAll("\\s", ""));
    }

    /** A copy of {@code packet} with one byte changed. */
    public static byte[] set(byte[] packet, int at, int value) {
        byte[] copy = packet.clone();
        copy[at] = (byte) value;
        return copy;
    }
}
