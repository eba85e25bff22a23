package io.vkernel.script;

import io.vkernel.kernel.fd.OpenFile;
import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Ipv4;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Turns a system call as the script writes it into a {@link Call} the runner can make, checking arguments as
 * packetdrill would and refusing what vkernel does not model (other socket types, TCP-level socket options,
 * poll/epoll, sendmsg...) with the line and the reason.
 */
final class Calls {

    static final List<String> SUPPORTED = List.of("socket", "bind", "listen", "accept", "connect", "read", "recv", "recvfrom", "write",
            "send", "sendto", "poll", "close", "shutdown", "fcntl", "setsockopt", "getsockopt", "ioctl", "dup", "dup2", "sendmsg", "recvmsg",
            "epoll_create", "epoll_ctl", "epoll_wait", "open", "lseek", "pipe", "sendfile", "splice");

    private static final Map<String, Long> SYMBOLS = Map.ofEntries(
            Map.entry("O_RDONLY", 0L), Map.entry("O_WRONLY", 1L), Map.entry("O_RDWR", (long) OpenFile.O_RDWR),
            Map.entry("O_NONBLOCK", (long) OpenFile.O_NONBLOCK), Map.entry("SHUT_RD", 0L), Map.entry("SHUT_WR", 1L),
            Map.entry("SHUT_RDWR", 2L));

    private static final List<String> SOCKET_OPTIONS = List.of("SO_REUSEADDR", "SO_KEEPALIVE", "SO_LINGER", "SO_RCVTIMEO", "SO_SNDTIMEO",
            "SO_RCVBUF", "SO_SNDBUF", "SO_ZEROCOPY", "SO_MARK", "SO_TIMESTAMPING", "SO_OOBINLINE");
    /** SOL_TCP (IPPROTO_TCP) options: settable ones, and those getsockopt() can also read. */
    private static final List<String> TCP_OPTIONS = List.of("TCP_NODELAY", "TCP_NOTSENT_LOWAT", "TCP_MAXSEG", "TCP_CORK",
            "TCP_USER_TIMEOUT", "TCP_INQ", "TCP_FASTOPEN", "TCP_FASTOPEN_NO_COOKIE", "TCP_FASTOPEN_CONNECT", "TCP_FASTOPEN_KEY",
            "TCP_SYNCNT", "TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT");
    private static final List<String> TCP_READABLE = List.of("TCP_NODELAY", "TCP_MAXSEG", "TCP_NOTSENT_LOWAT", "TCP_CORK",
            "TCP_USER_TIMEOUT", "TCP_INQ", "TCP_FASTOPEN", "TCP_FASTOPEN_NO_COOKIE", "TCP_FASTOPEN_CONNECT",
            "TCP_SYNCNT", "TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT");
    /** SOL_IP (IPPROTO_IP) options. */
    private static final List<String> IP_OPTIONS = List.of("IP_TOS", "IP_MTU_DISCOVER", "IP_FREEBIND");
    /** IP_MTU_DISCOVER's values (include/uapi/linux/in.h). */
    private static final Map<String, Long> PMTUDISC = Map.of("IP_PMTUDISC_DONT", 0L, "IP_PMTUDISC_WANT", 1L,
            "IP_PMTUDISC_DO", 2L, "IP_PMTUDISC_PROBE", 3L, "IP_PMTUDISC_INTERFACE", 4L, "IP_PMTUDISC_OMIT", 5L);

    private static final int MAX_IO = 1 << 20;
    /**
     * A read's byte count only caps what it returns (the bytes come from the receive queue, which the socket's
     * buffer bounds; nothing of the count's size is allocated), so it may be as large as Linux takes:
     * MAX_RW_COUNT, INT_MAX rounded down to a page. A write's count is a buffer the runner builds: 1 MiB at most.
     */
    private static final int MAX_READ = Integer.MAX_VALUE & ~4095;

    private Calls() {
    }

