package io.vkernel.kernel.syscall;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.socket.SocketOptions;
import io.vkernel.kernel.socket.SyscallException;

import java.util.List;

/**
 * The per-socket timer counts of do_tcp_setsockopt(): TCP_SYNCNT (icsk_syn_retries), TCP_KEEPIDLE, TCP_KEEPINTVL
 * and TCP_KEEPCNT (tp->keepalive_time, _intvl, _probes). Each overrides its sysctl for this socket; getsockopt()
 * reads the socket's value, or the sysctl's when none was set (keepalive_time_when() and friends).
 */
final class TcpTimerOptions {

    static final List<String> NAMES = List.of("TCP_SYNCNT", "TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT");

    /** MAX_TCP_SYNCNT, MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL, MAX_TCP_KEEPCNT (include/net/tcp.h). */
    private static final int MAX_SYNCNT = 127;
    private static final int MAX_KEEPIDLE = 32767;
    private static final int MAX_KEEPINTVL = 32767;
    private static final int MAX_KEEPCNT = 127;

    private TcpTimerOptions() {
    }

    static void set(Kernel kernel, Socket socket, String option, long value) {
        SocketOptions options = socket.options();
        switch (option) {
            // tcp_sock_set_syncnt(): 1 .. MAX_TCP_SYNCNT, else EINVAL
            case "TCP_SYNCNT" -> options.synRetries = (int) checked(value, MAX_SYNCNT);
            case "TCP_KEEPIDLE" -> {
                options.keepIdle = (int) checked(value, MAX_KEEPIDLE);
                // tcp_sock_set_keepidle_locked(): with SO_KEEPALIVE on, the timer restarts from the new idle time
                if (options.keepAlive && socket.tcb() != null) {
                    kernel.tcp().armKeepalive(socket.tcb());
                }
            }
            case "TCP_KEEPINTVL" -> options.keepIntvl = (int) checked(value, MAX_KEEPINTVL);
            case "TCP_KEEPCNT" -> options.keepCnt = (int) checked(value, MAX_KEEPCNT);
            default -> throw new SyscallException(Errno.EINVAL);
        }
    }

    static long get(Kernel kernel, Socket socket, String option) {
        SocketOptions options = socket.options();
        Sysctls sysctls = kernel.sysctls();
        return switch (option) {
            case "TCP_SYNCNT" -> options.synRetries > 0 ? options.synRetries : sysctls.get(Sysctls.TCP_SYN_RETRIES);
            case "TCP_KEEPIDLE" -> options.keepIdle > 0 ? options.keepIdle : sysctls.get(Sysctls.TCP_KEEPALIVE_TIME);
            case "TCP_KEEPINTVL" -> options.keepIntvl > 0 ? options.keepIntvl : sysctls.get(Sysctls.TCP_KEEPALIVE_INTVL);
            case "TCP_KEEPCNT" -> options.keepCnt > 0 ? options.keepCnt : sysctls.get(Sysctls.TCP_KEEPALIVE_PROBES);
            default -> throw new SyscallException(Errno.EINVAL);
        };
    }

    private static long checked(long value, long max) {
        if (value < 1 || value > max) {
            throw new SyscallException(Errno.EINVAL);
        }
        return value;
    }
}
