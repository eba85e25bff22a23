package io.vkernel.kernel.tcp;

import io.vkernel.kernel.demux.BindTable;
import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.socket.SocketOptions;
import io.vkernel.kernel.time.VirtualClock;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;

import java.util.TreeMap;

/**
 * The TCP control block (RFC 9293 §3.3.1): the connection's state, send and receive sequence variables, buffers
 * and timers. A TCB lives in the established hash table from SYN_RECV until it is CLOSED or its TIME_WAIT ends.
 */
public final class Tcb implements BindTable.Owner {

    private final FourTuple tuple;
    private final long createdAt;
    TcpState state;

    // Send sequence space (RFC 9293 §3.3.1, Figure 3)
    int iss;
    int sndUna;
    int sndNxt;
    int sndWnd;
    int peerMss = TcpEngine.DEFAULT_MSS;
    /**
     * tp->advmss: the MSS this end offers in its SYN or SYN-ACK and the most it sends (tp->rx_opt.mss_clamp):
     * the route's 1460, or less when TCP_MAXSEG (user_mss) asked for less (tcp_mss_clamp()).
     */
    int advMss = TcpEngine.ADVERTISED_MSS;
    /** The last write ended with MSG_EOR: the next write starts a new skb (tcp_skb_can_collapse_to()). */
    boolean tailEor;

    // Receive sequence space (Figure 4)
    int irs;
    int rcvNxt;
    int rcvBufLimit;
    /** SO_RCVBUF set the buffer (SOCK_RCVBUF_LOCK): no autotuning, and the window is clamped to it. */
    boolean rcvBufLocked;
    /** The window scale we offer in our SYN or SYN-ACK (tcp_select_initial_window()). */
    int offeredWscale;

    final ByteQueue receiveQueue = new ByteQueue();
    /** Linux's receive memory (truesize charged per skb) and the window state it drives. */
    final RcvSpace rcvSpace = new RcvSpace();
    /** Bytes written by the application: [sndUna, sndNxt) in flight first, then unsent bytes. */
    final ByteQueue sendQueue = new ByteQueue();
    /** How Linux charges those bytes: skb by skb, against sk_sndbuf (sk_wmem_queued, tcp_sndbuf_expand()). */
    final SendBuffer sendBuffer = new SendBuffer();
    /** Out-of-order segments held for reassembly, keyed by sequence number; created only when one arrives. */
    private TreeMap<Integer, byte[]> outOfOrder;

    /** tp->urg_seq and tp->urg_data: the peer's urgent byte and its state ({@link Urgent}); 0 = none pending. */
    int urgSeq;
    int urgData;

    boolean finReceived;
    /** read() has returned 0 for the peer's FIN, so copied_seq is past it. */
    boolean finConsumed;
    boolean finQueued;
    int finSeq;
    /**
     * The FIN has a packet of its own: no unsent data waited when it was queued. Otherwise tcp_send_fin() set FIN on
     * the unsent tail skb, so it leaves (and is retransmitted) with the last data bytes.
     */
    boolean finAlone;
    /**
     * When a FIN sent on its own first left, for its ACK's RTT sample (tcp_clean_rtx_queue() times the FIN's skb like
     * any other); -1 before it is sent and once it is resent (Karn).
     */
    long finSentAt = -1;
    boolean readShutdown;
    boolean writeShutdown;
    /** {@code sk_err}: reported once by the next read or write, then cleared. */
    Errno pendingError;
    /** {@code sk_err_soft}: an ICMP error on a connection, reported only if it later times out (tcp_write_err()). */
    Errno softError;
    /** The path MTU (icsk_pmtu_cookie): the route's 1500 until an ICMP "fragmentation needed" lowers it (IcmpErrors). */
    int pmtu = IcmpErrors.ROUTE_MTU;
    /** dst_metric_advmss(): the MSS the route lets a SYN offer (Routes); the SYN offers the smaller of it and advMss. */
    int routeAdvMss = TcpEngine.ADVERTISED_MSS;
    /** The route this connection takes (its MTU, learned path MTUs), and its MTU probing state. */
    Routes routes;
    final MtuProbe mtup = new MtuProbe();
    /** Set after a reset: writes fail with EPIPE once the first error was reported. */
    boolean reset;
    /** The unacknowledged bytes {@code TcpStates.closeTcb()} purged from the send queue. */
    int purgedUnacked;
    boolean orphan;
    /**
     * The connection lives on as an inet_timewait_sock (tcp_time_wait(): TIME_WAIT, or an orphan's FIN_WAIT2
     * substate), whose ACKs are tcp_v4_timewait_ack()'s, not tcp_send_ack()'s ({@link TcpOutput#sendAck}).
     */
    boolean timeWaitSock;
    /** SO_REUSEADDR inherited from the listener or socket, kept by TIME_WAIT for bind conflicts. */
    boolean reuseAddr;
    boolean ownsPort;

