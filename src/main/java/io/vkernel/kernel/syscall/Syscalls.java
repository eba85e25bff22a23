package io.vkernel.kernel.syscall;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.fd.OpenFile;
import io.vkernel.kernel.proc.Process;
import io.vkernel.kernel.proc.Task;
import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.socket.SyscallException;
import io.vkernel.kernel.tcp.FastOpen;
import io.vkernel.kernel.tcp.ReceiveBuffer;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.tcp.TcpEngine;
import io.vkernel.kernel.tcp.TcpInfo;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.EventType;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.Ipv4;

import java.util.Arrays;
import java.util.List;

/**
 * The system-call surface. Each call checks its arguments as Linux does, acts on the kernel's structures and
 * answers with a return value and an strace line; a blocking call that cannot finish parks its thread and
 * returns a {@link PendingCall}. Callers hold the kernel lock.
 */
public final class Syscalls {

    /** A finished call, or one parked on a wait queue. */
    public sealed interface Outcome permits Done, Pending {
    }

    public record Done(SyscallResult result) implements Outcome {
    }

    public record Pending(PendingCall call) implements Outcome {
    }

    private final Kernel kernel;

    public Syscalls(Kernel kernel) {
        this.kernel = kernel;
    }

    public Outcome socket(Process process) {
        return socket(process, "IPPROTO_TCP");
    }

    /**
     * socket(AF_INET, SOCK_STREAM, protocol): inet_create() finds the stream protocol by number; IPPROTO_TCP (or 0,
     * the default) is TCP, any other protocol (IPPROTO_UDP, ...) has no SOCK_STREAM entry: EPROTONOSUPPORT.
     */
    public Outcome socket(Process process, String protocol) {
        return socket(process, protocol, false);
    }

    /**
     * socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK, protocol): __sys_socket() hands the type's SOCK_NONBLOCK to
     * sock_alloc_file() as the new file's O_NONBLOCK, the same flag fcntl(F_SETFL) would set.
     */
    public Outcome socket(Process process, String protocol, boolean nonBlock) {
        String call = "socket(AF_INET, SOCK_STREAM" + (nonBlock ? "|SOCK_NONBLOCK" : "") + ", " + protocol + ")";
        return run(call, () -> {
            if (!protocol.equals("IPPROTO_TCP") && !protocol.equals("IPPROTO_IP") && !protocol.equals("0")) {
                throw new SyscallException(Errno.EPROTONOSUPPORT);
            }
            Socket socket = new Socket(kernel.newInode());
            socket.options().congestion = TcpEngine.defaultCongestionControl(kernel.sysctls());
            OpenFile file = OpenFile.socket(socket);
            if (nonBlock) {
                file.setStatusFlags(file.flags() | OpenFile.O_NONBLOCK);
            }
            int fd = install(process, file);
            return SyscallResult.ok(fd, call + " = " + fd);
        });
    }

    public Outcome bind(Process process, int fd, Endpoint address) {
        String call = "bind(" + fd + ", " + sockaddr(address) + ", 16)";
        return run(call, () -> {
            Socket socket = socketOf(process, fd);
            if (socket.local() != null) {
                throw new SyscallException(Errno.EINVAL); // already bound
            }
            // inet_bind() -> inet_addr_valid_or_nonlocal(): a non-local address is allowed with IP_FREEBIND (or
            // net.ipv4.ip_nonlocal_bind), so a server can bind before its address is configured
            if (!address.isWildcard() && !kernel.isLocalAddress(address.address()) && !socket.options().freeBind) {
                throw new SyscallException(Errno.EADDRNOTAVAIL);
            }
            if (address.port() == 0) {
                autobind(socket, address); // inet_csk_get_port(sk, 0)
                return SyscallResult.ok(0, call + " = 0");
            }
            socket.bindTo(address);
            if (kernel.binds().conflicts(socket)) {
                socket.bindTo(null);
                throw new SyscallException(Errno.EADDRINUSE);
            }
            kernel.binds().add(socket);
            socket.lockPort(address); // __inet_bind(): SOCK_BINDPORT_LOCK
            return SyscallResult.ok(0, call + " = 0");
        });
    }

    public Outcome listen(Process process, int fd, int backlog) {
        String call = "listen(" + fd + ", " + backlog + ")";
        return run(call, () -> {
            Socket socket = socketOf(process, fd);
            if (liveConnection(socket) != null) {
                // inet_listen(): only SS_UNCONNECTED in TCP_CLOSE; a connect() in progress or not yet reported is
                // SS_CONNECTING, a connection SS_CONNECTED, even once it is closed
                throw new SyscallException(Errno.EINVAL);
            }
            int somaxconn = kernel.sysctls().getInt(Sysctls.SOMAXCONN);
            // __sys_listen_socket(): (unsigned) backlog > somaxconn => somaxconn, so a negative backlog becomes somaxconn
            int effective = Integer.compareUnsigned(backlog, somaxconn) > 0 ? somaxconn : backlog;
            if (!socket.isListening()) {
                if (socket.local() == null) {
                    autobind(socket, new Endpoint(0, 0)); // inet_csk_listen_start() -> get_port(sk, 0)
                } else if (kernel.binds().conflicts(socket)) {
                    throw new SyscallException(Errno.EADDRINUSE); // inet_csk_listen_start() re-runs get_port()
                }
                kernel.listeners().add(socket);
                FastOpen.listen(socket, kernel.sysctls(), Integer.toUnsignedLong(backlog)); // inet_listen(): TFO_SERVER_WO_SOCKOPT1
            }
            socket.listen(effective);
            kernel.event(EventType.STATE_CHANGE, socket.local().toString(), "CLOSED -> LISTEN (backlog " + effective + ")");
            return SyscallResult.ok(0, call + " = 0");
        });
    }

    public Outcome accept(Process process, int fd) {
        String call = "accept(" + fd + ", ...)";
        Socket listener;
        OpenFile file;
        try {
            file = process.fds().get(fd);
            listener = socketOf(process, fd);
        } catch (SyscallException e) {
            return failed(call, e.errno());
        }
        PendingCall.Attempt attempt = () -> {
            try {
                if (!listener.isListening()) {
                    throw new SyscallException(Errno.EINVAL);
                }
                // __sys_accept4_file(): the FD is reserved first, so EMFILE leaves the connection queued
                process.fds().peekFree();
                Tcb tcb = kernel.tcp().accept(listener);
                if (tcb == null) {
                    return null;
                }
                Socket child = new Socket(kernel.newInode());
                child.bindTo(tcb.tuple().local());
                child.attach(tcb);
                kernel.attachSocket(tcb, child);
                // sk_clone_lock(): every socket option comes from the listener; O_NONBLOCK is a file flag and does not
                // ("File flags are not inherited via accept() unlike another OSes", do_accept())
                child.inheritOptions(tcb.inheritedOptions() != null ? tcb.inheritedOptions() : listener.options());
                child.lockPort(listener.portLocked()); // sk_clone_lock() copies sk_userlocks: SOCK_BINDPORT_LOCK
                // the keepalive timer was armed when the child was created and runs on; inet_csk_accept() leaves it alone
                int newFd = install(process, OpenFile.socket(child));
                Endpoint peer = tcb.tuple().remote();
                return new SyscallResult(newFd, null, "accept(" + fd + ", " + sockaddr(peer) + ", [16]) = " + newFd, null, peer.toString());
            } catch (SyscallException e) {
                return SyscallResult.failed(e.errno(), call + " = -1 " + e.errno().name() + " (" + e.errno().message() + ")");
            }
        };
        return block(process, listener, file.nonBlocking(), call, "inet_csk_accept", attempt);
    }

    /** MSG_ flags recv() and send() take (include/linux/socket.h). */
    public static final int MSG_PEEK = 0x2, MSG_DONTWAIT = 0x40, MSG_EOR = 0x80, MSG_ERRQUEUE = 0x2000, MSG_NOSIGNAL = 0x4000,
            MSG_MORE = 0x8000, MSG_ZEROCOPY = 0x4000000;
    /** The recv() and send() flags vkernel models, by name. */
    public static final java.util.Map<String, Integer> RECV_FLAGS = java.util.Map.of("MSG_PEEK", MSG_PEEK, "MSG_DONTWAIT", MSG_DONTWAIT,
            "MSG_ERRQUEUE", MSG_ERRQUEUE);
    public static final java.util.Map<String, Integer> SEND_FLAGS = java.util.Map.of("MSG_DONTWAIT", MSG_DONTWAIT, "MSG_NOSIGNAL", MSG_NOSIGNAL,
            "MSG_MORE", MSG_MORE, "MSG_EOR", MSG_EOR, "MSG_ZEROCOPY", MSG_ZEROCOPY, "MSG_FASTOPEN", 0x20000000);

    public Outcome read(Process process, int fd, int count) {
        return read(process, fd, count, 0, false);
    }

    /**
     * read(), or recv() with flags (strace shows recvfrom(), the call glibc makes): MSG_DONTWAIT answers EAGAIN
     * instead of sleeping, as O_NONBLOCK does for one call; MSG_PEEK returns the queued bytes and leaves them queued
     * (tcp_recvmsg_locked() with peek_seq), and does not consume a FIN.
     */
    public Outcome read(Process process, int fd, int count, int flags, boolean recv) {
        return read(process, fd, count, flags, recv, false, false);
    }

    /**
     * recvmsg() with one iovec of {@code count} bytes: recv(), plus, on a socket with TCP_INQ set, the control
     * message TCP_CM_INQ carrying tcp_inq_hint() (the result's value): bytes still queued after this read, and 1
     * at least once the peer's FIN came, so a reader knows to read on to end of file (tcp_recvmsg()).
     */
    public Outcome recvmsg(Process process, int fd, int count, int flags) {
        return read(process, fd, count, flags, true, true, false);
    }

    /**
     * read() or recv() into a buffer the process cannot write (a NULL pointer): tcp_recvmsg_locked() finds the
     * queued bytes and skb_copy_datagram_msg() faults, so with nothing copied the call fails with EFAULT
     * ("if (!copied) copied = -EFAULT") and the bytes stay queued; with nothing queued it waits, reports end of
     * file or an error as any read does.
     */
    public Outcome readUnwritable(Process process, int fd, int count, int flags, boolean recv) {
        return read(process, fd, count, flags, recv, false, true);
    }

