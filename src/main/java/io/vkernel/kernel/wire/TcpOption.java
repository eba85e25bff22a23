package io.vkernel.kernel.wire;

import java.util.HexFormat;

/**
 * One TCP option (RFC 9293 §3.1, §3.2): a kind byte, then for all kinds but End of Option List and No-Operation a
 * length byte counting kind and length, then the value. Known kinds with their usual length become typed records;
 * anything else is kept as raw bytes so it is emitted unchanged. {@code toString()} spells each as tcpdump does.
 */
public sealed interface TcpOption {

    int KIND_END = 0;
    int KIND_NOP = 1;
    int KIND_MSS = 2;
    int KIND_WINDOW_SCALE = 3;
    int KIND_SACK_PERMITTED = 4;
    int KIND_TIMESTAMPS = 8;

    int kind();

    /** Bytes the option takes in the header. */
    int size();

    /** Writes the option at {@code at}. */
    void write(byte[] out, int at);

    /** Builds the option a kind and value stand for; unknown kinds and unusual lengths stay raw, as Linux ignores them. */
    static TcpOption decode(int kind, byte[] value) {
        switch (kind) {
            case KIND_MSS:
                if (value.length == 2) {
                    return new Mss(((value[0] & 0xff) << 8) | (value[1] & 0xff));
                }
                break;
            case KIND_WINDOW_SCALE:
                if (value.length == 1) {
                    return new WindowScale(value[0] & 0xff);
                }
                break;
            case KIND_SACK_PERMITTED:
                if (value.length == 0) {
                    return new SackPermitted();
                }
                break;
            case KIND_TIMESTAMPS:
                if (value.length == 8) {
                    return new Timestamps(Bytes.u32(value, 0) & 0xffffffffL, Bytes.u32(value, 4) & 0xffffffffL);
                }
                break;
            default:
                break;
        }
        return new Unknown(kind, value);
    }

    /** End of Option List (kind 0); the bytes after it up to the data offset are padding, kept as sent. */
    record End(byte[] padding) implements TcpOption {
        public End {
            padding = padding == null ? new byte[0] : padding;
        }

        public End() {
            this(null);
        }

        @Override
        public int kind() {
            return KIND_END;
        }

        @Override
        public int size() {
            return 1 + padding.length;
        }

        @Override
        public void write(byte[] out, int at) {
            out[at] = KIND_END;
            System.arraycopy(padding, 0, out, at + 1, padding.length);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof End end && java.util.Arrays.equals(padding, end.padding);
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(padding);
        }

        @Override
        public String toString() {
            return "eol";
        }
    }

    /** No-Operation (kind 1): one byte, aligns the next option. */
    record Nop() implements TcpOption {
        @Override
        public int kind() {
            return KIND_NOP;
        }

        @Override
        public int size() {
            return 1;
        }

        @Override
        public void write(byte[] out, int at) {
            out[at] = KIND_NOP;
        }

        @Override
        public String toString() {
            return "nop";
        }
    }

    /** Maximum Segment Size (kind 2, length 4; RFC 9293 §3.7.1): the largest payload the sender can receive. */
    record Mss(int value) implements TcpOption {
        public Mss {
            if (value < 0 || value > 0xffff) {
                throw new IllegalArgumentException("MSS " + value + " is out of range 0-65535");
            }
        }

        @Override
        public int kind() {
            return KIND_MSS;
        }

        @Override
        public int size() {
            return 4;
        }

        @Override
        public void write(byte[] out, int at) {
            out[at] = KIND_MSS;
            out[at + 1] = 4;
            Bytes.put16(out, at + 2, value);
        }

        @Override
        public String toString() {
            return "mss " + value;
        }
    }

    /** Window Scale (kind 3, length 3; RFC 7323 §2.2): the shift count applied to the sender's windows. */
    record WindowScale(int shift) implements TcpOption {
        public WindowScale {
            if (shift < 0 || shift > 0xff) {
                throw new IllegalArgumentException("window scale " + shift + " is out of range 0-255");
            }
        }

        @Override
        public int kind() {
            return KIND_WINDOW_SCALE;
        }

        @Override
        public int size() {
            return 3;
        }

        @Override
        public void write(byte[] out, int at) {
            out[at] = KIND_WINDOW_SCALE;
            out[at + 1] = 3;
            out[at + 2] = (byte) shift;
        }

        @Override
        public String toString() {
            return "wscale " + shift;
        }
    }

    /** SACK Permitted (kind 4, length 2; RFC 2018 §2): the sender can take selective acknowledgments. */
    record SackPermitted() implements TcpOption {
        @Override
        public int kind() {
            return KIND_SACK_PERMITTED;
        }

