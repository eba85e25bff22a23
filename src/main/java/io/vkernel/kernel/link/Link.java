package io.vkernel.kernel.link;

import io.vkernel.kernel.MemoryBudget;
import io.vkernel.kernel.nic.Nic;
import io.vkernel.kernel.nic.WireRecord;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.WirePacket;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import io.vkernel.kernel.SplitMix;

/**
 * The wire between the members of a network, impaired as Linux's netem impairs an interface ({@code netem_enqueue()}
 * in net/sched/sch_netem.c): each packet offered may be copied, lost, reordered (sent at once, ahead of the delayed
 * ones) or delayed with jitter, then serialised at the link's rate behind the sender's previous packet. Packets wait
 * in a time-ordered queue (netem's tfifo) until the network's clock reaches their time. Every decision comes from one
 * {@link SplitMix} (SplittableRandom's generator) seeded by the settings, drawn in a fixed order, so a seed replays the same run.
 *
 * <p>The link knows no kernel: it is only ever entered under a sender's lock and left by the network with no kernel
 * lock held. Its own monitor is held briefly and never while calling out.
 */
public final class Link {

    /** netem's default queue limit (tc-netem(8) "limit packets", 1000): past it new packets are dropped. */
    public static final int LIMIT = 1000;
    /** Packets the link's capture keeps, oldest forgotten first. */
    public static final int CAPTURE_PACKETS = 10_000;
    public static final long CAPTURE_BYTES = 4L << 20;

    private final LinkSettings settings;
    private final SplitMix random;
    private final PriorityQueue<InFlight> queue = new PriorityQueue<>((a, b) -> a.dueMs != b.dueMs
            ? Long.compare(a.dueMs, b.dueMs) : Long.compare(a.order, b.order));
    /** When each sender's previous packet has finished serialising, in nanoseconds of virtual time. */
    private final Map<Integer, Long> busyUntilNs = new HashMap<>();
    private final Nic capture;
    private long captureTime;
    /** The service budget the capture and the packets in flight are charged to, and what is charged now. */
    private final MemoryBudget budget;
    private long charged;
    private long inFlightBytes;
    private boolean released;
    private long order;
    private long sent;
    private long delivered;
    private long lost;
    private long overflowed;
    private long undeliverable;
    private long duplicated;
    private long reordered;
    private long bytesDelivered;

    public Link(LinkSettings settings) {
        this(settings, MemoryBudget.unlimited());
    }

    /**
     * A link whose capture (at most {@link #CAPTURE_BYTES}, oldest forgotten first) and queue (at most {@link #LIMIT}
     * packets) are charged to {@code budget} as they grow and shrink, so they count in the service's budget and health.
     */
    public Link(LinkSettings settings, MemoryBudget budget) {
        this.budget = budget;
        this.settings = settings;
        this.random = new SplitMix(settings.seed());
        this.capture = new Nic(CAPTURE_PACKETS, () -> captureTime);
        this.capture.limitBytes(CAPTURE_BYTES);
    }

    public LinkSettings settings() {
        return settings;
    }

    /**
     * Hears what the link did, under its monitor and so in the order it happened: each packet offered, each packet
     * taken off it. Replaying the same calls into a fresh link with the same settings ({@link #send},
     * {@link #replayTake}) rebuilds it exactly: its random draws, queue, capture and counters (the journal keeps a
     * network's link this way, io.vkernel.journal).
     */
    public interface Recorder {
        void sent(Segment segment, long nowMs);

        void taken(long order, boolean delivered);
    }

    private Recorder recorder;

    /** Hands every later {@link #send} and delivery to {@code recorder} (null: to nobody). */
    public synchronized void record(Recorder recorder) {
        this.recorder = recorder;
    }

    /** A packet on its way: due at {@code dueMs} on the network's clock, for the member with address {@code to}. */
    public record InFlight(long dueMs, long order, int to, Segment segment) {
    }

    /** A member put {@code segment} on the link at {@code nowMs}: netem's enqueue decides what becomes of it. */
    public synchronized void send(Segment segment, long nowMs) {
        sent++;
        captureTime = nowMs;
        capture.transmit(segment);
        enqueue(segment, nowMs, true);
        recharge();
        if (recorder != null) {
            recorder.sent(segment, nowMs);
        }
    }

    /** Heap an in-flight packet holds: its payload, options and objects (as the wire log counts a record). */
    private static long bytesOf(Segment segment) {
        return 160 + segment.payload().length + 4L * segment.options().length();
    }

    private void add(InFlight packet) {
        queue.add(packet);
        inFlightBytes += bytesOf(packet.segment());
    }

    private void recharge() {
        if (released) {
            return;
        }
        long now = capture.retainedBytes() + inFlightBytes;
        budget.add(now - charged);
        charged = now;
    }

    /** The network is taken apart: the link's charge leaves the service budget. */
    public synchronized void release() {
        if (!released) {
            budget.add(-charged);
            charged = 0;
            released = true;
        }
    }

    /** The capture's size against its bounds, and the bytes charged to the service budget for capture and queue. */
    public record Memory(int capturedPackets, long captureBytes, long captureLimitBytes, int capturePacketLimit,
                         long inFlightBytes, long chargedBytes) {
    }

    public synchronized Memory memory() {
        return new Memory(capture.recordCount(), capture.retainedBytes(), capture.capacityBytes(), CAPTURE_PACKETS,
                inFlightBytes, charged);
    }

