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

        String describe();
    }

    private final Set<Waiter> waiters = new LinkedHashSet<>();

    public void add(Waiter waiter) {
        waiters.add(waiter);
    }

    public void remove(Waiter waiter) {
        waiters.remove(waiter);
    }

    public boolean isEmpty() {
        return waiters.isEmpty();
    }

    public List<Waiter> waiters() {
        return List.copyOf(waiters);
    }

    /** Wakes every sleeper (as {@code sock_def_readable()} does); sleepers that completed leave the queue. */
    public List<Waiter> wakeAll() {
        List<Waiter> woken = new ArrayList<>();
        for (Waiter waiter : List.copyOf(waiters)) {
            if (waiter.wake()) {
                waiters.remove(waiter);
                woken.add(waiter);
            }
        }
        return woken;
    }
}
