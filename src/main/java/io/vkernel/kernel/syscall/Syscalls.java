package io.vkernel.kernel.syscall;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.fd.OpenFile;
import io.vkernel.kernel.proc.Process;
import io.vkernel.kernel.proc.Task;
import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.socket.SyscallException;
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
import java.util.function.Supplier;

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
        String call = "socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)";
        return run(call, () -> {
            Socket socket = new Socket(kernel.newInode());
            socket.options().congestion = TcpEngine.defaultCongestionControl(kernel.sysctls());
            int fd = install(process, OpenFile.socket(socket));
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
            if (!address.isWildcard() && !kernel.isLocalAddress(address.address())) {
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
            return SyscallResult.ok(0, call + " = 0");
        });
    }

    public Outcome listen(Process process, int fd, int backlog) {
        String call = "listen(" + fd + ", " + backlog + ")";
        return run(call, () -> {
            Socket socket = socketOf(process, fd);
            if (socket.tcb() != null) {
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
        Supplier<SyscallResult> attempt = () -> {
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
                kernel.tcp().armKeepalive(tcb);
                int newFd = install(process, OpenFile.socket(child));
                Endpoint peer = tcb.tuple().remote();
                return new SyscallResult(newFd, null, "accept(" + fd + ", " + sockaddr(peer) + ", [16]) = " + newFd, null, peer.toString());
            } catch (SyscallException e) {
                return SyscallResult.failed(e.errno(), call + " = -1 " + e.errno().name() + " (" + e.errno().message() + ")");
            }
        };
        return block(process, listener, file, call, "inet_csk_accept", attempt);
    }

    public Outcome read(Process process, int fd, int count) {
        String call = "read(" + fd + ", ..., " + count + ")";
        Socket socket;
        OpenFile file;
        try {
            file = process.fds().get(fd);
            if (count < 0) {
                throw new SyscallException(Errno.EINVAL);
            }
            if (file.socket() == null) {
                return terminalRead(fd, count);
            }
            socket = socketOf(process, fd);
        } catch (SyscallException e) {
            return failed(call, e.errno());
        }
        Supplier<SyscallResult> attempt = () -> {
            try {
                Tcb tcb = socket.tcb();
                if (tcb == null) {
                    throw new SyscallException(Errno.ENOTCONN);
                }
                byte[] data = kernel.tcp().read(tcb, count, new PacketReport(null));
                if (data == null) {
                    return null;
                }
                String strace = "read(" + fd + ", " + quote(data) + ", " + count + ") = " + data.length;
                return new SyscallResult(data.length, null, strace, data, null);
            } catch (SyscallException e) {
                return SyscallResult.failed(e.errno(), call + " = -1 " + e.errno().name() + " (" + e.errno().message() + ")");
            }
        };
        return block(process, socket, file, call, "sk_wait_data", attempt);
    }

    /**
     * tcp_sendmsg(): copies into the send buffer as room allows. A blocking write sleeps until every byte is
     * queued (sk_stream_wait_memory); a non-blocking one returns what fit, or EAGAIN when nothing did. After a
     * reset the first write reports ECONNRESET, later ones EPIPE.
     */
    public Outcome write(Process process, int fd, byte[] data, PacketReport report) {
        String call = "write(" + fd + ", " + quote(data) + ", " + data.length + ")";
        Socket socket;
        OpenFile file;
        try {
            file = process.fds().get(fd);
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
        int[] written = {0};
        Supplier<SyscallResult> attempt = () -> {
            try {
                Tcb tcb = socket.tcb();
                byte[] rest = written[0] == 0 ? data : Arrays.copyOfRange(data, written[0], data.length);
                written[0] += kernel.tcp().write(tcb, rest, report);
                boolean finished = written[0] == data.length || (file.nonBlocking() && written[0] > 0);
                return finished ? SyscallResult.ok(written[0], call + " = " + written[0]) : null;
            } catch (SyscallException e) {
                if (written[0] > 0) {
                    return SyscallResult.ok(written[0], call + " = " + written[0]);
                }
                return SyscallResult.failed(e.errno(), call + " = -1 " + e.errno().name() + " (" + e.errno().message() + ")");
            }
        };
        return block(process, socket, file, call, "sk_stream_wait_memory", attempt, socket.options().sndTimeoutMs,
                Errno.EAGAIN, Errno.EAGAIN);
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
            Tcb existing = socket.tcb();
            if (existing != null) {
                if (existing.state() == TcpState.SYN_SENT) {
                    throw new SyscallException(Errno.EALREADY);
                }
                if (socket.isConnecting()) {
                    socket.setConnecting(false);
                    if (existing.pendingError() != null) {
                        throw new SyscallException(kernel.tcp().takeError(existing));
                    }
                    return record(new Done(SyscallResult.ok(0, call + " = 0")));
                }
                throw new SyscallException(Errno.EISCONN);
            }
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
            socket.attach(kernel.tcp().connect(socket, new FourTuple(remote, local), report));
        } catch (SyscallException e) {
            return failed(call, e.errno());
        }
        Supplier<SyscallResult> attempt = () -> {
            Tcb tcb = socket.tcb();
            if (tcb.state() == TcpState.SYN_SENT || tcb.state() == TcpState.SYN_RECV) {
                return null;
            }
            socket.setConnecting(false);
            if (tcb.pendingError() != null) {
                Errno errno = kernel.tcp().takeError(tcb);
                return SyscallResult.failed(errno, call + " = -1 " + errno.name() + " (" + errno.message() + ")");
            }
            return SyscallResult.ok(0, call + " = 0");
        };
        if (file.nonBlocking()) {
            return failed(call, Errno.EINPROGRESS);
        }
        return block(process, socket, file, call, "inet_wait_for_connect", attempt, socket.options().sndTimeoutMs,
                Errno.EINPROGRESS, Errno.EINPROGRESS);
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
        String call = "getsockopt(" + fd + ", " + (option.startsWith("TCP_") ? "SOL_TCP" : "SOL_SOCKET") + ", " + option + ")";
        return run(call, () -> {
            Socket socket = socketOf(process, fd);
            if (option.equals("TCP_CONGESTION")) {
                // do_tcp_getsockopt(): the name of icsk_ca_ops, into a TCP_CA_NAME_MAX (16) byte buffer
                String name = socket.tcb() != null ? socket.tcb().congestionControl() : socket.options().congestion;
                return new SyscallResult(0, null, call.replace(")", ", \"" + name + "\", [" + name.length() + "]) = 0"),
                        name.getBytes(java.nio.charset.StandardCharsets.US_ASCII), null);
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
                case "SO_SNDBUF" -> socket.options().sndBuf > 0 ? socket.options().sndBuf : kernel.sysctls().get(Sysctls.TCP_WMEM_DEFAULT);
                // do_tcp_getsockopt(): tp->mss_cache, TCP_MSS_DEFAULT (536) before a connection has one
                case "TCP_MAXSEG" -> socket.tcb() != null && socket.tcb().state().isSynchronized()
                        ? TcpInfo.of(socket.tcb()).get("tcpi_snd_mss") : TcpEngine.DEFAULT_MSS;
                default -> throw new SyscallException(Errno.EINVAL);
            };
            String shown = option.equals("SO_ERROR") && value != 0 ? Errno.byNumber((int) value).name() : String.valueOf(value);
            return SyscallResult.ok(0, call.replace(")", ", [" + shown + "], [4]) = 0")).withValue(value);
        });
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
            "TCP_NODELAY", "SO_RCVBUF", "SO_SNDBUF", "TCP_CONGESTION");

    /** What getsockopt() can read: the settable options and SO_ERROR. */
    public static final List<String> READABLE_OPTIONS = List.of("SO_ERROR", "SO_RCVTIMEO", "SO_SNDTIMEO", "SO_LINGER", "SO_REUSEADDR", "SO_KEEPALIVE",
            "TCP_NODELAY", "SO_RCVBUF", "SO_SNDBUF", "TCP_MAXSEG", "TCP_CONGESTION");

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

    public Outcome setsockopt(Process process, int fd, String option, long value, boolean on) {
        String shown = switch (option) {
            case "SO_LINGER" -> "{l_onoff=" + (on ? 1 : 0) + ", l_linger=" + value + "}, 8";
            case "SO_RCVTIMEO", "SO_SNDTIMEO" -> "{tv_sec=" + value / 1000 + ", tv_usec=" + value % 1000 * 1000 + "}, 16";
            default -> "[" + value + "], 4";
        };
        String level = option.startsWith("TCP_") ? "SOL_TCP" : "SOL_SOCKET";
        String call = "setsockopt(" + fd + ", " + level + ", " + option + ", " + shown + ")";
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
                case "TCP_NODELAY" -> socket.options().noDelay = value != 0;
                case "SO_RCVBUF" -> {
                    socket.options().rcvBuf = ReceiveBuffer.rcvBufFromOption(kernel.sysctls(), value);
                    if (socket.tcb() != null) {
                        kernel.tcp().lockReceiveBuffer(socket.tcb(), socket.options().rcvBuf);
                    }
                }
                case "SO_SNDBUF" -> socket.options().sndBuf = ReceiveBuffer.sndBufFromOption(kernel.sysctls(), value);
                default -> throw new SyscallException(Errno.EINVAL);
            }
            return SyscallResult.ok(0, call + " = 0");
        });
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

    private int install(Process process, OpenFile file) {
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

    private Outcome run(String call, Supplier<SyscallResult> body) {
        try {
            return record(new Done(body.get()));
        } catch (SyscallException e) {
            return failed(call, e.errno());
        }
    }

    private Outcome failed(String call, Errno errno) {
        return record(new Done(SyscallResult.failed(errno, call + " = -1 " + errno.name() + " (" + errno.message() + ")")));
    }

    private Outcome record(Done done) {
        kernel.event(EventType.SYSCALL, "syscall", done.result().strace());
        return done;
    }

    /**
     * Runs {@code attempt}; if it would block, O_NONBLOCK answers EAGAIN, otherwise the thread sleeps on the
     * socket's wait queue and SO_RCVTIMEO, when set, ends the wait with EAGAIN (not ETIMEDOUT, as on Linux).
     */
    private Outcome block(Process process, Socket socket, OpenFile file, String call, String waitChannel,
                          Supplier<SyscallResult> attempt) {
        return block(process, socket, file, call, waitChannel, attempt, socket.options().rcvTimeoutMs, Errno.EAGAIN, Errno.EAGAIN);
    }

    /**
     * The general form: {@code nonBlockingErrno} answers at once on an O_NONBLOCK file, {@code timeoutErrno} when
     * {@code timeoutMs} (SO_RCVTIMEO or SO_SNDTIMEO) passes while asleep.
     */
    private Outcome block(Process process, Socket socket, OpenFile file, String call, String waitChannel,
                          Supplier<SyscallResult> attempt, long timeoutMs, Errno nonBlockingErrno, Errno timeoutErrno) {
        SyscallResult result = attempt.get();
        if (result != null) {
            return record(new Done(result));
        }
        if (file.nonBlocking()) {
            return failed(call, nonBlockingErrno);
        }
        kernel.beforePark(process, call);
        Task task = process.idleThread(kernel.newPid());
        task.sleep(waitChannel, call);
        PendingCall pending = new PendingCall(kernel.newCallId(), process, task, call, socket, attempt, kernel.clock().now());
        socket.waitQueue().add(pending);
        kernel.registerPending(pending);
        kernel.event(EventType.THREAD_SLEEP, "pid " + process.pid() + " tid " + task.tid(),
                call + " blocks: thread SLEEPING in " + waitChannel + " on socket:[" + socket.inode() + "]'s wait queue");
        if (timeoutMs > 0) {
            String timerName = timeoutMs == socket.options().rcvTimeoutMs ? "SO_RCVTIMEO" : "SO_SNDTIMEO";
            pending.setTimeout(kernel.clock().schedule(timeoutMs, timerName, "pid " + process.pid(), () -> {
                kernel.event(EventType.TIMER_FIRED, "pid " + process.pid(), timerName + " expired for " + call);
                pending.finish(SyscallResult.failed(timeoutErrno, call + " = -1 " + timeoutErrno.name() + " (" + timeoutErrno.message() + ")"));
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

    private static String flagNames(int flags) {
        String names = (flags & 3) == 2 ? "O_RDWR" : (flags & 3) == 1 ? "O_WRONLY" : "O_RDONLY";
        return (flags & OpenFile.O_NONBLOCK) != 0 ? names + "|O_NONBLOCK" : names;
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
                        out.append(String.format("\\%o", b));
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
}
