package io.vkernel.kernel.syscall;

import io.vkernel.kernel.socket.Errno;

/**
 * The result of a finished system call: the return value, the errno when it is -1, the strace line, and for
 * read() the bytes and for accept() the peer's address.
 */
public record SyscallResult(long ret, Errno errno, String strace, byte[] data, String peer) {

    public static SyscallResult ok(long ret, String strace) {
        return new SyscallResult(ret, null, strace, null, null);
    }

    public static SyscallResult failed(Errno errno, String strace) {
        return new SyscallResult(-1, errno, strace, null, null);
    }
}
