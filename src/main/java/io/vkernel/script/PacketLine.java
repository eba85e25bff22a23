package io.vkernel.script;

import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOption;

import java.util.List;

/**
 * A packet line: {@code < S 0:0(0) win 32792 <mss 1000>} (inbound, injected) or {@code > S. 0:0(0) ack 1 <...>}
 * (outbound, expected). Sequence and acknowledgment numbers are the script's relative ones; {@code ports} is the
 * optional {@code src>dst} prefix; {@code window} null means "not checked"; {@code options} null means {@code <...>}
 * (any options), an empty list means none.
 */
record PacketLine(boolean inbound, Ports ports, int flags, long seq, int length, Long ack, Integer window,
                  List<TcpOption> options) implements ScriptEvent.Action {

    /** Ports written before the flags as {@code src>dst}. */
    record Ports(int src, int dst) {
        @Override
        public String toString() {
            return src + ">" + dst;
        }
    }

    /** The packet in script notation, without direction and ports: {@code S. 0:0(0) ack 1 <mss 1460>}. */
    String describe() {
        return Notation.packet(flags, seq, length, ack, window, options, options == null);
    }

    boolean has(int flag) {
        return (flags & flag) != 0;
    }

    boolean hasAck() {
        return has(TcpFlags.ACK);
    }
}
