package io.vkernel.kernel;

import io.vkernel.kernel.fd.OpenFile;
import io.vkernel.kernel.proc.Process;
import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.tcp.TcpEngine;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.tcp.TcpState;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The memory a kernel's sockets cost, counted two ways side by side: the seed's model (socket 1 KB + TCB 2 KB +
 * 64 KB receive + 64 KB send buffer = 131 KB per connection) and what Linux charges (reference §6): slab objects
 * sized by what the connection is — a full {@code tcp_sock} with its socket, inode, file and dentry while an FD
 * refers to it, a bare {@code tcp_sock} in an accept queue or after close(), a 256-byte timewait mini-socket in
 * TIME_WAIT or an orphaned FIN_WAIT2, a 320-byte request in SYN_RECV — plus the queued bytes charged by skb
 * truesize. tcp_rmem/tcp_wmem are limits on that charge, not allocations. vkernel's own bytes held (the queues'
 * backing arrays) are reported too. A connection that is gone costs nothing in any column.
 */
public final class MemoryAccount {

    /** Slab object sizes on x86_64 (Linux 6.18, pahole and /proc/slabinfo; they vary by config). */
    public static final int TCP_SOCK = 2368;
    public static final int SOCKET_INODE = 832;
    public static final int FILE = 192;
    public static final int DENTRY = 192;
    public static final int TIMEWAIT_SOCK = 256;
    public static final int REQUEST_SOCK = 320;
    /** truesize - payload of one received skb: sk_buff (256) + skb_shared_info (320) + headroom and alignment. */
    public static final int SKB_OVERHEAD = 832;
    /** An ehash bucket is one pointer (hlist_nulls_head). */
    public static final int EHASH_BUCKET = 8;
    public static final int PAGE = 4096;

    /** The seed's figures. */
    public static final int SEED_SOCKET = 1024;
    public static final int SEED_TCB = 2048;
    public static final int SEED_BUFFER = 64 * 1024;
    public static final int SEED_PER_CONNECTION = SEED_SOCKET + SEED_TCB + 2 * SEED_BUFFER;

    /** What Linux keeps for a connection in the established table. */
    public enum Kind {
        REQUEST("request_sock_TCP: a SYN_RECV request mini-socket, no buffers"),
        TIMEWAIT("tw_sock_TCP: a timewait mini-socket that only remembers the 4-tuple and sequence numbers"),
        FULL_WITH_FILE("a full tcp_sock with its socket, inode, file and dentry: an FD refers to it"),
        FULL_NO_FILE("a full tcp_sock with no socket or file: it waits in an accept queue, or the application closed it");

        private final String meaning;

        Kind(String meaning) {
            this.meaning = meaning;
        }

        public String meaning() {
            return meaning;
        }
    }

    /** One slab object or charge and its size. */
    public record Item(String what, long bytes) {
    }

    /** Linux's charge for one socket or connection. */
    public record Linux(Kind kind, List<Item> objects, int receiveQueued, long receiveCharged, int sendQueued,
                        long sendCharged, long tcpMemPages, long bytes, Integer rcvbufLimit, Integer sndbufLimit) {
    }

    /** One connection in the established table. */
    public record Connection(String tuple, String state, long seedBytes, Linux linux, long vkernelBytes) {
    }

    /** A listener, or a socket an FD refers to that has no connection in the table (new, bound, or reset). */
    public record SocketCost(long inode, String what, long seedBytes, Linux linux) {
    }

    /** Sums over the kernel. */
    public record Totals(int connections, int listeners, int otherSockets, long seedBytes, long linuxBytes,
                         long vkernelBytes, long linuxTcpMemPages, long hashTableBytes) {
    }

    public record Report(List<Connection> connections, List<SocketCost> sockets, Totals totals) {
    }

    private MemoryAccount() {
    }

    /** What Linux would hold for this connection (see {@link Kind}). */
    public static Kind kind(Tcb tcb) {
        if (tcb.state() == TcpState.SYN_RECV) {
            return Kind.REQUEST;
        }
        if (tcb.state() == TcpState.TIME_WAIT || tcb.state() == TcpState.FIN_WAIT2 && tcb.isOrphan()) {
            return Kind.TIMEWAIT;
        }
        return tcb.socket() != null && !tcb.isOrphan() ? Kind.FULL_WITH_FILE : Kind.FULL_NO_FILE;
    }