    private Outcome read(Process process, int fd, int count, int flags, boolean recv, boolean msg, boolean unwritable) {
        String buf = unwritable ? "NULL" : "...";
        String call = msg ? "recvmsg(" + fd + ", {msg_iov=[{iov_base=..., iov_len=" + count + "}], msg_iovlen=1}, " + msgFlags(flags) + ")"
                : recv ? "recvfrom(" + fd + ", " + buf + ", " + count + ", " + msgFlags(flags) + ", NULL, NULL)"
                : "read(" + fd + ", " + buf + ", " + count + ")";
        Socket socket;
        OpenFile file;
        try {
            file = process.fds().get(fd);
            if (count < 0) {
                throw new SyscallException(Errno.EINVAL);
            }
            if (file.epoll() != null) {
                throw new SyscallException(Errno.EINVAL); // an epoll file has no read method
            }
            if (file.node() != null || file.pipe() != null) {
                if ((flags & ~MSG_DONTWAIT) != 0 || recv || msg) {
                    throw new SyscallException(Errno.ENOTSOCK); // recv() and recvmsg() are socket calls
                }
                return kernel.fileCalls().read(process, fd, file, count);
            }
            if (file.socket() == null) {
                return terminalRead(fd, count);
            }
            socket = socketOf(process, fd);
        } catch (SyscallException e) {
            return failed(call, e.errno());
        }
        if ((flags & MSG_ERRQUEUE) != 0) {
            // tcp_recvmsg(): MSG_ERRQUEUE reads the error queue instead (inet_recv_error()), never sleeping
            return record(new Done(ErrQueueRecv.receive(socket, fd, count, flags, msg)));
        }
        PendingCall.Attempt attempt = () -> {
            try {
                Tcb tcb = socket.tcb();
                if (tcb == null) {
                    throw new SyscallException(Errno.ENOTCONN);
                }
                if (socket.isDisconnected() && tcb.state() == TcpState.CLOSE) {
                    // tcp_disconnect() purged the queue and cleared SOCK_DONE and sk_shutdown: tcp_recvmsg_locked()
                    // reports sk_err once (ECONNRESET after a reset), then "never connected", ENOTCONN
                    throw new SyscallException(tcb.pendingError() != null ? kernel.tcp().takeError(tcb) : Errno.ENOTCONN);
                }
                byte[] data;
                if (unwritable && count > 0 && tcb.receiveQueued() > 0) {
                    throw new SyscallException(Errno.EFAULT); // the copy to user memory faults; nothing consumed
                }
                if ((flags & MSG_PEEK) != 0 && tcb.receiveQueued() > 0) {
                    data = tcb.peekReceived(count);
                } else if ((flags & MSG_PEEK) != 0 && tcb.finUnread()) {
                    data = new byte[0];
                } else {
                    data = kernel.tcp().read(tcb, count, new PacketReport(null));
                }
                if (data == null) {
                    return null;
                }
                if (msg) {
                    return RecvMsg.result(fd, count, flags, data, socket.options().inq ? RecvMsg.inqHint(tcb) : null);
                }
                String strace = recv ? "recvfrom(" + fd + ", " + quote(data) + ", " + count + ", " + msgFlags(flags) + ", NULL, NULL) = " + data.length
                        : "read(" + fd + ", " + quote(data) + ", " + count + ") = " + data.length;
                return new SyscallResult(data.length, null, strace, data, null);
            } catch (SyscallException e) {
                return SyscallResult.failed(e.errno(), call + " = -1 " + e.errno().name() + " (" + e.errno().message() + ")");
            }
        };
        return block(process, socket, file.nonBlocking() || (flags & MSG_DONTWAIT) != 0, call, "sk_wait_data", attempt);
    }

    /**
     * tcp_sendmsg(): copies into the send buffer as room allows. A blocking write sleeps until every byte is
     * queued (sk_stream_wait_memory); a non-blocking one returns what fit, or EAGAIN when nothing did. After a
     * reset the first write reports ECONNRESET, later ones EPIPE.
     */
    public Outcome write(Process process, int fd, byte[] data, PacketReport report) {
        return write(process, fd, data, 0, false, report);
    }

    /** write(), or send() with flags (strace shows sendto()): MSG_DONTWAIT makes this one call non-blocking. */
    public Outcome write(Process process, int fd, byte[] data, int flags, boolean send, PacketReport report) {
        return write(process, fd, data, flags, send, false, report);
    }

    /**
     * write() or send() of {@code count} bytes from a buffer the process cannot read (a NULL pointer): the checks
     * of any write, then EFAULT where tcp_sendmsg_locked() would copy (see TcpSender.faultingWrite()); a Fast Open
     * send connects with a SYN that carries no data.
     */
    public Outcome writeUnreadable(Process process, int fd, int count, int flags, boolean send, Endpoint remote, boolean sendto,
                                   PacketReport report) {
        if (sendto) {
            return sendto(process, fd, new byte[count], flags, remote, false, true, report);
        }
        return write(process, fd, new byte[count], flags, send, true, report);
    }

    /**
     * sendmsg(fd, {msg_iov(N)=[...]}, flags): send() of the iovecs' bytes, {@code iov} their lengths. The lengths
     * matter to MSG_ZEROCOPY only, where each iovec's pages become the skb's frags (skb_zerocopy_iter_stream()).
     */
    public Outcome sendmsg(Process process, int fd, byte[] data, int[] iov, int flags, PacketReport report) {
        return write(process, fd, data, flags, true, false, iov, report);
    }

    private Outcome write(Process process, int fd, byte[] data, int flags, boolean send, boolean unreadable, PacketReport report) {
        return write(process, fd, data, flags, send, unreadable, null, report);
    }

    private Outcome write(Process process, int fd, byte[] data, int flags, boolean send, boolean unreadable, int[] iov,
                          PacketReport report) {
        if ((flags & MSG_FASTOPEN) != 0) {
            return sendto(process, fd, data, flags, null, false, unreadable, report); // send(MSG_FASTOPEN): sendto() with no address
        }
        String buf = unreadable ? "NULL" : quote(data);
        String call = iov != null ? "sendmsg(" + fd + ", {msg_name=NULL, msg_namelen=0, msg_iov=" + iovecs(data, iov)
                + ", msg_iovlen=" + iov.length + ", msg_controllen=0, msg_flags=0}, " + msgFlags(flags) + ")"
                : send ? "sendto(" + fd + ", " + buf + ", " + data.length + ", " + msgFlags(flags) + ", NULL, 0)"
                : "write(" + fd + ", " + buf + ", " + data.length + ")";
        Socket socket;
        OpenFile file;
        try {
            file = process.fds().get(fd);
            if (file.epoll() != null) {
                throw new SyscallException(Errno.EINVAL);
            }
            if ((file.node() != null || file.pipe() != null) && !send && !unreadable) {
                return kernel.fileCalls().write(process, fd, file, data);
            }
            if (file.socket() == null && (file.node() != null || file.pipe() != null)) {
                throw new SyscallException(unreadable ? Errno.EFAULT : Errno.ENOTSOCK);
            }
            if (file.socket() == null) {
                return terminalWrite(process, fd, data);
            }
            socket = socketOf(process, fd);
            if (socket.tcb() == null) {
                throw new SyscallException(socket.isListening() || socket.isConnecting() ? Errno.ENOTCONN : Errno.EPIPE);
            }
        } catch (SyscallException e) {
            return failed(call, e.errno());
        }
        if (socket.tcb().deferConnect()) {
            // tcp_sendmsg_locked(): on a TCP_FASTOPEN_CONNECT socket the first write sends the SYN with its data
            return sendto(process, fd, data, flags, null, false, unreadable, report);
        }
        if (unreadable && data.length > 0) {
            PendingCall.Attempt faulting = () -> {
                try {
                    if (socket.tcb().state() != TcpState.SYN_SENT) {
                        kernel.tcp().faultingWrite(socket.tcb()); // EFAULT where there is room for bytes
                        socket.noSpace(true); // sk_stream_wait_memory(): no room, as any write waits
                    }
                    return null;
                } catch (SyscallException e) {
                    return SyscallResult.failed(e.errno(), call + " = -1 " + e.errno().name() + " (" + e.errno().message() + ")");
                }
            };
            return block(process, socket, file.nonBlocking() || (flags & MSG_DONTWAIT) != 0, call, "sk_stream_wait_memory", faulting,
                    true, Errno.EAGAIN, Errno.EAGAIN);
        }
        int[] written = {0};
        // tcp_sendmsg_locked(): MSG_ZEROCOPY of at least one byte on a socket with SO_ZEROCOPY takes a notification id
        ZeroCopySend zerocopy = (flags & MSG_ZEROCOPY) != 0 && data.length > 0 && socket.options().zerocopy
                ? new ZeroCopySend(kernel, socket, data.length) : null;
        PendingCall.Attempt attempt = () -> {
            try {
                Tcb tcb = socket.tcb();
                if (tcb.state() == TcpState.SYN_SENT) {
                    return null; // sk_stream_wait_connect(): a write waits for the handshake (EAGAIN when non-blocking)
                }
                if (written[0] > 0 && tcb.pendingError() != null) {
                    // tcp_sendmsg_locked(): sk_err after bytes were copied is do_error's goto out, the count; sk_err stays
                    // for the next call (only out_err's sk_stream_error() takes it), so it is not taken here (catch below)
                    throw new SyscallException(Errno.EPIPE);
                }
                byte[] rest = written[0] == 0 ? data : Arrays.copyOfRange(data, written[0], data.length);
                if (zerocopy != null) {
                    zerocopy.before(tcb);
                }
                // skb_zerocopy_iter_stream(): with MSG_ZEROCOPY the iovecs not yet queued are the frags to come
                int[] frags = zerocopy != null && iov != null ? ZeroCopySend.iovAfter(iov, written[0]) : null;
                written[0] += kernel.tcp().write(tcb, rest, (flags & MSG_MORE) != 0, (flags & MSG_EOR) != 0, frags, report);
                if (zerocopy != null) {
                    zerocopy.after(tcb);
                }
                boolean finished = written[0] == data.length || ((file.nonBlocking() || (flags & MSG_DONTWAIT) != 0) && written[0] > 0);
                if (written[0] < data.length) {
                    socket.noSpace(true); // sk_stream_wait_memory(): SOCK_NOSPACE, also on the way to EAGAIN
                }
                if (finished && written[0] > 0) {
                    TxTimestamps.afterWrite(kernel, socket, tcb, report); // tcp_tx_timestamp() on the write's last byte
                }
                if (finished && zerocopy != null) {
                    zerocopy.finish(tcb, report);
                }
                return finished ? SyscallResult.ok(written[0], call + " = " + written[0]) : null;
            } catch (SyscallException e) {
                if (zerocopy != null) {
                    zerocopy.finish(socket.tcb(), report);
                }
                if (written[0] > 0) {
                    return SyscallResult.ok(written[0], call + " = " + written[0]);
                }
                return SyscallResult.failed(e.errno(), call + " = -1 " + e.errno().name() + " (" + e.errno().message() + ")");
            }
        };
        // tcp_sendmsg_locked(): when SO_SNDTIMEO ends the wait, the bytes already queued are the answer (out:), and
        // only a call that queued none fails (sk_stream_error(): EAGAIN)
        PendingCall.Attempt timedOut = () -> {
            if (written[0] == 0) {
                return SyscallResult.failed(Errno.EAGAIN, call + " = -1 EAGAIN (" + Errno.EAGAIN.message() + ")");
            }
            Tcb tcb = socket.tcb();
            if (tcb != null) {
                TxTimestamps.afterWrite(kernel, socket, tcb, report);
                if (zerocopy != null) {
                    zerocopy.finish(tcb, report);
                }
            }
            return SyscallResult.ok(written[0], call + " = " + written[0]);
        };
        return block(process, List.of(socket), file.nonBlocking() || (flags & MSG_DONTWAIT) != 0, call, "sk_stream_wait_memory", attempt,
                socket.options().sndTimeoutMs, "SO_SNDTIMEO", timedOut);
    }

