package io.vkernel.kernel;

import io.vkernel.kernel.wire.Seq;
import io.vkernel.kernel.wire.TcpHeader;

/**
 * The line {@code tshark -T fields -e tcp.flags.str -e tcp.seq_raw -e tcp.ack_raw} prints for a TCP header
 * (Wireshark 4.0): the twelve flag bits from the top as {@code RRRACEUAPRSF} with {@code ·} (U+00B7) for a clear bit,
 * then the raw sequence and acknowledgment numbers, unsigned, tab-separated; tshark prints the ack field even
 * without ACK set.
 */
final class TsharkFields {

    private static final String LETTERS = "RRRACEUAPRSF";

    private TsharkFields() {
    }

    static String line(TcpHeader tcp) {
        int bits = (tcp.reserved() << 8) | tcp.flags();
        StringBuilder flags = new StringBuilder();
        for (int i = 0; i < LETTERS.length(); i++) {
            boolean set = ((bits >>> (LETTERS.length() - 1 - i)) & 1) != 0;
            flags.append(set ? LETTERS.charAt(i) : '\u00b7');
        }
        return flags + "\t" + Seq.unsigned(tcp.seq()) + "\t" + Seq.unsigned(tcp.ack());
    }
}