    private void enqueue(Segment segment, long nowMs, boolean mayDuplicate) {
        // netem_enqueue(): count starts at 1, a duplicate adds one, a loss takes one away; 0 means dropped
        int count = 1;
        if (mayDuplicate && hit(settings.duplicatePercent())) {
            count++;
        }
        if (hit(settings.lossPercent())) {
            count--;
        }
        if (count == 0) {
            lost++;
            return;
        }
        if (queue.size() >= LIMIT) {
            overflowed++;
            return;
        }
        if (count > 1) {
            // the copy goes through the queue again with duplication off, as netem re-enqueues skb2 at the root
            duplicated++;
            enqueue(segment, nowMs, false);
        }
        int to = segment.dst().address();
        if (settings.reorderPercent() > 0 && hit(settings.reorderPercent())) {
            // "one out of N packets at the front of the queue": sent now, ahead of every delayed packet
            reordered++;
            add(new InFlight(nowMs, order++, to, segment));
            return;
        }
        long delayNs = settings.delayMs() * 1_000_000L;
        if (settings.jitterMs() > 0) {
            // tabledist() without a table: uniform in [delay - jitter, delay + jitter)
            long jitterNs = settings.jitterMs() * 1_000_000L;
            delayNs = Math.max(0, delayNs - jitterNs + random.nextLong(2 * jitterNs));
        }
        long dueNs = nowMs * 1_000_000L + delayNs;
        if (settings.rateBytesPerSecond() > 0) {
            // the rate serialises each packet behind the sender's previous one (netem: "now = last->time_to_send")
            int sender = segment.src().address();
            long start = Math.max(dueNs, busyUntilNs.getOrDefault(sender, 0L));
            long length = WirePacket.of(segment).ip().totalLength();
            dueNs = start + Math.max(1, length * 1_000_000_000L / settings.rateBytesPerSecond());
            busyUntilNs.put(sender, dueNs);
        }
        long dueMs = (dueNs + 999_999) / 1_000_000;
        add(new InFlight(dueMs, order++, to, segment));
    }

    private boolean hit(double percent) {
        return percent > 0 && random.nextDouble() * 100 < percent;
    }

    /** The oldest packet due at or before {@code nowMs}, taken off the link; null when none is due. */
    public synchronized InFlight pollDue(long nowMs) {
        InFlight head = queue.peek();
        if (head == null || head.dueMs > nowMs) {
            return null;
        }
        InFlight packet = queue.poll();
        inFlightBytes -= bytesOf(packet.segment());
        recharge();
        return packet;
    }

    /** When the next packet is due, or null when the link is empty. */
    public synchronized Long nextDue() {
        InFlight head = queue.peek();
        return head == null ? null : head.dueMs;
    }

    /** When the next packet is due, or Long.MAX_VALUE when the link is empty. */
    public synchronized long nextDueOrMax() {
        InFlight head = queue.peek();
        return head == null ? Long.MAX_VALUE : head.dueMs;
    }

    /** The packet reached its member. */
    public synchronized void delivered(InFlight packet) {
        delivered++;
        bytesDelivered += packet.segment().payload().length;
        if (recorder != null) {
            recorder.taken(packet.order(), true);
        }
    }

    /** The packet's member is gone (deleted, or the network was taken apart). */
    public synchronized void undeliverable(InFlight packet) {
        undeliverable++;
        if (recorder != null) {
            recorder.taken(packet.order(), false);
        }
    }

    /**
     * Replay of a {@link Recorder#taken}: the packet numbered {@code order} leaves the queue, delivered or not.
     * Throws {@link IllegalStateException} when no such packet is in flight (the record does not fit this link).
     */
    public synchronized void replayTake(long order, boolean delivered) {
        InFlight packet = null;
        for (InFlight candidate : queue) {
            if (candidate.order() == order) {
                packet = candidate;
                break;
            }
        }
        if (packet == null) {
            throw new IllegalStateException("no packet number " + order + " is on the link");
        }
        queue.remove(packet);
        inFlightBytes -= bytesOf(packet.segment());
        recharge();
        if (delivered) {
            delivered(packet);
        } else {
            undeliverable(packet);
        }
    }

    /** Drops everything still in flight, counting it as undeliverable. */
    public synchronized void clear() {
        undeliverable += queue.size();
        queue.clear();
        inFlightBytes = 0;
        recharge();
    }

    public synchronized Counters counters() {
        return new Counters(sent, delivered, lost + overflowed + undeliverable, lost, overflowed, undeliverable, duplicated,
                reordered, queue.size(), bytesDelivered);
    }

    /** Every packet members put on the link, oldest first, with the time it was sent. */
    public synchronized List<WireRecord> capture() {
        return capture.wire(0, CAPTURE_PACKETS);
    }

    /**
     * What the link did: packets offered ({@code sent}), handed to a member ({@code delivered}), dropped in all
     * ({@code dropped} = {@code lost} by the loss setting + {@code overflowed} past {@link #LIMIT} + {@code undeliverable}
     * because their member left), extra copies, packets reordered, packets still {@code inFlight}, payload bytes delivered.
     */
    public record Counters(long sent, long delivered, long dropped, long lost, long overflowed, long undeliverable,
                           long duplicated, long reordered, long inFlight, long payloadBytesDelivered) {
    }
}