    /** MSG_FASTOPEN (include/linux/socket.h): connect and send in one call, the data on the SYN (RFC 7413). */
    public static final int MSG_FASTOPEN = 0x20000000;

    /**
     * sendto(fd, buf, len, flags, addr, 16) on a stream socket, as tcp_sendmsg_locked() and tcp_sendmsg_fastopen()
     * take it. Without MSG_FASTOPEN (and not on a TCP_FASTOPEN_CONNECT socket) it is send(): the address is ignored.
     * With it, on a fresh socket, it connects to {@code remote}: the SYN carries what tcp_send_syn_data() allows
     * when a cookie is cached (or none is required), else it asks for a cookie. A non-blocking call returns the
     * bytes the SYN carries, or EINPROGRESS when it carries none; a blocking one waits for the handshake and writes
     * the rest. While a connect is in progress it is EALREADY (non-blocking); once connected, the send it is.
     * {@code unspec}: the address is AF_UNSPEC, which Fast Open refuses (EOPNOTSUPP).
     */
    public Outcome sendto(Process process, int fd, byte[] data, int flags, Endpoint remote, boolean unspec, PacketReport report) {
        return sendto(process, fd, data, flags, remote, unspec, false, report);
    }

    private Outcome sendto(Process process, int fd, byte[] data, int flags, Endpoint remote, boolean unspec, boolean unreadable,
                           PacketReport report) {
        String call = "sendto(" + fd + ", " + (unreadable ? "NULL" : quote(data)) + ", " + data.length + ", " + msgFlags(flags) + ", "
                + (unspec ? "{sa_family=AF_UNSPEC}, 16" : remote == null ? "NULL, 0" : sockaddr(remote) + ", 16") + ")";
        Socket socket;
        OpenFile file;
        try {
            file = process.fds().get(fd);
            socket = socketOf(process, fd);
        } catch (SyscallException e) {
            return failed(call, e.errno());
        }
        Tcb tcb = socket.tcb();
        boolean deferred = tcb != null && tcb.deferConnect();
        if ((flags & MSG_FASTOPEN) == 0 && !deferred) {
            return write(process, fd, data, flags & ~MSG_FASTOPEN, true, unreadable, report);
        }
        boolean nonBlocking = file.nonBlocking() || (flags & MSG_DONTWAIT) != 0;
        int copied;
        boolean newSyn;
        try {
            // tcp_sendmsg_fastopen(): the client bit of net.ipv4.tcp_fastopen, and no AF_UNSPEC
            if ((kernel.sysctls().get(Sysctls.TCP_FASTOPEN) & io.vkernel.kernel.tcp.FastOpen.CLIENT_ENABLE) == 0 || unspec) {
                throw new SyscallException(Errno.EOPNOTSUPP);
            }
            tcb = liveConnection(socket);
            if (deferred) {
                copied = unreadable ? kernel.tcp().sendDeferredSynUnreadable(tcb, report) : kernel.tcp().sendDeferredSyn(tcb, data, report);
                newSyn = true;
            } else if (tcb == null && !socket.isListening()) {
                if (remote == null) {
                    throw new SyscallException(Errno.EINVAL); // tcp_v4_connect(): no address to connect to
                }
                tcb = unreadable ? kernel.tcp().connectFastOpenUnreadable(socket, connectTuple(socket, remote), report)
                        : kernel.tcp().connectFastOpen(socket, connectTuple(socket, remote), data, false, report);
                socket.attach(tcb);
                copied = io.vkernel.kernel.tcp.TcpEngine.synDataLength(tcb);
                newSyn = true;
            } else if (tcb != null && socket.isConnecting()) {
                copied = 0;
                newSyn = false;
            } else {
                throw new SyscallException(Errno.EISCONN); // __inet_stream_connect(): SS_CONNECTED (or a listener)
            }
        } catch (SyscallException e) {
            return failed(call, e.errno());
        }
        Tcb conn = tcb;
        boolean handshaking = conn.state() == TcpState.SYN_SENT || conn.state() == TcpState.SYN_RECV;
        if (newSyn && (flags & MSG_ZEROCOPY) != 0 && data.length > 0 && socket.options().zerocopy
                && (copied == data.length || (nonBlocking && handshaking))) {
            // tcp_sendmsg_locked(): the notification id is taken before tcp_sendmsg_fastopen(); the SYN's bytes were
            // copied (SO_EE_CODE_ZEROCOPY_COPIED) and notify once acknowledged; a SYN without data gives the id back
            // (net_zcopy_put_abort() on EINPROGRESS). A blocking call that writes more after the handshake is not modelled.
            io.vkernel.kernel.socket.ErrorQueue queue = socket.errorQueueForWrite();
            io.vkernel.kernel.socket.ErrorQueue.Uarg uarg = queue.startZeroCopy(data.length, conn.iss() + 1, conn.iss() + 1);
            if (copied > 0) {
                queue.queued(uarg, conn.iss() + 1 + copied);
            }
            queue.finish(uarg, copied > 0);
        }
        if (nonBlocking && handshaking) {
            if (copied > 0) {
                return record(new Done(SyscallResult.ok(copied, call + " = " + copied)));
            }
            Errno errno = newSyn ? Errno.EINPROGRESS : Errno.EALREADY;
            return failed(call, errno);
        }
        if (handshaking) {
            // __inet_stream_connect(): writebias is 1 for any tcp_sendmsg_fastopen() (fastopen_req->data is set), so
            // inet_wait_for_connect() holds sk_write_pending even when the SYN carried every byte
            io.vkernel.kernel.tcp.TcpEngine.fastOpenWritePending(conn, true);
        }
        int[] written = {copied};
        boolean[] connected = {!handshaking};
        boolean[] sending = {false}; // tcp_sendmsg_fastopen() returned: the SYN's bytes are copied_syn
        PendingCall.Attempt attempt = () -> {
            try {
                if (!connected[0]) {
                    if (conn.state() == TcpState.SYN_SENT || conn.state() == TcpState.SYN_RECV) {
                        return null;
                    }
                    io.vkernel.kernel.tcp.TcpEngine.fastOpenWritePending(conn, false);
                    connected[0] = true;
                }
                socket.setConnecting(false); // __inet_stream_connect(): SS_CONNECTED
                if (sending[0] && written[0] > 0 && conn.pendingError() != null) {
                    // tcp_sendmsg_locked(): sk_err once connected, after bytes were copied (on the SYN or since), is
                    // do_error's goto out: the count, sk_err left for the next call (the catch below answers it)
                    throw new SyscallException(Errno.EPIPE);
                }
                if (!sending[0] && conn.state() == TcpState.CLOSE) {
                    // __inet_stream_connect(): a reset or timeout of the handshake is sock_error; its
                    // tcp_disconnect() freed fastopen_req, so tcp_sendmsg_fastopen() reports no copied_syn
                    Errno errno = connectFailed(socket, conn);
                    return SyscallResult.failed(errno, call + " = -1 " + errno.name() + " (" + errno.message() + ")");
                }
                sending[0] = true;
                if (unreadable && written[0] < data.length && !kernel.tcp().faultingWrite(conn)) {
                    return null; // tcp_sendmsg_locked() after the handshake: EFAULT thrown where there is room
                }
                // tcp_sendmsg_locked() goes on after tcp_sendmsg_fastopen() even when nothing is left to copy: sk_err,
                // SEND_SHUTDOWN or a state past the handshake (sk_stream_wait_connect()) end it in EPIPE, which only
                // a call that copied nothing, on its SYN or since, returns (do_error:)
                byte[] rest = Arrays.copyOfRange(data, written[0], data.length);
                written[0] += kernel.tcp().write(conn, rest, (flags & MSG_MORE) != 0, (flags & MSG_EOR) != 0, report);
                boolean finished = written[0] == data.length || (nonBlocking && written[0] > 0);
                return finished ? SyscallResult.ok(written[0], call + " = " + written[0]) : null;
            } catch (SyscallException e) {
                if (written[0] > 0) {
                    return SyscallResult.ok(written[0], call + " = " + written[0]);
                }
                return SyscallResult.failed(e.errno(), call + " = -1 " + e.errno().name() + " (" + e.errno().message() + ")");
            }
        };
        return block(process, socket, nonBlocking, call, handshaking ? "inet_wait_for_connect" : "sk_stream_wait_memory", attempt,
                true, Errno.EAGAIN, Errno.EAGAIN);
    }

