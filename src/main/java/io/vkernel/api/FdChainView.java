package io.vkernel.api;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.MemoryAccount;
import io.vkernel.kernel.demux.EstablishedTable;
import io.vkernel.kernel.fd.OpenFile;
import io.vkernel.kernel.proc.Process;
import io.vkernel.kernel.proc.SocketQueues;
import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.socket.SocketOptions;
import io.vkernel.kernel.socket.WaitQueue;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.tcp.TcpState;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One FD followed all the way down, as the kernel follows it on a system call and as a packet finds it from the
 * other end: process → FD → open file (reference count, flags) → socket (inode, options, wait queue) → TCB (state,
 * sequence variables, queues) → the established-table entry (hash, bucket, place in the chain), or for a
 * listener its entry in the listening table with its queues.
 */
final class FdChainView {

    private FdChainView() {
    }

    record FileView(String path, int refCount, String flags, List<String> sharedWith) {
    }

    record OptionsView(boolean reuseAddr, boolean keepAlive, String linger, long rcvTimeoutMs, long sndTimeoutMs) {
    }

    record SocketView(long inode, String type, String local, String role, OptionsView options, List<String> waitQueue) {
    }

    /** positionInChain counts from 1 (the chain's head), as "entry 1 of 1" in the walk does. */
    record HashEntryView(String function, String hash, int buckets, int bucket, int positionInChain, int chainLength,
                         List<String> chainAhead, String lookup) {
    }

    record ListenerEntryView(String key, boolean wildcard, int backlog, int acceptQueueCapacity, List<String> acceptQueue,
                             int synRecv, String lookup) {
    }

    record Chain(int pid, String process, int fd, List<String> walk, FileView file, SocketView socket,
                 Views.ConnectionView tcb, HashEntryView hashEntry, ListenerEntryView listener) {
    }

    static Chain of(Kernel kernel, Process process, int fd) {
        OpenFile file = process.fds().get(fd);
        List<String> walk = new ArrayList<>();
        walk.add("pid " + process.pid() + " (" + process.name() + ") fd " + fd + ": slot " + fd + " of its FD table");
        List<String> sharers = sharers(kernel, file, process.pid(), fd);
        walk.add("open file " + file.path() + ": " + file.refCount() + (file.refCount() == 1 ? " reference" : " references")
                + ", flags " + flags(file) + (sharers.isEmpty() ? "" : "; also " + String.join(", ", sharers)));
        FileView fileView = new FileView(file.path(), file.refCount(), flags(file), sharers);
        Socket socket = file.socket();
        if (file.epoll() != null) {
            walk.add("an epoll instance, not a socket: " + Views.epoll(file.epoll())
                    + "; each watch hangs on its socket's wait queue, and the socket's wake-ups put it on the ready list");
            return new Chain(process.pid(), process.name(), fd, walk, fileView, null, null, null, null);
        }
        if (file.node() != null || file.pipe() != null) {
            walk.add(file.node() != null ? "a regular file of " + file.node().size() + " bytes at offset " + file.position()
                    + ", not a socket: nothing below it in the network stack"
                    : "one end of a pipe holding " + file.pipe().queued() + " bytes, not a socket: nothing below it in the network stack");
            return new Chain(process.pid(), process.name(), fd, walk, fileView, null, null, null, null);
        }
        if (socket == null) {
            walk.add("a terminal, not a socket: nothing below it in the network stack");
            return new Chain(process.pid(), process.name(), fd, walk, fileView, null, null, null, null);
        }
        SocketView socketView = socket(socket);
        walk.add("socket inode " + socket.inode() + ": " + socketView.role()
                + (socketView.waitQueue().isEmpty() ? ", nobody waiting on it" : ", " + socketView.waitQueue().size() + " waiting: "
                + String.join("; ", socketView.waitQueue())));
        if (socket.isListening()) {
            ListenerEntryView listener = listener(kernel, socket);
            walk.add("listening table entry " + listener.key() + ": " + listener.acceptQueue().size() + " of "
                    + listener.acceptQueueCapacity() + " in the accept queue, " + listener.synRecv() + " in SYN_RECV");
            return new Chain(process.pid(), process.name(), fd, walk, fileView, socketView, null, null, listener);
        }
        Tcb tcb = socket.tcb();
        if (tcb == null) {
            walk.add("no TCB: the socket has no connection yet");
            return new Chain(process.pid(), process.name(), fd, walk, fileView, socketView, null, null, null);
        }
        walk.add("TCB " + tcb.tuple() + " in " + tcb.state() + ": SND.UNA " + Integer.toUnsignedString(tcb.sndUna())
                + ", SND.NXT " + Integer.toUnsignedString(tcb.sndNxt()) + ", RCV.NXT " + Integer.toUnsignedString(tcb.rcvNxt())
                + ", Recv-Q " + SocketQueues.recvQ(tcb) + ", Send-Q " + SocketQueues.sendQ(tcb));
        HashEntryView entry = hashEntry(kernel.established(), tcb);
        if (entry == null) {
            walk.add("not in the established table: a CLOSED connection is unhashed, so a segment for "
                    + tcb.tuple() + " finds no socket and is answered with RST");
        } else {
            walk.add("established table: " + entry.function() + " = " + entry.hash() + ", bucket " + entry.bucket() + " of "
                    + entry.buckets() + ", entry " + entry.positionInChain() + " of " + entry.chainLength() + " in its chain"
                    + (MemoryAccount.kind(tcb) == MemoryAccount.Kind.TIMEWAIT
                    ? " (on Linux a timewait mini-socket has taken the full socket's place there)" : ""));
        }
        return new Chain(process.pid(), process.name(), fd, walk, fileView, socketView, Views.connection(kernel, tcb), entry, null);
    }

