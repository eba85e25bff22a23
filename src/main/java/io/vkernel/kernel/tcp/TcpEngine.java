package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.demux.BindTable;
import io.vkernel.kernel.demux.EstablishedTable;
import io.vkernel.kernel.demux.ListenerTable;
import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.socket.SyscallException;
import io.vkernel.kernel.time.VirtualClock;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.Segment;

import java.util.List;

/**
 * The TCP engine's front door: what {@code Kernel} and the system calls call. Each call is handed to the part that
 * owns it, split the way Linux's files and gVisor's tcp package are:
 * <ul>
 *   <li>{@link TcpInput}: segment arrival in RFC 9293 §3.10.7 order (tcp_rcv_state_process(), tcp_ack());</li>
 *   <li>{@link PassiveOpen} and {@link ActiveOpen}: the two sides of the handshake (tcp_conn_request(),
 *       tcp_check_req(), syncookies; tcp_v4_connect(), tcp_rcv_synsent_state_process());</li>
 *   <li>{@link TcpReceiver} and {@link TcpSender}: data in and out (tcp_data_queue(), tcp_recvmsg();
 *       tcp_sendmsg(), tcp_write_xmit()), with {@link TcpOutput} building the segments;</li>
 *   <li>{@link TcpClose} and {@link TcpStates}: close(), shutdown(), state changes, TIME_WAIT and teardown;</li>
 *   <li>{@link TcpTimers}, {@link Recovery} with {@link SackScoreboard} and a {@link CongestionControl}: the
 *       retransmission, probe and keepalive timers, loss recovery and cwnd.</li>
 * </ul>
 * Every transition records an event; every reply goes out through {@link TcpHost#transmit}.
 */
public final class TcpEngine {

    /** RFC 9293 §3.7.1: the send MSS when the peer's SYN carried no MSS option (Linux TCP_MSS_DEFAULT). */
    public static final int DEFAULT_MSS = 536;
    /** What we advertise: a 1500-byte Ethernet MTU less 40 bytes of IPv4 and TCP headers. */
    public static final int ADVERTISED_MSS = 1460;
    /** TCP_TIMEWAIT_LEN: a fixed 60 s on Linux, not 2 x MSL. */
    public static final long TIME_WAIT_MS = 60_000;
    /** TCP_TIMEOUT_INIT: the first SYN-ACK retransmission comes after 1 s, then the interval doubles. */
    public static final long SYNACK_TIMEOUT_MS = 1_000;
    /** RFC 6298 §2.1 initial RTO; Linux TCP_TIMEOUT_INIT. */
    public static final long INITIAL_RTO_MS = 1_000;
    /** Linux TCP_RTO_MIN (RFC 6298 asks for 1 s; Linux uses 200 ms). */
    public static final long RTO_MIN_MS = 200;
    /** Linux TCP_RTO_MAX. */
    public static final long RTO_MAX_MS = 120_000;
    /** TCP_MAX_QUICKACKS: segments ACKed at once at the start of a connection. */
    public static final int MAX_QUICKACKS = 16;
    /** TCP_DELACK_MIN: the shortest delayed-ACK timeout. */
    public static final long DELACK_MS = 40;
    /** TCP_DELACK_MAX: the longest an ACK is delayed (HZ/5). */
    public static final long DELACK_MAX_MS = 200;

    /** net.ipv4.tcp_available_congestion_control: the names TCP_CONGESTION accepts. */
    public static final List<String> CONGESTION_CONTROLS = List.of("reno", "cubic");

    private final TcpInput input;
    private final PassiveOpen passive;
    private final ActiveOpen active;
    private final TcpReceiver receiver;
    private final TcpSender sender;
    private final TcpClose closer;
    private final TcpTimers timers;
    private final IcmpErrors icmp;
    private final Sysctls sysctls;
    private final TcpMd5 md5;

    public TcpEngine(EstablishedTable established, ListenerTable listeners, BindTable binds, VirtualClock clock,
                     Sysctls sysctls, IsnGenerator isns, TcpHost host, int maxConnections) {
        this.sysctls = sysctls;
        TcpOutput output = new TcpOutput(clock, isns, host, sysctls);
        TcpStates states = new TcpStates(established, binds, clock, sysctls, host);
        Recovery recovery = new Recovery(output, host, clock, sysctls);
        this.timers = new TcpTimers(states, recovery, output, clock, sysctls, host);
        LossProbe lossProbe = new LossProbe(clock, sysctls, host, output, timers);
        recovery.setTimers(timers, lossProbe);
        this.sender = new TcpSender(clock, sysctls, host, output, timers, lossProbe, recovery);
        this.receiver = new TcpReceiver(sysctls, host, output, states);
        this.active = new ActiveOpen(established, binds, clock, sysctls, isns, host, output, timers, states);
        this.active.sender = sender;
        this.passive = new PassiveOpen(established, binds, clock, sysctls, isns, host, maxConnections, output, timers,
                states, receiver);
        this.input = new TcpInput(clock, sysctls, listeners, host, output, timers, recovery, states, passive, active,
                receiver, sender);
        this.closer = new TcpClose(host, output, states, sender);
        Routes routes = new Routes(sysctls, clock);
        this.active.routes = routes;
        this.passive.routes = routes;
        this.icmp = new IcmpErrors(host, states, active, passive, routes, recovery);
        this.md5 = new TcpMd5(host);
    }