    /** The report for every connection, listener and other open socket of {@code kernel}, listing at most {@code limit} connections. */
    public static Report of(Kernel kernel, int limit) {
        int sndbuf = kernel.sysctls().getInt(Sysctls.TCP_WMEM_DEFAULT);
        List<Connection> connections = new ArrayList<>();
        long seed = 0;
        long linux = 0;
        long vkernel = 0;
        long pages = 0;
        int count = 0;
        Set<Socket> counted = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Tcb tcb : kernel.established().all()) {
            Connection c = connection(tcb, sndbuf);
            count++;
            seed += c.seedBytes();
            linux += c.linux().bytes();
            vkernel += c.vkernelBytes();
            pages += c.linux().tcpMemPages();
            if (c.linux().kind() == Kind.FULL_WITH_FILE) {
                counted.add(tcb.socket());
            }
            if (connections.size() < limit) {
                connections.add(c);
            }
        }
        List<SocketCost> sockets = new ArrayList<>();
        int listeners = 0;
        for (Socket listener : kernel.listeners().all()) {
            counted.add(listener);
            listeners++;
            sockets.add(new SocketCost(listener.inode(), "listener " + listener.local(), SEED_SOCKET, fullSocket(null, null)));
        }
        int others = 0;
        for (Socket socket : openSockets(kernel)) {
            if (counted.add(socket)) {
                others++;
                Tcb tcb = socket.tcb();
                String what = tcb == null ? socket.local() != null ? "socket bound to " + socket.local() : "socket, not bound"
                        : tcb.state() == TcpState.CLOSE ? "socket whose connection " + tcb.tuple() + " is CLOSED"
                        : "socket whose connection " + tcb.tuple() + " is in " + tcb.state() + ", held apart as a mini-socket";
                Linux cost = tcb != null ? fullSocket(tcb, sndbuf) : fullSocket(null, null);
                sockets.add(new SocketCost(socket.inode(), what, SEED_SOCKET, cost));
                vkernel += tcb != null ? tcb.bufferBytesHeld() : 0;
                pages += cost.tcpMemPages();
            }
        }
        for (SocketCost socket : sockets) {
            seed += socket.seedBytes();
            linux += socket.linux().bytes();
        }
        long table = (long) kernel.established().bucketCount() * EHASH_BUCKET;
        return new Report(connections, sockets, new Totals(count, listeners, others, seed, linux, vkernel, pages, table));
    }

    /** One connection: the seed's 131 KB unless the application closed it (the seed frees everything at close()). */
    public static Connection connection(Tcb tcb, int sndbuf) {
        Kind kind = kind(tcb);
        Linux linux = switch (kind) {
            case REQUEST -> new Linux(kind, List.of(new Item("request_sock_TCP", REQUEST_SOCK)), 0, 0, 0, 0, 0, REQUEST_SOCK, null, null);
            case TIMEWAIT -> new Linux(kind, List.of(new Item("tw_sock_TCP", TIMEWAIT_SOCK)), 0, 0, 0, 0, 0, TIMEWAIT_SOCK, null, null);
            case FULL_WITH_FILE -> fullSocket(tcb, sndbuf);
            case FULL_NO_FILE -> queues(kind, List.of(new Item("TCP (tcp_sock)", TCP_SOCK)), tcb, sndbuf);
        };
        long seed = tcb.isOrphan() ? 0 : SEED_PER_CONNECTION;
        return new Connection(tcb.tuple().toString(), tcb.state().name(), seed, linux, tcb.bufferBytesHeld());
    }

    private static Linux fullSocket(Tcb tcb, Integer sndbuf) {
        List<Item> objects = List.of(new Item("TCP (tcp_sock)", TCP_SOCK), new Item("sock_inode_cache (socket + inode)", SOCKET_INODE),
                new Item("filp (struct file)", FILE), new Item("dentry", DENTRY));
        if (tcb == null) {
            long bytes = objects.stream().mapToLong(Item::bytes).sum();
            return new Linux(Kind.FULL_WITH_FILE, objects, 0, 0, 0, 0, 0, bytes, null, null);
        }
        return queues(Kind.FULL_WITH_FILE, objects, tcb, sndbuf);
    }

    private static Linux queues(Kind kind, List<Item> objects, Tcb tcb, int sndbuf) {
        int received = tcb.receiveQueued();
        long receiveCharged = truesize(received, TcpEngine.ADVERTISED_MSS)
                + tcb.outOfOrderBytes() + (long) tcb.outOfOrderSegments() * SKB_OVERHEAD;
        int sent = tcb.sendQueueBytes();
        long sendCharged = truesize(sent, Math.max(1, tcb.peerMss()));
        long pages = (receiveCharged + PAGE - 1) / PAGE + (sendCharged + PAGE - 1) / PAGE;
        long bytes = objects.stream().mapToLong(Item::bytes).sum() + receiveCharged + sendCharged;
        return new Linux(kind, objects, received + tcb.outOfOrderBytes(), receiveCharged, sent, sendCharged, pages, bytes,
                tcb.rcvBufLimit(), sndbuf);
    }

    /**
     * skb truesize of {@code bytes} queued as segments of at most {@code mss}: payload plus {@link #SKB_OVERHEAD} per
     * segment. vkernel keeps bytes, not segment boundaries, so this assumes full segments: a lower bound when the
     * peer sent small ones (a 10-byte segment costs hundreds of bytes of budget).
     */
    public static long truesize(int bytes, int mss) {
        if (bytes <= 0) {
            return 0;
        }
        long segments = (bytes + (long) mss - 1) / mss;
        return bytes + segments * SKB_OVERHEAD;
    }

    private static Set<Socket> openSockets(Kernel kernel) {
        // in FD order, not identity-hash order, so the view reads the same on every run and after a replay
        Set<Socket> sockets = new java.util.LinkedHashSet<>();
        for (Process process : kernel.processes()) {
            for (OpenFile file : process.fds().entries().values()) {
                if (file.socket() != null) {
                    sockets.add(file.socket());
                }
            }
        }
        return sockets;
    }
}
