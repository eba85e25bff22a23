package io.vkernel.kernel.syscall;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.fd.OpenFile;
import io.vkernel.kernel.fs.FileNode;
import io.vkernel.kernel.fs.Pipe;
import io.vkernel.kernel.fs.VirtualFs;
import io.vkernel.kernel.proc.Process;
import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.socket.SyscallException;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.PacketReport;

import java.util.Arrays;
import java.util.List;

/**
 * The calls on regular files and pipes: open(), lseek(), read() and write() on them, pipe(), sendfile() and splice()
 * (fs/open.c, fs/read_write.c do_sendfile(), fs/pipe.c, fs/splice.c, net/ipv4/tcp.c tcp_splice_read()). What the
 * public packetdrill scripts do with them: send a file's bytes over a connection, move a connection's bytes into a
 * pipe. Files live in the kernel's {@link VirtualFs}.
 */
public final class FileCalls {

    /** MAX_RW_COUNT: one read, write, sendfile or splice moves at most INT_MAX rounded down to a page. */
    public static final long MAX_RW_COUNT = Integer.MAX_VALUE & ~4095L;
    /** splice() flags (include/linux/splice.h). */
    public static final int SPLICE_F_MOVE = 1, SPLICE_F_NONBLOCK = 2, SPLICE_F_MORE = 4, SPLICE_F_GIFT = 8;
    public static final java.util.Map<String, Integer> SPLICE_FLAGS = java.util.Map.of("SPLICE_F_MOVE", SPLICE_F_MOVE,
            "SPLICE_F_NONBLOCK", SPLICE_F_NONBLOCK, "SPLICE_F_MORE", SPLICE_F_MORE, "SPLICE_F_GIFT", SPLICE_F_GIFT);
    /** open() flags vkernel takes (include/uapi/asm-generic/fcntl.h); others are EINVAL here. */
    public static final int OPEN_FLAGS = OpenFile.O_ACCMODE | OpenFile.O_CREAT | OpenFile.O_EXCL | OpenFile.O_TRUNC | OpenFile.O_APPEND
            | OpenFile.O_NONBLOCK;
    public static final List<String> WHENCE = List.of("SEEK_SET", "SEEK_CUR", "SEEK_END");

    private final Kernel kernel;
    private final Syscalls syscalls;
    /** Pipes whose sleepers must be woken once the wake-up under way ends (a woken call's own wake-ups wait for it). */
    private final java.util.ArrayDeque<Pipe> wakeLater = new java.util.ArrayDeque<>();
    private boolean waking;

    public FileCalls(Kernel kernel, Syscalls syscalls) {
        this.kernel = kernel;
        this.syscalls = syscalls;
    }

    /** open(path, flags): an existing file, or with O_CREAT a new one (under /tmp only); the lowest free FD. */
    public Syscalls.Outcome open(Process process, String path, int flags) {
        String call = "open(\"" + path + "\", " + openFlags(flags) + ")";
        return syscalls.run(call, () -> {
            if ((flags & ~OPEN_FLAGS) != 0 || (flags & OpenFile.O_ACCMODE) == OpenFile.O_ACCMODE) {
                throw new SyscallException(Errno.EINVAL);
            }
            if (path.equals("/tmp") || path.equals("/tmp/")) {
                throw new SyscallException(Errno.EISDIR); // a directory: vkernel opens no directories
            }
            VirtualFs files = kernel.files();
            FileNode node = (flags & OpenFile.O_CREAT) != 0 ? files.create(path, (flags & OpenFile.O_EXCL) != 0) : files.lookup(path);
            if (node == null) {
                throw new SyscallException(Errno.ENOENT);
            }
            OpenFile file = OpenFile.regular(node, flags);
            if ((flags & OpenFile.O_TRUNC) != 0 && file.writable()) {
                files.truncate(node); // do_truncate() in do_open()
            }
            int fd = syscalls.install(process, file);
            return SyscallResult.ok(fd, call + " = " + fd);
        });
    }

    /** lseek(fd, offset, whence): a regular file's position; ESPIPE on a pipe or socket, EINVAL before 0. */
    public Syscalls.Outcome lseek(Process process, int fd, long offset, int whence) {
        String call = "lseek(" + fd + ", " + offset + ", " + (whence >= 0 && whence < 3 ? WHENCE.get(whence) : String.valueOf(whence)) + ")";
        return syscalls.run(call, () -> {
            OpenFile file = process.fds().get(fd);
            if (file.node() == null) {
                throw new SyscallException(Errno.ESPIPE);
            }
            long base = switch (whence) {
                case 0 -> 0;
                case 1 -> file.position();
                case 2 -> file.node().size();
                default -> throw new SyscallException(Errno.EINVAL);
            };
            long position = base + offset;
            if (position < 0 || (offset > 0 && position < base)) {
                throw new SyscallException(Errno.EINVAL);
            }
            file.position(position);
            return SyscallResult.ok(position, call + " = " + position);
        });
    }

