package io.vkernel.api;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.fd.OpenFile;
import io.vkernel.kernel.proc.Process;
import io.vkernel.kernel.socket.Socket;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Who holds a socket through an FD, as ss and lsof find it by scanning /proc/PID/fd. The queue sizes and which
 * connections are mini-sockets are {@link SocketQueues}'s, shared with /proc/net/tcp.
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