    static Call build(String name, List<Expr> args, int line) {
        Args a = new Args(name, args, line);
        if ((io.vkernel.kernel.Kernel.NULL_BUFFER_CALLS.contains(name) || name.equals("recvfrom")) && args.size() >= 3 && a.isNullPointer(1)) {
            return nullBuffer(a, name);
        }
        return switch (name) {
            case "socket" -> socket(a);
            case "bind" -> {
                a.arity(3);
                yield new Call.Bind(a.fd(0), a.address(1, Harness.BIND_ADDRESS));
            }
            case "listen" -> {
                a.arity(2);
                yield new Call.Listen(a.fd(0), (int) a.number(1, "the backlog", Integer.MIN_VALUE, Integer.MAX_VALUE));
            }
            case "accept" -> {
                a.arity(3);
                yield new Call.Accept(a.fd(0));
            }
            case "connect" -> {
                a.arity(3);
                if (a.isWord(1, "AF_UNSPEC")) {
                    yield new Call.Disconnect(a.fd(0)); // connect(fd, AF_UNSPEC, ...): tcp_disconnect()
                }
                yield new Call.Connect(a.fd(0), a.address(1, Harness.CONNECT_ADDRESS));
            }
            case "read", "recv", "recvfrom" -> {
                // recvfrom(fd, buf, len, flags, ..., ...): recv() on a stream socket, the source address not filled in
                boolean recv = !name.equals("read");
                a.arity(name.equals("recvfrom") ? 6 : recv ? 4 : 3);
                int flags = recv ? a.msgFlags(3, io.vkernel.kernel.syscall.Syscalls.RECV_FLAGS) : 0;
                yield new Call.Read(a.fd(0), (int) a.number(2, "the byte count", 0, MAX_READ), flags, recv);
            }
            case "write", "send" -> {
                boolean send = name.equals("send");
                a.arity(send ? 4 : 3);
                int flags = send ? a.msgFlags(3, io.vkernel.kernel.syscall.Syscalls.SEND_FLAGS) : 0;
                yield new Call.Write(a.fd(0), a.buffer(1, (int) a.number(2, "the byte count", 0, MAX_IO)), flags, send);
            }
            case "sendto" -> {
                // sendto(fd, buf, len, flags, addr, addrlen): MSG_FASTOPEN connects with the data on the SYN
                a.arity(6);
                int flags = a.msgFlags(3, io.vkernel.kernel.syscall.Syscalls.SEND_FLAGS);
                byte[] data = a.buffer(1, (int) a.number(2, "the byte count", 0, MAX_IO));
                boolean unspec = a.isWord(4, "AF_UNSPEC");
                Endpoint to = unspec ? null : a.address(4, Harness.CONNECT_ADDRESS);
                yield new Call.SendTo(a.fd(0), data, flags, to, unspec);
            }
            case "poll" -> poll(a);
            case "sendmsg", "recvmsg" -> MsgCalls.build(name, args, line, a.fd(0));
            case "epoll_create", "epoll_ctl", "epoll_wait" -> EpollCalls.build(name, args, line);
            case "open", "lseek", "pipe", "sendfile", "splice" -> FileCallLines.build(name, args, line);
            case "close" -> {
                a.arity(1);
                yield new Call.Close(a.fd(0));
            }
            case "shutdown" -> {
                a.arity(2);
                yield new Call.Shutdown(a.fd(0), (int) a.symbolic(1, "how (SHUT_RD, SHUT_WR or SHUT_RDWR)", 0, 2));
            }
            case "fcntl" -> fcntl(a);
            case "setsockopt" -> setsockopt(a);
            case "getsockopt" -> getsockopt(a);
            case "ioctl" -> {
                a.arity(3);
                String request = io.vkernel.kernel.syscall.Syscalls.IOCTLS.stream().filter(r -> a.isWord(1, r)).findFirst()
                        .orElseThrow(() -> a.error("ioctl requests vkernel answers: "
                                + String.join(", ", io.vkernel.kernel.syscall.Syscalls.IOCTLS) + "; got '" + a.arg(1) + "'"));
                Long expected = null;
                if (a.arg(2) instanceof Expr.ListOf list && list.items().size() == 1 && !(list.items().get(0) instanceof Expr.Ellipsis)) {
                    expected = value(list.items().get(0), line, "the expected ioctl value");
                } else if (!(a.arg(2) instanceof Expr.Ellipsis) && !(a.arg(2) instanceof Expr.ListOf)) {
                    throw a.error("the ioctl value is written [N] (checked) or ... (not checked)");
                }
                yield new Call.Ioctl(a.fd(0), request, expected);
            }
            case "dup" -> {
                a.arity(1);
                yield new Call.Dup(a.fd(0));
            }
            case "dup2" -> {
                a.arity(2);
                yield new Call.Dup2(a.fd(0), a.fd(1));
            }
            default -> throw new ScriptException(line, "system call '" + name + "' is not supported; the runner makes "
                    + String.join(", ", SUPPORTED));
        };
    }