    Socket socket;
    Socket listener;
    /** The listener's options when the handshake completed: what the accepted socket gets (sk_clone_lock()). */
    SocketOptions inherited;
    /** tp->last_oow_ack_time: when the last rate-limited ACK to an invalid segment left, in ms; -1 = never. */
    long lastOowAckTime = -1;
    VirtualClock.Timer stateTimer;

    // Retransmission (RFC 6298): RTO starts at 1 s, never below Linux's TCP_RTO_MIN of 200 ms.
    VirtualClock.Timer retransmitTimer;
    long rtoMs = TcpEngine.INITIAL_RTO_MS;
    long srttMs = -1;
    long rttvarMs;
    /** Linux's estimator state behind srttMs, rttvarMs and rtoMs (tcp_rtt_estimator()). */
    final RttEstimator rtt = new RttEstimator();
    int retransmits;
    /** The sequence number being timed for an RTT sample and when it was sent; -1 when none (Karn). */
    int rttSeq;
    long rttSentAt = -1;

    // Delayed ACK (tcp_event_data_recv(), tcp_send_delayed_ack()): the first segments are ACKed at once
    // (quick-ack mode, TCP_MAX_QUICKACKS), later ones every second full segment or after 40 ms.
    int quickAcks = TcpEngine.MAX_QUICKACKS;
    /** tp->ecn_flags ({@link Ecn}): ECN negotiated, CWR to send, ECE to echo, ECT seen. */
    int ecnFlags;
    /** Accurate ECN's per-connection state ({@link AccEcn}); null when the connection does not use or ask for it. */
    AccEcn accEcn;
    /** The ACK being processed carried ECE on an ECN connection (FLAG_ECE): {@link Recovery} enters CWR. */
    boolean ecnEcho;
    /** inet_csk_in_pingpong_mode(): we answered received data within ato, so ACKs of new data are delayed. */
    boolean pingpong;
    int unackedBytes;
    VirtualClock.Timer delackTimer;

    /** tp->max_window: the largest window the peer has offered (MAX.SND.WND of RFC 5961 §5.2). */
    int maxSndWnd;
    /** TS.Recent before this segment updated it, restored when the segment turns out unacceptable. */
    long tsRecentPrior;
    /** icsk_ack.ato != 0: in-order data has arrived, so the delayed-ACK engine is running (tcp_event_data_recv()). */
    boolean dataReceived;
    /** icsk_ack.rcv_mss: the receiver's estimate of the peer's segment size (tcp_measure_rcv_mss()). */
    int rcvMss = TcpEngine.DEFAULT_MSS;
    /** tp->rcv_rtt_est.rtt_us (times 8), its measure's start (seq, time; -1 = none yet) and rcv_rtt_last_tsecr: ReceiverRtt. */
    long rcvRttUs8;
    int rcvRttSeq;
    long rcvRttTime = -1;
    long rcvRttLastTsecr;
    /** icsk_ack.lrcvtime: when in-order data last arrived, or the connection was established (tcpi_last_data_recv). */
    long lastDataRecv;
    /** tp->retrans_stamp: when the head segment first retransmitted was sent (UserTimeout). */
    long retransStamp;