    /** pipe(): two FDs, the read end then the write end, each the lowest free number (do_pipe2()). */
    public Syscalls.Outcome pipe(Process process, int flags) {
        String call = flags == 0 ? "pipe([?, ?])" : "pipe2([?, ?], " + (flags == OpenFile.O_NONBLOCK ? "O_NONBLOCK" : String.valueOf(flags)) + ")";
        return syscalls.run(call, () -> {
            if ((flags & ~OpenFile.O_NONBLOCK) != 0) {
                throw new SyscallException(Errno.EINVAL);
            }
            if (process.fds().openCount() + 2 > process.fds().limit()) {
                throw new SyscallException(Errno.EMFILE);
            }
            Pipe pipe = new Pipe(kernel.newInode());
            OpenFile read = OpenFile.pipeEnd(pipe, false);
            OpenFile write = OpenFile.pipeEnd(pipe, true);
            read.setStatusFlags(flags);
            write.setStatusFlags(flags);
            int rfd = syscalls.install(process, read);
            int wfd = syscalls.install(process, write);
            String shown = flags == 0 ? "pipe([" + rfd + ", " + wfd + "])" : "pipe2([" + rfd + ", " + wfd + "], O_NONBLOCK)";
            return new SyscallResult(0, null, shown + " = 0", null, null, null, List.of(rfd, wfd));
        });
    }

    /** read() on a regular file or a pipe's read end. */
    Syscalls.Outcome read(Process process, int fd, OpenFile file, int count) {
        String call = "read(" + fd + ", ..., " + count + ")";
        if (!file.readable()) {
            return syscalls.failed(call, Errno.EBADF);
        }
        if (file.node() != null) {
            byte[] data = file.node().read(file.position(), count);
            file.position(file.position() + data.length);
            return syscalls.record(new Syscalls.Done(new SyscallResult(data.length, null,
                    "read(" + fd + ", " + Syscalls.quote(data) + ", " + count + ") = " + data.length, data, null)));
        }
        Pipe pipe = file.pipe();
        PendingCall.Attempt attempt = () -> {
            if (count == 0) {
                return new SyscallResult(0, null, "read(" + fd + ", \"\", 0) = 0", new byte[0], null);
            }
            if (pipe.queued() == 0 && pipe.hasWriters()) {
                return null; // pipe_read(): wait for a writer
            }
            byte[] data = pipe.read(count);
            wakePipe(pipe); // room for a writer
            return new SyscallResult(data.length, null, "read(" + fd + ", " + Syscalls.quote(data) + ", " + count + ") = " + data.length, data, null);
        };
        return blockOnPipe(process, pipe, List.of(), file.nonBlocking(), call, "pipe_read", attempt);
    }

    /** write() on a regular file or a pipe's write end. */
    Syscalls.Outcome write(Process process, int fd, OpenFile file, byte[] data) {
        String call = "write(" + fd + ", " + Syscalls.quote(data) + ", " + data.length + ")";
        if (!file.writable()) {
            return syscalls.failed(call, Errno.EBADF);
        }
        if (file.node() != null) {
            return syscalls.run(call, () -> {
                long at = (file.flags() & OpenFile.O_APPEND) != 0 ? file.node().size() : file.position();
                kernel.files().write(file.node(), at, data);
                file.position(at + data.length);
                return SyscallResult.ok(data.length, call + " = " + data.length);
            });
        }
        Pipe pipe = file.pipe();
        int[] written = {0};
        PendingCall.Attempt attempt = () -> {
            if (!pipe.hasReaders()) {
                // pipe_write(): no reader, SIGPIPE and EPIPE (vkernel's processes ignore the signal)
                return written[0] > 0 ? SyscallResult.ok(written[0], call + " = " + written[0])
                        : SyscallResult.failed(Errno.EPIPE, call + " = -1 EPIPE (" + Errno.EPIPE.message() + ")");
            }
            written[0] += pipe.write(Arrays.copyOfRange(data, written[0], data.length));
            wakePipe(pipe);
            boolean done = written[0] == data.length || (file.nonBlocking() && written[0] > 0);
            return done ? SyscallResult.ok(written[0], call + " = " + written[0]) : null;
        };
        return blockOnPipe(process, pipe, List.of(), file.nonBlocking(), call, "pipe_write", attempt);
    }

