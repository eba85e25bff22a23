package io.vkernel.scenario;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.fd.OpenFile;
import io.vkernel.kernel.proc.Process;
import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.time.VirtualClock;
import io.vkernel.kernel.wire.Endpoint;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The kernel's state after a step, compact enough to read: the connections in the established table (state,
 * owner, hash and bucket, timers), the server process's FD table and threads, and each listener's queues. Long
 * lists keep their first and last entries; the counts say how many there are in all.
 */
public record KernelSnapshot(long clockMs, List<SnapshotConnection> connections, int connectionCount,
                             SnapshotProcess server, List<SnapshotListener> listeners) {

    /** Entries kept from each end of a long list. */
    static final int ENDS = 5;

    /** One entry of the established hash table. */
    public record SnapshotConnection(String tuple, String state, String owner, String hash, int bucket, int recvQ,
                                     int sendQ, String timer) {
    }

    /** One open file descriptor, named as lsof would. */
    public record SnapshotFd(int fd, String file) {
    }

    /** A thread of the server and what it is doing. */
    public record SnapshotThread(int tid, String state, String waitChannel, String call) {
    }

    /** The server process: its FD table (first and last entries when long) and threads. */
    public record SnapshotProcess(int pid, String name, int openFds, int fdLimit, List<SnapshotFd> fds,
                                  List<SnapshotThread> threads) {
    }

    /** A listening socket: connections waiting for accept() (no FD yet) and half-open requests. */
    public record SnapshotListener(String local, int backlog, int acceptQueueLength, List<String> acceptQueue,
                                   int synRecv, List<String> sleepers) {
    }

    /** Reads the kernel under its lock. */
    static KernelSnapshot of(Kernel kernel, int serverPid) {
        return kernel.inspect(k -> build(k, serverPid));
    }

    private static KernelSnapshot build(Kernel k, int serverPid) {
        List<Tcb> all = new ArrayList<>(k.established().all());
        all.sort(Comparator.comparingLong((Tcb t) -> Integer.toUnsignedLong(t.tuple().remote().address()))
                .thenComparingInt(t -> t.tuple().remote().port()));
        List<SnapshotConnection> connections = ends(all).stream().map(t -> connection(k, t)).toList();
        Process server = k.process(serverPid);
        SnapshotProcess process = server == null ? null : process(server);
        List<SnapshotListener> listeners = k.listeners().all().stream().map(KernelSnapshot::listener).toList();
        return new KernelSnapshot(k.clock().now(), connections, all.size(), process, listeners);
    }

    static SnapshotConnection connection(Kernel k, Tcb t) {
        int hash = k.established().hashFunction().hash(t.tuple());
        List<String> timers = new ArrayList<>();
        for (VirtualClock.Timer timer : new VirtualClock.Timer[] {t.stateTimer(), t.retransmitTimer()}) {
            if (timer != null && !timer.isCancelled()) {
                timers.add(timer.name() + " in " + (timer.deadline() - k.clock().now()) + " ms");
            }
        }
        return new SnapshotConnection(t.tuple().toString(), name(t.state()), owner(k, t), hex(hash),
                k.established().bucketOf(t.tuple()), t.receiveQueued(), t.sendQueued(),
                timers.isEmpty() ? null : String.join(", ", timers));
    }

    /** Who holds the connection: every FD that refers to its socket, else the kernel's word (accept queue, orphan). */
    private static String owner(Kernel k, Tcb t) {
        if (t.socket() != null) {
            List<String> holders = new ArrayList<>();
            for (Process p : k.processes()) {
                List<Integer> fds = new ArrayList<>();
                p.fds().entries().forEach((fd, file) -> {
                    if (file.socket() == t.socket()) {
                        fds.add(fd);
                    }
                });
                if (!fds.isEmpty()) {
                    holders.add("pid " + p.pid() + " (" + p.name() + ") fd" + (fds.size() > 1 ? "s " : " ")
                            + fds.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(", ")));
                }
            }
            if (!holders.isEmpty()) {
                return String.join("; ", holders);
            }
        }
        return k.ownerOf(t);
    }

    private static SnapshotProcess process(Process p) {
        List<SnapshotFd> fds = new ArrayList<>();
        for (Map.Entry<Integer, OpenFile> entry : p.fds().entries().entrySet()) {
            fds.add(new SnapshotFd(entry.getKey(), describe(entry.getValue())));
        }
        List<SnapshotThread> threads = p.threads().stream()
                .map(t -> new SnapshotThread(t.tid(), t.state().name(), t.waitChannel(), t.call())).toList();
        return new SnapshotProcess(p.pid(), p.name(), p.fds().openCount(), p.fds().limit(), ends(fds), threads);
    }

    private static SnapshotListener listener(Socket l) {
        List<String> queued = l.acceptQueue().stream().map(t -> t.tuple().remote().toString()).toList();
        return new SnapshotListener(local(l.local()), l.backlog(), queued.size(), ends(queued), l.synRecv(),
                l.waitQueue().waiters().stream().map(w -> w.describe()).toList());
    }

    /** What an FD points at, as lsof's NAME column: {@code TCP 10.0.0.50:8080->192.168.1.100:54321 (ESTABLISHED)}. */
    static String describe(OpenFile file) {
        Socket socket = file.socket();
        if (socket == null) {
            return file.path();
        }
        String shared = file.refCount() > 1 ? " [open file shared by " + file.refCount() + " FDs]" : "";
        if (socket.tcb() != null) {
            Tcb tcb = socket.tcb();
            return file.path() + " TCP " + tcb.tuple().local() + "->" + tcb.tuple().remote() + " (" + name(tcb.state()) + ")" + shared;
        }
        if (socket.local() == null) {
            return file.path() + " TCP (unbound)" + shared;
        }
        return file.path() + " TCP " + local(socket.local()) + (socket.isListening() ? " (LISTEN)" : " (CLOSED)") + shared;
    }

    static String name(TcpState state) {
        return state == TcpState.CLOSE ? "CLOSED" : state.name();
    }

    static String hex(int hash) {
        return String.format("0x%08x", hash);
    }

    private static String local(Endpoint local) {
        return local.isWildcard() ? "*:" + local.port() : local.toString();
    }

    /** The first and last {@link #ENDS} entries of a long list, the whole list otherwise. */
    static <T> List<T> ends(List<T> list) {
        if (list.size() <= 2 * ENDS + 2) {
            return List.copyOf(list);
        }
        List<T> out = new ArrayList<>(list.subList(0, ENDS));
        out.addAll(list.subList(list.size() - ENDS, list.size()));
        return out;
    }
}
