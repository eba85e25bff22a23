package io.vkernel.kernel.syscall;

import io.vkernel.kernel.proc.Process;
import io.vkernel.kernel.proc.Task;
import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.socket.WaitQueue;
import io.vkernel.kernel.time.VirtualClock;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A blocking call that could not finish: its thread sleeps on the socket's wait queue, and every wake-up retries
 * the call. Listeners hear the result once, when it finishes (data arrived, a timeout fired, the process exited).
 */
public final class PendingCall implements WaitQueue.Waiter {

    /**
     * A blocked call's retry (and its timeout's answer): serializable, like a timer's action, so a kernel with calls
     * parked can be snapshotted by the journal (issue 15).
     */
    @FunctionalInterface
    public interface Attempt extends Supplier<SyscallResult>, java.io.Serializable {
    }

    /** Hears a parked call's result; serializable for the same reason as {@link Attempt}. */
    @FunctionalInterface
    public interface Listener extends Consumer<SyscallResult>, java.io.Serializable {
    }

    private final long id;
    private final Process process;
    private final Task task;
    private final String call;
    /** The sockets whose wait queues it sleeps on: one, or every socket a poll() watches. */
    private final List<Socket> sockets;
    private final Attempt attempt;
    private final long startedAt;
    private final List<Consumer<SyscallResult>> listeners = new ArrayList<>();
    private VirtualClock.Timer timeout;
    private SyscallResult result;

    PendingCall(long id, Process process, Task task, String call, List<Socket> sockets, Attempt attempt, long startedAt) {
        this.id = id;
        this.process = process;
        this.task = task;
        this.call = call;
        this.sockets = List.copyOf(sockets);
        this.attempt = attempt;
        this.startedAt = startedAt;
    }

    public long id() {
        return id;
    }

    public int pid() {
        return process.pid();
    }

    public int tid() {
        return task.tid();
    }

    public String call() {
        return call;
    }

    public String waitChannel() {
        return task.waitChannel();
    }

    public long startedAt() {
        return startedAt;
    }

    public boolean isDone() {
        return result != null;
    }

    public SyscallResult result() {
        return result;
    }

    void setTimeout(VirtualClock.Timer timeout) {
        this.timeout = timeout;
    }

    /** Registers a listener; one added after the call finished hears the result at once. */
    public void onDone(Listener listener) {
        if (result != null) {
            listener.accept(result);
        } else {
            listeners.add(listener);
        }
    }

    @Override
    public boolean wake() {
        if (result != null) {
            return true;
        }
        SyscallResult attempted = attempt.get();
        if (attempted == null) {
            return false;
        }
        finish(attempted);
        return true;
    }

    /** Ends the call with {@code finalResult} whatever the socket's state (timeouts, exit). */
    void finish(SyscallResult finalResult) {
        if (result != null) {
            return;
        }
        result = finalResult;
        for (Socket socket : sockets) {
            socket.waitQueue().remove(this);
        }
        if (timeout != null) {
            timeout.cancel();
        }
        process.finished(task);
        for (Consumer<SyscallResult> listener : listeners) {
            listener.accept(finalResult);
        }
        listeners.clear();
    }

    @Override
    public String describe() {
        return "pid " + process.pid() + " tid " + task.tid() + " " + call;
    }
}
