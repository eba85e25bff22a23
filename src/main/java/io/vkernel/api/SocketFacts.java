package io.vkernel.api;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.MemoryAccount;
import io.vkernel.kernel.fd.OpenFile;
import io.vkernel.kernel.proc.Process;
import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.tcp.TcpState;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * What Linux's own tools read from a socket, derived the way the kernel derives it, so ss, lsof, /proc/net/tcp and
 * the JSON views agree: the queue sizes tcp_diag reports, which sockets are mini-sockets (TIME_WAIT, a request in
 * SYN_RECV, an orphaned FIN_WAIT2) and who holds a socket through an FD.
 */
final class SocketFacts {

    private SocketFacts() {
    }

    /** One FD that refers to a socket: ss prints it as {@code ("name",pid=N,fd=F)}. */
    record Holder(String command, int pid, int fd) {
        String ss() {
            return "(\"" + command + "\",pid=" + pid + ",fd=" + fd + ")";
        }
    }

    /**
     * Recv-Q of a connection: {@code rcv_nxt - copied_seq}, the bytes received and not yet read, plus one for a FIN
     * the application has not yet read as EOF (tcp_recvmsg() moves copied_seq past the FIN when read() returns 0).
     */
    static int recvQ(Tcb tcb) {
        return isMiniSocket(tcb) || tcb.state() == TcpState.SYN_RECV ? 0 : tcb.receiveQueued() + (tcb.finUnread() ? 1 : 0);
    }

    /**
     * Send-Q of a connection: {@code write_seq - snd_una}, the bytes written and not yet acknowledged, where a SYN
     * or FIN that is queued or in flight counts as one (so FIN-WAIT-1 and LAST-ACK show 1 with no data).
     */
    static int sendQ(Tcb tcb) {
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
    static boolean isMiniSocket(Tcb tcb) {
        return MemoryAccount.kind(tcb) == MemoryAccount.Kind.TIMEWAIT;
    }

    /** The socket a process can reach through an FD, or null (accept queue, orphan, request, TIME_WAIT). */
    static Socket fileSocket(Tcb tcb) {
        return tcb.socket() != null && !tcb.isOrphan() && !isMiniSocket(tcb) ? tcb.socket() : null;
    }

    /**
     * Every socket reachable through an FD, with the FDs that refer to it across processes, in the order ss lists
     * them (it prepends as it scans /proc/PID/fd, so the last found comes first).
     */
    /** One process's FD table as it was: copied under the kernel lock, indexed after by {@link #holders(List)}. */
    record FdSnapshot(String command, int pid, OpenFile[] slots) {
    }

    /** Every process's FD table, one array copy each: cheap enough to take under the lock for 100 000 FDs. */
    static List<FdSnapshot> fdSnapshots(Kernel kernel) {
        List<FdSnapshot> all = new ArrayList<>();
        for (Process process : kernel.processes()) {
            all.add(new FdSnapshot(process.name(), process.pid(), process.fds().snapshot()));
        }
        return all;
    }

    /** {@link #holders(Kernel)} from snapshots, without the kernel lock (an open file's socket never changes). */
    static Map<Socket, List<Holder>> holders(List<FdSnapshot> snapshots) {
        Map<Socket, List<Holder>> index = new IdentityHashMap<>();
        for (FdSnapshot process : snapshots) {
            OpenFile[] slots = process.slots();
            for (int fd = 0; fd < slots.length; fd++) {
                Socket socket = slots[fd] == null ? null : slots[fd].socket();
                if (socket != null) {
                    index.computeIfAbsent(socket, s -> new ArrayList<>(1)).add(0, new Holder(process.command(), process.pid(), fd));
                }
            }
        }
        return index;
    }

    static Map<Socket, List<Holder>> holders(Kernel kernel) {
        Map<Socket, List<Holder>> index = new IdentityHashMap<>();
        for (Process process : kernel.processes()) {
            for (Map.Entry<Integer, OpenFile> entry : process.fds().entries().entrySet()) {
                Socket socket = entry.getValue().socket();
                if (socket != null) {
                    index.computeIfAbsent(socket, s -> new ArrayList<>())
                            .add(0, new Holder(process.name(), process.pid(), entry.getKey()));
                }
            }
        }
        return index;
    }

    /** ss's Process column: {@code  users:(("server",pid=12345,fd=4))} (ss starts it with a space), empty when no FD refers to it. */
    static String ssUsers(List<Holder> holders) {
        if (holders.isEmpty()) {
            return "";
        }
        StringBuilder out = new StringBuilder(" users:(");
        for (int i = 0; i < holders.size(); i++) {
            out.append(i == 0 ? "" : ",").append(holders.get(i).ss());
        }
        return out.append(')').toString();
    }
}