        @Override
        public int size() {
            return 2;
        }

        @Override
        public void write(byte[] out, int at) {
            out[at] = KIND_SACK_PERMITTED;
            out[at + 1] = 2;
        }

        @Override
        public String toString() {
            return "sackOK";
        }
    }

    /** Timestamps (kind 8, length 10; RFC 7323 §3.2): TSval and TSecr, unsigned 32-bit. */
    record Timestamps(long value, long echoReply) implements TcpOption {
        public Timestamps {
            if (value < 0 || value > 0xffffffffL || echoReply < 0 || echoReply > 0xffffffffL) {
                throw new IllegalArgumentException("timestamps are unsigned 32-bit values");
            }
        }

        @Override
        public int kind() {
            return KIND_TIMESTAMPS;
        }

        @Override
        public int size() {
            return 10;
        }

        @Override
        public void write(byte[] out, int at) {
            out[at] = KIND_TIMESTAMPS;
            out[at + 1] = 10;
            Bytes.put32(out, at + 2, (int) value);
            Bytes.put32(out, at + 6, (int) echoReply);
        }

        @Override
        public String toString() {
            return "TS val " + value + " ecr " + echoReply;
        }
    }

    /** Any other option (SACK blocks, TCP-AO, experimental kinds...): kind and value kept as sent. */
    record Unknown(int kind, byte[] value) implements TcpOption {
        public Unknown {
            value = value == null ? new byte[0] : value;
            if (kind < 2 || kind > 0xff || value.length > 38) {
                throw new IllegalArgumentException("option kind " + kind + " with " + value.length + " value bytes cannot be encoded");
            }
        }

        @Override
        public int size() {
            return 2 + value.length;
        }

        @Override
        public void write(byte[] out, int at) {
            out[at] = (byte) kind;
            out[at + 1] = (byte) size();
            System.arraycopy(value, 0, out, at + 2, value.length);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Unknown u && u.kind == kind && java.util.Arrays.equals(value, u.value);
        }

        @Override
        public int hashCode() {
            return 31 * kind + java.util.Arrays.hashCode(value);
        }

        @Override
        public String toString() {
            if (kind == 5 && value.length % 8 == 0 && value.length > 0) {
                // tcpdump: sack 2 {2001:3001}{4001:5001}
                StringBuilder out = new StringBuilder("sack ").append(value.length / 8).append(' ');
                for (int at = 0; at < value.length; at += 8) {
                    out.append('{').append(Bytes.u32(value, at) & 0xffffffffL).append(':')
                            .append(Bytes.u32(value, at + 4) & 0xffffffffL).append('}');
                }
                return out.toString();
            }
            // Fast Open (RFC 7413), as packetdrill writes it: FO for kind 34, FOEXP for kind 254 with magic 0xF989
            if (kind == 34) {
                return "FO" + (value.length > 0 ? " " + HexFormat.of().formatHex(value) : "");
            }
            if (kind == 254 && value.length >= 2 && (value[0] & 0xff) == 0xF9 && (value[1] & 0xff) == 0x89) {
                return "FOEXP" + (value.length > 2 ? " " + HexFormat.of().formatHex(value, 2, value.length) : "");
            }
            if (kind == 19 && value.length == 16) {
                return "md5 " + HexFormat.of().formatHex(value); // RFC 2385's signature, as packetdrill writes it
            }
            return "unknown-" + kind + (value.length > 0 ? " 0x" + HexFormat.of().formatHex(value) : "");
        }
    }

    /**
     * The rest of the option space from an option Linux's tcp_parse_options() will not read: a kind with no length
     * byte, a length below 2 ("silly options") or a length running past the header. Parsing stops there, the options
     * before it count, the segment is processed as usual; the bytes are kept so the header is emitted unchanged.
     */
    record Malformed(byte[] bytes, String problem) implements TcpOption {
        public Malformed {
            if (bytes == null || bytes.length == 0 || bytes.length > 40) {
                throw new IllegalArgumentException("a malformed option keeps 1 to 40 bytes");
            }
        }

        @Override
        public int kind() {
            return bytes[0] & 0xff;
        }

        @Override
        public int size() {
            return bytes.length;
        }

        @Override
        public void write(byte[] out, int at) {
            System.arraycopy(bytes, 0, out, at, bytes.length);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Malformed m && java.util.Arrays.equals(bytes, m.bytes);
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(bytes);
        }

        /** tcpdump's words for an option it cannot read. */
        @Override
        public String toString() {
            return "[bad opt]";
        }
    }
}
