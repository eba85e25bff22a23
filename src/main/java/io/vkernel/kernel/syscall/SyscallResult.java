package io.vkernel.kernel.syscall;

import io.vkernel.kernel.socket.Errno;

/**
 * The result of a finished system call: the return value, the errno when it is -1, the strace line, and for
 * read() the bytes, for accept() the peer's address, for poll() each pollfd's revents in the order given, for
 * recvmsg(MSG_ERRQUEUE) the sock_extended_err of its IP_RECVERR control message.
 */
public record SyscallResult(long ret, Errno errno, String strace, byte[] data, String peer, Long value, java.util.List<Integer> revents,
                            io.vkernel.kernel.socket.ErrorQueue.ExtendedErr extendedErr) {

    public SyscallResult(long ret, Errno errno, String strace, byte[] data, String peer, Long value, java.util.List<Integer> revents) {
        this(ret, errno, strace, data, peer, value, revents, null);
    }

    public SyscallResult(long ret, Errno errno, String strace, byte[] data, String peer, Long value) {
        this(ret, errno, strace, data, peer, value, null);
    }

    public SyscallResult(long ret, Errno errno, String strace, byte[] data, String peer) {
        this(ret, errno, strace, data, peer, null);
    }

    public static SyscallResult ok(long ret, String strace) {
        return new SyscallResult(ret, null, strace, null, null, null);
    }

    public static SyscallResult failed(Errno errno, String strace) {
        return new SyscallResult(-1, errno, strace, null, null, null);
    }

    /** The option value getsockopt() read. */
    public SyscallResult withValue(long optionValue) {
        return new SyscallResult(ret, errno, strace, data, peer, optionValue, revents, extendedErr);
    }
}
