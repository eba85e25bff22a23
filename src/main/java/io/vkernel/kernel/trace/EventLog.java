package io.vkernel.kernel.trace;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/** A bounded log of kernel events: the oldest are forgotten first, sequence numbers keep counting. */
public final class EventLog {

    private final ArrayDeque<KernelEvent> events = new ArrayDeque<>();
    private final int capacity;
    private final LongSupplier clock;
    private long nextSeq = 1;

    public EventLog(int capacity, LongSupplier clock) {
        this.capacity = Math.max(1, capacity);
        this.clock = clock;
    }

    public KernelEvent record(EventType type, String subject, String detail) {
        KernelEvent event = new KernelEvent(nextSeq++, clock.getAsLong(), type, subject, detail);
        if (events.size() == capacity) {
            events.removeFirst();
        }
        events.addLast(event);
        return event;
    }

    /** Events with a sequence number above {@code after}, oldest first, at most {@code limit}. */
    public List<KernelEvent> after(long after, int limit) {
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

    public long lastSeq() {
        return nextSeq - 1;
    }
}
