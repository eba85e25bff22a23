package io.vkernel.kernel.time;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The kernel's clock and timer queue. Time is virtual milliseconds and moves only when {@link #advance} is
 * called, so nothing happens behind a learner's back and the same inputs give the same outputs. Timers are data:
 * a deadline, a name and an action; {@link #advance} fires them in deadline order, moving "now" to each one.
 *
 * <p>Timers wait in one FIFO bucket per deadline, buckets sorted by deadline: a timer's id grows with each
 * {@link #schedule}, so a bucket's order is id order and the firing order is (deadline, id) as a heap of all
 * timers would give, but many timers share a deadline (the clock moves in steps and RTOs double from the same
 * base), so arming or firing one is an append or a removal at a bucket's ends instead of a re-sift of the heap;
 * a journal replay arms and fires every timer the original run did.
 */
public final class VirtualClock {

    private final TreeMap<Long, ArrayDeque<Timer>> timers = new TreeMap<>();
    /**
     * The bucket the last {@link #schedule} appended to, and its deadline: timers armed one after another mostly share
     * a deadline (every connection whose RTO fired in one bucket re-arms for the same later one), so the next arm
     * appends here without a search of the tree. Forgotten whenever its bucket leaves the tree.
     */
    private transient ArrayDeque<Timer> lastBucket; // transient: a snapshot restores without it (see Snapshots)
    private transient long lastDeadline;
    private long now;
    private long nextId = 1;

    public long now() {
        return now;
    }

    /** Schedules {@code action} to run {@code delayMs} from now; the returned timer can be cancelled. */
    public Timer schedule(long delayMs, String name, String owner, Action action) {
        Timer timer = new Timer(nextId++, now + Math.max(0, delayMs), name, owner, action);
        if (lastBucket == null || lastDeadline != timer.deadline()) {
            lastBucket = timers.computeIfAbsent(timer.deadline(), d -> new ArrayDeque<>());
            lastDeadline = timer.deadline();
        }
        lastBucket.addLast(timer);
        return timer;
    }

    /** Moves time forward by {@code ms}, firing every timer that falls due on the way; returns how many fired. */
    public int advance(long ms) {
        if (ms < 0) {
            throw new IllegalArgumentException("time only moves forward");
        }
        long target = now + ms;
        int fired = 0;
        Map.Entry<Long, ArrayDeque<Timer>> bucket;
        while ((bucket = timers.firstEntry()) != null && bucket.getKey() <= target) {
            // a timer a firing one arms for "now" joins the end of this bucket and fires in this pass, in id order
            ArrayDeque<Timer> due = bucket.getValue();
            Timer timer;
            while ((timer = due.pollFirst()) != null) {
                if (timer.isCancelled()) {
                    continue;
                }
                now = timer.deadline();
                timer.fire();
                fired++;
            }
            removeBucket(bucket.getKey());
        }
        now = target;
        return fired;
    }

    /** The deadline of the next live timer, or null when none is pending. */
    public Long nextDeadline() {
        Map.Entry<Long, ArrayDeque<Timer>> bucket;
        while ((bucket = timers.firstEntry()) != null) {
            ArrayDeque<Timer> due = bucket.getValue();
            while (!due.isEmpty() && due.peekFirst().isCancelled()) {
                due.pollFirst();
            }
            if (!due.isEmpty()) {
                return bucket.getKey();
            }
            removeBucket(bucket.getKey());
        }
        return null;
    }

    private void removeBucket(Long deadline) {
        ArrayDeque<Timer> removed = timers.remove(deadline);
        if (removed == lastBucket) {
            lastBucket = null;
        }
    }

    /** Pending timers, soonest first (deadline, then the order they were armed). */
    public List<Timer> pending() {
        List<Timer> live = new ArrayList<>();
        for (ArrayDeque<Timer> bucket : timers.values()) {
            for (Timer timer : bucket) {
                if (!timer.isCancelled()) {
                    live.add(timer);
                }
            }
        }
        return live;
    }

    /**
     * What a timer runs. Serializable, so that a lambda armed as a timer can be written with the rest of a kernel's
     * state (the journal's snapshots, issue 15) and rebuilt as the same call on the same captured objects.
     */
    @FunctionalInterface
    public interface Action extends Runnable, java.io.Serializable {
    }

    /** The clock's reading as the event and wire logs take it; serializable for the same reason as {@link Action}. */
    @FunctionalInterface
    public interface Reading extends java.util.function.LongSupplier, java.io.Serializable {
    }

    /** One scheduled action. Cancelling is idempotent. */
    public static final class Timer {
        private final long id;
        private final long deadline;
        private final String name;
        private final String owner;
        private final Action action;
        private boolean cancelled;

        Timer(long id, long deadline, String name, String owner, Action action) {
            this.id = id;
            this.deadline = deadline;
            this.name = name;
            this.owner = owner;
            this.action = action;
        }

        public long id() {
            return id;
        }

        public long deadline() {
            return deadline;
        }

        public String name() {
            return name;
        }

        public String owner() {
            return owner;
        }

        public boolean isCancelled() {
            return cancelled;
        }

        public void cancel() {
            cancelled = true;
        }

        void fire() {
            cancelled = true;
            action.run();
        }
    }
}
