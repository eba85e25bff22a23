package io.vkernel.kernel.tcp;

import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.TcpFlags;

import java.util.Arrays;

/**
 * A first transmission with the device's segmentation offloads off ({@code ethtool -K tun0 gso off tso off},
 * vkernel.gso=0). TCP still builds GSO packets (sk_setup_caps() always sets NETIF_F_GSO for TCP): tcp_write_xmit()
 * cuts the send into packets of tcp_tso_segs() segments, __tcp_transmit_skb() sets PSH on each packet of more than one
 * segment, and validate_xmit_skb() segments them in software at the MSS before the device. tcp_gso_segment() keeps PSH
 * and FIN on the last segment of each packet only. So the wire shows MSS-sized segments, with PSH on the last segment
 * of every multi-segment packet and where a write ended.
 */
final class SoftwareGso {

    private SoftwareGso() {
    }

    /** A first send of {@code chunk} at SND.NXT, in packets of {@code perPacket} segments. */
    static void transmit(TcpHost host, TcpOutput output, Tcb tcb, int flags, byte[] chunk, int perPacket, int mss,
                         PacketReport report) {
        int packetBytes = Math.max(1, perPacket) * mss;
        int[] ends = new int[(chunk.length + packetBytes - 1) / packetBytes];
        for (int i = 0; i < ends.length; i++) {
            ends[i] = Math.min(chunk.length, (i + 1) * packetBytes);
        }
        transmit(host, output, tcb, flags, tcb.sndNxt, chunk, ends, mss, report);
    }

    /**
     * Sends {@code chunk} at {@code seq} as packets ending at the offsets {@code ends} (ascending, the last one the
     * chunk's length), each cut at the MSS; {@code flags} are those of the last packet: PSH and FIN end up on the
     * chunk's last segment, and every packet of more than one segment ends with PSH.
     */
    static void transmit(TcpHost host, TcpOutput output, Tcb tcb, int flags, int seq, byte[] chunk, int[] ends, int mss,
                         PacketReport report) {
        int tail = flags & (TcpFlags.PSH | TcpFlags.FIN);
        int packet = 0;
        for (int packetEnd : ends) {
            boolean multi = packetEnd - packet > mss;
            for (int from = packet; from < packetEnd; from += mss) {
                int to = Math.min(packetEnd, from + mss);
                int segmentFlags = flags & ~(TcpFlags.PSH | TcpFlags.FIN);
                if (to == packetEnd) {
                    segmentFlags |= multi ? TcpFlags.PSH : 0;
                    segmentFlags |= to == chunk.length ? tail : 0;
                }
                byte[] payload = Arrays.copyOfRange(chunk, from, to);
                host.transmit(output.outExact(tcb, segmentFlags, seq + from, tcb.rcvNxt, payload), report);
            }
            packet = packetEnd;
        }
    }
}