    /**
     * connect(): picks the source address and, without bind(), an ephemeral port; sends the SYN; a blocking call
     * sleeps until the handshake ends, a non-blocking one answers EINPROGRESS and a later connect() tells the
     * outcome (EALREADY while it is still in progress, then 0 once, then EISCONN).
     */
    public Outcome connect(Process process, int fd, Endpoint remote, PacketReport report) {
        String call = "connect(" + fd + ", " + sockaddr(remote) + ", 16)";
        Socket socket;
        OpenFile file;
        try {
            file = process.fds().get(fd);
            socket = socketOf(process, fd);
            if (socket.isListening()) {
                throw new SyscallException(Errno.EISCONN);
            }
            Tcb existing = liveConnection(socket);
            if (existing != null) {
                if (existing.deferConnect()) {
                    // __inet_stream_connect(): SS_CONNECTING with defer_connect is EISCONN for connect()
                    throw new SyscallException(Errno.EISCONN);
                }
                if (existing.state() == TcpState.SYN_SENT || existing.state() == TcpState.SYN_RECV && socket.isConnecting()) {
                    // __inet_stream_connect(): SS_CONNECTING is EALREADY, also in a simultaneous open's SYN_RECV; a
                    // blocking call still sleeps in inet_wait_for_connect() and tells how the handshake ended
                    return waitConnected(process, socket, file, call, Errno.EALREADY);
                }
                if (socket.isConnecting()) {
                    socket.setConnecting(false);
                    if (existing.state() == TcpState.CLOSE) {
                        throw new SyscallException(connectFailed(socket, existing));
                    }
                    return record(new Done(SyscallResult.ok(0, call + " = 0")));
                }
                throw new SyscallException(Errno.EISCONN);
            }
            FourTuple tuple = connectTuple(socket, remote);
            if (socket.options().fastOpenConnect) {
                // tcp_v4_connect() -> tcp_fastopen_defer_connect(): with a cookie cached (or none required) no SYN
                // leaves and connect() returns 0; without one the SYN asks for a cookie (tp->fastopen_req, no data)
                boolean defer = kernel.tcp().fastOpenCookieAvailable(socket, remote.address());
                socket.attach(kernel.tcp().connectFastOpen(socket, tuple, new byte[0], defer, report));
                if (defer) {
                    return record(new Done(SyscallResult.ok(0, call + " = 0")));
                }
            } else {
                socket.attach(kernel.tcp().connect(socket, tuple, report));
            }
        } catch (SyscallException e) {
            return failed(call, e.errno());
        }
        return waitConnected(process, socket, file, call, Errno.EINPROGRESS);
    }

    /**
     * connect(fd, {sa_family=AF_UNSPEC}): __inet_stream_connect() runs tcp_disconnect() and leaves the socket
     * unconnected (SS_UNCONNECTED) but open and bound; a listener stops listening. Always 0 on a TCP socket.
     */
    public Outcome disconnect(Process process, int fd, PacketReport report) {
        String call = "connect(" + fd + ", {sa_family=AF_UNSPEC}, 16)";
        return run(call, () -> {
            Socket socket = socketOf(process, fd);
            if (socket.isListening()) {
                kernel.stopListening(socket, report); // tcp_disconnect() on TCP_LISTEN: inet_csk_listen_stop()
            } else if (socket.tcb() != null) {
                kernel.tcp().disconnect(socket.tcb(), report);
                socket.releaseAutoBound();
                socket.setConnecting(false);
                kernel.wakeSocket(socket, report);
            }
            socket.setDisconnected(true);
            return SyscallResult.ok(0, call + " = 0");
        });
    }

    /**
     * tcp_v4_connect()'s addressing: checks the peer, picks the source address and, without bind(), an ephemeral
     * port; the socket is bound to it and marked connecting (SS_CONNECTING).
     */
    private FourTuple connectTuple(Socket socket, Endpoint remote) {
        if (!Ipv4.isValidPeer(remote.address()) || remote.port() == 0) {
            throw new SyscallException(remote.port() == 0 ? Errno.ECONNREFUSED : Errno.ENETUNREACH);
        }
        int localAddress = socket.local() != null && !socket.local().isWildcard() ? socket.local().address()
                : Ipv4.isLoopback(remote.address()) ? Ipv4.LOOPBACK : kernel.address();
        int port;
        if (socket.local() != null) {
            port = socket.local().port();
            if (kernel.established().find(new FourTuple(remote, new Endpoint(localAddress, port))) != null) {
                throw new SyscallException(Errno.EADDRNOTAVAIL);
            }
        } else {
            port = kernel.ports().pick(localAddress, remote, kernel.sysctls().getInt(Sysctls.PORT_RANGE_LOW),
                    kernel.sysctls().getInt(Sysctls.PORT_RANGE_HIGH), kernel.binds(), kernel.established());
            if (port < 0) {
                throw new SyscallException(Errno.EADDRNOTAVAIL);
            }
        }
        Endpoint local = new Endpoint(localAddress, port);
        if (socket.local() != null) {
            kernel.binds().remove(socket); // the connection's TCB owns the port from now on
        }
        socket.bindTo(local);
        socket.setConnecting(true);
        return new FourTuple(remote, local);
    }

    /**
     * inet_wait_for_connect(): a blocking connect() sleeps until the handshake ends; a non-blocking one answers
     * {@code inProgress} at once, EINPROGRESS for the call that sent the SYN, EALREADY for a later one.
     */
    private Outcome waitConnected(Process process, Socket socket, OpenFile file, String call, Errno inProgress) {
        PendingCall.Attempt attempt = () -> {
            Tcb tcb = socket.tcb();
            if (tcb.state() == TcpState.SYN_SENT || tcb.state() == TcpState.SYN_RECV) {
                return null;
            }
            socket.setConnecting(false);
            if (tcb.state() == TcpState.CLOSE) {
                Errno errno = connectFailed(socket, tcb);
                return SyscallResult.failed(errno, call + " = -1 " + errno.name() + " (" + errno.message() + ")");
            }
            return SyscallResult.ok(0, call + " = 0");
        };
        if (file.nonBlocking()) {
            return failed(call, inProgress);
        }
        return block(process, socket, file.nonBlocking(), call, "inet_wait_for_connect", attempt, true,
                inProgress, inProgress);
    }

    /**
     * __inet_stream_connect()'s sock_error: a connect (or Fast Open send) that finds its connection in TCP_CLOSE reports
     * sock_error(), or ECONNABORTED when SO_ERROR took it already, and leaves the socket SS_UNCONNECTED after
     * tcp_disconnect(), so a later connect() starts a new connection.
     */
    private Errno connectFailed(Socket socket, Tcb tcb) {
        socket.setDisconnected(true);
        socket.releaseAutoBound();
        return tcb.pendingError() != null ? kernel.tcp().takeError(tcb) : Errno.ECONNABORTED;
    }

    /**
     * The socket's connection, or null when there is none or it is one tcp_disconnect() left SS_UNCONNECTED in
     * TCP_CLOSE (a failed connect(), connect(AF_UNSPEC)): __inet_stream_connect() and inet_listen() take such a socket
     * as a new one, so it is forgotten here, and a port bind() named is the socket's again (SOCK_BINDPORT_LOCK).
     */
    private Tcb liveConnection(Socket socket) {
        Tcb tcb = socket.tcb();
        if (tcb != null && socket.isDisconnected() && tcb.state() == TcpState.CLOSE) {
            socket.attach(null);
            socket.setDisconnected(false);
            if (socket.local() != null) {
                kernel.binds().add(socket);
            }
            return null;
        }
        return tcb;
    }

    /** shutdown(): SHUT_RD (0), SHUT_WR (1) or SHUT_RDWR (2) on the connection, whatever other FDs share it. */
    public Outcome shutdown(Process process, int fd, int how, PacketReport report) {
        String name = how == 0 ? "SHUT_RD" : how == 1 ? "SHUT_WR" : how == 2 ? "SHUT_RDWR" : String.valueOf(how);
        String call = "shutdown(" + fd + ", " + name + ")";
        return run(call, () -> {
            Socket socket = socketOf(process, fd);
            if (how < 0 || how > 2) {
                throw new SyscallException(Errno.EINVAL);
            }
            if (socket.isListening()) {
                // inet_shutdown() on TCP_LISTEN: only a shutdown that includes the receive side (SHUT_RD,
                // SHUT_RDWR) disconnects the listener (tcp_disconnect()); SHUT_WR breaks out of the switch and
                // returns 0 with the socket still listening, its queues untouched.
                if (how != 1) {
                    kernel.stopListening(socket, report);
                }
                return SyscallResult.ok(0, call + " = 0");
            }
            Tcb tcb = socket.tcb();
            if (tcb == null || tcb.state() == TcpState.CLOSE) {
                throw new SyscallException(Errno.ENOTCONN);
            }
            if (tcb.state() == TcpState.SYN_SENT) {
                // inet_shutdown() on TCP_SYN_SENT, whatever the direction: tcp_disconnect() (sk_err ECONNRESET, no
                // RST) and SS_UNCONNECTED; a call asleep in inet_wait_for_connect() wakes to that error
                kernel.tcp().disconnect(tcb, "shutdown() in SYN_SENT: tcp_disconnect()", report);
                socket.setConnecting(false);
                socket.setDisconnected(true);
                socket.releaseAutoBound();
                kernel.wakeSocket(socket, report);
                return SyscallResult.ok(0, call + " = 0");
            }
            kernel.tcp().shutdown(tcb, how != 1, how != 0, report);
            kernel.wakeSocket(socket, report);
            return SyscallResult.ok(0, call + " = 0");
        });
    }

    /** dup(): the same open file at the lowest free number; the reference count grows. */
    public Outcome dup(Process process, int fd) {
        String call = "dup(" + fd + ")";
        return run(call, () -> {
            OpenFile file = process.fds().get(fd);
            int newFd = process.fds().allocate(file);
            file.retain();
            kernel.event(EventType.FD_ALLOC, "pid " + process.pid(), "fd " + newFd + " -> " + file.path() + " (dup of fd " + fd
                    + ", " + file.refCount() + " references)");
            return SyscallResult.ok(newFd, call + " = " + newFd);
        });
    }

    /** dup2(): closes {@code newFd} if open, then points it at {@code oldFd}'s open file. */
    public Outcome dup2(Process process, int oldFd, int newFd, PacketReport report) {
        String call = "dup2(" + oldFd + ", " + newFd + ")";
        return run(call, () -> {
            OpenFile file = process.fds().get(oldFd);
            if (newFd < 0 || newFd >= process.fds().limit()) {
                throw new SyscallException(Errno.EBADF); // ksys_dup3(): beyond RLIMIT_NOFILE is EBADF, not EMFILE
            }
            if (newFd == oldFd) {
                return SyscallResult.ok(newFd, call + " = " + newFd);
            }
            if (process.fds().isOpen(newFd)) {
                OpenFile previous = process.fds().remove(newFd);
                if (previous.release()) {
                    kernel.releaseFile(previous, report);
                }
            }
            file.retain();
            process.fds().installAt(newFd, file);
            kernel.event(EventType.FD_ALLOC, "pid " + process.pid(), "fd " + newFd + " -> " + file.path() + " (dup2 of fd " + oldFd + ")");
            return SyscallResult.ok(newFd, call + " = " + newFd);
        });
    }

