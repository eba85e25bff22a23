package io.vkernel.kernel.socket;

import io.vkernel.kernel.demux.BindTable;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.wire.Endpoint;

import java.util.ArrayDeque;

/**
 * A TCP socket (the seed's "socket structure"): its bound address, options, wait queue and, once connected,
 * its TCB; a listening socket also owns the accept queue of connections that finished the handshake.
 */
public final class Socket implements BindTable.Owner {

    private final long inode;
    private SocketOptions options = new SocketOptions();
    private final WaitQueue waitQueue = new WaitQueue();
    /** Only a listener has one; created by listen(). */
    private ArrayDeque<Tcb> acceptQueue;
    private Endpoint local;
    private boolean listening;
    private int backlog;
    private int synRecv;
    private Tcb tcb;
    private boolean released;
    private boolean connecting;
    /** When this listener last had to answer a SYN with a cookie; cookies are checked only for a while after. */
    private long lastSynFloodAt = -1;

    public Socket(long inode) {
        this.inode = inode;
    }

    public long inode() {
        return inode;
    }

    public SocketOptions options() {
        return options;
    }

    /** An accepted socket starts with the options its listener had when the connection was cloned (sk_clone_lock()). */
    public void inheritOptions(SocketOptions listenerOptions) {
        options = listenerOptions.copy();
    }

    public WaitQueue waitQueue() {
        return waitQueue;
    }

    public Endpoint local() {
        return local;
    }

    public void bindTo(Endpoint local) {
        this.local = local;
    }

    public boolean isListening() {
        return listening;
    }

    public void listen(int backlog) {
        if (acceptQueue == null) {
            acceptQueue = new ArrayDeque<>();
        }
        this.listening = true;
        this.backlog = backlog;
    }

    public void stopListening() {
        this.listening = false;
    }

    public int backlog() {
        return backlog;
    }

    /** The accept queue of a listener (empty for any other socket). */
    public ArrayDeque<Tcb> acceptQueue() {
        if (acceptQueue == null) {
            acceptQueue = new ArrayDeque<>(0);
        }
        return acceptQueue;
    }

    /** {@code sk_acceptq_is_full()}: {@code sk_ack_backlog > sk_max_ack_backlog}, so backlog + 1 fit. */
    public boolean acceptQueueFull() {
        return acceptQueue().size() > backlog;
    }

    public int synRecv() {
        return synRecv;
    }

    public void synRecvChanged(int delta) {
        synRecv += delta;
    }

    public Tcb tcb() {
        return tcb;
    }

    public void attach(Tcb tcb) {
        this.tcb = tcb;
    }

    public long lastSynFloodAt() {
        return lastSynFloodAt;
    }

    public void synFlood(long now) {
        lastSynFloodAt = now;
    }

    /** A connect() is in progress or finished without being reported yet (SS_CONNECTING). */
    public boolean isConnecting() {
        return connecting;
    }

    public void setConnecting(boolean connecting) {
        this.connecting = connecting;
    }

    public boolean isReleased() {
        return released;
    }

    public void markReleased() {
        released = true;
    }

    @Override
    public Endpoint localEndpoint() {
        return local;
    }

    @Override
    public boolean reuseAddr() {
        return options.reuseAddr;
    }

    @Override
    public boolean listening() {
        return listening;
    }
}
