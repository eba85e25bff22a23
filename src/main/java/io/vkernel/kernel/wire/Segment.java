package io.vkernel.kernel.wire;

import java.nio.charset.StandardCharsets;

/**
 * One TCP segment inside an IPv4 packet, as the kernel handles it: addresses, ports, control bits, sequence
 * and acknowledgment numbers, window, the MSS option when present ({@code 0} when absent) and the payload.
 */
public record Segment(Endpoint src, Endpoint dst, int flags, int seq, int ack, int window, int mss, byte[] payload) {

    public static final int MAX_PAYLOAD = 65495;

    public Segment {
        if (window < 0 || window > 65535) {
            throw new IllegalArgumentException("window " + window + " is out of range 0-65535");
        }
        if (payload == null) {
            payload = new byte[0];
        }
        if (payload.length > MAX_PAYLOAD) {
            throw new IllegalArgumentException("payload of " + payload.length + " bytes does not fit one IPv4 packet (at most " + MAX_PAYLOAD + ")");
        }
    }

    public boolean has(int flag) {
        return (flags & flag) != 0;
    }

    /** SEG.LEN: payload bytes plus one for SYN and one for FIN (RFC 9293 §3.4). */
    public int length() {
        return payload.length + (has(TcpFlags.SYN) ? 1 : 0) + (has(TcpFlags.FIN) ? 1 : 0);
    }

    /** One line in tcpdump's style, with vkernel's {@code ip:port} addresses. */
    public String summary() {
        StringBuilder line = new StringBuilder()
                .append(src).append(" > ").append(dst)
                .append(": Flags [").append(TcpFlags.format(flags)).append("], seq ").append(Seq.unsigned(seq));
        if (has(TcpFlags.ACK)) {
            line.append(", ack ").append(Seq.unsigned(ack));
        }
        line.append(", win ").append(window);
        if (mss > 0) {
            line.append(", options [mss ").append(mss).append(']');
        }
        line.append(", length ").append(payload.length);
        return line.toString();
    }

    public String payloadText() {
        return new String(payload, StandardCharsets.UTF_8);
    }
}
