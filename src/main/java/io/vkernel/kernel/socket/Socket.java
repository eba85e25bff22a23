package io.vkernel.kernel.socket;

import io.vkernel.kernel.demux.BindTable;
import io.vkernel.kernel.fd.OpenFile;
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
    /** The open file made for this socket (socket() or accept()), whose FDs may have been closed since. */
    private OpenFile file;
    private Endpoint local;
    private boolean listening;
    private int backlog;
    private int synRecv;
    private Tcb tcb;
    private boolean released;
    private boolean connecting;
    /** When this listener last had to answer a SYN with a cookie; cookies are checked only for a while after. */
    private long lastSynFloodAt = -1;
    /** sk_error_queue and the MSG_ZEROCOPY ids; made by the first zero-copy send. */
    private ErrorQueue errorQueue;

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

    /** SOCK_NOSPACE: a writer or poll found the send buffer full, so freed space must wake it (sk_stream_write_space()). */
    private boolean noSpace;

    public boolean noSpace() {
        return noSpace;
    }

    public void noSpace(boolean noSpace) {
        this.noSpace = noSpace;
    }

    /** The error queue, or null while nothing ever used it. */
    public ErrorQueue errorQueue() {
        return errorQueue;
    }

    public ErrorQueue errorQueueForWrite() {
        if (errorQueue == null) {
            errorQueue = new ErrorQueue();
        }
        return errorQueue;
    }

    /** tcp_poll()'s EPOLLERR half: something waits on the error queue. */
    public boolean hasQueuedErrors() {
        return errorQueue != null && !errorQueue.isEmpty();
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

    /** What bind() asked for when it named a port (SOCK_BINDPORT_LOCK): the address, maybe the wildcard, and port. */
    private Endpoint portLocked;

    public void lockPort(Endpoint asked) {
        portLocked = asked;
    }

    public Endpoint portLocked() {
        return portLocked;
    }

    /**
     * The connection went to TCP_CLOSE and tcp_disconnect() ran: tcp_set_state() gave an auto-bound port back
     * (inet_put_port() unless SOCK_BINDPORT_LOCK) and inet_reset_saddr() forgot the source address, so the next
     * connect() or listen() picks both anew; a port bind() named stays, with the address bind() gave.
     */
    public void releaseAutoBound() {
        local = portLocked;
    }

    public boolean isListening() {
        return listening;
    }

    public void listen(int backlog) {
        if (acceptQueue == null) {
            acceptQueue = new AcceptQueue();
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

    public OpenFile file() {
        return file;
    }

    public void file(OpenFile file) {
        this.file = file;
    }

    /**
     * The accept queue of a listener (empty for any other socket). Its {@code contains} answers in constant time
     * (a packet's trace names who holds its connection, for every packet); order and everything else is the deque's.
     */
    public ArrayDeque<Tcb> acceptQueue() {
        if (acceptQueue == null) {
            acceptQueue = new AcceptQueue();
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
    /** SS_UNCONNECTED again after connect(AF_UNSPEC) (tcp_disconnect()): connect() may start a new connection. */
    private boolean disconnected;

    public boolean isDisconnected() {
        return disconnected;
    }

    public void setDisconnected(boolean disconnected) {
        this.disconnected = disconnected;
    }

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

    /** An accept queue that also keeps its members in an identity set, so membership costs no scan. */
    private static final class AcceptQueue extends ArrayDeque<Tcb> {
        private final java.util.Set<Tcb> members = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());

        AcceptQueue() {
            super(0);
        }

        @Override
        public void addFirst(Tcb tcb) {
            super.addFirst(tcb);
            members.add(tcb);
        }

        @Override
        public void addLast(Tcb tcb) {
            super.addLast(tcb);
            members.add(tcb);
        }

        @Override
        public Tcb pollFirst() {
            Tcb tcb = super.pollFirst();
            if (tcb != null) {
                forget(tcb);
            }
            return tcb;
        }

        @Override
        public Tcb pollLast() {
            Tcb tcb = super.pollLast();
            if (tcb != null) {
                forget(tcb);
            }
            return tcb;
        }

        @Override
        public boolean removeFirstOccurrence(Object o) {
            boolean removed = super.removeFirstOccurrence(o);
            if (removed) {
                forget(o);
            }
            return removed;
        }

        @Override
        public boolean removeLastOccurrence(Object o) {
            boolean removed = super.removeLastOccurrence(o);
            if (removed) {
                forget(o);
            }
            return removed;
        }

        @Override
        public boolean remove(Object o) {
            return removeFirstOccurrence(o);
        }

        @Override
        public boolean removeIf(java.util.function.Predicate<? super Tcb> filter) {
            boolean removed = super.removeIf(filter);
            resync();
            return removed;
        }

        @Override
        public boolean removeAll(java.util.Collection<?> c) {
            boolean removed = super.removeAll(c);
            resync();
            return removed;
        }

        @Override
        public boolean retainAll(java.util.Collection<?> c) {
            boolean removed = super.retainAll(c);
            resync();
            return removed;
        }

        @Override
        public void clear() {
            super.clear();
            members.clear();
        }

        @Override
        public boolean contains(Object o) {
            return o instanceof Tcb && members.contains(o);
        }

        @Override
        public java.util.Iterator<Tcb> iterator() {
            return tracking(super.iterator());
        }

        @Override
        public java.util.Iterator<Tcb> descendingIterator() {
            return tracking(super.descendingIterator());
        }

        /** An iterator whose remove() also ends the removed connection's membership. */
        private java.util.Iterator<Tcb> tracking(java.util.Iterator<Tcb> it) {
            return new java.util.Iterator<>() {
                private Tcb last;

                @Override
                public boolean hasNext() {
                    return it.hasNext();
                }

                @Override
                public Tcb next() {
                    last = it.next();
                    return last;
                }

                @Override
                public void remove() {
                    it.remove();
                    forget(last);
                }
            };
        }

        /** A connection is queued at most once (the handshake completes once), so a removal ends its membership. */
        private void forget(Object tcb) {
            members.remove(tcb);
        }

        private void resync() {
            members.clear();
            for (java.util.Iterator<Tcb> it = super.iterator(); it.hasNext(); ) {
                members.add(it.next());
            }
        }
    }
}
