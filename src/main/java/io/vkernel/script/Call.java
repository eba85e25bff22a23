package io.vkernel.script;

import io.vkernel.kernel.wire.Endpoint;

/**
 * A system call the runner can make, with its arguments already resolved: the script's {@code ...} for an address
 * became the harness's address, {@code O_RDWR|O_NONBLOCK} became flags, {@code {onoff=1, linger=0}} an option value.
 */
sealed interface Call {

    /**
     * protocol: IPPROTO_TCP (also for 0 and ...), or another IPPROTO_ name, which the kernel refuses; nonBlock: the
     * type was SOCK_STREAM|SOCK_NONBLOCK.
     */
    record Socket(String protocol, boolean nonBlock) implements Call {
        Socket(String protocol) {
            this(protocol, false);
        }
    }

    record Bind(int fd, Endpoint address) implements Call {
    }

    /** connect(fd, AF_UNSPEC, ...): tcp_disconnect(). */
    record Disconnect(int fd) implements Call {
    }

    record Listen(int fd, int backlog) implements Call {
    }

    record Accept(int fd) implements Call {
    }

    record Connect(int fd, Endpoint address) implements Call {
    }

    /** read(), or recv() ({@code recv} true) with MSG_ flags. */
    record Read(int fd, int count, int flags, boolean recv) implements Call {
    }

    /**
     * recvmsg() with one or more iovecs ({@code count} their total); {@code expectedInq} the TCP_CM_INQ the script
     * expects, or null; {@code expectedErr} the IP_RECVERR of a MSG_ERRQUEUE read, or null.
     */
    record RecvMsg(int fd, int count, int flags, Long expectedInq, ErrQueueControl.Expected expectedErr) implements Call {
    }

    /** sendmsg() with MSG_ flags: the iovecs' bytes, {@code iov} their lengths. */
    record SendMsg(int fd, byte[] data, int[] iov, int flags) implements Call {
    }

    /** write(), or send() ({@code send} true) with MSG_ flags. */
    record Write(int fd, byte[] data, int flags, boolean send) implements Call {
    }

    /**
     * read, recv, write, send or sendto ({@code call}) with a NULL buffer of {@code count} bytes (EFAULT where
     * Linux's copy faults); {@code address} is sendto()'s, else null.
     */
    record NullBuffer(String call, int fd, int count, int flags, Endpoint address) implements Call {
    }

    /** sendto(): {@code address} null with {@code unspec} is AF_UNSPEC; MSG_FASTOPEN in {@code flags} connects. */
    record SendTo(int fd, byte[] data, int flags, Endpoint address, boolean unspec) implements Call {
    }

    /** poll(): {@code expectedRevents} holds each pollfd's revents as the script wrote it, or null where not given. */
    record Poll(java.util.List<io.vkernel.kernel.syscall.Syscalls.PollFd> fds, java.util.List<Integer> expectedRevents,
                int timeoutMs) implements Call {
    }

    record Close(int fd) implements Call {
    }

    /** how: 0 SHUT_RD, 1 SHUT_WR, 2 SHUT_RDWR. */
    record Shutdown(int fd, int how) implements Call {
    }

    record Fcntl(int fd, String command, int flags) implements Call {
    }

    /** value: 0/1 for flags, l_linger for SO_LINGER (with {@code on} its l_onoff), milliseconds for timeouts. */
    record SetSockOpt(int fd, String option, long value, boolean on) implements Call {
    }

    /** setsockopt() whose value is a byte string (TCP_FASTOPEN_KEY): optlen is the value's length. */
    record SetSockOptBytes(int fd, String option, byte[] value) implements Call {
    }

    /** {@code expectedValue} is the {@code [N]} the script expects in optval, or null when it is not checked. */
    record GetSockOpt(int fd, String option, Long expectedValue) implements Call {
    }

    /** {@code expectedValue}: the {@code [N]} the script expects the kernel to write, or null when not checked. */
    record Ioctl(int fd, String request, Long expectedValue) implements Call {
    }

    record Dup(int fd) implements Call {
    }

    record Dup2(int oldFd, int newFd) implements Call {
    }

    /** epoll_create(size). */
    record EpollCreate(int size) implements Call {
    }

    /** epoll_ctl(epfd, op, fd, {events, data}): op 1 ADD, 2 DEL, 3 MOD. */
    record EpollCtl(int epfd, int op, int fd, int events, long data) implements Call {
    }

    /** epoll_wait(epfd, {events, data}, max, timeout): the expected first event's events and data, each null when not checked. */
    record EpollWait(int epfd, Integer expectedEvents, Long expectedData, int maxEvents, int timeoutMs) implements Call {
    }

    /** open(path, flags). */
    record Open(String path, int flags) implements Call {
    }

    /** lseek(fd, offset, whence): 0 SEEK_SET, 1 SEEK_CUR, 2 SEEK_END. */
    record Lseek(int fd, long offset, int whence) implements Call {
    }

    /** pipe([r, w]): {@code expectedFds} the two numbers the script names, or null for ... . */
    record Pipe(java.util.List<Integer> expectedFds) implements Call {
    }

    /** sendfile(outFd, inFd, [offset] or NULL (null), count). */
    record SendFile(int outFd, int inFd, Long offset, long count) implements Call {
    }

    /** splice(inFd, NULL, outFd, NULL, len, flags). */
    record Splice(int inFd, int outFd, long len, int flags) implements Call {
    }
}