    /**
     * sendfile(out_fd, in_fd, offset, count) as do_sendfile() does it: in_fd must be a file open for reading that
     * can be read at a position (a regular file; a pipe with an offset is ESPIPE, other files EINVAL), out_fd one
     * open for writing (EBADF otherwise) and not O_APPEND (EINVAL). With an offset the bytes are read from there and
     * the file position stays (the new offset is returned in {@code value}); with NULL (offset null) they are read
     * from the file position, which moves. A blocking socket takes every byte before the call returns.
     */
    public Syscalls.Outcome sendfile(Process process, int outFd, int inFd, Long offset, long count, PacketReport report) {
        String call = "sendfile(" + outFd + ", " + inFd + ", " + (offset == null ? "NULL" : "[" + offset + "]") + ", " + count + ")";
        OpenFile in;
        OpenFile out;
        try {
            in = process.fds().get(inFd);
            out = process.fds().get(outFd);
            if (!in.readable() || !out.writable()) {
                throw new SyscallException(Errno.EBADF);
            }
            if (in.node() == null) {
                throw new SyscallException(offset != null && in.pipe() != null ? Errno.ESPIPE : Errno.EINVAL);
            }
            if ((out.flags() & OpenFile.O_APPEND) != 0 || out.epoll() != null || (offset != null && offset < 0) || count < 0) {
                throw new SyscallException(Errno.EINVAL);
            }
        } catch (SyscallException e) {
            return syscalls.failed(call, e.errno());
        }
        long position = offset != null ? offset : in.position();
        byte[] data = in.node().read(position, (int) Math.min(Math.min(count, MAX_RW_COUNT), VirtualFs.MAX_FILE_BYTES));
        java.util.function.IntFunction<SyscallResult> done = n -> {
            long next = position + n;
            if (offset == null) {
                in.position(next);
            }
            String shown = offset == null ? call : "sendfile(" + outFd + ", " + inFd + ", [" + offset + "] => [" + next + "], " + count + ")";
            return SyscallResult.ok(n, shown + " = " + n).withValue(next);
        };
        if (data.length == 0) {
            return syscalls.record(new Syscalls.Done(done.apply(0)));
        }
        if (out.node() != null) {
            return syscalls.run(call, () -> {
                kernel.files().write(out.node(), out.position(), data);
                out.position(out.position() + data.length);
                return done.apply(data.length);
            });
        }
        if (out.pipe() != null) {
            Pipe pipe = out.pipe();
            PendingCall.Attempt attempt = () -> {
                if (!pipe.hasReaders()) {
                    return SyscallResult.failed(Errno.EPIPE, call + " = -1 EPIPE (" + Errno.EPIPE.message() + ")");
                }
                int n = pipe.write(data);
                if (n == 0) {
                    return null;
                }
                wakePipe(pipe);
                return done.apply(n);
            };
            return blockOnPipe(process, pipe, List.of(), out.nonBlocking(), call, "pipe_write", attempt);
        }
        Socket socket = out.socket();
        if (socket == null) {
            kernel.event(io.vkernel.kernel.trace.EventType.SYSCALL, "pid " + process.pid(), "fd " + outFd + " (the terminal) printed "
                    + Syscalls.quote(data));
            return syscalls.record(new Syscalls.Done(done.apply(data.length)));
        }
        if (socket.tcb() == null) {
            return syscalls.failed(call, socket.isListening() || socket.isConnecting() ? Errno.ENOTCONN : Errno.EPIPE);
        }
        int[] sent = {0};
        boolean nonBlocking = out.nonBlocking();
        PendingCall.Attempt attempt = () -> {
            try {
                Tcb tcb = socket.tcb();
                if (tcb.state() == TcpState.SYN_SENT) {
                    return null;
                }
                // do_splice_direct() -> splice_to_socket(): the bytes go out as one send (no MSG_MORE after the last)
                sent[0] += kernel.tcp().write(tcb, Arrays.copyOfRange(data, sent[0], data.length), false, false, report);
                if (sent[0] < data.length) {
                    socket.noSpace(true);
                }
                boolean finished = sent[0] == data.length || (nonBlocking && sent[0] > 0);
                return finished ? done.apply(sent[0]) : null;
            } catch (SyscallException e) {
                return sent[0] > 0 ? done.apply(sent[0])
                        : SyscallResult.failed(e.errno(), call + " = -1 " + e.errno().name() + " (" + e.errno().message() + ")");
            }
        };
        // SO_SNDTIMEO: what was sent is the answer, as for a write (tcp_sendmsg_locked()'s out:)
        return syscalls.block(process, List.of(socket), nonBlocking, call, "sk_stream_wait_memory", attempt, socket.options().sndTimeoutMs,
                "SO_SNDTIMEO", () -> sent[0] > 0 ? done.apply(sent[0]) : eagain(call));
    }