    // Congestion control (tp->snd_cwnd, snd_ssthresh, icsk_ca_state): RFC 5681, RFC 6928, RFC 6937; see Recovery.
    int cwnd = Recovery.INITIAL_CWND;
    int ssthresh = Recovery.INFINITE_SSTHRESH;
    int cwndCnt;
    CaState caState = CaState.OPEN;
    CongestionControl cc = Cubic.INSTANCE;
    /** The algorithm's own per-connection state (struct bictcp for CUBIC). */
    Object ccState;
    /** tp->high_seq: the recovery point, SND.NXT when recovery or loss began. */
    int highSeq;
    /** The end of what was retransmitted in this recovery episode (tp->retransmit_high). */
    int retransmitHigh;
    int dupAcks;
    /** tp->sacked_out of a connection without SACK: duplicate ACKs counted as segments that left (tcp_add_reno_sack()). */
    int renoSacked;
    int priorCwnd;
    int prrDelivered;
    int prrOut;
    /** tcpi_total_retrans. */
    int totalRetransmits;
    /**
     * tp->delivered (tcpi_delivered): segments known delivered, ACKed or SACKed, counted once each; the handshake's
     * SYN or SYN-ACK counts one (tcp_rcv_state_process(), tcp_rcv_fastopen_synack()).
     */
    int delivered;
    /** tcp_cwnd_validate()'s record of how much of cwnd the current window used (tcp_is_cwnd_limited()). */
    final CwndUse cwndUse = new CwndUse();
    /** What the peer SACKed of [SND.UNA, SND.NXT). */
    final SackScoreboard scoreboard = new SackScoreboard();
    /** RACK's per-segment send times and the tail loss probe's state (RFC 8985). */
    final Rack rack = new Rack();
    /** Undo of a spurious cwnd reduction (undo_marker, undo_retrans, prior_ssthresh): Undo. */
    final Undo undo = new Undo();

    /** PSH marks in the send queue (tcp_push(), forced_push()); tp->pushed_seq is the last forced or write-end push. */
    final PushMarks pushMarks = new PushMarks();
    int pushedSeq;

    /** SACK blocks we report as a receiver; created by the first out-of-order or duplicate segment. */
    ReceiverSack rcvSack;

    /** SND.SML (Minshall's Nagle variant): the end of the last segment sent smaller than the MSS. */
    int sndSml;

    // Zero-window probes (tcp_probe_timer()): armed while the peer's window is 0 and data waits.
    VirtualClock.Timer persistTimer;
    /** ICSK_TIME_PROBE0 armed for corked data with nothing in flight (CorkProbe). */
    VirtualClock.Timer corkProbeTimer;
    /** icsk_probes_out: probes sent since the last ACK; tcp_retries2 of them unanswered end the connection. */
    int zeroWindowProbes;
    /** icsk_backoff of the probe timer: doubles the interval per probe, answered or not, until the window opens. */
    int zeroWindowBackoff;
    /** icsk_probes_tstamp: when the probe timer first fired for data that could not leave (QdiscDrop); -1 none. */
    long probesStampMs = -1;

    // Pacing under the fq qdisc (Fq): tp->tcp_wstamp_ns in us, and tp->data_segs_out.
    long wstampUs;
    long dataSegsOut;

    // Keepalive (SO_KEEPALIVE): idle since lastHeard, probes sent without an answer.
    VirtualClock.Timer keepaliveTimer;
    long lastHeard;
    /** tp->lsndtime: when data last left (tcp_event_data_sent()); the idle clock of slow start after idle. */
    long lastDataSent;
    int keepaliveProbes;
    /** SYNs retransmitted by connect() so far. */
    int synRetries;

    // Options both SYNs agreed on (RFC 7323, RFC 2018).
    boolean tsOk;
    long tsRecent;
    int tsOffset;
    boolean sackOk;
    boolean wscaleOk;
    int sndWscale;
    int rcvWscale;

    // TCP Fast Open (RFC 7413, see FastOpen)
    /** tp->fastopen_rsk: a passive Fast Open child, created in SYN_RECV and accept()able before the handshake ends. */
    boolean fastOpenChild;
    /** tp->syn_data_acked: the data on our SYN (or the peer's) was acknowledged; TCP_INFO's TCPI_OPT_SYN_DATA. */
    boolean synDataAcked;
    /** The Fast Open option our SYN-ACK carries (a cookie for the client), or null for none. */
    io.vkernel.kernel.wire.TcpOption synAckFastOpen;
    /** tp->fastopen_req as our SYN used it (client side, see FastOpenClient): its data and option; null otherwise. */
    FastOpenClient.Syn fastOpenSyn;
    /** sk_write_pending from a Fast Open sendto() still holding data: the SYN-ACK's ACK waits to go with that data. */
    boolean fastOpenWritePending;
    /** inet->defer_connect: TCP_FASTOPEN_CONNECT's connect() returned 0 with no SYN sent; the first write sends it. */
    boolean deferConnect;