    /** getsockopt(): SO_ERROR returns and clears the pending error; the others read back what setsockopt() set. */
    public Outcome getsockopt(Process process, int fd, String option) {
        String call = "getsockopt(" + fd + ", " + level(option) + ", " + option + ")";
        return run(call, () -> {
            Socket socket = socketOf(process, fd);
            if (option.equals("TCP_CONGESTION")) {
                // do_tcp_getsockopt(): the name of icsk_ca_ops, into a TCP_CA_NAME_MAX (16) byte buffer
                String name = socket.tcb() != null ? socket.tcb().congestionControl() : socket.options().congestion;
                return new SyscallResult(0, null, call.replace(")", ", \"" + name + "\", [" + name.length() + "]) = 0"),
                        name.getBytes(java.nio.charset.StandardCharsets.US_ASCII), null);
            }
            if (option.equals("TCP_FASTOPEN_KEY")) {
                // do_tcp_getsockopt(): tcp_fastopen_get_cipher(), the socket's keys or else the namespace's
                byte[] key = io.vkernel.kernel.tcp.FastOpen.keyBytes(socket, kernel.sysctls());
                return new SyscallResult(0, null, call.replace(")", ", " + quote(key) + ", [" + key.length + "]) = 0"), key, null);
            }
            long value = switch (option) {
                case "SO_ERROR" -> {
                    Tcb tcb = socket.tcb();
                    yield tcb == null || tcb.pendingError() == null ? 0 : kernel.tcp().takeError(tcb).number();
                }
                case "SO_RCVTIMEO" -> socket.options().rcvTimeoutMs;
                case "SO_SNDTIMEO" -> socket.options().sndTimeoutMs;
                case "SO_LINGER" -> socket.options().lingerOn ? socket.options().lingerSeconds : -1;
                case "SO_REUSEADDR" -> socket.options().reuseAddr ? 1 : 0;
                case "SO_KEEPALIVE" -> socket.options().keepAlive ? 1 : 0;
                case "TCP_NODELAY" -> socket.options().noDelay ? 1 : 0;
                // sk_rcvbuf / sk_sndbuf: what SO_RCVBUF/SO_SNDBUF stored (doubled), else the connection's buffer
                case "SO_RCVBUF" -> socket.options().rcvBuf > 0 ? socket.options().rcvBuf
                        : socket.tcb() != null ? socket.tcb().rcvBufLimit() : kernel.sysctls().get(Sysctls.TCP_RMEM_DEFAULT);
                case "SO_SNDBUF" -> socket.options().sndBuf > 0 ? socket.options().sndBuf : socket.tcb() != null
                        ? socket.tcb().sendBuffer().sndBuf(socket.tcb(), kernel.sysctls()) : kernel.sysctls().get(Sysctls.TCP_WMEM_DEFAULT);
                case "TCP_MAXSEG" -> maxSeg(socket);
                case "TCP_CORK" -> socket.options().cork ? 1 : 0;
                // do_tcp_getsockopt(): tp->notsent_lowat as set (0 when the sysctl applies)
                case "TCP_NOTSENT_LOWAT" -> socket.options().notsentLowat;
                case "TCP_FASTOPEN", "TCP_FASTOPEN_NO_COOKIE" -> fastOpenOption(socket, option);
                case "TCP_FASTOPEN_CONNECT" -> socket.options().fastOpenConnect ? 1 : 0;
                case "TCP_USER_TIMEOUT", "TCP_INQ", "IP_TOS", "IP_MTU_DISCOVER", "IP_FREEBIND", "SO_OOBINLINE" -> SocketApiOptions.get(socket, option);
                case "TCP_SYNCNT", "TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT" -> TcpTimerOptions.get(kernel, socket, option);
                case "SO_ZEROCOPY" -> socket.options().zerocopy ? 1 : 0;
                case "SO_MARK" -> socket.options().mark;
                case "SO_TIMESTAMPING" -> socket.errorQueue() == null ? 0 : socket.errorQueue().tsflags();
                default -> throw new SyscallException(Errno.EINVAL);
            };
            String shown = option.equals("SO_ERROR") && value != 0 ? Errno.byNumber((int) value).name() : String.valueOf(value);
            return SyscallResult.ok(0, call.replace(")", ", [" + shown + "], [4]) = 0")).withValue(value);
        });
    }

    /**
     * do_tcp_getsockopt(TCP_MAXSEG): user_mss on a socket in CLOSE or LISTEN that set one, else tp->mss_cache:
     * TCP_MSS_DEFAULT (536, tcp_init_sock()) on a socket that never connected, then what tcp_sync_mss() made of it.
     */
    private long maxSeg(Socket socket) {
        Tcb tcb = socket.tcb();
        int userMss = socket.options().userMss;
        boolean unconnected = tcb == null || socket.isListening();
        if (userMss > 0 && (unconnected || tcb.state() == TcpState.CLOSE)) {
            return userMss;
        }
        return unconnected ? TcpEngine.DEFAULT_MSS : TcpInfo.mssCache(tcb, userMss, kernel.sysctls().get(Sysctls.TCP_TIMESTAMPS) != 0);
    }

    /** The ioctl requests vkernel answers (tcp_ioctl()). */
    public static final List<String> IOCTLS = List.of("SIOCINQ", "FIONREAD", "SIOCOUTQ", "SIOCOUTQNSD");

    /**
     * ioctl() on a TCP socket, as tcp_ioctl(): SIOCINQ (FIONREAD) is the bytes a read would get, SIOCOUTQ the
     * bytes written but not yet acknowledged, SIOCOUTQNSD those not yet sent; EINVAL on a listener.
     */
    public Outcome ioctl(Process process, int fd, String request) {
        String call = "ioctl(" + fd + ", " + request;
        return run(call + ")", () -> {
            Socket socket = socketOf(process, fd);
            if (socket.isListening()) {
                throw new SyscallException(Errno.EINVAL);
            }
            Tcb tcb = socket.tcb();
            long value = switch (request) {
                case "SIOCINQ", "FIONREAD" -> tcb == null ? 0 : tcb.receiveQueued();
                case "SIOCOUTQ" -> tcb == null ? 0 : tcb.sendQueued();
                case "SIOCOUTQNSD" -> tcb == null ? 0 : Math.max(0, tcb.sendQueued() - (tcb.sndNxt() - tcb.sndUna()));
                default -> throw new SyscallException(Errno.EINVAL);
            };
            return SyscallResult.ok(0, call + ", [" + value + "]) = 0").withValue(value);
        });
    }

    /** poll() event bits (include/uapi/asm-generic/poll.h). */
    public static final int POLLIN = 0x1, POLLPRI = 0x2, POLLOUT = 0x4, POLLERR = 0x8, POLLHUP = 0x10, POLLNVAL = 0x20,
            POLLRDNORM = 0x40, POLLRDBAND = 0x80, POLLWRNORM = 0x100, POLLWRBAND = 0x200, POLLRDHUP = 0x2000;
    /** The poll bits by name, in strace's order. */
    public static final java.util.Map<String, Integer> POLL_EVENTS = pollEvents();

    private static java.util.Map<String, Integer> pollEvents() {
        java.util.Map<String, Integer> events = new java.util.LinkedHashMap<>();
        events.put("POLLIN", POLLIN);
        events.put("POLLPRI", POLLPRI);
        events.put("POLLOUT", POLLOUT);
        events.put("POLLERR", POLLERR);
        events.put("POLLHUP", POLLHUP);
        events.put("POLLNVAL", POLLNVAL);
        events.put("POLLRDNORM", POLLRDNORM);
        events.put("POLLRDBAND", POLLRDBAND);
        events.put("POLLWRNORM", POLLWRNORM);
        events.put("POLLWRBAND", POLLWRBAND);
        events.put("POLLRDHUP", POLLRDHUP);
        return java.util.Collections.unmodifiableMap(events);
    }

    /** One struct pollfd: the fd and the events asked for. */
    public record PollFd(int fd, int events) {
    }

    /**
     * poll(): each fd's revents is what its file's poll method reports (tcp_poll() for a socket) masked by the events
     * asked for plus POLLERR and POLLHUP, which are always reported (do_pollfd()); a closed fd reports POLLNVAL. It
     * returns how many fds have revents; with none it sleeps on every socket's wait queue until one has, or until
     * {@code timeoutMs} passes (then 0); 0 does not sleep, a negative timeout sleeps without limit.
     */
    public Outcome poll(Process process, List<PollFd> fds, int timeoutMs) {
        StringBuilder asked = new StringBuilder("[");
        for (PollFd p : fds) {
            asked.append(asked.length() > 1 ? ", " : "").append("{fd=").append(p.fd()).append(", events=").append(pollNames(p.events())).append('}');
        }
        String call = "poll(" + asked + "], " + fds.size() + ", " + timeoutMs + ")";
        List<Socket> sockets = new java.util.ArrayList<>();
        for (PollFd p : fds) {
            if (process.fds().isOpen(p.fd()) && process.fds().get(p.fd()).socket() != null
                    && !sockets.contains(process.fds().get(p.fd()).socket())) {
                sockets.add(process.fds().get(p.fd()).socket());
            }
        }
        PendingCall.Attempt attempt = () -> {
            List<Integer> revents = new java.util.ArrayList<>();
            StringBuilder shown = new StringBuilder();
            int ready = 0;
            for (PollFd p : fds) {
                int mask;
                if (!process.fds().isOpen(p.fd())) {
                    mask = POLLNVAL;
                } else {
                    OpenFile file = process.fds().get(p.fd());
                    // the terminal: n_tty_poll() on a terminal nobody types at: readable (EOF) and writable
                    int all = file.socket() == null ? POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM : tcpPoll(file.socket());
                    mask = all & (p.events() | POLLERR | POLLHUP);
                }
                revents.add(mask);
                if (mask != 0) {
                    ready++;
                    shown.append(shown.length() > 0 ? ", " : "").append("{fd=").append(p.fd()).append(", revents=")
                            .append(pollNames(mask)).append('}');
                }
            }
            if (ready == 0) {
                return null;
            }
            return new SyscallResult(ready, null, call + " = " + ready + " ([" + shown + "])", null, null, null, List.copyOf(revents));
        };
        PendingCall.Attempt timedOut = () -> new SyscallResult(0, null, call + " = 0 (Timeout)", null, null, null,
                java.util.Collections.nCopies(fds.size(), 0));
        if (sockets.isEmpty() && timeoutMs != 0) {
            SyscallResult now = attempt.get();
            if (now != null) {
                return record(new Done(now));
            }
            // nothing to wake it but the clock: sleep on no queue is not modelled, so answer as the timeout would
            return record(new Done(timedOut.get()));
        }
        if (sockets.isEmpty()) {
            SyscallResult now = attempt.get();
            return record(new Done(now != null ? now : timedOut.get()));
        }
        return block(process, sockets, timeoutMs == 0, call, "do_sys_poll", attempt, Math.max(0, timeoutMs), "poll timeout", timedOut);
    }