    /**
     * splice(fd_in, NULL, fd_out, NULL, len, flags) (do_splice()): one side must be a pipe (EINVAL otherwise). From a
     * TCP socket into a pipe it is tcp_splice_read(): the bytes queued, up to the urgent mark and the pipe's room,
     * returning 0 when only the mark is next; from a pipe into a socket, a send of the pipe's bytes (SPLICE_F_MORE as
     * MSG_MORE); between a pipe and a regular file or another pipe, a copy. SPLICE_F_NONBLOCK (or O_NONBLOCK on the
     * pipe's file, do_splice()) governs only the waits on the pipe: for room in it, for bytes in it. The waits on a
     * socket follow the socket's own O_NONBLOCK, as tcp_splice_read() (sock_rcvtimeo() of its file's flags) and
     * splice_to_socket() (MSG_DONTWAIT from its file's flags) read them.
     */
    public Syscalls.Outcome splice(Process process, int fdIn, int fdOut, long len, int flags, PacketReport report) {
        String call = "splice(" + fdIn + ", NULL, " + fdOut + ", NULL, " + len + ", " + spliceFlags(flags) + ")";
        OpenFile in;
        OpenFile out;
        try {
            if ((flags & ~(SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT)) != 0) {
                throw new SyscallException(Errno.EINVAL);
            }
            in = process.fds().get(fdIn);
            out = process.fds().get(fdOut);
            if (!in.readable() || !out.writable()) {
                throw new SyscallException(Errno.EBADF);
            }
            if ((in.pipe() == null && out.pipe() == null) || len < 0 || in.epoll() != null || out.epoll() != null
                    || (out.flags() & OpenFile.O_APPEND) != 0) {
                throw new SyscallException(Errno.EINVAL);
            }
            if (in.pipe() != null && in.pipe() == out.pipe()) {
                throw new SyscallException(Errno.EINVAL); // splice_pipe_to_pipe(): a pipe into itself
            }
        } catch (SyscallException e) {
            return syscalls.failed(call, e.errno());
        }
        int max = (int) Math.min(len, MAX_RW_COUNT);
        boolean nonBlocking = (flags & SPLICE_F_NONBLOCK) != 0;
        if (max == 0) {
            return syscalls.record(new Syscalls.Done(SyscallResult.ok(0, call + " = 0")));
        }
        if (out.pipe() != null && in.socket() != null) {
            return socketToPipe(process, in.socket(), out.pipe(), max, in.nonBlocking(), nonBlocking || out.nonBlocking(), call, report);
        }
        if (in.pipe() != null && out.socket() != null) {
            return pipeToSocket(process, in.pipe(), out, max, nonBlocking || in.nonBlocking(), (flags & SPLICE_F_MORE) != 0, call, report);
        }
        Pipe inPipe = in.pipe();
        Pipe outPipe = out.pipe();
        PendingCall.Attempt attempt = () -> {
            try {
                if (outPipe != null && !outPipe.hasReaders()) {
                    throw new SyscallException(Errno.EPIPE);
                }
                int room = outPipe != null ? outPipe.room() : max;
                byte[] data;
                if (inPipe != null) {
                    if (inPipe.queued() == 0) {
                        return inPipe.hasWriters() ? null : SyscallResult.ok(0, call + " = 0");
                    }
                    if (room == 0) {
                        return null;
                    }
                    data = inPipe.peek(Math.min(max, room));
                } else if (in.node() != null) {
                    if (room == 0) {
                        return null;
                    }
                    data = in.node().read(in.position(), Math.min(max, room));
                } else {
                    throw new SyscallException(Errno.EINVAL); // a terminal has no splice_read here
                }
                if (outPipe != null) {
                    outPipe.write(data);
                    wakePipe(outPipe);
                } else if (out.node() != null) {
                    kernel.files().write(out.node(), out.position(), data);
                    out.position(out.position() + data.length);
                } else {
                    throw new SyscallException(Errno.EINVAL);
                }
                if (inPipe != null) {
                    inPipe.drop(data.length);
                    wakePipe(inPipe);
                } else {
                    in.position(in.position() + data.length);
                }
                return SyscallResult.ok(data.length, call + " = " + data.length);
            } catch (SyscallException e) {
                return SyscallResult.failed(e.errno(), call + " = -1 " + e.errno().name() + " (" + e.errno().message() + ")");
            }
        };
        Pipe waitOn = inPipe != null ? inPipe : outPipe;
        List<Socket> also = inPipe != null && outPipe != null ? List.of(outPipe.waiters()) : List.of();
        return blockOnPipe(process, waitOn, also, nonBlocking || pipeEndNonBlocking(in, out), call, "pipe_wait", attempt);
    }

