package io.vkernel.kernel.socket;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** A socket's wait queue: the threads sleeping until the socket becomes readable, acceptable or errors. */
public final class WaitQueue {

    /** Something parked on the queue; {@link #wake()} asks it to retry and returns true when it finished. */
    public interface Waiter {
        boolean wake();

        /** A wake-up carrying a poll key (the events that happened, as __wake_up() passes it); most waiters retry anyway. */
        default boolean wake(int key) {
            return wake();
        }

        String describe();
    }

    /** The key of a wake-up that names no event (sock_def_wakeup(), a state change): every watcher is concerned. */
    public static final int ALL = -1;

    /** Created with the first sleeper: a million idle sockets carry no empty sets. */
    private Set<Waiter> waiters;

    public void add(Waiter waiter) {
        if (waiters == null) {
            waiters = new LinkedHashSet<>();
        }
        waiters.add(waiter);
    }

    public void remove(Waiter waiter) {
        if (waiters != null) {
            waiters.remove(waiter);
        }
    }

    public boolean isEmpty() {
        return waiters == null || waiters.isEmpty();
    }

    public List<Waiter> waiters() {
        return waiters == null ? List.of() : List.copyOf(waiters);
    }

    /** Wakes every sleeper (as {@code sock_def_readable()} does); sleepers that completed leave the queue. */
    public List<Waiter> wakeAll() {
        return wakeAll(ALL);
    }

    /** Wakes every sleeper with {@code key}: sleeping calls retry; an epoll watch queues itself only for events it wants. */
    public List<Waiter> wakeAll(int key) {
        List<Waiter> woken = new ArrayList<>();
        if (waiters == null) {
            return woken;
        }
        for (Waiter waiter : List.copyOf(waiters)) {
            if (waiter.wake(key)) {
                waiters.remove(waiter);
                woken.add(waiter);
            }
        }
        return woken;
    }
}
