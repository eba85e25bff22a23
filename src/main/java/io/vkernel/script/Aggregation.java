package io.vkernel.script;

import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;

/**
 * packetdrill's reading of several outbound packets as the one a script line expects (do_outbound_script_packet(),
 * verify_packet_fragments(), aggregate_packets()): while the bytes read are fewer than the line's, the next packet of
 * the same connection joins if it continues the sequence space with the same ACK and, unless it completes the
 * length, carries as many bytes as the one before it. The joined packet has the first packet's sequence number and
 * everything else (flags, window, options, time) from the last one.
 */
final class Aggregation {

    private Aggregation() {
    }

    /** Whether {@code next} is the next fragment of {@code sofar}, whose last fragment carried {@code lastLength}. */
    static boolean continues(Segment sofar, Segment next, int lastLength, int remaining) {
        int length = next.payload().length;
        if (length == 0 || length > remaining || sofar.payload().length + length > Segment.MAX_PAYLOAD) {
            return false;
        }
        if (!next.src().equals(sofar.src()) || !next.dst().equals(sofar.dst())
                || next.seq() != sofar.seq() + sofar.payload().length || next.ack() != sofar.ack()
                || (next.flags() & (TcpFlags.SYN | TcpFlags.RST)) != 0 || (sofar.flags() & (TcpFlags.SYN | TcpFlags.RST | TcpFlags.FIN)) != 0) {
            return false;
        }
        return length == remaining || length == lastLength; // a fragment before the last is as long as the one before it
    }

    static Segment join(Segment sofar, Segment next) {
        byte[] payload = new byte[sofar.payload().length + next.payload().length];
        System.arraycopy(sofar.payload(), 0, payload, 0, sofar.payload().length);
        System.arraycopy(next.payload(), 0, payload, sofar.payload().length, next.payload().length);
        return new Segment(next.src(), next.dst(), next.flags(), sofar.seq(), next.ack(), next.window(), next.mss(), payload,
                next.options(), next.tos());
    }
}
