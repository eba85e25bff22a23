package io.vkernel.kernel.proc;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.time.VirtualClock;
import io.vkernel.kernel.wire.Endpoint;

import java.util.ArrayList;
import java.util.List;

/**
 * The established and listening tables as Linux prints /proc/net/tcp ({@code tcp4_seq_show()} in
 * net/ipv4/tcp_ipv4.c): listeners first, then the established hash bucket by bucket, each line padded to 149
 * characters. Addresses are the network-order bytes read as a little-endian number (x86), so 10.0.0.50 is
 * {@code 3200000A}; ports are plain hex. Three line shapes, as in the kernel:
 * <ul>
 *   <li>{@code get_tcp4_sock()} for listeners and full sockets: tx_queue = write_seq - snd_una, rx_queue = unread
 *   bytes (a listener's accept-queue length), the socket's inode (0 while no FD refers to it), then rto, ato,
 *   quick/pingpong, cwnd and ssthresh, which vkernel does not model and prints at Linux's initial values;</li>
 *   <li>{@code get_openreq4()} for a request in SYN_RECV: timer 1 (SYN-ACK retransmit), its retransmissions, no inode;</li>
 *   <li>{@code get_timewait4_sock()} for TIME_WAIT and an orphaned FIN_WAIT2: timer 3, no inode, refcount 3.</li>
 * </ul>
 * Times are clock ticks (USER_HZ = 100 per second) in hex. Kernel pointers print as zeros, as an unprivileged
 * reader sees them with {@code kernel.kptr_restrict=1}.
 * <p>
 * The HTTP view prints {@link #render(Kernel)}; a script's backquoted {@code grep ... /proc/net/tcp} searches
 * {@link #rows(Kernel)}, the same lines without the header.
 */
public final class ProcNetTcp {

    public static final String HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";
    private static final int WIDTH = 149;
    private static final String POINTER = "0000000000000000";
    private static final int RTO_INITIAL_TICKS = 100;
    private static final int CWND_INITIAL = 10;

    private ProcNetTcp() {
    }

    /** The file as {@code cat /proc/net/tcp} prints it: the header, then one padded line per socket. */
    public static String render(Kernel kernel) {
        StringBuilder out = new StringBuilder(line(HEADER)).append('\n');
        for (String row : rows(kernel)) {
            out.append(row).append('\n');
        }
        return out.toString();
    }

    /** The file's lines after the header, each padded to 149 characters: listeners, then the established table. */
    public static List<String> rows(Kernel kernel) {
        List<String> rows = new ArrayList<>();
        for (Socket listener : kernel.listeners().all()) {
            rows.add(line(listener(rows.size(), listener)));
        }
        long now = kernel.clock().now();
        for (Tcb tcb : kernel.established().all()) {
            int sl = rows.size();
            if (tcb.state() == TcpState.SYN_RECV) {
                rows.add(line(request(sl, tcb, now)));
            } else if (SocketQueues.isMiniSocket(tcb)) {
                rows.add(line(timeWait(sl, tcb, now)));
            } else {
                rows.add(line(fullSocket(sl, tcb, now)));
            }
        }
        return rows;
    }

    private static String listener(int sl, Socket listener) {
        return String.format("%4d: %s %s %02X %08X:%08X %02X:%08X %08X %5d %8d %d %d %s %d %d %d %d %d",
                sl, hex(listener.local()), hex(new Endpoint(0, 0)), TcpState.LISTEN.linuxNumber(), 0,
                listener.acceptQueue().size(), 0, 0, 0, 0, 0, listener.inode(), 1, POINTER,
                RTO_INITIAL_TICKS, 0, 0, CWND_INITIAL, 0);
    }

    private static String fullSocket(int sl, Tcb tcb, long now) {
        VirtualClock.Timer timer = liveTimer(tcb);
        int timerKind = timer == null ? 0 : timerKind(timer.name());
        long when = timerKind == 0 ? 0 : ticks(timer.deadline() - now);
        Socket file = SocketQueues.fileSocket(tcb);
        return String.format("%4d: %s %s %02X %08X:%08X %02X:%08X %08X %5d %8d %d %d %s %d %d %d %d %d",
                sl, hex(tcb.tuple().local()), hex(tcb.tuple().remote()), tcb.state().linuxNumber(),
                SocketQueues.sendQ(tcb), SocketQueues.recvQ(tcb), timerKind, when, 0, 0, 0,
                file == null ? 0 : file.inode(), 1, POINTER, RTO_INITIAL_TICKS, 0, 0, CWND_INITIAL, -1);
    }

    private static String request(int sl, Tcb tcb, long now) {
        VirtualClock.Timer timer = liveTimer(tcb);
        long when = timer == null ? 0 : ticks(timer.deadline() - now);
        return String.format("%4d: %s %s %02X %08X:%08X %02X:%08X %08X %5d %8d %d %d %s",
                sl, hex(tcb.tuple().local()), hex(tcb.tuple().remote()), TcpState.SYN_RECV.linuxNumber(), 0, 0,
                1, when, synAckRetransmissions(tcb, timer), 0, 0, 0, 0, POINTER);
    }

    private static String timeWait(int sl, Tcb tcb, long now) {
        VirtualClock.Timer timer = liveTimer(tcb);
        long when = timer == null ? 0 : ticks(timer.deadline() - now);
        return String.format("%4d: %s %s %02X %08X:%08X %02X:%08X %08X %5d %8d %d %d %s",
                sl, hex(tcb.tuple().local()), hex(tcb.tuple().remote()), tcb.state().linuxNumber(), 0, 0,
                3, when, 0, 0, 0, 0, 3, POINTER);
    }

    /** {@code %08X:%04X} of a {@code __be32} address read on a little-endian CPU, and the port in host order. */
    static String hex(Endpoint endpoint) {
        return String.format("%08X:%04X", Integer.reverseBytes(endpoint.address()), endpoint.port());
    }

    /** {@code jiffies_delta_to_clock_t()}: hundredths of a second, never negative. */
    private static long ticks(long ms) {
        return Math.max(0, ms) / 10;
    }

    private static VirtualClock.Timer liveTimer(Tcb tcb) {
        VirtualClock.Timer timer = tcb.stateTimer();
        return timer == null || timer.isCancelled() ? null : timer;
    }

    /** The {@code tr} codes of get_tcp4_sock(): 1 retransmit, 2 keepalive (sk_timer), 4 zero-window probe. */
    private static int timerKind(String name) {
        if (name.contains("retrans")) {
            return 1;
        }
        if (name.contains("keepalive")) {
            return 2;
        }
        if (name.contains("probe") || name.contains("persist")) {
            return 4;
        }
        return 0;
    }

    /**
     * {@code req->num_timeout}: the SYN-ACK timer doubles from 1 s, so a timer due {@code (2^(n+1) - 1)} seconds
     * after the request was created follows n retransmissions.
     */
    private static int synAckRetransmissions(Tcb tcb, VirtualClock.Timer timer) {
        if (timer == null) {
            return 0;
        }
        long seconds = (timer.deadline() - tcb.createdAt()) / 1000;
        return Math.max(0, 63 - Long.numberOfLeadingZeros(seconds + 1) - 1);
    }

    private static String line(String text) {
        return text.length() >= WIDTH ? text : text + " ".repeat(WIDTH - text.length());
    }
}
