package io.vkernel.kernel.socket;

/** A system call failed with an errno; the syscall layer turns it into {@code -1 ERRNO}. */
public final class SyscallException extends RuntimeException {

    private final Errno errno;

    public SyscallException(Errno errno) {
        super(errno.name() + " (" + errno.message() + ")", null, false, false);
        this.errno = errno;
    }

    public Errno errno() {
        return errno;
    }
}