    /** An ICMP error quoting one of this connection's segments (tcp_v4_err()): see {@link IcmpErrors}. */
    public void icmpError(Tcb tcb, io.vkernel.kernel.wire.IcmpMessage message, PacketReport report) {
        icmp.icmpError(tcb, message, report);
    }

    // ---------------------------------------------------------------- segments from the NIC (the seed's step 5)

    /** The reply to a segment that matched nothing: {@code tcp_v4_send_reset()}; never a RST for a RST. */
    public void resetNoSocket(Segment segment, PacketReport report) {
        input.resetNoSocket(segment, report);
    }

    /** A segment for a listener: a SYN starts a request in SYN_RECV, anything with ACK is reset. */
    public void listenerReceives(Socket listener, Segment segment, PacketReport report) {
        if (md5.unexpected(segment, report)) {
            return;
        }
        passive.listenerReceives(listener, segment, report, 0);
    }

    /** Segment arrival for a TCB found in the established table, checks in RFC 9293 §3.10.7 order. */
    public void segmentArrives(Tcb tcb, Segment segment, PacketReport report) {
        if (tcb.state != TcpState.TIME_WAIT && md5.unexpected(segment, report)) {
            return;
        }
        input.segmentArrives(tcb, segment, report);
    }

    // ---------------------------------------------------------------- user calls

    /** tcp_v4_connect(): a TCB in SYN_SENT, hashed with its 4-tuple, owning its local port; the SYN goes out. */
    public Tcb connect(Socket socket, FourTuple tuple, PacketReport report) {
        return active.connect(socket, tuple, report);
    }

    /**
     * connect() for TCP Fast Open: sendto() with MSG_FASTOPEN ({@code data} the buffer; the SYN carries what
     * tcp_send_syn_data() allows, or asks for a cookie), or connect() with TCP_FASTOPEN_CONNECT ({@code data} empty;
     * {@code defer} when a cookie is cached, so the SYN waits for the first write). See {@link FastOpenClient}.
     */
    public Tcb connectFastOpen(Socket socket, FourTuple tuple, byte[] data, boolean defer, PacketReport report) {
        return active.connect(socket, tuple, report, data, defer);
    }

    /** The first write on a deferred TCP_FASTOPEN_CONNECT socket: its SYN leaves with the data; returns the bytes it carries. */
    public int sendDeferredSyn(Tcb tcb, byte[] data, PacketReport report) {
        return active.sendDeferredSyn(tcb, data, report);
    }

    /**
     * The Fast Open connect of {@link #connectFastOpen} or {@link #sendDeferredSyn} from a buffer the process cannot
     * read (a NULL pointer): tcp_send_syn_data()'s copy faults and it falls back to a plain SYN asking for a cookie.
     */
    public Tcb connectFastOpenUnreadable(Socket socket, FourTuple tuple, PacketReport report) {
        return active.connect(socket, tuple, report, ActiveOpen.UNREADABLE, false);
    }

    /** {@link #sendDeferredSyn} from a buffer the process cannot read: the SYN leaves without data (see above). */
    public int sendDeferredSynUnreadable(Tcb tcb, PacketReport report) {
        return active.sendDeferredSyn(tcb, ActiveOpen.UNREADABLE, report);
    }

    /** tcp_sendmsg_locked() from an unreadable buffer: EFAULT where bytes could be copied, false to wait for room. */
    public boolean faultingWrite(Tcb tcb) {
        return sender.faultingWrite(tcb);
    }

    /** How many bytes the SYN carried (tp->fastopen_req->copied), 0 when it carried none. */
    public static int synDataLength(Tcb tcb) {
        return tcb.fastOpenSyn == null ? 0 : tcb.fastOpenSyn.data.length;
    }

    /** sk_write_pending for a blocked Fast Open sendto() with more to write after the handshake. */
    public static void fastOpenWritePending(Tcb tcb, boolean pending) {
        tcb.fastOpenWritePending = pending;
    }

    /** tcp_fastopen_cookie_check() for TCP_FASTOPEN_CONNECT: is a cookie cached for {@code remote} (or none required)? */
    public boolean fastOpenCookieAvailable(Socket socket, int remoteAddress) {
        return FastOpenClient.cookieAvailable(active.fastOpenCache, remoteAddress, sysctls, socket);
    }

    /** The per-destination Fast Open cache (tcp_metrics); {@code ip tcp_metrics flush} empties it. */
    public FastOpenClient.Cache fastOpenCache() {
        return active.fastOpenCache;
    }

    /** inet_csk_accept(): takes the oldest connection from the accept queue, or null when it is empty. */
    public Tcb accept(Socket listener) {
        return listener.acceptQueue().pollFirst();
    }

