package io.vkernel.kernel.tcp;

import io.vkernel.kernel.demux.BindTable;
import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.socket.Socket;
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

    // Receive sequence space (Figure 4)
    int irs;
    int rcvNxt;
    int rcvBufLimit;

    final ByteQueue receiveQueue = new ByteQueue();
    /** Bytes written by the application: [sndUna, sndNxt) in flight first, then unsent bytes. */
    final ByteQueue sendQueue = new ByteQueue();
    /** Out-of-order segments held for reassembly, keyed by their offset from rcvNxt at arrival. */
    final TreeMap<Integer, byte[]> outOfOrder = new TreeMap<>(Seq32Comparator.INSTANCE);

    boolean finReceived;
    boolean finQueued;
    int finSeq;
    boolean readShutdown;
    boolean writeShutdown;
    /** {@code sk_err}: reported once by the next read or write, then cleared. */
    Errno pendingError;
    /** Set after a reset: writes fail with EPIPE once the first error was reported. */
    boolean reset;
    boolean orphan;
    boolean ackedWhileQueueFull;
    /** SO_REUSEADDR inherited from the listener or socket, kept by TIME_WAIT for bind conflicts. */
    boolean reuseAddr;
    boolean ownsPort;

    Socket socket;
    Socket listener;
    VirtualClock.Timer stateTimer;

    Tcb(FourTuple tuple, TcpState state, long createdAt) {
        this.tuple = tuple;
        this.state = state;
        this.createdAt = createdAt;
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

    public int peerMss() {
        return peerMss;
    }

    public int rcvBufLimit() {
        return rcvBufLimit;
    }

    /** The window we advertise: half the free receive space, rounded down to whole MSS (tcp_select_window()). */
    public int rcvWnd() {
        int space = Math.max(0, rcvBufLimit - receiveQueue.size()) / 2;
        int window = space / TcpEngine.ADVERTISED_MSS * TcpEngine.ADVERTISED_MSS;
        return Math.min(65535, window);
    }

    /** Recv-Q as ss shows it for a connection: bytes received and not yet read. */
    public int receiveQueued() {
        return receiveQueue.size();
    }

    /** Send-Q as ss shows it for a connection: bytes written and not yet acknowledged. */
    public int sendQueued() {
        return sendQueue.size();
    }

    public int outOfOrderSegments() {
        return outOfOrder.size();
    }

    /** Payload bytes held in out-of-order segments, waiting for the gap before them to fill. */
    public int outOfOrderBytes() {
        int bytes = 0;
        for (byte[] segment : outOfOrder.values()) {
            bytes += segment.length;
        }
        return bytes;
    }

    public int bufferBytesHeld() {
        int held = receiveQueue.capacity() + sendQueue.capacity();
        for (byte[] bytes : outOfOrder.values()) {
            held += bytes.length;
        }
        return held;
    }

    public boolean finReceived() {
        return finReceived;
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

    public Socket listener() {
        return listener;
    }

    public VirtualClock.Timer stateTimer() {
        return stateTimer;
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

    /** Compares int keys as 32-bit sequence offsets so that wrapped numbers sort in arrival order. */
    enum Seq32Comparator implements java.util.Comparator<Integer> {
        INSTANCE;

        @Override
        public int compare(Integer a, Integer b) {
            return Integer.compare(a - b, 0);
        }
    }
}