    /** Evaluates a return value or flag expression: numbers, O_/SHUT_ symbols, and their '|'. */
    static long value(Expr expr, int line, String what) {
        if (expr instanceof Expr.Num num) {
            return num.value();
        }
        if (expr instanceof Expr.Word word && SYMBOLS.containsKey(word.name())) {
            return SYMBOLS.get(word.name());
        }
        if (expr instanceof Expr.Or or) {
            long value = 0;
            for (Expr part : or.parts()) {
                value |= value(part, line, what);
            }
            return value;
        }
        throw new ScriptException(line, what + " must be a number or flags such as O_RDWR|O_NONBLOCK, got '" + expr + "'");
    }

    /**
     * read(fd, NULL, n), recv(fd, NULL, n, flags), write, send and sendto likewise: packetdrill passes a NULL buffer
     * pointer (buffer_arg() takes ... or 0), and the kernel answers EFAULT where its copy faults.
     */
    private static Call nullBuffer(Args a, String name) {
        a.arity(switch (name) {
            case "read", "write" -> 3;
            case "recv", "send" -> 4;
            default -> 6; // sendto, recvfrom
        });
        int count = (int) a.number(2, "the byte count", 0, MAX_IO);
        boolean reading = name.startsWith("re");
        int flags = a.size() > 3 ? a.msgFlags(3, reading ? io.vkernel.kernel.syscall.Syscalls.RECV_FLAGS
                : io.vkernel.kernel.syscall.Syscalls.SEND_FLAGS) : 0;
        Endpoint to = name.equals("sendto") ? a.address(4, Harness.CONNECT_ADDRESS) : null;
        return new Call.NullBuffer(name.equals("recvfrom") ? "recv" : name, a.fd(0), count, flags, to);
    }

    private static Call socket(Args a) {
        a.arity(3);
        a.oneOf(0, "the domain", "AF_INET");
        // SOCK_STREAM|SOCK_NONBLOCK, as the kernel selftests' Fast Open scripts open their listeners
        boolean nonBlock = a.arg(1) instanceof Expr.Or or && or.parts().size() == 2
                && or.parts().get(0) instanceof Expr.Word t && t.name().equals("SOCK_STREAM")
                && or.parts().get(1) instanceof Expr.Word f && f.name().equals("SOCK_NONBLOCK");
        if (!nonBlock) {
            a.oneOf(1, "the type", "SOCK_STREAM");
        }
        if (a.arg(2) instanceof Expr.Word w && w.name().matches("IPPROTO_[A-Z0-9]+") && !w.name().equals("IPPROTO_TCP")) {
            return new Call.Socket(w.name(), nonBlock); // the kernel answers EPROTONOSUPPORT, as inet_create() does
        }
        if (!(a.arg(2) instanceof Expr.Ellipsis) && !a.isWord(2, "IPPROTO_TCP") && !a.isNumber(2, 0)) {
            throw a.error("the protocol must be IPPROTO_TCP, 0, ... or another IPPROTO_ name: vkernel emulates TCP only");
        }
        return new Call.Socket("IPPROTO_TCP", nonBlock);
    }

    /** poll([{fd=4, events=POLLIN|POLLOUT, revents=POLLOUT}], 1, 1000): revents, when written, is checked. */
    private static Call poll(Args a) {
        a.arity(3);
        if (!(a.arg(0) instanceof Expr.ListOf list) || list.items().isEmpty()) {
            throw a.error("poll takes a list of pollfds, e.g. [{fd=4, events=POLLIN, revents=POLLIN}]");
        }
        List<io.vkernel.kernel.syscall.Syscalls.PollFd> fds = new java.util.ArrayList<>();
        List<Integer> revents = new java.util.ArrayList<>();
        for (Expr item : list.items()) {
            if (!(item instanceof Expr.Struct pollfd) || !(pollfd.get("fd") instanceof Expr.Num fd)) {
                throw a.error("each pollfd is {fd=N, events=POLLIN|..., revents=...}, got '" + item + "'");
            }
            Expr events = pollfd.get("events");
            fds.add(new io.vkernel.kernel.syscall.Syscalls.PollFd((int) fd.value(), events == null ? 0 : a.pollBits(events)));
            Expr expected = pollfd.get("revents");
            revents.add(expected == null || expected instanceof Expr.Ellipsis ? null : a.pollBits(expected));
        }
        long nfds = a.number(1, "nfds", 0, 1024);
        if (nfds != fds.size()) {
            throw a.error("nfds is " + nfds + " but the list holds " + fds.size() + " pollfds");
        }
        int timeout = (int) a.number(2, "the timeout (ms, -1 = forever)", -1, 3_600_000);
        return new Call.Poll(fds, revents, timeout);
    }