    private Syscalls.Outcome socketToPipe(Process process, Socket socket, Pipe pipe, int max, boolean socketNonBlocking,
                                          boolean pipeNonBlocking, String call, PacketReport report) {
        PendingCall.Attempt attempt = () -> {
            try {
                Tcb tcb = socket.tcb();
                if (tcb == null) {
                    throw new SyscallException(Errno.ENOTCONN); // tcp_splice_read(): a listener or unconnected socket
                }
                if (!pipe.hasReaders()) {
                    throw new SyscallException(Errno.EPIPE);
                }
                if (pipe.room() == 0) {
                    return pipeNonBlocking ? eagain(call) : null; // splice_file_to_pipe(): wait_for_space()
                }
                byte[] data = kernel.tcp().spliceRead(tcb, Math.min(max, pipe.room()), report);
                if (data == null) {
                    return socketNonBlocking ? eagain(call) : null; // tcp_splice_read(): sk_wait_data() unless timeo is 0
                }
                pipe.write(data);
                wakePipe(pipe);
                return SyscallResult.ok(data.length, call + " = " + data.length);
            } catch (SyscallException e) {
                return SyscallResult.failed(e.errno(), call + " = -1 " + e.errno().name() + " (" + e.errno().message() + ")");
            }
        };
        // each side's O_NONBLOCK is answered inside the attempt, so the call itself always may sleep
        return syscalls.block(process, List.of(socket, pipe.waiters()), false, call, "sk_wait_data", attempt,
                socket.options().rcvTimeoutMs, "SO_RCVTIMEO", () -> eagain(call));
    }

    private static SyscallResult eagain(String call) {
        return SyscallResult.failed(Errno.EAGAIN, call + " = -1 EAGAIN (" + Errno.EAGAIN.message() + ")");
    }

    private Syscalls.Outcome pipeToSocket(Process process, Pipe pipe, OpenFile out, int max, boolean pipeNonBlocking, boolean more, String call,
                                          PacketReport report) {
        Socket socket = out.socket();
        boolean nonBlocking = out.nonBlocking(); // splice_to_socket(): MSG_DONTWAIT from the socket's file
        int[] sent = {0};
        PendingCall.Attempt attempt = () -> {
            try {
                Tcb tcb = socket.tcb();
                if (tcb == null) {
                    throw new SyscallException(socket.isListening() || socket.isConnecting() ? Errno.ENOTCONN : Errno.EPIPE);
                }
                if (pipe.queued() == 0) {
                    if (sent[0] > 0 || !pipe.hasWriters()) {
                        return SyscallResult.ok(sent[0], call + " = " + sent[0]);
                    }
                    return pipeNonBlocking ? eagain(call) : null; // splice_to_socket(): pipe_wait_readable() unless SPLICE_F_NONBLOCK
                }
                if (tcb.state() == TcpState.SYN_SENT) {
                    return nonBlocking ? eagain(call) : null; // tcp_sendmsg_locked(): sk_stream_wait_connect()
                }
                byte[] data = pipe.peek(max - sent[0]);
                int n = kernel.tcp().write(tcb, data, more, false, report);
                pipe.drop(n);
                sent[0] += n;
                if (n > 0) {
                    wakePipe(pipe);
                }
                if (n < data.length) {
                    socket.noSpace(true);
                }
                if (sent[0] == max || (sent[0] > 0 && (nonBlocking || pipe.queued() == 0))) {
                    return SyscallResult.ok(sent[0], call + " = " + sent[0]);
                }
                return nonBlocking ? eagain(call) : null; // sk_stream_wait_memory() unless MSG_DONTWAIT

            } catch (SyscallException e) {
                return sent[0] > 0 ? SyscallResult.ok(sent[0], call + " = " + sent[0])
                        : SyscallResult.failed(e.errno(), call + " = -1 " + e.errno().name() + " (" + e.errno().message() + ")");
            }
        };
        // as in socketToPipe(), each side's O_NONBLOCK is answered inside the attempt
        return syscalls.block(process, List.of(socket, pipe.waiters()), false, call, "splice_from_pipe", attempt,
                socket.options().sndTimeoutMs, "SO_SNDTIMEO", () -> sent[0] > 0 ? SyscallResult.ok(sent[0], call + " = " + sent[0]) : eagain(call));
    }

