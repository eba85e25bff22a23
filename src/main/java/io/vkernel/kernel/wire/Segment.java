package io.vkernel.kernel.wire;

import java.nio.charset.StandardCharsets;

/**
 * One TCP segment inside an IPv4 packet, as the kernel handles it: addresses, ports, control bits, sequence
 * and acknowledgment numbers, the window field as sent, the MSS option's value ({@code 0} when absent), the
 * payload and the full option list.
 */
public record Segment(Endpoint src, Endpoint dst, int flags, int seq, int ack, int window, int mss, byte[] payload,
                      TcpOptions options, int tos, int urgent) {

    public static final int MAX_PAYLOAD = 65495;

    /** A segment whose only option, if any, is MSS. */
    public Segment(Endpoint src, Endpoint dst, int flags, int seq, int ack, int window, int mss, byte[] payload) {
        this(src, dst, flags, seq, ack, window, mss, payload, null);
    }

    /** A segment with the IPv4 TOS byte 0 (the default of a socket that never set IP_TOS). */
    public Segment(Endpoint src, Endpoint dst, int flags, int seq, int ack, int window, int mss, byte[] payload, TcpOptions options) {
        this(src, dst, flags, seq, ack, window, mss, payload, options, 0);
    }

    /** A segment whose urgent pointer field is 0 (vkernel never sends urgent data; most peers do not either). */
    public Segment(Endpoint src, Endpoint dst, int flags, int seq, int ack, int window, int mss, byte[] payload, TcpOptions options, int tos) {
        this(src, dst, flags, seq, ack, window, mss, payload, options, tos, 0);
    }

    /** The same segment carried with IPv4 TOS byte {@code tos} (inet->tos of the sending socket, ip_queue_xmit()). */
    public Segment withTos(int tos) {
        return tos == this.tos ? this : new Segment(src, dst, flags, seq, ack, window, mss, payload, options, tos, urgent);
    }

    public Segment {
        if (urgent < 0 || urgent > 0xffff) {
            throw new IllegalArgumentException("urgent pointer " + urgent + " is out of range 0-65535");
        }
        if (tos < 0 || tos > 0xff) {
            throw new IllegalArgumentException("TOS " + tos + " is out of range 0-255");
        }
        if (options == null || options.isEmpty()) {
            options = mss > 0 ? TcpOptions.of(new TcpOption.Mss(mss)) : TcpOptions.NONE;
        } else {
            mss = options.mss();
        }
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
        return summary(src, dst, flags, seq, ack, window, options, payload.length);
    }

    /** {@link #summary()} from a segment's header fields and payload length (a trace keeps these, not the line). */
    public static String summary(Endpoint src, Endpoint dst, int flags, int seq, int ack, int window, TcpOptions options,
                                 int length) {
        StringBuilder line = new StringBuilder()
                .append(src).append(" > ").append(dst)
                .append(": Flags [").append(TcpFlags.format(flags)).append("], seq ").append(Seq.unsigned(seq));
        if ((flags & TcpFlags.ACK) != 0) {
            line.append(", ack ").append(Seq.unsigned(ack));
        }
        line.append(", win ").append(window);
        if (!options.isEmpty()) {
            line.append(", options ").append(options);
        }
        line.append(", length ").append(length);
        return line.toString();
    }

    /** The timestamps option, or null (RFC 7323). */
    public TcpOption.Timestamps timestamps() {
        for (TcpOption option : options.list()) {
            if (option instanceof TcpOption.Timestamps ts) {
                return ts;
            }
        }
        return null;
    }

    /** The window-scale shift offered, or -1 when the option is absent (RFC 7323 §2). */
    public int windowScale() {
        for (TcpOption option : options.list()) {
            if (option instanceof TcpOption.WindowScale ws) {
                return ws.shift();
            }
        }
        return -1;
    }

    public boolean sackPermitted() {
        return options.list().stream().anyMatch(o -> o instanceof TcpOption.SackPermitted);
    }

    public String payloadText() {
        return new String(payload, StandardCharsets.UTF_8);
    }
}