    private static Call fcntl(Args a) {
        if (a.size() != 2 && a.size() != 3) {
            throw a.error("fcntl takes 2 or 3 arguments: fcntl(fd, F_GETFL) or fcntl(fd, F_SETFL, O_RDWR|O_NONBLOCK)");
        }
        String command = a.isWord(1, "F_GETFL") ? "F_GETFL" : a.isWord(1, "F_SETFL") ? "F_SETFL" : null;
        if (command == null) {
            throw a.error("fcntl supports F_GETFL and F_SETFL, got '" + a.arg(1) + "'");
        }
        if (command.equals("F_SETFL") && a.size() != 3) {
            throw a.error("fcntl(fd, F_SETFL, flags) needs the flags, e.g. O_RDWR|O_NONBLOCK");
        }
        int flags = command.equals("F_SETFL") ? (int) value(a.arg(2), a.line, "the fcntl flags") : 0;
        return new Call.Fcntl(a.fd(0), command, flags);
    }

    private static Call setsockopt(Args a) {
        a.arity(5);
        String option = a.socketOption();
        Expr value = a.arg(3);
        return switch (option) {
            case "SO_LINGER" -> {
                Expr.Struct linger = a.struct(3, "SO_LINGER takes {onoff=1, linger=0} (or {l_onoff=1, l_linger=0})");
                long onoff = a.field(linger, "onoff", "l_onoff");
                yield new Call.SetSockOpt(a.fd(0), option, a.field(linger, "linger", "l_linger"), onoff != 0);
            }
            case "SO_RCVTIMEO", "SO_SNDTIMEO" -> {
                Expr.Struct tv = a.struct(3, option + " takes {tv_sec=1, tv_usec=0}");
                long ms = a.field(tv, "tv_sec") * 1000 + a.field(tv, "tv_usec") / 1000;
                yield new Call.SetSockOpt(a.fd(0), option, ms, ms > 0);
            }
            case "SO_RCVBUF", "SO_SNDBUF" -> {
                long bytes = a.bracketed(value, option + " takes the size in brackets, e.g. [65536]");
                yield new Call.SetSockOpt(a.fd(0), option, bytes, bytes != 0);
            }
            case "SO_TIMESTAMPING" -> {
                if (!(value instanceof Expr.ListOf list) || list.items().size() != 1) {
                    throw a.error("SO_TIMESTAMPING takes its flags in brackets, e.g. [SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE]");
                }
                long flags = ErrQueueControl.sofFlags(list.items().get(0), a.line);
                yield new Call.SetSockOpt(a.fd(0), option, flags, flags != 0);
            }
            case "TCP_FASTOPEN_KEY" -> {
                // a C string of the key's bytes ("\xf7\x63..."), optlen bytes of it; optlen 16 or 32 or EINVAL
                if (!(value instanceof Expr.Str str)) {
                    throw a.error("TCP_FASTOPEN_KEY takes the key as a string of 16 bytes, e.g. \"\\xf7\\x63...\" and 16");
                }
                int length = (int) a.number(4, "the key length", 0, 64);
                byte[] bytes = new byte[length];
                for (int k = 0; k < length && k < str.value().length(); k++) {
                    char ch = str.value().charAt(k);
                    if (ch > 0xff) {
                        throw a.error("the key holds a character that is not one byte; write bytes as \\xHH");
                    }
                    bytes[k] = (byte) ch;
                }
                yield new Call.SetSockOptBytes(a.fd(0), option, bytes);
            }
            case "IP_MTU_DISCOVER", "IP_TOS", "TCP_USER_TIMEOUT", "TCP_INQ", "SO_MARK", "TCP_SYNCNT", "TCP_KEEPIDLE",
                    "TCP_KEEPINTVL", "TCP_KEEPCNT" -> {
                long number = ipOrTcpValue(a, value, option);
                yield new Call.SetSockOpt(a.fd(0), option, number, number != 0);
            }
            default -> {
                long flag = a.bracketed(value, option + " takes [0] or [1]");
                yield new Call.SetSockOpt(a.fd(0), option, flag, flag != 0);
            }
        };
    }

