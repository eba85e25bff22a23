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
        if (option instanceof TcpOption.Unknown accEcn && (accEcn.kind() == io.vkernel.kernel.tcp.AccEcn.KIND_ACCECN0
                || accEcn.kind() == io.vkernel.kernel.tcp.AccEcn.KIND_ACCECN1) && accEcn.value().length % 3 == 0) {
            // packetdrill: ECN e1b N ceb N e0b N (kind 174) or ECN e0b N ceb N e1b N (kind 172)
            String[] names = accEcn.kind() == io.vkernel.kernel.tcp.AccEcn.KIND_ACCECN1
                    ? new String[] {"e1b", "ceb", "e0b"} : new String[] {"e0b", "ceb", "e1b"};
            StringBuilder out = new StringBuilder("ECN");
            byte[] v = accEcn.value();
            for (int i = 0; i < v.length / 3; i++) {
                out.append(' ').append(names[i]).append(' ')
                        .append(((v[3 * i] & 0xff) << 16) | ((v[3 * i + 1] & 0xff) << 8) | (v[3 * i + 2] & 0xff));
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
