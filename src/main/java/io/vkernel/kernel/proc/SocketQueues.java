package io.vkernel.kernel.proc;

import io.vkernel.kernel.MemoryAccount;
import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.tcp.TcpState;

/**
 * What tcp_diag and /proc/net/tcp report of a connection, derived the way the kernel derives it, so ss, lsof,
 * /proc/net/tcp, a script's grep of it and the JSON views agree: the two queue sizes, which connections are
 * mini-sockets (TIME_WAIT, an orphaned FIN_WAIT2) and which socket a process can reach through an FD.
 */
public final class SocketQueues {

    private SocketQueues() {
    }

    /**
     * Recv-Q of a connection: {@code rcv_nxt - copied_seq}, the bytes received and not yet read, plus one for a FIN
     * the application has not yet read as EOF (tcp_recvmsg() moves copied_seq past the FIN when read() returns 0).
     */
    public static int recvQ(Tcb tcb) {
        return isMiniSocket(tcb) || tcb.state() == TcpState.SYN_RECV ? 0 : tcb.receiveQueued() + (tcb.finUnread() ? 1 : 0);
    }

    /**
     * Send-Q of a connection: {@code write_seq - snd_una}, the bytes written and not yet acknowledged, where a SYN
     * or FIN that is queued or in flight counts as one (so FIN-WAIT-1 and LAST-ACK show 1 with no data).
     */
    public static int sendQ(Tcb tcb) {
        if (isMiniSocket(tcb) || tcb.state() == TcpState.SYN_RECV) {
            return 0;
        }
        boolean controlPending = switch (tcb.state()) {
            case SYN_SENT, FIN_WAIT1, CLOSING, LAST_ACK -> true;
            default -> false;
        };
        return tcb.sendQueued() + (controlPending ? 1 : 0);
    }

    /**
     * Linux keeps a full socket only while someone may still use it: TIME_WAIT and an orphaned FIN_WAIT2 are
     * {@code inet_timewait_sock}s (≈256 B, no inode, no buffers) in the same hash chain.
     */
    public static boolean isMiniSocket(Tcb tcb) {
        return MemoryAccount.kind(tcb) == MemoryAccount.Kind.TIMEWAIT;
    }

    /** The socket a process can reach through an FD, or null (accept queue, orphan, request, TIME_WAIT). */
    public static Socket fileSocket(Tcb tcb) {
        return tcb.socket() != null && !tcb.isOrphan() && !isMiniSocket(tcb) ? tcb.socket() : null;
    }
}