    /** [N], or for IP_MTU_DISCOVER [IP_PMTUDISC_DONT] and the other IP_PMTUDISC_ names. */
    private static long ipOrTcpValue(Args a, Expr value, String option) {
        if (value instanceof Expr.ListOf list && list.items().size() == 1 && list.items().get(0) instanceof Expr.Word w
                && option.equals("IP_MTU_DISCOVER") && PMTUDISC.containsKey(w.name())) {
            return PMTUDISC.get(w.name());
        }
        return a.bracketed(value, option + " takes its value in brackets, e.g. [1]"
                + (option.equals("IP_MTU_DISCOVER") ? " or [IP_PMTUDISC_DONT]" : ""));
    }

    private static Call getsockopt(Args a) {
        a.arity(5);
        String option = a.arg(2) instanceof Expr.Word w && w.name().equals("SO_ERROR") ? "SO_ERROR" : a.socketOption();
        Long expected = null;
        if (a.arg(3) instanceof Expr.ListOf list && list.items().size() == 1) {
            Expr item = list.items().get(0);
            if (item instanceof Expr.Word word && word.name().matches("E[A-Z0-9]+")) {
                expected = (long) errno(word.name(), a);
            } else if (!(item instanceof Expr.Ellipsis)) {
                expected = value(item, a.line, "the expected option value");
            }
        }
        return new Call.GetSockOpt(a.fd(0), option, expected);
    }

    private static int errno(String name, Args a) {
        try {
            return Errno.valueOf(name).number();
        } catch (IllegalArgumentException e) {
            throw a.error("unknown errno " + name + "; vkernel knows " + Arrays.toString(Errno.values()));
        }
    }

    /** The arguments of one call, with checks that name the call and the line. */
    private static final class Args {
        private final String name;
        private final List<Expr> args;
        private final int line;

        Args(String name, List<Expr> args, int line) {
            this.name = name;
            this.args = args;
            this.line = line;
        }

        int size() {
            return args.size();
        }

        Expr arg(int i) {
            return args.get(i);
        }

        void arity(int n) {
            if (args.size() != n) {
                throw error(name + " takes " + n + " arguments, got " + args.size());
            }
        }

        int fd(int i) {
            return (int) number(i, "the file descriptor", 0, MAX_IO);
        }

        long number(int i, String what, long min, long max) {
            if (!(args.get(i) instanceof Expr.Num num)) {
                throw error(what + " must be a number, got '" + args.get(i) + "'");
            }
            if (num.value() < min || num.value() > max) {
                throw error(what + " must be between " + min + " and " + max + ", got " + num.value());
            }
            return num.value();
        }

        long symbolic(int i, String what, long min, long max) {
            long value = value(args.get(i), line, what);
            if (value < min || value > max) {
                throw error(what + " must be between " + min + " and " + max + ", got " + value);
            }
            return value;
        }

        boolean isWord(int i, String word) {
            return args.get(i) instanceof Expr.Word w && w.name().equals(word);
        }

        /** NULL, or 0, as packetdrill's buffer_arg() takes a null pointer. */
        boolean isNullPointer(int i) {
            return isWord(i, "NULL") || isNumber(i, 0);
        }

        boolean isNumber(int i, long value) {
            return args.get(i) instanceof Expr.Num n && n.value() == value;
        }

        void oneOf(int i, String what, String word) {
            if (!(args.get(i) instanceof Expr.Ellipsis) && !isWord(i, word)) {
                throw error(what + " must be " + word + " or ...: vkernel emulates IPv4 TCP only, got '" + args.get(i) + "'");
            }
        }

        /** 0, or MSG_ names joined by '|' from {@code known}. */
        int msgFlags(int i, Map<String, Integer> known) {
            return bits(args.get(i), known, name + " flags");
        }

        int pollBits(Expr expr) {
            return bits(expr, io.vkernel.kernel.syscall.Syscalls.POLL_EVENTS, "poll events");
        }