    /** inet->defer_connect (TCP_FASTOPEN_CONNECT): connected in name, the SYN still waiting for the first write. */
    public boolean deferConnect() {
        return deferConnect;
    }

    Tcb(FourTuple tuple, TcpState state, long createdAt) {
        this.tuple = tuple;
        this.state = state;
        this.createdAt = createdAt;
        this.lastDataSent = createdAt;
        this.lastDataRecv = createdAt;
    }

    public FourTuple tuple() {
        return tuple;
    }

    public TcpState state() {
        return state;
    }

    public long createdAt() {
        return createdAt;
    }

    public int iss() {
        return iss;
    }

    public int irs() {
        return irs;
    }

    public int sndUna() {
        return sndUna;
    }

    public int sndNxt() {
        return sndNxt;
    }

    public int sndWnd() {
        return sndWnd;
    }

    public int rcvNxt() {
        return rcvNxt;
    }

    public int advMss() {
        return Math.min(advMss, routeAdvMss);
    }

    /** tcp_mss_clamp(): the route's advmss, clamped by the socket's TCP_MAXSEG when one was set. */
    static int advMss(io.vkernel.kernel.socket.Socket owner) {
        int userMss = owner == null ? 0 : owner.options().userMss;
        return userMss > 0 ? Math.min(userMss, TcpEngine.ADVERTISED_MSS) : TcpEngine.ADVERTISED_MSS;
    }

    /** ECN negotiated on this connection (TCP_ECN_OK), and ECT or CE seen on its arriving data (TCP_ECN_SEEN). */
    public boolean ecnOk() {
        return (ecnFlags & Ecn.OK) != 0;
    }

    public boolean ecnSeen() {
        return (ecnFlags & Ecn.SEEN) != 0;
    }

    public int peerMss() {
        return peerMss;
    }

    public int rcvBufLimit() {
        return rcvBufLimit;
    }

    /**
     * The receive window: what is left of the last one advertised (tcp_receive_window()); before the handshake
     * ends, the window of our SYN or SYN-ACK. {@link RcvSpace} keeps Linux's receive memory and window state.
     */
    public int rcvWnd() {
        return RcvSpace.receiveWindow(this);
    }

    /**
     * The window a SYN or SYN-ACK offers (tcp_select_initial_window()): tcp_full_space() with the default
     * scaling_ratio, half the buffer, rounded down to whole segments only when it exceeds one (space > mss).
     * The segment is the advmss (tcp_mss_clamp(): TCP_MAXSEG and the route's advmss, as tcp_connect_init() and
     * tcp_openreq_init_rwin() pass it), 12 bytes fewer with timestamps: 131072 / 2 gives 45 x 1448 = 65160
     * instead of 44 x 1460, and SO_RCVBUF's floor 2304 offers 1152 rather than 0.
     */
    int initialWindow() {
        int space = Math.max(0, rcvBufLimit) / 2;
        int segment = advMss() - (tsOk ? 12 : 0);
        if (space > segment) {
            space = space / segment * segment;
        }
        return Math.min(65535 << rcvWscale, space);
    }

    public boolean timestampsOk() {
        return tsOk;
    }

    public boolean sackOk() {
        return sackOk;
    }

    /** Our and the peer's window-scale shifts, -1 when scaling is off. */
    public int rcvWscale() {
        return wscaleOk ? rcvWscale : -1;
    }

    public int sndWscale() {
        return wscaleOk ? sndWscale : -1;
    }

    /** Recv-Q as ss shows it for a connection: bytes received and not yet read. */
    public int receiveQueued() {
        return receiveQueue.size();
    }

    /** Send-Q as ss shows it for a connection: bytes written and not yet acknowledged. */
    /** recv(MSG_PEEK): up to {@code max} queued bytes, left in the queue (tcp_recvmsg_locked() with peek_seq). */
    public byte[] peekReceived(int max) {
        return receiveQueue.peek(0, max);
    }

    /** RCV_SHUTDOWN in sk_shutdown: the peer's FIN arrived (tcp_fin()) or shutdown(SHUT_RD). */
    public boolean receiveShutdown() {
        return finReceived || readShutdown;
    }

