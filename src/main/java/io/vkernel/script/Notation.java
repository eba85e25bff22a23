package io.vkernel.script;

import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOption;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;

/** Packets, options and times written as packetdrill scripts write them. */
final class Notation {

    static final int KIND_SACK = 5;

    private Notation() {
    }

    /** {@code S. 0:0(0) ack 1 win 65160 <mss 1460,...>}; {@code ack} only with the ACK flag, {@code win} when given. */
    static String packet(int flags, long seq, int length, Long ack, Integer window, List<TcpOption> options, boolean anyOptions) {
        StringBuilder out = new StringBuilder(flags(flags)).append(' ')
                .append(seq).append(':').append((seq + length) & 0xffffffffL).append('(').append(length).append(')');
        if ((flags & TcpFlags.ACK) != 0 && ack != null) {
            out.append(" ack ").append(ack);
        }
        if (window != null) {
            out.append(" win ").append(window);
        }
        if (anyOptions) {
            out.append(" <...>");
        } else if (options != null && !options.isEmpty()) {
            out.append(' ').append(options(options));
        }
        return out.toString();
    }

    static String flags(int flags) {
        return flags == 0 ? "-" : TcpFlags.format(flags);
    }

    static String options(List<TcpOption> options) {
        StringJoiner out = new StringJoiner(",", "<", ">");
        for (TcpOption option : options) {
            out.add(option(option));
        }
        return out.toString();
    }

    static String option(TcpOption option) {
        if (option instanceof TcpOption.Unknown unknown && unknown.kind() == KIND_SACK) {
            StringBuilder out = new StringBuilder("sack");
            ByteBuffer blocks = ByteBuffer.wrap(unknown.value());
            while (blocks.remaining() >= 8) {
                out.append(' ').append(blocks.getInt() & 0xffffffffL).append(':').append(blocks.getInt() & 0xffffffffL);
            }
            return out.toString();
        }
        return option.toString();
    }

    /** Microseconds as seconds with three decimals, or six when the time is not a whole millisecond. */
    static String seconds(long us) {
        return us % 1000 == 0 ? String.format(Locale.ROOT, "%.3f", us / 1e6) : String.format(Locale.ROOT, "%.6f", us / 1e6);
    }
}