    /** tcp_poll() (inet_csk_listen_poll() for a listener): the events a socket has now. */
    int tcpPoll(Socket socket) {
        if (socket.isListening()) {
            return socket.acceptQueue().isEmpty() ? 0 : POLLIN | POLLRDNORM;
        }
        Tcb tcb = socket.tcb();
        if (tcb == null) {
            // a socket never connected: TCP_CLOSE, sk_shutdown 0, nothing queued
            return POLLHUP | POLLOUT | POLLWRNORM | (socket.hasQueuedErrors() ? POLLERR : 0);
        }
        int mask = 0;
        TcpState state = tcb.state();
        // tcp_done() sets sk_shutdown to SHUTDOWN_MASK: a connection that ended (reset, refused) is shut both ways
        boolean rcvShutdown = tcb.receiveShutdown() || tcb.wasReset() || state == TcpState.CLOSE;
        boolean sndShutdown = tcb.sendShutdown() || state == TcpState.CLOSE;
        if ((rcvShutdown && sndShutdown) || state == TcpState.CLOSE) {
            mask |= POLLHUP;
        }
        if (rcvShutdown) {
            mask |= POLLIN | POLLRDNORM | POLLRDHUP;
        }
        if (state == TcpState.SYN_SENT && tcb.deferConnect()) {
            // tcp_poll(): a TCP_FASTOPEN_CONNECT socket is writable so the application writes the SYN's data
            mask |= POLLOUT | POLLWRNORM;
        }
        if (state != TcpState.SYN_SENT && state != TcpState.SYN_RECV) {
            if (tcb.receiveQueued() > 0) { // tcp_stream_is_readable() with SO_RCVLOWAT 1
                mask |= POLLIN | POLLRDNORM;
            }
            if (sndShutdown || writeable(socket, tcb)) {
                mask |= POLLOUT | POLLWRNORM;
            } else {
                socket.noSpace(true); // tcp_poll(): set_bit(SOCK_NOSPACE) so freed space wakes the poller
            }
        }
        // tcp_poll(): sk_err, or anything on the error queue (zero-copy notifications)
        if (tcb.pendingError() != null || socket.hasQueuedErrors()) {
            mask |= POLLERR;
        }
        return mask;
    }

    /**
     * __sk_stream_is_writeable(sk, 1): free send-buffer space at least half of what is queued
     * (sk_stream_wspace() >= sk_stream_min_wspace()), and tcp_stream_memory_free(): twice the bytes written but
     * not yet sent below TCP_NOTSENT_LOWAT (or the sysctl net.ipv4.tcp_notsent_lowat).
     */
    /** sk_stream_write_space()'s test, for the kernel's wake-up of SOCK_NOSPACE sockets. */
    public boolean pollWriteable(Socket socket) {
        return socket.tcb() != null && writeable(socket, socket.tcb());
    }

    private boolean writeable(Socket socket, Tcb tcb) {
        return tcb.sendBuffer().writeable(tcb, kernel.sysctls()); // queued truesize, sk_sndbuf: SendBuffer
    }

    public static String pollNames(int mask) {
        List<String> names = new java.util.ArrayList<>();
        for (var e : POLL_EVENTS.entrySet()) {
            if ((mask & e.getValue()) != 0) {
                names.add(e.getKey());
            }
        }
        return names.isEmpty() ? "0" : String.join("|", names);
    }

    public Outcome close(Process process, int fd, PacketReport report) {
        String call = "close(" + fd + ")";
        return run(call, () -> {
            OpenFile file = process.fds().remove(fd);
            kernel.event(EventType.FD_FREE, "pid " + process.pid(), "fd " + fd + " (" + file.path() + ") freed; the number is free for reuse");
            if (file.release()) {
                kernel.releaseFile(file, report);
            }
            return SyscallResult.ok(0, call + " = 0");
        });
    }

    public Outcome fcntl(Process process, int fd, String command, int flags) {
        return run("fcntl(" + fd + ", " + command + ")", () -> {
            OpenFile file = process.fds().get(fd);
            switch (command) {
                case "F_GETFL" -> {
                    return SyscallResult.ok(file.flags(), "fcntl(" + fd + ", F_GETFL) = 0x" + Integer.toHexString(file.flags())
                            + " (flags " + flagNames(file.flags()) + ")");
                }
                case "F_SETFL" -> {
                    file.setStatusFlags(flags);
                    return SyscallResult.ok(0, "fcntl(" + fd + ", F_SETFL, " + flagNames(flags) + ") = 0");
                }
                default -> throw new SyscallException(Errno.EINVAL);
            }
        });
    }

    /** The options vkernel models; {@code value} is milliseconds for SO_RCVTIMEO, l_linger for SO_LINGER, else 0/1. */
    public static final List<String> SOCKET_OPTIONS = List.of("SO_RCVTIMEO", "SO_SNDTIMEO", "SO_LINGER", "SO_REUSEADDR", "SO_KEEPALIVE",
            "TCP_NODELAY", "SO_RCVBUF", "SO_SNDBUF", "TCP_NOTSENT_LOWAT", "TCP_MAXSEG", "TCP_CORK", "TCP_CONGESTION",
            "TCP_FASTOPEN", "TCP_FASTOPEN_NO_COOKIE", "TCP_FASTOPEN_CONNECT", "TCP_FASTOPEN_KEY",
            "TCP_USER_TIMEOUT", "TCP_INQ", "IP_TOS", "IP_MTU_DISCOVER", "SO_ZEROCOPY", "SO_MARK", "SO_TIMESTAMPING",
            "TCP_SYNCNT", "TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT", "IP_FREEBIND", "SO_OOBINLINE");

    /** What getsockopt() can read: the settable options and SO_ERROR. */
    public static final List<String> READABLE_OPTIONS = List.of("SO_ERROR", "SO_RCVTIMEO", "SO_SNDTIMEO", "SO_LINGER", "SO_REUSEADDR", "SO_KEEPALIVE",
            "TCP_NODELAY", "SO_RCVBUF", "SO_SNDBUF", "TCP_MAXSEG", "TCP_NOTSENT_LOWAT", "TCP_CORK", "TCP_CONGESTION",
            "TCP_FASTOPEN", "TCP_FASTOPEN_NO_COOKIE", "TCP_FASTOPEN_CONNECT", "TCP_FASTOPEN_KEY",
            "TCP_USER_TIMEOUT", "TCP_INQ", "IP_TOS", "IP_MTU_DISCOVER", "SO_ZEROCOPY", "SO_MARK", "SO_TIMESTAMPING",
            "TCP_SYNCNT", "TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT", "IP_FREEBIND", "SO_OOBINLINE");

    /** The level an option lives at, as strace names it. */
    static String level(String option) {
        return option.startsWith("TCP_") ? "SOL_TCP" : option.startsWith("IP_") ? "SOL_IP" : "SOL_SOCKET";
    }

    /** setsockopt(fd, SOL_TCP, TCP_CONGESTION, name, len): the one string-valued option. */
    public Outcome setsockopt(Process process, int fd, String option, String name) {
        String call = "setsockopt(" + fd + ", SOL_TCP, " + option + ", \"" + name + "\", " + name.length() + ")";
        return run(call, () -> {
            Socket socket = socketOf(process, fd);
            if (!option.equals("TCP_CONGESTION")) {
                throw new SyscallException(Errno.EINVAL);
            }
            kernel.tcp().setCongestionControl(socket, name);
            return SyscallResult.ok(0, call + " = 0");
        });
    }

    /**
     * setsockopt(fd, SOL_TCP, TCP_FASTOPEN_KEY, key, len): the socket's own Fast Open cookie key, 16 bytes (or 32: a
     * primary and a backup key), do_tcp_setsockopt() -> tcp_fastopen_reset_cipher(); any other length is EINVAL.
     */
    public Outcome setsockopt(Process process, int fd, String option, byte[] value) {
        String call = "setsockopt(" + fd + ", " + level(option) + ", " + option + ", " + quote(value) + ", " + value.length + ")";
        return run(call, () -> {
            Socket socket = socketOf(process, fd);
            if (!option.equals("TCP_FASTOPEN_KEY")) {
                throw new SyscallException(Errno.EINVAL);
            }
            if (!io.vkernel.kernel.tcp.FastOpen.setKey(socket, value)) {
                throw new SyscallException(Errno.EINVAL);
            }
            return SyscallResult.ok(0, call + " = 0");
        });
    }

