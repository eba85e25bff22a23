package io.vkernel.script;

import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOption;
import io.vkernel.kernel.wire.TcpOptions;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Packet lines against the wire: builds the segment an inbound line injects, and compares a segment the kernel
 * sent with an outbound line as packetdrill's {@code verify_outbound_live_packet()} does: flags, sequence and
 * acknowledgment numbers (relative), window when given, options kind by kind in order (TS values only with
 * {@code --tcp_ts_tick_usecs}) unless the line says {@code <...>}, and the payload length.
 */
final class Packets {

    private Packets() {
    }

    /** The segment an inbound line puts on the wire, its numbers mapped from script to wire. */
    static Segment inbound(PacketLine line, Flow.Key key, Flow flow, int localAddress) {
        boolean ack = line.hasAck();
        boolean syn = (line.flags() & TcpFlags.SYN) != 0;
        int ackField = ack ? flow.toLive(line.ack(), syn) : line.ack() == null ? 0 : (int) (long) line.ack();
        List<TcpOption> options = new ArrayList<>();
        for (TcpOption option : line.options()) {
            if (option instanceof TcpOption.Timestamps ts && ack) {
                options.add(new TcpOption.Timestamps(ts.value(), flow.liveEcr(ts.echoReply())));
            } else if (option instanceof TcpOption.Unknown sack && sack.kind() == Notation.KIND_SACK) {
                options.add(mapSack(sack, flow, syn));
            } else {
                options.add(option);
            }
        }
        if (syn) {
            flow.learnRemoteIsn(line.seq());
        }
        return new Segment(key.remote(), new Endpoint(localAddress, key.localPort()), line.flags(), flow.remoteToLive(line.seq(), syn), ackField,
                line.window(), 0, new byte[line.length()], new TcpOptions(options), line.ecn() == null ? 0 : line.ecn().field, line.urgent());
    }

    private static TcpOption mapSack(TcpOption.Unknown sack, Flow flow, boolean syn) {
        ByteBuffer in = ByteBuffer.wrap(sack.value());
        ByteBuffer out = ByteBuffer.allocate(sack.value().length);
        while (in.remaining() >= 8) {
            out.putInt(flow.toLive(in.getInt() & 0xffffffffL, syn));
            out.putInt(flow.toLive(in.getInt() & 0xffffffffL, syn));
        }
        return new TcpOption.Unknown(Notation.KIND_SACK, out.array());
    }

    /** The kernel's SACK blocks (the peer's sequence numbers) in script space, relative to the remote ISN. */
    private static TcpOption remoteSack(TcpOption.Unknown sack, Flow flow) {
        ByteBuffer in = ByteBuffer.wrap(sack.value());
        ByteBuffer out = ByteBuffer.allocate(sack.value().length);
        while (in.remaining() >= 8) {
            out.putInt((int) flow.remoteToScript(in.getInt(), false));
            out.putInt((int) flow.remoteToScript(in.getInt(), false));
        }
        return new TcpOption.Unknown(Notation.KIND_SACK, out.array());
    }

    /** An outbound segment in script notation: sequence numbers relative, window and options as sent. */
    static String describe(Segment segment, Flow flow, boolean withPorts) {
        String packet = Notation.packet(segment.flags(), flow.toScript(segment.seq(), segment.has(TcpFlags.SYN)), segment.payload().length,
                flow.remoteToScript(segment.ack(), segment.has(TcpFlags.SYN)), segment.window(), segment.options().list(), false);
        return withPorts ? segment.src().port() + ">" + segment.dst().port() + " " + packet : packet;
    }

