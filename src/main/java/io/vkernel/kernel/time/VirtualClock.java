package io.vkernel.kernel.time;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * The kernel's clock and timer queue. Time is virtual milliseconds and moves only when {@link #advance} is
 * called, so nothing happens behind a learner's back and the same inputs give the same outputs. Timers are data:
 * a deadline, a name and an action; {@link #advance} fires them in deadline order, moving "now" to each one.
 */
public final class VirtualClock {

    private final PriorityQueue<Timer> timers = new PriorityQueue<>(
            Comparator.comparingLong(Timer::deadline).thenComparingLong(Timer::id));
    private long now;
    private long nextId = 1;

    public long now() {
        return now;
    }

    /** Schedules {@code action} to run {@code delayMs} from now; the returned timer can be cancelled. */
    public Timer schedule(long delayMs, String name, String owner, Runnable action) {
        Timer timer = new Timer(nextId++, now + Math.max(0, delayMs), name, owner, action);
        timers.add(timer);
        return timer;
    }

    /** Moves time forward by {@code ms}, firing every timer that falls due on the way; returns how many fired. */
    public int advance(long ms) {
        if (ms < 0) {
            throw new IllegalArgumentException("time only moves forward");
        }
        long target = now + ms;
        int fired = 0;
        while (!timers.isEmpty() && timers.peek().deadline() <= target) {
            Timer timer = timers.poll();
            if (timer.isCancelled()) {
                continue;
            }
            now = timer.deadline();
            timer.fire();
            fired++;
        }
        now = target;
        return fired;
    }

    /** The deadline of the next live timer, or null when none is pending. */
    public Long nextDeadline() {
        while (!timers.isEmpty() && timers.peek().isCancelled()) {
            timers.poll();
        }
        return timers.isEmpty() ? null : timers.peek().deadline();
    }

    /** Pending timers, soonest first. */
    public List<Timer> pending() {
        List<Timer> live = new ArrayList<>();
        for (Timer timer : timers) {
            if (!timer.isCancelled()) {
                live.add(timer);
            }
        }
        live.sort(timers.comparator());
        return live;
    }

    /** One scheduled action. Cancelling is idempotent. */
    public static final class Timer {
        private final long id;
        private final long deadline;
        private final String name;
        private final String owner;
        private final Runnable action;
        private boolean cancelled;

        Timer(long id, long deadline, String name, String owner, Runnable action) {
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