    /** The accepted connection gets its socket: from now on wake-ups for it go to that socket's wait queue. */
    public void attach(Tcb tcb, Socket socket) {
        tcb.socket = socket;
    }

    /** tcp_recvmsg(): data first, then EOF after a FIN, then a pending error once, else null (would block). */
    public byte[] read(Tcb tcb, int max, PacketReport report) {
        return receiver.read(tcb, max, report);
    }

    /** tcp_splice_read(): bytes for a pipe, stopping at the urgent mark; empty = nothing to take now, null = wait. */
    public byte[] spliceRead(Tcb tcb, int max, PacketReport report) {
        return receiver.spliceRead(tcb, max, report);
    }

    /**
     * tcp_sendmsg(), with MSG_MORE ({@code more}) or MSG_EOR ({@code eor}): copies into the send buffer as room allows
     * and transmits at the peer's MSS; 0 = would block.
     */
    public int write(Tcb tcb, byte[] data, boolean more, boolean eor, PacketReport report) {
        return sender.write(tcb, data, more, eor, report);
    }

    /**
     * tcp_sendmsg() with MSG_ZEROCOPY: {@code zerocopyIov} are the lengths of the iovecs the bytes come from, each
     * pinned page of them one frag of the skb (at most MAX_SKB_FRAGS); null for a copying send.
     */
    public int write(Tcb tcb, byte[] data, boolean more, boolean eor, int[] zerocopyIov, PacketReport report) {
        return sender.write(tcb, data, more, eor, zerocopyIov, report);
    }

    /** tcp_push_pending_frames() with TCP_NAGLE_PUSH: TCP_NODELAY set, or TCP_CORK cleared with it set. */
    public void pushPending(Tcb tcb, PacketReport report) {
        if (tcb.state == TcpState.ESTABLISHED || tcb.state == TcpState.CLOSE_WAIT) {
            sender.pushPending(tcb, report);
        }
    }

    /** tcp_push_pending_frames() without forcing: what Nagle now lets go (TCP_CORK cleared without TCP_NODELAY). */
    public void transmitPending(Tcb tcb, PacketReport report) {
        if (tcb.state == TcpState.ESTABLISHED || tcb.state == TcpState.CLOSE_WAIT) {
            sender.transmitPending(tcb, report);
        }
    }

    /** tcp_close(): the last reference is gone; RST or FIN as Linux decides. */
    public void close(Tcb tcb, boolean lingerZero, PacketReport report) {
        closer.close(tcb, lingerZero, report);
    }

    /** tcp_disconnect() for connect(fd, AF_UNSPEC): RST where Linux sends one, CLOSE, the socket reusable. */
    public void disconnect(Tcb tcb, PacketReport report) {
        closer.disconnect(tcb, "connect(AF_UNSPEC): tcp_disconnect()", report);
    }

    /** tcp_disconnect() for {@code cause} (shutdown() of a socket in SYN_SENT runs it too: inet_shutdown()). */
    public void disconnect(Tcb tcb, String cause, PacketReport report) {
        closer.disconnect(tcb, cause, report);
    }

    /** shutdown(): SHUT_RD only marks the receive side; SHUT_WR sends FIN without orphaning the socket. */
    public void shutdown(Tcb tcb, boolean read, boolean write, PacketReport report) {
        closer.shutdown(tcb, read, write, report);
    }

    /** inet_csk_listen_stop(): every connection still in the accept queue is reset. */
    public void closeListener(Socket listener, PacketReport report) {
        passive.closeListener(listener, report);
    }

    /** sock_error(): the pending error, cleared as it is reported. */
    public Errno takeError(Tcb tcb) {
        Errno error = tcb.pendingError;
        tcb.pendingError = null;
        return error;
    }

    /** setsockopt(SO_RCVBUF) on a connection: the buffer is the new size and autotuning stops (SOCK_RCVBUF_LOCK). */
    public void lockReceiveBuffer(Tcb tcb, int buffer) {
        tcb.rcvBufLocked = true;
        tcb.rcvBufLimit = buffer;
    }

    /** tcp_assign_congestion_control(): the algorithm net.ipv4.tcp_congestion_control names (0 = reno, 1 = cubic). */
    public static String defaultCongestionControl(Sysctls sysctls) {
        return sysctls.get(Sysctls.TCP_CONGESTION_CONTROL) == 0 ? "reno" : "cubic";
    }

    /**
     * setsockopt(TCP_CONGESTION) as tcp_set_congestion_control(): an unknown name is ENOENT; a connection switches
     * at once (tcp_reinit_congestion_control()), a socket not yet connected keeps the name for the connection.
     */
    public void setCongestionControl(Socket socket, String name) {
        if (!CONGESTION_CONTROLS.contains(name)) {
            throw new SyscallException(Errno.ENOENT);
        }
        socket.options().congestion = name;
        if (socket.tcb() != null) {
            socket.tcb().useCongestionControl(name);
        }
    }

    /** Arms the keepalive timer when the socket has SO_KEEPALIVE (tcp_set_keepalive()); off by default. */
    public void armKeepalive(Tcb tcb) {
        timers.armKeepalive(tcb);
    }
}
