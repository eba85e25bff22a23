package io.vkernel.kernel.socket;

/** The Linux errno values vkernel's system calls can return, with their numbers and strerror() messages. */
public enum Errno {
    EPERM(1, "Operation not permitted"),
    ENOENT(2, "No such file or directory"),
    EBADF(9, "Bad file descriptor"),
    EEXIST(17, "File exists"),
    EAGAIN(11, "Resource temporarily unavailable"),
    EFAULT(14, "Bad address"),
    EINVAL(22, "Invalid argument"),
    ENOMSG(42, "No message of desired type"),
    ENFILE(23, "Too many open files in system"),
    EMFILE(24, "Too many open files"),
    EPIPE(32, "Broken pipe"),
    ENOTSOCK(88, "Socket operation on non-socket"),
    EPROTONOSUPPORT(93, "Protocol not supported"),
    EOPNOTSUPP(95, "Operation not supported"),
    EAFNOSUPPORT(97, "Address family not supported by protocol"),
    EADDRINUSE(98, "Address already in use"),
    EADDRNOTAVAIL(99, "Cannot assign requested address"),
    ECONNABORTED(103, "Software caused connection abort"),
    ECONNRESET(104, "Connection reset by peer"),
    EISCONN(106, "Transport endpoint is already connected"),
    ENOTCONN(107, "Transport endpoint is not connected"),
    ENETUNREACH(101, "Network is unreachable"),
    ETIMEDOUT(110, "Connection timed out"),
    ECONNREFUSED(111, "Connection refused"),
    EALREADY(114, "Operation already in progress"),
    EINPROGRESS(115, "Operation now in progress"),
    // what ICMP errors turn into (icmp_err_convert[], tcp_v4_err())
    ENONET(64, "Machine is not on the network"),
    EPROTO(71, "Protocol error"),
    EMSGSIZE(90, "Message too long"),
    ENOPROTOOPT(92, "Protocol not available"),
    EHOSTDOWN(112, "Host is down"),
    EHOSTUNREACH(113, "No route to host"),
    // regular files and pipes (io.vkernel.kernel.fs)
    EACCES(13, "Permission denied"),
    EISDIR(21, "Is a directory"),
    EFBIG(27, "File too large"),
    ENOSPC(28, "No space left on device"),
    ESPIPE(29, "Illegal seek");

    private final int number;
    private final String message;

    Errno(int number, String message) {
        this.number = number;
        this.message = message;
    }

    public static Errno byNumber(int number) {
        for (Errno errno : values()) {
            if (errno.number == number) {
                return errno;
            }
        }
        throw new IllegalArgumentException("no errno " + number);
    }

    public int number() {
        return number;
    }

    public String message() {
        return message;
    }
}
