package io.vkernel.api;

import io.vkernel.kernel.nic.WireRecord;
import io.vkernel.kernel.wire.Ipv4;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.Seq;
import io.vkernel.kernel.wire.TcpFlags;

import java.util.List;

/**
 * The wire log as {@code tcpdump -n -S -tt} prints it: virtual seconds since the kernel started, addresses as
 * {@code ip.port}, absolute sequence numbers, then flags, window, options and length in tcpdump's order.
 */
final class TcpdumpText {

    private TcpdumpText() {
    }

    static String render(List<WireRecord> records) {
        StringBuilder out = new StringBuilder();
        for (WireRecord record : records) {
            out.append(String.format("%d.%06d ", record.timeMs() / 1000, record.timeMs() % 1000 * 1000));
            if (record.segment() == null) {
                out.append(Views.undecodable(record.raw(), record.no(), record.timeMs(), "in").summary()).append('\n');
                continue;
            }
            out.append(line(record.segment())).append('\n');
        }
        return out.toString();
    }

    static String line(Segment s) {
        StringBuilder line = new StringBuilder("IP ")
                .append(Ipv4.format(s.src().address())).append('.').append(s.src().port()).append(" > ")
                .append(Ipv4.format(s.dst().address())).append('.').append(s.dst().port())
                .append(": Flags [").append(TcpFlags.format(s.flags())).append("], seq ").append(Seq.unsigned(s.seq()));
        if (s.payload().length > 0) {
            line.append(':').append(Seq.unsigned(s.seq() + s.payload().length));
        }
        if (s.has(TcpFlags.ACK)) {
            line.append(", ack ").append(Seq.unsigned(s.ack()));
        }
        line.append(", win ").append(s.window());
        if (!s.options().isEmpty()) {
            line.append(", options ").append(s.options());
        }
        return line.append(", length ").append(s.payload().length).toString();
    }

    /** The same line from a packet view (a packet already reported as JSON fields); undecodable bytes keep their summary. */
    static String line(Views.PacketView p) {
        if (p.src() == null) {
            return p.summary();
        }
        StringBuilder line = new StringBuilder("IP ").append(dotted(p.src())).append(" > ").append(dotted(p.dst()))
                .append(": Flags [").append(p.flags()).append("], seq ").append(p.seq());
        int length = p.length() == null ? 0 : p.length();
        if (length > 0) {
            line.append(':').append((p.seq() + length) & 0xffffffffL);
        }
        if (p.ack() != null) {
            line.append(", ack ").append(p.ack());
        }
        line.append(", win ").append(p.window());
        if (p.options() != null) {
            line.append(", options [").append(p.options()).append(']');
        }
        return line.append(", length ").append(length).toString();
    }

    /** tcpdump writes ip.port, not ip:port. */
    private static String dotted(String endpoint) {
        int colon = endpoint.lastIndexOf(':');
        return colon < 0 ? endpoint : endpoint.substring(0, colon) + '.' + endpoint.substring(colon + 1);
    }
}