    private Syscalls.Outcome blockOnPipe(Process process, Pipe pipe, List<Socket> also, boolean nonBlocking, String call, String channel,
                                         PendingCall.Attempt attempt) {
        List<Socket> queues = new java.util.ArrayList<>();
        queues.add(pipe.waiters());
        queues.addAll(also);
        return syscalls.block(process, queues, nonBlocking, call, channel, attempt, 0, "none",
                () -> SyscallResult.failed(Errno.EAGAIN, call + " = -1 EAGAIN (" + Errno.EAGAIN.message() + ")"));
    }

    /** A pipe end's last file is gone: the other side's sleepers wake (a reader sees end of file, a writer EPIPE). */
    public void released(OpenFile file) {
        if (file.pipe() != null) {
            file.pipe().closeEnd(file.pipeWriteEnd());
            wakePipe(file.pipe());
        }
    }

    /**
     * pipe_read() and pipe_write() wake the other side's sleepers (wake_up_interruptible_sync_poll()). A call woken
     * here may wake the same pipe again from its retry: that wake-up runs after this one, not inside it.
     */
    private void wakePipe(Pipe pipe) {
        if (waking) {
            if (!wakeLater.contains(pipe)) {
                wakeLater.add(pipe);
            }
            return;
        }
        waking = true;
        try {
            kernel.wake(pipe.waiters(), null);
            while (!wakeLater.isEmpty()) {
                kernel.wake(wakeLater.poll().waiters(), null);
            }
        } finally {
            waking = false;
            wakeLater.clear();
        }
    }

    static String openFlags(int flags) {
        StringBuilder out = new StringBuilder((flags & OpenFile.O_ACCMODE) == OpenFile.O_WRONLY ? "O_WRONLY"
                : (flags & OpenFile.O_ACCMODE) == OpenFile.O_RDWR ? "O_RDWR" : (flags & OpenFile.O_ACCMODE) == 0 ? "O_RDONLY" : "0x3");
        String[] names = {"O_CREAT", "O_EXCL", "O_TRUNC", "O_APPEND", "O_NONBLOCK"};
        int[] bits = {OpenFile.O_CREAT, OpenFile.O_EXCL, OpenFile.O_TRUNC, OpenFile.O_APPEND, OpenFile.O_NONBLOCK};
        int rest = flags & ~OpenFile.O_ACCMODE;
        for (int i = 0; i < bits.length; i++) {
            if ((flags & bits[i]) != 0) {
                out.append('|').append(names[i]);
                rest &= ~bits[i];
            }
        }
        return rest == 0 ? out.toString() : out + "|0x" + Integer.toHexString(rest);
    }

    static String spliceFlags(int flags) {
        if (flags == 0) {
            return "0";
        }
        List<String> names = new java.util.ArrayList<>();
        String[] order = {"SPLICE_F_MOVE", "SPLICE_F_NONBLOCK", "SPLICE_F_MORE", "SPLICE_F_GIFT"};
        for (int i = 0; i < order.length; i++) {
            if ((flags & (1 << i)) != 0) {
                names.add(order[i]);
            }
        }
        int rest = flags & ~0xf;
        if (rest != 0) {
            names.add("0x" + Integer.toHexString(rest));
        }
        return String.join("|", names);
    }

    /**
     * do_splice(): SPLICE_F_NONBLOCK also comes from O_NONBLOCK on the pipe's file when a pipe meets a regular file,
     * and from either file when both are pipes ((in->f_flags | out->f_flags) & O_NONBLOCK).
     */
    private static boolean pipeEndNonBlocking(OpenFile in, OpenFile out) {
        return in.pipe() != null && in.nonBlocking() || out.pipe() != null && out.nonBlocking();
    }
}
