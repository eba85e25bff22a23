package io.vkernel.kernel.trace;

import io.vkernel.kernel.wire.Segment;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;

/**
 * A bounded log of kernel events: the oldest are forgotten first, sequence numbers keep counting. Listeners hear
 * every new event as it is recorded; {@link #subscribe} hands a new listener what it missed and starts it in one
 * step, so a live stream has neither gaps nor duplicates.
 */
public final class EventLog {

    /**
     * Hears each event as it is recorded, on the recording thread, usually while the kernel lock is held: it must
     * return at once (queue the event and hand it to another thread), never block or call back into the kernel.
     */
    public interface Listener {
        void onEvent(KernelEvent event);

        /** Before a replay: this many events the subscriber asked for are no longer kept. */
        default void onForgotten(long count) {
        }
    }

    private final ArrayDeque<KernelEvent> events = new ArrayDeque<>();
    /** What each event in {@link #events} retains, in the same order. */
    private final LongFifo eventBytes = new LongFifo();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final int capacity;
    private final LongSupplier clock;
    /** The log forgets its oldest events when they would retain more than this. */
    private long capacityBytes = Long.MAX_VALUE;
    private long retainedBytes;
    private long nextSeq = 1;

    public EventLog(int capacity, io.vkernel.kernel.time.VirtualClock.Reading clock) {
        this.capacity = Math.max(1, capacity);
        this.clock = clock;
    }

    public KernelEvent record(EventType type, String subject, String detail) {
        return add(type, subject, detail);
    }

    /** An event whose detail is written when read (see {@link EventText}); the same event as the text recorded now. */
    public KernelEvent record(EventType type, String subject, EventText detail) {
        return add(type, subject, detail);
    }

    /**
     * A packet's event: subject {@code #packetNo}, detail the segment's one-line summary, kept as the number and the
     * header fields they are written from and written each time someone reads them (the text is the same as
     * {@link Segment#summary()}).
     */
    public KernelEvent recordPacket(EventType type, long packetNo, Segment segment) {
        return add(type, new PacketNumber(packetNo), SegmentLine.of(segment));
    }

    private synchronized KernelEvent add(EventType type, Object subject, Object detail) {
        KernelEvent event = new KernelEvent(nextSeq++, clock.getAsLong(), type, subject, detail);
        if (events.size() == capacity) {
            events.removeFirst();
            retainedBytes -= eventBytes.removeFirst();
        }
        long bytes = retained(event);
        while (!events.isEmpty() && retainedBytes + bytes > capacityBytes) {
            events.removeFirst();
            retainedBytes -= eventBytes.removeFirst();
        }
        events.addLast(event);
        eventBytes.addLast(bytes);
        retainedBytes += bytes;
        for (Listener listener : listeners) {
            listener.onEvent(event);
        }
        return event;
    }

    /** Events with a sequence number above {@code after}, oldest first, at most {@code limit}. */
    public synchronized List<KernelEvent> after(long after, int limit) {
        List<KernelEvent> out = new ArrayList<>();
        for (KernelEvent event : events) {
            if (event.seq() > after) {
                out.add(event);
                if (out.size() == limit) {
                    break;
                }
            }
        }
        return out;
    }

    /**
     * Replays to {@code listener} the kept events after {@code after} (telling it first how many newer ones are
     * already forgotten), then registers it for every event recorded from now on, all in one step: no event is
     * missed or heard twice, and they arrive in order.
     */
    public synchronized void subscribe(long after, Listener listener) {
        long firstKept = events.isEmpty() ? nextSeq : events.getFirst().seq();
        long forgotten = Math.max(0, firstKept - Math.max(after, 0) - 1);
        if (forgotten > 0) {
            listener.onForgotten(forgotten);
        }
        for (KernelEvent event : events) {
            if (event.seq() > after) {
                listener.onEvent(event);
            }
        }
        listeners.add(listener);
    }

    public void unsubscribe(Listener listener) {
        listeners.remove(listener);
    }

    public int listenerCount() {
        return listeners.size();
    }

    public synchronized long lastSeq() {
        return nextSeq - 1;
    }

    public int capacity() {
        return capacity;
    }

    /** Bounds the log by the bytes its events retain as well as by their number. */
    public synchronized void limitBytes(long bytes) {
        this.capacityBytes = Math.max(1, bytes);
    }

    /**
     * The heap the kept events hold, estimated from what each recorded: its strings (one byte a Latin-1 character, two
     * otherwise) and the record; a packet's detail is the header fields its line is written from, not the line.
     */
    public synchronized long retainedBytes() {
        return retainedBytes;
    }

    public synchronized int size() {
        return events.size();
    }

    private static long retained(KernelEvent event) {
        return event.retainedBytes();
    }

    /**
     * A String's heap: its object (24 B) and its byte array (16 B header, padded to 8), one byte a character when
     * every character is Latin-1 (compact strings), two otherwise.
     */
    static long stringBytes(String text) {
        int length = text.length();
        boolean latin1 = true;
        for (int i = 0; i < length && latin1; i++) {
            latin1 = text.charAt(i) < 256;
        }
        return 24 + ((16L + (latin1 ? length : 2L * length) + 7) & ~7L);
    }
}
