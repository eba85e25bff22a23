package io.vkernel.kernel.syscall;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.socket.SocketOptions;
import io.vkernel.kernel.socket.SyscallException;

/**
 * The plain-valued options of the public packetdrill suites beyond the basic ones: TCP_USER_TIMEOUT and TCP_INQ
 * (do_tcp_setsockopt()), IP_TOS and IP_MTU_DISCOVER (do_ip_setsockopt()), with Linux's checks and read-backs.
 */
final class SocketApiOptions {

    /** INET_ECN_MASK: the two low TOS bits belong to ECN, never to IP_TOS on a TCP socket. */
    private static final int ECN_MASK = 3;
    /** IP_PMTUDISC_OMIT, the largest IP_MTU_DISCOVER value (include/uapi/linux/in.h). */
    private static final int PMTUDISC_OMIT = 5;

    private SocketApiOptions() {
    }

    static void set(Socket socket, String option, long value) {
        SocketOptions options = socket.options();
        switch (option) {
            // tcp_sock_set_user_timeout(): any non-negative int (ms)
            case "TCP_USER_TIMEOUT" -> options.userTimeoutMs = checked(value, 0, Integer.MAX_VALUE);
            // do_tcp_setsockopt(TCP_INQ): 0 or 1, else EINVAL
            case "TCP_INQ" -> options.inq = checked(value, 0, 1) == 1;
            // __ip_sock_set_tos(): a stream socket keeps its own ECN bits; the rest is the new TOS byte
            case "IP_TOS" -> options.tos = (int) (checked(value, 0, 0xff) & ~ECN_MASK) | (options.tos & ECN_MASK);
            // do_ip_setsockopt(IP_MTU_DISCOVER): IP_PMTUDISC_DONT (0) .. IP_PMTUDISC_OMIT (5)
            case "IP_MTU_DISCOVER" -> options.pmtuDisc = (int) checked(value, 0, PMTUDISC_OMIT);
            // do_ip_setsockopt(IP_FREEBIND): inet_assign_bit(FREEBIND, sk, val), any int
            case "IP_FREEBIND" -> options.freeBind = value != 0;
            // sk_setsockopt(SO_OOBINLINE): sock_valbool_flag(sk, SOCK_URGINLINE, valbool)
            case "SO_OOBINLINE" -> options.oobInline = value != 0;
            default -> throw new SyscallException(Errno.EINVAL);
        }
    }

    static long get(Socket socket, String option) {
        SocketOptions options = socket.options();
        return switch (option) {
            case "TCP_USER_TIMEOUT" -> options.userTimeoutMs;
            case "TCP_INQ" -> options.inq ? 1 : 0;
            case "IP_TOS" -> options.tos;
            case "IP_MTU_DISCOVER" -> options.pmtuDisc;
            case "IP_FREEBIND" -> options.freeBind ? 1 : 0;
            case "SO_OOBINLINE" -> options.oobInline ? 1 : 0;
            default -> throw new SyscallException(Errno.EINVAL);
        };
    }

    private static long checked(long value, long min, long max) {
        if (value < min || value > max) {
            throw new SyscallException(Errno.EINVAL);
        }
        return value;
    }
}