    private static List<String> sharers(Kernel kernel, OpenFile file, int pid, int fd) {
        List<String> sharers = new ArrayList<>();
        for (Process other : kernel.processes()) {
            for (Map.Entry<Integer, OpenFile> entry : other.fds().entries().entrySet()) {
                if (entry.getValue() == file && !(other.pid() == pid && entry.getKey() == fd)) {
                    sharers.add("pid " + other.pid() + " fd " + entry.getKey());
                }
            }
        }
        return sharers;
    }

    private static String flags(OpenFile file) {
        String access = switch (file.flags() & 03) {
            case 0 -> "O_RDONLY";
            case 1 -> "O_WRONLY";
            default -> "O_RDWR";
        };
        return file.nonBlocking() ? access + "|O_NONBLOCK" : access;
    }

    private static SocketView socket(Socket socket) {
        SocketOptions o = socket.options();
        String linger = o.lingerOn ? "on, " + o.lingerSeconds + " s" + (o.lingerSeconds == 0 ? " (close() sends RST)" : "") : "off";
        String role;
        if (socket.isListening()) {
            role = "listening on " + socket.local() + ", backlog " + socket.backlog();
        } else if (socket.tcb() != null) {
            role = "connected " + socket.tcb().tuple().local() + " <-> " + socket.tcb().tuple().remote();
        } else if (socket.local() != null) {
            role = "bound to " + socket.local() + ", not listening or connected";
        } else {
            role = "new: not bound";
        }
        List<String> waiters = socket.waitQueue().waiters().stream().map(WaitQueue.Waiter::describe).toList();
        return new SocketView(socket.inode(), "SOCK_STREAM (TCP)", socket.local() == null ? null : socket.local().toString(), role,
                new OptionsView(o.reuseAddr, o.keepAlive, linger, o.rcvTimeoutMs, o.sndTimeoutMs), waiters);
    }

    private static ListenerEntryView listener(Kernel kernel, Socket socket) {
        boolean wildcard = socket.local().isWildcard();
        List<String> queued = socket.acceptQueue().stream().map(t -> t.tuple().remote() + " (" + t.state() + ")").toList();
        String lookup = wildcard
                ? "a SYN to any local address on port " + socket.local().port() + " reaches it when no listener has that exact address"
                : "a SYN to " + socket.local() + " reaches it before any 0.0.0.0 listener on the port";
        if (!kernel.listeners().contains(socket)) {
            lookup = "not in the listening table";
        }
        return new ListenerEntryView(socket.local().toString(), wildcard, socket.backlog(), socket.backlog() + 1, queued,
                socket.synRecv(), lookup);
    }

    private static HashEntryView hashEntry(EstablishedTable table, Tcb tcb) {
        if (tcb.state() == TcpState.CLOSE) {
            return null;
        }
        EstablishedTable.Position position = table.positionOf(tcb);
        if (position == null) {
            return null;
        }
        List<String> ahead = new ArrayList<>();
        List<Tcb> chain = table.chain(position.bucket());
        for (int i = 0; i < position.index() && ahead.size() < 16; i++) {
            ahead.add(chain.get(i).tuple() + " (" + chain.get(i).state() + ")");
        }
        String hash = Views.hex(position.hash());
        String lookup = "a segment from " + tcb.tuple().remote() + " to " + tcb.tuple().local() + " hashes to " + hash
                + ", takes bucket " + hash + " & " + (table.bucketCount() - 1) + " = " + position.bucket()
                + " and compares " + (position.index() + 1) + (position.index() == 0 ? " entry" : " entries") + " to find it";
        return new HashEntryView(table.hashFunction().name(), hash, table.bucketCount(), position.bucket(), position.index() + 1,
                position.chainLength(), ahead, lookup);
    }
}