    public Outcome setsockopt(Process process, int fd, String option, long value, boolean on) {
        PacketReport report = new PacketReport(null); // TCP_NODELAY and TCP_CORK may push queued data
        String shown = switch (option) {
            case "SO_LINGER" -> "{l_onoff=" + (on ? 1 : 0) + ", l_linger=" + value + "}, 8";
            case "SO_RCVTIMEO", "SO_SNDTIMEO" -> "{tv_sec=" + value / 1000 + ", tv_usec=" + value % 1000 * 1000 + "}, 16";
            default -> "[" + value + "], 4";
        };
        String call = "setsockopt(" + fd + ", " + level(option) + ", " + option + ", " + shown + ")";
        return run(call, () -> {
            Socket socket = socketOf(process, fd);
            switch (option) {
                case "SO_RCVTIMEO" -> socket.options().rcvTimeoutMs = value;
                case "SO_SNDTIMEO" -> socket.options().sndTimeoutMs = value;
                case "SO_LINGER" -> {
                    socket.options().lingerOn = on;
                    socket.options().lingerSeconds = (int) value;
                }
                case "SO_REUSEADDR" -> socket.options().reuseAddr = value != 0;
                case "SO_KEEPALIVE" -> {
                    socket.options().keepAlive = value != 0;
                    if (socket.tcb() != null) {
                        kernel.tcp().armKeepalive(socket.tcb());
                    }
                }
                case "TCP_NODELAY" -> {
                    socket.options().noDelay = value != 0;
                    // __tcp_sock_set_nodelay(): turning it on pushes what waits (TCP_NAGLE_PUSH), TCP_CORK or not
                    if (value != 0 && socket.tcb() != null) {
                        kernel.tcp().pushPending(socket.tcb(), report);
                    }
                }
                case "TCP_CORK" -> {
                    socket.options().cork = value != 0;
                    // __tcp_sock_set_cork(sk, false): push what waits, forcing it out only under TCP_NODELAY
                    if (value == 0 && socket.tcb() != null) {
                        if (socket.options().noDelay) {
                            kernel.tcp().pushPending(socket.tcb(), report);
                        } else {
                            kernel.tcp().transmitPending(socket.tcb(), report);
                        }
                    }
                }
                case "TCP_MAXSEG" -> {
                    // do_tcp_setsockopt(): 0 clears it, else TCP_MIN_MSS (88) to MAX_TCP_WINDOW (32767)
                    if (value != 0 && (value < 88 || value > 32767)) {
                        throw new SyscallException(Errno.EINVAL);
                    }
                    socket.options().userMss = (int) value;
                }
                case "SO_RCVBUF" -> {
                    socket.options().rcvBuf = ReceiveBuffer.rcvBufFromOption(kernel.sysctls(), value);
                    if (socket.tcb() != null) {
                        kernel.tcp().lockReceiveBuffer(socket.tcb(), socket.options().rcvBuf);
                    }
                }
                case "SO_SNDBUF" -> socket.options().sndBuf = ReceiveBuffer.sndBufFromOption(kernel.sysctls(), value);
                case "TCP_NOTSENT_LOWAT" -> {
                    // do_tcp_setsockopt(): any int; then sk_write_space() so a poll() waiting for POLLOUT re-checks
                    if (value < 0 || value > 0xFFFF_FFFFL) {
                        throw new SyscallException(Errno.EINVAL);
                    }
                    socket.options().notsentLowat = value;
                    kernel.wakeSocket(socket, new PacketReport(null));
                }
                case "TCP_FASTOPEN", "TCP_FASTOPEN_NO_COOKIE" -> setFastOpenOption(socket, option, value);
                case "TCP_FASTOPEN_CONNECT" -> {
                    // do_tcp_setsockopt(): 0 or 1; EOPNOTSUPP without the client bit; only on a socket in CLOSE
                    if (value < 0 || value > 1) {
                        throw new SyscallException(Errno.EINVAL);
                    }
                    if ((kernel.sysctls().get(Sysctls.TCP_FASTOPEN) & io.vkernel.kernel.tcp.FastOpen.CLIENT_ENABLE) == 0) {
                        throw new SyscallException(Errno.EOPNOTSUPP);
                    }
                    if (socket.tcb() != null || socket.isListening()) {
                        throw new SyscallException(Errno.EINVAL);
                    }
                    socket.options().fastOpenConnect = value == 1;
                }
                case "TCP_USER_TIMEOUT", "TCP_INQ", "IP_TOS", "IP_MTU_DISCOVER", "IP_FREEBIND", "SO_OOBINLINE" -> SocketApiOptions.set(socket, option, value);
                case "TCP_SYNCNT", "TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT" -> TcpTimerOptions.set(kernel, socket, option, value);
                // sk_setsockopt(SO_ZEROCOPY): a TCP socket takes 0 or 1, anything else is EINVAL
                case "SO_TIMESTAMPING" -> TxTimestamps.set(kernel, socket, value);
                // sock_set_mark(): sk_mark, any 32-bit value (the process is root); it only steers routing
                case "SO_MARK" -> socket.options().mark = value & 0xffffffffL;
                case "SO_ZEROCOPY" -> {
                    if (value < 0 || value > 1) {
                        throw new SyscallException(Errno.EINVAL);
                    }
                    socket.options().zerocopy = value == 1;
                }
                default -> throw new SyscallException(Errno.EINVAL);
            }
            return SyscallResult.ok(0, call + " = 0");
        });
    }

    /**
     * do_tcp_setsockopt(): TCP_FASTOPEN sets a closed or listening socket's Fast Open queue length
     * (fastopen_queue_tune(), capped by somaxconn); TCP_FASTOPEN_NO_COOKIE (0 or 1, on a closed socket only) lets it
     * take or send data on a SYN without a cookie. Anything else, or on a connection, is EINVAL.
     */
    private void setFastOpenOption(Socket socket, String option, long value) {
        if (socket.tcb() != null) {
            throw new SyscallException(Errno.EINVAL);
        }
        if (option.equals("TCP_FASTOPEN")) {
            if (value < 0 || value > Integer.MAX_VALUE) {
                throw new SyscallException(Errno.EINVAL);
            }
            socket.options().fastOpenQueue = FastOpen.queueLength(kernel.sysctls(), value);
        } else {
            // only on a socket in CLOSE: before listen() or connect()
            if (value < 0 || value > 1 || socket.isListening()) {
                throw new SyscallException(Errno.EINVAL);
            }
            socket.options().fastOpenNoCookie = value == 1;
        }
    }

    /** do_tcp_getsockopt(): TCP_FASTOPEN reads fastopenq.max_qlen, TCP_FASTOPEN_NO_COOKIE the flag. */
    private static long fastOpenOption(Socket socket, String option) {
        return option.equals("TCP_FASTOPEN") ? socket.options().fastOpenQueue : socket.options().fastOpenNoCookie ? 1 : 0;
    }

    // ---------------------------------------------------------------- the terminal (FDs 0, 1, 2)

    /*
     * FDs 0, 1 and 2 are one terminal opened O_RDWR, as a shell leaves them, so read() and write() work on any of
     * the three (reading FD 1 of a terminal is legal on Linux; only socket calls answer ENOTSOCK). vkernel's
     * terminal has no keyboard: nobody can ever type a line, so a read that waited for one would sleep forever.
     * It answers as a terminal does after the user presses Ctrl-D at the start of a line: n_tty_read() returns 0,
     * end of file. What is written is accepted whole, as a terminal that is never stopped accepts it, and shown in
     * the event log as the terminal's output.
     */
    private Outcome terminalRead(int fd, int count) {
        String strace = "read(" + fd + ", \"\", " + count + ") = 0";
        return record(new Done(new SyscallResult(0, null, strace, new byte[0], null)));
    }

    private Outcome terminalWrite(Process process, int fd, byte[] data) {
        kernel.event(EventType.SYSCALL, "pid " + process.pid(), "fd " + fd + " (the terminal) printed " + quote(data));
        return record(new Done(SyscallResult.ok(data.length, "write(" + fd + ", " + quote(data) + ", " + data.length + ") = " + data.length)));
    }

    // ---------------------------------------------------------------- helpers

    /** inet_csk_find_open_port(): binds {@code socket} to a free ephemeral port on {@code address}, or EADDRINUSE. */
    private void autobind(Socket socket, Endpoint address) {
        int port = kernel.ports().pickForBind(address, socket.reuseAddr(), kernel.sysctls().getInt(Sysctls.PORT_RANGE_LOW),
                kernel.sysctls().getInt(Sysctls.PORT_RANGE_HIGH), kernel.binds());
        if (port < 0) {
            throw new SyscallException(Errno.EADDRINUSE);
        }
        socket.bindTo(new Endpoint(address.address(), port));
        kernel.binds().add(socket);
        kernel.event(EventType.STATE_CHANGE, socket.local().toString(), "autobind: ephemeral port " + port
                + " (inet_csk_find_open_port() prefers odd ports; connect() takes even ones first)");
    }

    int install(Process process, OpenFile file) {
        int fd = process.fds().allocate(file);
        kernel.event(EventType.FD_ALLOC, "pid " + process.pid(), "fd " + fd + " -> " + file.path() + " (lowest free number)");
        return fd;
    }

    private static Socket socketOf(Process process, int fd) {
        Socket socket = process.fds().get(fd).socket();
        if (socket == null) {
            throw new SyscallException(Errno.ENOTSOCK);
        }
        return socket;
    }

    Outcome run(String call, PendingCall.Attempt body) {
        try {
            return record(new Done(body.get()));
        } catch (SyscallException e) {
            return failed(call, e.errno());
        }
    }

    Outcome failed(String call, Errno errno) {
        return record(new Done(SyscallResult.failed(errno, call + " = -1 " + errno.name() + " (" + errno.message() + ")")));
    }

    Outcome record(Done done) {
        kernel.event(EventType.SYSCALL, "syscall", done.result().strace());
        return done;
    }

    /**
     * Runs {@code attempt}; if it would block, O_NONBLOCK answers EAGAIN, otherwise the thread sleeps on the
     * socket's wait queue and SO_RCVTIMEO, when set, ends the wait with EAGAIN (not ETIMEDOUT, as on Linux).
     */
    private Outcome block(Process process, Socket socket, boolean nonBlocking, String call, String waitChannel,
                          PendingCall.Attempt attempt) {
        return block(process, socket, nonBlocking, call, waitChannel, attempt, false, Errno.EAGAIN, Errno.EAGAIN);
    }

    /**
     * The general form: {@code nonBlockingErrno} answers at once on an O_NONBLOCK file, {@code timeoutErrno} when
     * SO_SNDTIMEO ({@code sending}) or SO_RCVTIMEO passes while asleep (sock_sndtimeo() / sock_rcvtimeo()).
     */
    Outcome block(Process process, Socket socket, boolean nonBlocking, String call, String waitChannel,
                          PendingCall.Attempt attempt, boolean sending, Errno nonBlockingErrno, Errno timeoutErrno) {
        // named by which option it is, not by its value: the two options may well hold the same number
        long timeoutMs = sending ? socket.options().sndTimeoutMs : socket.options().rcvTimeoutMs;
        String timerName = sending ? "SO_SNDTIMEO" : "SO_RCVTIMEO";
        return block(process, List.of(socket), nonBlocking, call, waitChannel, attempt, timeoutMs, timerName,
                () -> nonBlocking ? SyscallResult.failed(nonBlockingErrno, call + " = -1 " + nonBlockingErrno.name() + " ("
                        + nonBlockingErrno.message() + ")")
                        : SyscallResult.failed(timeoutErrno, call + " = -1 " + timeoutErrno.name() + " (" + timeoutErrno.message() + ")"));
    }