    /** Compares what the kernel sent with what the line expects; returns the differences (empty: it matches). */
    static List<String> compare(Segment actual, PacketLine expected, Flow flow, long tsTickUs, long toleranceUs) {
        List<String> problems = new ArrayList<>();
        if (actual.flags() != expected.flags()) {
            problems.add("flags: expected " + Notation.flags(expected.flags()) + " but the kernel sent " + Notation.flags(actual.flags()));
        }
        long seq = flow.toScript(actual.seq(), actual.has(TcpFlags.SYN));
        if (seq != expected.seq()) {
            problems.add("sequence number: expected " + expected.seq() + " but the kernel sent " + seq);
        }
        long ack = flow.remoteToScript(actual.ack(), actual.has(TcpFlags.SYN));
        if (expected.hasAck() && actual.has(TcpFlags.ACK) && ack != expected.ack()) {
            problems.add("ack: expected " + expected.ack() + " but the kernel sent " + ack);
        }
        if (expected.window() != null && actual.window() != expected.window()) {
            problems.add("window: expected " + expected.window() + " but the kernel sent " + actual.window());
        }
        if (expected.ecn() != null && !expected.ecn().matches(actual.tos() & 3)) {
            problems.add("IP ECN field: expected " + expected.ecn() + " but the kernel sent "
                    + PacketLine.Ecn.of(actual.tos()));
        }
        if (actual.payload().length != expected.length()) {
            problems.add("payload: expected " + expected.length() + " bytes but the kernel sent " + actual.payload().length);
        }
        if (expected.options() != null) {
            compareOptions(actual.options().list(), expected.options(), flow, tsTickUs, toleranceUs, problems);
        }
        return problems;
    }

    private static void compareOptions(List<TcpOption> actual, List<TcpOption> expected, Flow flow, long tsTickUs,
                                       long toleranceUs, List<String> problems) {
        boolean sameKinds = actual.size() == expected.size();
        for (int i = 0; sameKinds && i < actual.size(); i++) {
            sameKinds = actual.get(i).kind() == expected.get(i).kind();
        }
        if (!sameKinds) {
            problems.add("options: expected " + (expected.isEmpty() ? "none" : Notation.options(expected)) + " but the kernel sent "
                    + (actual.isEmpty() ? "none" : Notation.options(actual)));
            return;
        }
        for (int i = 0; i < actual.size(); i++) {
            TcpOption a = actual.get(i);
            TcpOption e = expected.get(i);
            if (a instanceof TcpOption.Timestamps live && e instanceof TcpOption.Timestamps script) {
                long mapped = flow.scriptTs(live.value());
                long drift = Math.abs((int) (mapped - script.value()));
                if (tsTickUs > 0 && drift * tsTickUs > toleranceUs) {
                    problems.add("TS val: expected " + script.value() + " but the kernel's is " + mapped + " in script time ("
                            + drift + " ticks of " + tsTickUs + " us off, tolerance " + toleranceUs + " us)");
                }
                // the peer's TS val go on the wire as the script writes them, so the kernel's ecr (RFC 7323 §4.3:
                // TS.Recent, the TSval the peer last sent in order) must equal the script's ecr exactly, as in packetdrill
                if (live.echoReply() != script.echoReply()) {
                    problems.add("TS ecr: expected " + script.echoReply() + " but the kernel echoed " + live.echoReply()
                            + " (ecr must be the TS val the peer last sent)");
                }
            } else if (a instanceof TcpOption.Unknown sack && sack.kind() == Notation.KIND_SACK) {
                TcpOption mapped = remoteSack(sack, flow);
                if (!mapped.equals(e)) {
                    problems.add("option " + (i + 1) + ": expected " + Notation.option(e) + " but the kernel sent " + Notation.option(mapped));
                }
            } else if (!(a instanceof TcpOption.Nop) && !(a instanceof TcpOption.End) && !a.equals(e)) {
                problems.add("option " + (i + 1) + ": expected " + Notation.option(e) + " but the kernel sent " + Notation.option(a));
            }
        }
    }

    /**
     * Remembers which TS val the kernel really sent for the one the line writes (the first pair is the baseline
     * for checking TS val with a tick), so later inbound ecr values can be translated; as packetdrill, before comparing.
     */
    static void learnTimestamps(Segment actual, PacketLine expected, Flow flow) {
        TcpOption.Timestamps live = actual.timestamps();
        if (live == null || expected.options() == null) {
            return;
        }
        for (TcpOption option : expected.options()) {
            if (option instanceof TcpOption.Timestamps script) {
                flow.learnTs(script.value(), live.value());
            }
        }
    }
}
