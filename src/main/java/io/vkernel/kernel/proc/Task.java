package io.vkernel.kernel.proc;

/** A thread of a process: RUNNING, or SLEEPING on a socket's wait queue inside a blocking call. */
public final class Task {

    public enum State { RUNNING, SLEEPING }

    private final int tid;
    private State state = State.RUNNING;
    private String waitChannel;
    private String call;

    public Task(int tid) {
        this.tid = tid;
    }

    public int tid() {
        return tid;
    }

    public State state() {
        return state;
    }

    /** The kernel function the thread sleeps in (ps's WCHAN), e.g. {@code inet_csk_accept} or {@code sk_wait_data}. */
    public String waitChannel() {
        return waitChannel;
    }

    public String call() {
        return call;
    }

    public void sleep(String waitChannel, String call) {
        this.state = State.SLEEPING;
        this.waitChannel = waitChannel;
        this.call = call;
    }

    public void run() {
        this.state = State.RUNNING;
        this.waitChannel = null;
        this.call = null;
    }
}
