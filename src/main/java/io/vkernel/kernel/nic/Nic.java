package io.vkernel.kernel.nic;

import io.vkernel.kernel.trace.DropReason;
import io.vkernel.kernel.trace.LongFifo;
import io.vkernel.kernel.trace.PcapWriter;
import io.vkernel.kernel.wire.Segment;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The network card: counts and records every packet received and transmitted (the wire log, bounded, oldest
 * forgotten first) and counts drops by reason. The receive path itself is {@code Kernel.receive}.
 */
public final class Nic {

    private final ArrayDeque<WireRecord> wire = new ArrayDeque<>();
    /** What each record in {@link #wire} retains, in the same order. */
    private final LongFifo wireBytes = new LongFifo();
    private final int capacity;
    private final LongSupplier clock;
    /** The wire log forgets its oldest records when they would retain more than this. */
    private long capacityBytes = Long.MAX_VALUE;
    private long retainedBytes;
    private final EnumMap<DropReason, Long> drops = new EnumMap<>(DropReason.class);
    private long nextNo = 1;
    private long packetsIn;
    private long packetsOut;

    public Nic(int capacity, io.vkernel.kernel.time.VirtualClock.Reading clock) {
        this.capacity = Math.max(1, capacity);
        this.clock = clock;
    }

    /** Step 1 of the seed: the interrupt fires and the packet is copied from the NIC into kernel memory. */
    public WireRecord receive(Segment segment) {
        packetsIn++;
        return log(true, segment);
    }

    /** Step 1 for raw bytes: a copy is logged as received, with the segment they decoded to (null when they did not). */
    public WireRecord receiveRaw(byte[] packet, Segment decoded) {
        packetsIn++;
        return log(true, decoded, packet.clone());
    }

    public WireRecord transmit(Segment segment) {
        packetsOut++;
        return log(false, segment);
    }

    public void countDrop(DropReason reason) {
        drops.merge(reason, 1L, Long::sum);
    }

    private WireRecord log(boolean inbound, Segment segment) {
        return log(inbound, segment, null);
    }

    private WireRecord log(boolean inbound, Segment segment, byte[] raw) {
        WireRecord record = new WireRecord(nextNo++, clock.getAsLong(), inbound, segment, raw);
        if (wire.size() == capacity) {
            wire.removeFirst();
            retainedBytes -= wireBytes.removeFirst();
        }
        long bytes = retained(record);
        while (!wire.isEmpty() && retainedBytes + bytes > capacityBytes) {
            wire.removeFirst();
            retainedBytes -= wireBytes.removeFirst();
        }
        wire.addLast(record);
        wireBytes.addLast(bytes);
        retainedBytes += bytes;
        return record;
    }

    /** Bounds the wire log by the bytes it retains as well as by its number of records. */
    public void limitBytes(long bytes) {
        this.capacityBytes = Math.max(1, bytes);
    }

    public long capacityBytes() {
        return capacityBytes;
    }

    /** The heap the wire log holds, estimated: each record's payload (twice for raw bytes, kept decoded too) and its objects. */
    public long retainedBytes() {
        return retainedBytes;
    }

    public int recordCount() {
        return wire.size();
    }

    static long retained(WireRecord record) {
        long bytes = 160;
        if (record.segment() != null) {
            bytes += record.segment().payload().length + 4L * record.segment().options().length();
        }
        if (record.raw() != null) {
            bytes += record.raw().length + 16;
        }
        return bytes;
    }

    public List<WireRecord> wire(long after, int limit) {
        List<WireRecord> out = new ArrayList<>();
        for (WireRecord record : wire) {
            if (record.no() > after) {
                out.add(record);
                if (out.size() == limit) {
                    break;
                }
            }
        }
        return out;
    }

    public long packetsIn() {
        return packetsIn;
    }

    public long packetsOut() {
        return packetsOut;
    }

    public Map<DropReason, Long> drops() {
        return new EnumMap<>(drops);
    }

    /** Writes {@code records} as a pcap file, as {@code tcpdump -w} would have captured them at this NIC. */
    public static void writePcap(List<WireRecord> records, OutputStream out) throws IOException {
        PcapWriter writer = new PcapWriter(out);
        for (WireRecord record : records) {
            writer.packet(record.timeMs(), record.bytes());
        }
    }
}
