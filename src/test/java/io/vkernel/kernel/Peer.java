package io.vkernel.kernel;

import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOption;
import io.vkernel.kernel.wire.TcpOptions;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A remote TCP peer for tests: it writes segments to a kernel and remembers the sequence numbers it has
 * used and seen, so a test reads like a packet conversation. Its ISN is near 2^32 so sequence numbers wrap.
 */
final class Peer {

    static final int ISN = -10_001;

    private final Kernel kernel;
    private final Endpoint self;
    private final Endpoint server;
    private int sndNxt = ISN;
    private int rcvNxt;
    int window = 65535;
    int mss = 1460;
    /** Offer SACK in the SYN (RFC 2018 sackOK). */
    boolean sackOk;
    PacketReport last;

    Peer(Kernel kernel, String self, String server) {
        this.kernel = kernel;
        this.self = Endpoint.parse(self);
        this.server = Endpoint.parse(server);
    }

    PacketReport send(int flags, String payload) {
        byte[] bytes = payload.getBytes(StandardCharsets.UTF_8);
        boolean syn = (flags & ~(TcpFlags.ECE | TcpFlags.CWR)) == TcpFlags.SYN; // a SYN, asking for ECN or not
        TcpOptions options = syn && sackOk ? TcpOptions.of(new TcpOption.Mss(mss), new TcpOption.Nop(), new TcpOption.Nop(),
                new TcpOption.SackPermitted()) : null;
        Segment segment = new Segment(self, server, flags, sndNxt, rcvNxt, window, syn ? mss : 0, bytes, options);
        sndNxt += segment.length();
        return deliver(segment);
    }

    /** Sends exactly this segment, without touching the peer's own sequence bookkeeping. */
    PacketReport sendAt(int flags, int seq, int ack, String payload) {
        return deliver(new Segment(self, server, flags, seq, ack, window, 0, payload.getBytes(StandardCharsets.UTF_8)));
    }

    /** A bare ACK of {@code ack} carrying one SACK block [start, end) (RFC 2018, option kind 5). */
    PacketReport sendSack(int ack, int start, int end) {
        byte[] block = java.nio.ByteBuffer.allocate(8).putInt(start).putInt(end).array();
        TcpOptions options = TcpOptions.of(new TcpOption.Nop(), new TcpOption.Nop(), new TcpOption.Unknown(5, block));
        return deliver(new Segment(self, server, TcpFlags.ACK, sndNxt, ack, window, 0, new byte[0], options));
    }

    /** A bare ACK of {@code ack} carrying the SACK blocks given as start, end pairs, in order (none: a plain ACK). */
    PacketReport sendSackBlocks(int ack, int... edges) {
        TcpOptions options = null;
        if (edges.length > 0) {
            java.nio.ByteBuffer blocks = java.nio.ByteBuffer.allocate(4 * edges.length);
            for (int edge : edges) {
                blocks.putInt(edge);
            }
            options = TcpOptions.of(new TcpOption.Nop(), new TcpOption.Nop(), new TcpOption.Unknown(5, blocks.array()));
        }
        return deliver(new Segment(self, server, TcpFlags.ACK, sndNxt, ack, window, 0, new byte[0], options));
    }

    /** The same, with the ACK and the block edges given as offsets from {@code base} (e.g. the first data byte). */
    PacketReport sendSackBlocksFrom(int base, int ack, int... edges) {
        return sendSackBlocks(base + ack, java.util.Arrays.stream(edges).map(e -> base + e).toArray());
    }

    private PacketReport deliver(Segment segment) {
        last = kernel.receive(segment);
        for (Segment reply : last.sentSegments()) {
            if (reply.has(TcpFlags.SYN)) {
                rcvNxt = reply.seq() + 1;
            } else if (reply.length() > 0) {
                rcvNxt = reply.seq() + reply.length();
            }
        }
        return last;
    }

    /** Moves the peer's next sequence number, as a new incarnation of the same 4-tuple would choose its ISN. */
    Peer jumpTo(int seq) {
        sndNxt = seq;
        return this;
    }

    /** SYN, then the ACK of the SYN-ACK: the handshake the seed draws. */
    Peer connect() {
        send(TcpFlags.SYN, "");
        send(TcpFlags.ACK, "");
        return this;
    }

    PacketReport data(String text) {
        return send(TcpFlags.PSH | TcpFlags.ACK, text);
    }

    PacketReport fin() {
        return send(TcpFlags.FIN | TcpFlags.ACK, "");
    }

    PacketReport ack() {
        return send(TcpFlags.ACK, "");
    }

    /** Segments the kernel sent to this peer, oldest first, across the whole wire log. */
    List<Segment> received() {
        return kernel.inspect(k -> k.nic().wire(0, Integer.MAX_VALUE)).stream()
                .filter(r -> !r.inbound() && r.segment().dst().equals(self))
                .map(r -> r.segment()).toList();
    }

    /** Accounts for bytes the kernel sent us (after a write), so our next ACK covers them. */
    void consumeSent() {
        List<Segment> all = received();
        Segment lastSeg = all.get(all.size() - 1);
        rcvNxt = lastSeg.seq() + lastSeg.length();
    }

    int sndNxt() {
        return sndNxt;
    }

    int rcvNxt() {
        return rcvNxt;
    }

    /** The last segment the kernel sent to this peer. */
    Segment lastReceived() {
        List<Segment> all = received();
        return all.isEmpty() ? null : all.get(all.size() - 1);
    }

    /** Flags of every segment the kernel sent to this peer, in tcpdump's spelling. */
    List<String> receivedFlags() {
        return received().stream().map(s -> TcpFlags.format(s.flags())).toList();
    }

    Endpoint endpoint() {
        return self;
    }
}
