package io.vkernel.kernel;

/** No process with this pid runs in the kernel. */
public final class NoSuchProcessException extends RuntimeException {

    private final int pid;

    public NoSuchProcessException(int pid) {
        super("no process with pid " + pid);
        this.pid = pid;
    }

    public int pid() {
        return pid;
    }
}
