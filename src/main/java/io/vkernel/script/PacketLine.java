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
                  List<TcpOption> options, Ecn ecn, int urgent) implements ScriptEvent.Action {

    PacketLine(boolean inbound, Ports ports, int flags, long seq, int length, Long ack, Integer window, List<TcpOption> options) {
        this(inbound, ports, flags, seq, length, ack, window, options, null);
    }

    /** A packet line without {@code urg N}: the urgent pointer field is 0. */
    PacketLine(boolean inbound, Ports ports, int flags, long seq, int length, Long ack, Integer window, List<TcpOption> options, Ecn ecn) {
        this(inbound, ports, flags, seq, length, ack, window, options, ecn, 0);
    }

    /**
     * packetdrill's IP ECN annotation before the flags ({@code [ect0]}, {@code [ect1]}, {@code [ce]}, {@code [noecn]},
     * {@code [ect01]}): the ECN field an inbound packet carries, or the one an outbound packet must carry (ECT01: either
     * ECT). Without one, an inbound packet is Not-ECT and an outbound one's field is not checked.
     */
    enum Ecn {
        NOECN(0), ECT1(1), ECT0(2), CE(3), ECT01(-1);

        final int field;

        Ecn(int field) {
            this.field = field;
        }

        /** The annotation for the ECN field of TOS byte {@code tos}. */
        static Ecn of(int tos) {
            return switch (tos & 3) {
                case 1 -> ECT1;
                case 2 -> ECT0;
                case 3 -> CE;
                default -> NOECN;
            };
        }

        boolean matches(int actual) {
            return this == ECT01 ? actual == 1 || actual == 2 : actual == field;
        }

        @Override
        public String toString() {
            return "[" + name().toLowerCase(java.util.Locale.ROOT) + "]";
        }
    }

    /** Ports written before the flags as {@code src>dst}. */
    record Ports(int src, int dst) {
        @Override
        public String toString() {
            return src + ">" + dst;
        }
    }

    /** The packet in script notation, without direction and ports: {@code S. 0:0(0) ack 1 <mss 1460>}. */
    String describe() {
        return (ecn == null ? "" : ecn + " ") + Notation.packet(flags, seq, length, ack, window, options, options == null)
                + (urgent == 0 ? "" : " urg " + urgent);
    }

    boolean has(int flag) {
        return (flags & flag) != 0;
    }

    boolean hasAck() {
        return has(TcpFlags.ACK);
    }
}