    /** SEND_SHUTDOWN in sk_shutdown: shutdown(SHUT_WR), close(), or a reset (tcp_done() sets SHUTDOWN_MASK). */
    public boolean sendShutdown() {
        return writeShutdown || reset;
    }

    /** A reset ended the connection (tcp_reset()). */
    public boolean wasReset() {
        return reset;
    }

    /** The send queue's skbs and sk_sndbuf, as Linux charges them. */
    public SendBuffer sendBuffer() {
        return sendBuffer;
    }

    /**
     * write_seq - snd_una less a SYN or FIN: the bytes written and not acknowledged (tcp_ioctl()'s SIOCOUTQ, tcp_diag's
     * Send-Q), including those a reset or timeout purged from the send queue (tcp_write_queue_purge() leaves write_seq
     * and snd_una as they were).
     */
    public int sendQueued() {
        return sendQueue.size() + purgedUnacked;
    }

    /** The bytes the send queue still holds (and charges to sk_wmem_queued): none once purged. */
    public int sendQueueBytes() {
        return sendQueue.size();
    }

    public int outOfOrderSegments() {
        return outOfOrder == null ? 0 : outOfOrder.size();
    }

    TreeMap<Integer, byte[]> ofo() {
        if (outOfOrder == null) {
            outOfOrder = new TreeMap<>(Seq32Comparator.INSTANCE);
        }
        return outOfOrder;
    }

    boolean hasOfo() {
        return outOfOrder != null && !outOfOrder.isEmpty();
    }

    void clearOfo() {
        outOfOrder = null;
        if (rcvSack != null) {
            rcvSack.clear();
        }
    }

    /** Payload bytes held in out-of-order segments, waiting for the gap before them to fill. */
    public int outOfOrderBytes() {
        int bytes = 0;
        if (outOfOrder != null) {
            for (byte[] segment : outOfOrder.values()) {
                bytes += segment.length;
            }
        }
        return bytes;
    }

    public int bufferBytesHeld() {
        return receiveQueue.capacity() + sendQueue.capacity() + outOfOrderBytes();
    }

    /** The peer's FIN arrived and the application has not read the EOF yet (it counts in ss's Recv-Q). */
    public boolean finUnread() {
        return finReceived && !finConsumed && !orphan;
    }

    public boolean isOrphan() {
        return orphan;
    }

    public Errno pendingError() {
        return pendingError;
    }

    public Socket socket() {
        return socket;
    }

    public SocketOptions inheritedOptions() {
        return inherited;
    }

    public Socket listener() {
        return listener;
    }

    public VirtualClock.Timer stateTimer() {
        return stateTimer;
    }

    public VirtualClock.Timer retransmitTimer() {
        return retransmitTimer;
    }

    public VirtualClock.Timer keepaliveTimer() {
        return keepaliveTimer;
    }

    public long rtoMs() {
        return rtoMs;
    }

    public long srttMs() {
        return srttMs;
    }

    public int retransmits() {
        return retransmits;
    }

    /** snd_cwnd in segments. */
    public int cwnd() {
        return cwnd;
    }

    /** snd_ssthresh in segments; Integer.MAX_VALUE until the first loss. */
    public int ssthresh() {
        return ssthresh;
    }

    public CaState caState() {
        return caState;
    }

    public String congestionControl() {
        return cc.name();
    }

    public int totalRetransmits() {
        return totalRetransmits;
    }

    /** TCP_CONGESTION: picks the algorithm for this connection; false for a name vkernel does not know. */
    public boolean useCongestionControl(String name) {
        CongestionControl next = CongestionControl.named(name);
        if (next == null) {
            return false;
        }
        if (next != cc) {
            cc = next;
            ccState = null;
        }
        return true;
    }



    @Override
    public Endpoint localEndpoint() {
        return tuple.local();
    }

    @Override
    public boolean reuseAddr() {
        return reuseAddr;
    }

    @Override
    public boolean listening() {
        return false;
    }

    @Override
    public boolean connection() {
        return true;
    }

    /** Compares int keys as 32-bit sequence offsets so that wrapped numbers sort in arrival order. */
    enum Seq32Comparator implements java.util.Comparator<Integer> {
        INSTANCE;

        @Override
        public int compare(Integer a, Integer b) {
            return Integer.compare(a - b, 0);
        }
    }
}