    /**
     * The most general form: the thread sleeps on every socket in {@code sockets} (poll() waits on several);
     * {@code onTimeout} answers for a non-blocking call at once, or when {@code timeoutMs} passes asleep.
     */
    Outcome block(Process process, List<Socket> sockets, boolean nonBlocking, String call, String waitChannel,
                          PendingCall.Attempt attempt, long timeoutMs, String timerName, PendingCall.Attempt onTimeout) {
        SyscallResult result = attempt.get();
        if (result != null) {
            return record(new Done(result));
        }
        if (nonBlocking) {
            return record(new Done(onTimeout.get()));
        }
        Socket socket = sockets.get(0);
        kernel.beforePark(process, call);
        Task task = process.idleThread(kernel.newPid());
        task.sleep(waitChannel, call);
        PendingCall pending = new PendingCall(kernel.newCallId(), process, task, call, sockets, attempt, kernel.clock().now());
        for (Socket each : sockets) {
            each.waitQueue().add(pending);
        }
        kernel.registerPending(pending);
        kernel.event(EventType.THREAD_SLEEP, "pid " + process.pid() + " tid " + task.tid(),
                call + " blocks: thread SLEEPING in " + waitChannel + " on socket:[" + socket.inode() + "]'s wait queue");
        if (timeoutMs > 0) {
            pending.setTimeout(kernel.clock().schedule(timeoutMs, timerName, "pid " + process.pid(), () -> {
                kernel.event(EventType.TIMER_FIRED, "pid " + process.pid(), timerName + " expired for " + call);
                pending.finish(onTimeout.get());
            }));
        }
        pending.onDone(done -> kernel.event(EventType.SYSCALL, "syscall", done.strace()));
        return new Pending(pending);
    }

    /** Ends a parked call because its process is exiting. */
    public static void abandon(PendingCall call) {
        call.finish(SyscallResult.failed(Errno.EBADF, call.call() + " = ? <process exited>"));
    }

    static String sockaddr(Endpoint endpoint) {
        return "{sa_family=AF_INET, sin_port=htons(" + endpoint.port() + "), sin_addr=inet_addr(\""
                + Ipv4.format(endpoint.address()) + "\")}";
    }

    static String msgFlags(int flags) {
        if (flags == 0) {
            return "0";
        }
        List<String> names = new java.util.ArrayList<>();
        // strace's order: by bit
        String[] order = {"MSG_PEEK", "MSG_DONTWAIT", "MSG_EOR", "MSG_ERRQUEUE", "MSG_NOSIGNAL", "MSG_MORE", "MSG_FASTOPEN", "MSG_ZEROCOPY"};
        int[] bits = {MSG_PEEK, MSG_DONTWAIT, MSG_EOR, MSG_ERRQUEUE, MSG_NOSIGNAL, MSG_MORE, MSG_FASTOPEN, MSG_ZEROCOPY};
        for (int i = 0; i < bits.length; i++) {
            if ((flags & bits[i]) != 0) {
                names.add(order[i]);
            }
        }
        return String.join("|", names);
    }

    private static String flagNames(int flags) {
        String names = (flags & 3) == 2 ? "O_RDWR" : (flags & 3) == 1 ? "O_WRONLY" : "O_RDONLY";
        return (flags & OpenFile.O_NONBLOCK) != 0 ? names + "|O_NONBLOCK" : names;
    }

    /** strace's msg_iov: [{iov_base="...", iov_len=N}, ...], the first 32 iovecs, then "...". */
    static String iovecs(byte[] data, int[] iov) {
        StringBuilder out = new StringBuilder("[");
        int at = 0;
        for (int i = 0; i < iov.length; i++) {
            if (i == 32) {
                out.append(", ...");
                break;
            }
            out.append(i == 0 ? "" : ", ").append("{iov_base=")
                    .append(quote(Arrays.copyOfRange(data, at, Math.min(data.length, at + iov[i])))).append(", iov_len=").append(iov[i]).append('}');
            at += iov[i];
        }
        return out.append(']').toString();
    }

    /** strace's rendering of a buffer: C escapes, at most 32 bytes, "..." after the quote when cut. */
    static String quote(byte[] data) {
        StringBuilder out = new StringBuilder("\"");
        int shown = Math.min(32, data.length);
        for (int i = 0; i < shown; i++) {
            int b = data[i] & 0xff;
            switch (b) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (b >= 0x20 && b < 0x7f) {
                        out.append((char) b);
                    } else {
                        out.append('\\').append(Integer.toOctalString(b)); // "\\%o", without a Formatter per byte
                    }
                }
            }
        }
        out.append('"');
        if (data.length > shown) {
            out.append("...");
        }
        return out.toString();
    }

    // ---------------------------------------------------------------- epoll (fs/eventpoll.c)

    /** epoll_create(size): size must be positive (and is otherwise ignored); the new file is an epoll instance. */
    public Outcome epollCreate(Process process, int size) {
        String call = "epoll_create(" + size + ")";
        return run(call, () -> {
            if (size <= 0) {
                throw new SyscallException(Errno.EINVAL);
            }
            int fd = install(process, OpenFile.epoll(new io.vkernel.kernel.socket.EventPoll(kernel.newInode())));
            return SyscallResult.ok(fd, call + " = " + fd);
        });
    }

    /**
     * epoll_ctl(epfd, op, fd, {events, data}): EINVAL when epfd is no epoll file, fd is epfd, or EPOLLEXCLUSIVE is
     * modified; EPERM for a file without a poll method that vkernel models (the terminal); EEXIST on a second ADD,
     * ENOENT on MOD or DEL of an fd not watched (do_epoll_ctl()).
     */
    public Outcome epollCtl(Process process, int epfd, int op, int fd, int events, long data) {
        String opName = op == io.vkernel.kernel.socket.EventPoll.CTL_ADD ? "EPOLL_CTL_ADD" : op == io.vkernel.kernel.socket.EventPoll.CTL_DEL
                ? "EPOLL_CTL_DEL" : op == io.vkernel.kernel.socket.EventPoll.CTL_MOD ? "EPOLL_CTL_MOD" : String.valueOf(op);
        String call = "epoll_ctl(" + epfd + ", " + opName + ", " + fd + ", " + (op == io.vkernel.kernel.socket.EventPoll.CTL_DEL ? "NULL"
                : "{events=" + io.vkernel.kernel.socket.EventPoll.names(events) + ", data={u32=" + (int) data + ", u64=" + data + "}}") + ")";
        return run(call, () -> {
            io.vkernel.kernel.socket.EventPoll ep = process.fds().get(epfd).epoll();
            OpenFile target = process.fds().get(fd);
            if (ep == null || fd == epfd) {
                throw new SyscallException(Errno.EINVAL);
            }
            if (target.socket() == null) {
                throw new SyscallException(Errno.EPERM);
            }
            var item = ep.item(fd);
            int ex = io.vkernel.kernel.socket.EventPoll.EPOLLEXCLUSIVE;
            switch (op) {
                case io.vkernel.kernel.socket.EventPoll.CTL_ADD -> {
                    if (item != null) {
                        throw new SyscallException(Errno.EEXIST);
                    }
                    ep.add(fd, target.socket(), events, data, tcpPoll(target.socket()));
                }
                case io.vkernel.kernel.socket.EventPoll.CTL_MOD -> {
                    if (item == null) {
                        throw new SyscallException(Errno.ENOENT);
                    }
                    if ((events & ex) != 0 || (item.events() & ex) != 0) {
                        throw new SyscallException(Errno.EINVAL);
                    }
                    ep.modify(item, events, data, tcpPoll(target.socket()));
                }
                case io.vkernel.kernel.socket.EventPoll.CTL_DEL -> {
                    if (item == null) {
                        throw new SyscallException(Errno.ENOENT);
                    }
                    ep.remove(item);
                }
                default -> throw new SyscallException(Errno.EINVAL);
            }
            return SyscallResult.ok(0, call + " = 0");
        });
    }

    /**
     * epoll_wait(epfd, events, maxevents, timeout): the ready items' current events (ep_send_events()); with none it
     * sleeps on the watched sockets until a wake-up readies one or the timeout passes (0: never sleeps). The
     * result's revents hold each reported event as two entries, its events and its data (the u32 the script gave).
     */
    public Outcome epollWait(Process process, int epfd, int maxEvents, int timeoutMs) {
        String call = "epoll_wait(" + epfd + ", ..., " + maxEvents + ", " + timeoutMs + ")";
        io.vkernel.kernel.socket.EventPoll ep;
        try {
            ep = process.fds().get(epfd).epoll();
            if (ep == null || maxEvents <= 0) {
                throw new SyscallException(Errno.EINVAL);
            }
        } catch (SyscallException e) {
            return failed(call, e.errno());
        }
        PendingCall.Attempt attempt = () -> {
            var events = ep.collect(maxEvents, this::tcpPoll);
            if (events.isEmpty()) {
                return null;
            }
            List<Integer> out = new java.util.ArrayList<>();
            StringBuilder shown = new StringBuilder();
            for (var e : events) {
                out.add(e.events());
                out.add((int) e.data());
                shown.append(shown.length() > 0 ? ", " : "").append("{events=").append(io.vkernel.kernel.socket.EventPoll.names(e.events()))
                        .append(", data={u32=").append((int) e.data()).append(", u64=").append(e.data()).append("}}");
            }
            return new SyscallResult(events.size(), null, "epoll_wait(" + epfd + ", [" + shown + "], " + maxEvents + ", " + timeoutMs + ") = "
                    + events.size(), null, null, null, List.copyOf(out));
        };
        PendingCall.Attempt timedOut = () -> new SyscallResult(0, null, "epoll_wait(" + epfd + ", [], " + maxEvents + ", " + timeoutMs
                + ") = 0", null, null, null, List.of());
        List<Socket> sockets = ep.items().stream().map(io.vkernel.kernel.socket.EventPoll.Item::socket).distinct().toList();
        if (sockets.isEmpty() || timeoutMs == 0) {
            SyscallResult now = attempt.get();
            return record(new Done(now != null ? now : timedOut.get()));
        }
        return block(process, sockets, false, call, "ep_poll", attempt, Math.max(0, timeoutMs), "epoll_wait timeout", timedOut);
    }
}