        private int bits(Expr expr, Map<String, Integer> known, String what) {
            int all = known.values().stream().reduce(0, (x, y) -> x | y);
            if (expr instanceof Expr.Num num && num.value() >= 0 && (num.value() & ~all) == 0) {
                return (int) num.value();
            }
            if (expr instanceof Expr.Word word && known.containsKey(word.name())) {
                return known.get(word.name());
            }
            if (expr instanceof Expr.Or or) {
                int bits = 0;
                for (Expr part : or.parts()) {
                    bits |= bits(part, known, what);
                }
                return bits;
            }
            throw error(what + " may be 0 or " + String.join("|", new java.util.TreeSet<>(known.keySet()))
                    + " joined by '|'; got '" + expr + "'");
        }

        /** {@code ...} is the harness's address; a sockaddr struct is read field by field. */
        Endpoint address(int i, Endpoint harness) {
            Expr expr = args.get(i);
            if (expr instanceof Expr.Ellipsis) {
                return harness;
            }
            if (!(expr instanceof Expr.Struct sockaddr)) {
                throw error("the address must be ... or {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr(\"192.168.0.1\")}");
            }
            Expr port = sockaddr.get("sin_port");
            Expr address = sockaddr.get("sin_addr");
            if (!(port instanceof Expr.Apply p && p.function().equals("htons") && p.args().size() == 1 && p.args().get(0) instanceof Expr.Num n)
                    || !(address instanceof Expr.Apply ap && ap.function().equals("inet_addr") && ap.args().size() == 1
                    && ap.args().get(0) instanceof Expr.Str s)) {
                throw error("write the address as {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr(\"192.168.0.1\")}");
            }
            try {
                return new Endpoint(Ipv4.parse(s.value()), (int) n.value());
            } catch (IllegalArgumentException e) {
                throw error("bad address: " + e.getMessage());
            }
        }

        /** {@code ...} is as many zero bytes as the count; a string supplies the bytes itself. */
        byte[] buffer(int i, int count) {
            Expr expr = args.get(i);
            if (expr instanceof Expr.Ellipsis) {
                return new byte[count];
            }
            if (expr instanceof Expr.Str str) {
                byte[] bytes = str.value().getBytes(StandardCharsets.UTF_8);
                if (bytes.length < count) {
                    throw error("the string holds " + bytes.length + " bytes but the count is " + count);
                }
                return Arrays.copyOf(bytes, count);
            }
            throw error("the buffer must be ..., NULL or a \"string\"");
        }

        String socketOption() {
            boolean get = name.equals("getsockopt");
            List<String> known;
            if (isWord(1, "SOL_SOCKET")) {
                known = SOCKET_OPTIONS;
            } else if (isWord(1, "SOL_TCP") || isWord(1, "IPPROTO_TCP") || isNumber(1, 6)) {
                known = get ? TCP_READABLE : TCP_OPTIONS;
            } else if (isWord(1, "SOL_IP") || isWord(1, "IPPROTO_IP") || isNumber(1, 0)) {
                known = IP_OPTIONS;
            } else {
                throw error("the level must be SOL_SOCKET, SOL_TCP (IPPROTO_TCP) or SOL_IP, got '" + args.get(1) + "'; vkernel models "
                        + String.join(", ", SOCKET_OPTIONS) + ", " + String.join(", ", get ? TCP_READABLE : TCP_OPTIONS)
                        + " and " + String.join(", ", IP_OPTIONS));
            }
            for (String option : known) {
                if (isWord(2, option)) {
                    return option;
                }
            }
            throw error("socket option '" + args.get(2) + "' at level " + args.get(1) + " is not modelled; vkernel knows "
                    + String.join(", ", known) + (get && known == SOCKET_OPTIONS ? " and SO_ERROR" : ""));
        }

        Expr.Struct struct(int i, String usage) {
            if (args.get(i) instanceof Expr.Struct struct) {
                return struct;
            }
            throw error(usage);
        }

        long field(Expr.Struct struct, String... names) {
            Expr value = struct.get(names);
            if (!(value instanceof Expr.Num num)) {
                throw error("the struct needs a number for " + names[0]);
            }
            return num.value();
        }

        long bracketed(Expr expr, String usage) {
            if (expr instanceof Expr.ListOf list && list.items().size() == 1 && list.items().get(0) instanceof Expr.Num num) {
                return num.value();
            }
            throw error(usage);
        }

        ScriptException error(String message) {
            return new ScriptException(line, message);
        }
    }
}
