package io.vkernel.script;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.KernelInput;
import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.fd.OpenFile;
import io.vkernel.kernel.nic.WireRecord;
import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Ipv4;
import io.vkernel.kernel.wire.MalformedPacketException;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOption;
import io.vkernel.kernel.wire.WirePacket;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * A kernel's history written as a packetdrill script that {@link ScriptRunner} passes: the history is replayed on a
 * fresh kernel, each injected packet becomes a {@code <} line, each packet the kernel sent a {@code >} line at the
 * time it left, each system call a line with the result it had, a sysctl change a backquoted {@code sysctl -q} line;
 * clock advances are the lines' times. The script speaks the harness's addresses (the kernel is 192.168.0.1, its one
 * peer 192.0.2.1) and packetdrill's relative numbers (each side's sequence numbers from its ISN), so it passes
 * whatever the seed.
 *
 * <p>What packetdrill's format cannot say is refused with the first step that does not fit and why: a second
 * process or a process exit (a script is one process), a second peer address, a packet the runner cannot inject
 * as it was (other IP fields, URG/ECN bits, options it does not write), a call it has no spelling for, two calls
 * blocked at once, a call still blocked when the history ends. Finally the script is parsed and run as
 * {@code POST /api/v1/scripts/runs} would run it; if the runner does not pass it, the step behind the failing line
 * is refused with the runner's reason, so an exported script always passes.
 */
public final class JournalScript {

    /** The first step of a history that packetdrill's format (or vkernel's runner) cannot express, and why. */
    public static final class NotExpressible extends RuntimeException {
        private final long step;

        NotExpressible(long step, String op, String reason) {
            super("step " + step + " (" + op + ") " + reason, null, false, false);
            this.step = step;
        }

        public long step() {
            return step;
        }
    }

    /** One connection's numbers, as the runner's {@code Flow} maps them: ISNs of both sides. */
    private static final class Numbers {
        boolean kernelIsnKnown;
        int kernelIsn;
        int remoteIsn;
    }

    /** The call that blocked: its line, filled in when it returns. */
    private static final class Blocked {
        final long step;
        final String op;
        final int lineIndex;
        final long startMs;
        final PendingCall pending;
        final Function<SyscallResult, String> render;
        long returnedMs = -1;

        Blocked(long step, String op, int lineIndex, long startMs, PendingCall pending, Function<SyscallResult, String> render) {
            this.step = step;
            this.op = op;
            this.lineIndex = lineIndex;
            this.startMs = startMs;
            this.pending = pending;
            this.render = render;
        }
    }

    private final Kernel kernel;
    /** The runner's bound on lines: past it the replay stops, so a long history costs no more than a script may. */
    private final int maxLines;
    private final int kernelAddress;
    private final List<String> lines = new ArrayList<>();
    /** The step each line came from (0 for the header). */
    private final List<Long> lineSteps = new ArrayList<>();
    private final Map<Long, Numbers> flows = new HashMap<>();
    private Integer peer;
    /** Ports the process bound explicitly: a connection from one is written with its ports. */
    private final java.util.Set<Integer> boundPorts = new java.util.HashSet<>();
    /** Connections from an ephemeral port, which differs between kernels: written without ports, as packetdrill does. */
    private final java.util.Set<Long> ephemeral = new java.util.HashSet<>();
    /** The connection of the last connect(): the one lines without ports mean (the runner's socket under test). */
    private Long defaultKey;
    private Integer pid;
    private long lastWireNo;
    private Blocked blocked;
    private long step;
    private String op;

    private JournalScript(Kernel kernel, int maxLines) {
        this.maxLines = maxLines;
        this.kernel = kernel;
        this.kernelAddress = kernel.address();
    }

    /**
     * Writes {@code inputs} (a journal's steps 1..n) as a script. {@code fresh} is a kernel made from the journal's
     * header that no input has touched yet; it is driven through the history and may be discarded afterwards.
     *
     * @throws NotExpressible naming the first step the format cannot carry
     */
    public static String export(Kernel fresh, String title, List<KernelInput> inputs, ScriptLimits limits) {
        JournalScript export = new JournalScript(fresh, limits.maxLines());
        String text = export.write(title, inputs);
        export.check(text, limits);
        return text;
    }

    // ---------------------------------------------------------------- writing

    private String write(String title, List<KernelInput> inputs) {
        header(title, inputs.size());
        for (int i = 0; i < inputs.size(); i++) {
            step = i + 1;
            KernelInput input = inputs.get(i);
            op = input.op();
            opsByStep.put(step, op);
            try {
                apply(input);
            } catch (NotExpressible e) {
                throw e;
            } catch (RuntimeException e) {
                throw refuse("failed on replay: " + e.getMessage());
            }
            sent();
            returned();
            if (lines.size() > maxLines) {
                throw refuse("makes the script longer than the runner takes (" + maxLines + " lines, vkernel.scripts.max-lines): "
                        + "export a fork taken at an earlier step");
            }
        }
        if (blocked != null) {
            step = blocked.step;
            op = blocked.op;
            throw refuse("blocked and had not returned when the history ends: a packetdrill script cannot end with a call "
                    + "in progress (export a fork taken before this step, or let the call finish first)");
        }
        StringBuilder out = new StringBuilder();
        lines.forEach(line -> out.append(line).append('\n'));
        return out.toString();
    }

    private void header(String title, int steps) {
        comment("// " + title + ": steps 1-" + steps + " of its journal as a packetdrill script (POST it to /api/v1/scripts/runs).");
        comment("// The kernel under test is " + Harness.LOCAL_IP + " here (" + Ipv4.format(kernelAddress) + " in the kernel) and its peer "
                + Harness.REMOTE_IP + "; each side's sequence numbers count from its ISN, and data is written by its length.");
        // settings in which a fresh kernel differs from the runner's (packetdrill's tun device offers TSO)
        Sysctls runner = new Sysctls();
        Harness.DEFAULT_SYSCTLS.forEach(runner::set);
        Map<String, Long> own = new TreeMap<>();
        own.putAll(kernel.inspect(k -> Map.copyOf(k.sysctls().all())));
        own.forEach((name, value) -> {
            if (runner.get(name) != value) {
                comment("// vkernel-sysctl " + name + "=" + sysctlValue(name, value));
            }
        });
    }

    private void comment(String line) {
        lines.add(line);
        lineSteps.add(0L);
    }

    private void line(long timeMs, String text) {
        lines.add(Notation.seconds(timeMs * 1000) + " " + text);
        lineSteps.add(step);
    }

    private long now() {
        return kernel.inspect(k -> k.clock().now());
    }

    private void apply(KernelInput input) {
        if (input instanceof KernelInput.Spawn s) {
            if (pid != null) {
                throw refuse("starts a second process ('" + s.name() + "'): a packetdrill script is one process's system calls");
            }
            pid = kernel.spawn(s.name()).pid();
        } else if (input instanceof KernelInput.Exit) {
            throw refuse("ends the process: packetdrill's format has no exit (its process lives to the script's end)");
        } else if (input instanceof KernelInput.Advance a) {
            kernel.advance(a.ms());
        } else if (input instanceof KernelInput.ClockMode) {
            kernel.clockMode(((KernelInput.ClockMode) input).realtime()); // the ticks are advances of their own
        } else if (input instanceof KernelInput.Sysctl s) {
            line(now(), "`sysctl -q " + s.name() + "=" + sysctlValue(s.name(), s.value()) + "`");
            kernel.sysctl(s.name(), s.value());
        } else if (input instanceof KernelInput.Packet p) {
            inbound(p.segment());
            kernel.receive(p.segment());
        } else if (input instanceof KernelInput.RawPacket r) {
            Segment segment;
            try {
                segment = WirePacket.parse(r.bytes()).segment();
            } catch (MalformedPacketException e) {
                throw refuse("is raw bytes the kernel dropped as malformed (" + e.getMessage() + "): a script injects only sound packets");
            }
            if (!Arrays.equals(WirePacket.encode(segment), r.bytes())) {
                throw refuse("is raw bytes with IP or TCP header fields a script cannot write (IP id, TTL, flags, reserved bits "
                        + "or a checksum other than vkernel's own)");
            }
            inbound(segment);
            kernel.receiveRaw(r.bytes());
        } else if (input instanceof KernelInput.Syscall c) {
            syscall(c);
        } else {
            throw refuse("has no packetdrill form");
        }
    }

    private static String sysctlValue(String name, long value) {
        if (name.equals(Sysctls.TCP_CONGESTION_CONTROL)) {
            return value == 0 ? "reno" : "cubic";
        }
        return Long.toString(value);
    }

    // ---------------------------------------------------------------- packets

    private static long key(int localPort, int remotePort) {
        return ((long) localPort << 16) | remotePort;
    }

    private Numbers flow(int localPort, int remotePort) {
        return flows.computeIfAbsent(key(localPort, remotePort), k -> new Numbers());
    }

    private void peer(int address, String what) {
        if (peer == null) {
            if (address == kernelAddress) {
                throw refuse(what + " the kernel's own address " + Ipv4.format(address) + ": the runner's peer is another host");
            }
            peer = address;
        } else if (peer != address) {
            throw refuse(what + " " + Ipv4.format(address) + ", a second peer (the first was " + Ipv4.format(peer)
                    + "): a packetdrill script has one remote address");
        }
    }

    /** The {@code <} line of a packet about to be injected. */
    private void inbound(Segment s) {
        if (s.dst().address() != kernelAddress) {
            throw refuse("is addressed to " + Ipv4.format(s.dst().address()) + ", not to the kernel (" + Ipv4.format(kernelAddress)
                    + "): a script injects packets for the kernel under test only");
        }
        peer(s.src().address(), "comes from");
        if ((s.flags() & ~(TcpFlags.FIN | TcpFlags.SYN | TcpFlags.RST | TcpFlags.PSH | TcpFlags.ACK)) != 0) {
            throw refuse("carries flags " + TcpFlags.format(s.flags()) + ": the runner injects S, F, R, P and '.' only");
        }
        if (s.tos() != 0) {
            throw refuse("carries IP TOS " + s.tos() + ": the runner's packets carry TOS 0");
        }
        Numbers f = flow(s.dst().port(), s.src().port());
        boolean syn = s.has(TcpFlags.SYN);
        long seq = syn ? u32(s.seq()) : u32(s.seq() - f.remoteIsn);
        if (syn) {
            f.remoteIsn = s.seq();
        }
        Long ack = s.has(TcpFlags.ACK) ? kernelToScript(f, s.ack()) : null;
        List<TcpOption> options = new ArrayList<>();
        for (TcpOption option : s.options().list()) {
            if (option instanceof TcpOption.Unknown sack && sack.kind() == Notation.KIND_SACK && sack.value().length % 8 == 0) {
                options.add(sackBlocks(sack, edge -> kernelToScript(f, edge)));
            } else if (option instanceof TcpOption.Mss || option instanceof TcpOption.WindowScale || option instanceof TcpOption.SackPermitted
                    || option instanceof TcpOption.Timestamps || option instanceof TcpOption.Nop) {
                options.add(option);
            } else {
                throw refuse("carries TCP option " + option + ", which a script's inbound packet cannot write");
            }
        }
        line(now(), "< " + ports(key(s.dst().port(), s.src().port()), s.src().port() + ">" + s.dst().port())
                + Notation.packet(s.flags(), seq, s.payload().length, ack, s.window(), options, false));
    }

    /** The {@code >} lines of the packets the kernel sent since the last look. */
    private void sent() {
        List<WireRecord> records = kernel.inspect(k -> k.nic().wire(lastWireNo, Integer.MAX_VALUE));
        for (WireRecord record : records) {
            if (record.no() != lastWireNo + 1) {
                throw refuse("sent more packets than the kernel's wire log keeps (vkernel.limits.packets-logged-per-kernel), "
                        + "so some cannot be written");
            }
            lastWireNo = record.no();
            if (record.inbound() || record.segment() == null) {
                continue;
            }
            Segment s = record.segment();
            if (peer == null || s.dst().address() != peer) {
                throw refuse("made the kernel send a packet to " + Ipv4.format(s.dst().address()) + ", not to the script's peer");
            }
            Numbers f = flow(s.src().port(), s.dst().port());
            boolean syn = s.has(TcpFlags.SYN);
            if (syn) {
                f.kernelIsnKnown = true;
                f.kernelIsn = s.seq();
            }
            long seq = kernelToScript(f, s.seq());
            long ack = syn ? u32(s.ack()) : u32(s.ack() - f.remoteIsn);
            List<TcpOption> options = new ArrayList<>();
            for (TcpOption option : s.options().list()) {
                options.add(option instanceof TcpOption.Unknown sack && sack.kind() == Notation.KIND_SACK && sack.value().length % 8 == 0
                        ? sackBlocks(sack, edge -> u32(edge - f.remoteIsn)) : option);
            }
            line(record.timeMs(), "> " + ports(key(s.src().port(), s.dst().port()), s.src().port() + ">" + s.dst().port())
                    + Notation.packet(s.flags(), seq, s.payload().length, ack, s.window(), options, false));
        }
    }

    /**
     * {@code src>dst } for a connection whose ports the script fixes; nothing for the last connect()'s connection from
     * an ephemeral port, which the runner's kernel picks for itself (its lines without ports follow it).
     */
    private String ports(long key, String written) {
        if (!ephemeral.contains(key)) {
            return written + " ";
        }
        if (defaultKey != null && defaultKey == key) {
            return "";
        }
        throw refuse("is a packet of an earlier connect()'s connection (" + written + ") after a later connect(): its "
                + "ephemeral port is the kernel's choice, and a script can follow only the newest such connection");
    }

    /** The kernel's sequence number in script space: from its ISN once its SYN was seen, as written before. */
    private static long kernelToScript(Numbers f, int seq) {
        return f.kernelIsnKnown ? u32(seq - f.kernelIsn) : u32(seq);
    }

    private static TcpOption sackBlocks(TcpOption.Unknown sack, java.util.function.IntToLongFunction map) {
        ByteBuffer in = ByteBuffer.wrap(sack.value());
        ByteBuffer out = ByteBuffer.allocate(sack.value().length);
        while (in.remaining() >= 8) {
            out.putInt((int) map.applyAsLong(in.getInt()));
        }
        return new TcpOption.Unknown(Notation.KIND_SACK, out.array());
    }

    private static long u32(int value) {
        return value & 0xffffffffL;
    }

    // ---------------------------------------------------------------- system calls

    private void syscall(KernelInput.Syscall c) {
        if (pid == null || c.pid() != pid) {
            throw refuse("is a system call of pid " + c.pid() + (pid == null ? "" : ", not of the script's one process (pid " + pid + ")"));
        }
        long start = now();
        PacketReport report = new PacketReport(null);
        int fd = c.fd();
        String call;
        Syscalls.Outcome outcome;
        Function<SyscallResult, String> render = null;
        switch (c.call()) {
            case "socket" -> {
                call = "socket(..., SOCK_STREAM, IPPROTO_TCP)";
                outcome = kernel.socket(pid);
            }
            case "bind" -> {
                call = "bind(" + fd + ", " + sockaddr(c.address(), false) + ", 16)";
                outcome = kernel.bind(pid, fd, c.address());
            }
            case "listen" -> {
                call = "listen(" + fd + ", " + c.arg() + ")";
                outcome = kernel.listen(pid, fd, c.arg());
            }
            case "accept" -> {
                call = "accept(" + fd + ", ..., ...)";
                outcome = kernel.accept(pid, fd);
            }
            case "connect" -> {
                call = "connect(" + fd + ", " + sockaddr(c.address(), true) + ", 16)";
                outcome = kernel.connect(pid, fd, c.address(), report);
            }
            case "read" -> {
                call = "read(" + fd + ", ..., " + c.arg() + ")";
                outcome = kernel.read(pid, fd, c.arg());
            }
            case "recv" -> {
                call = "recv(" + fd + ", ..., " + c.arg() + ", " + msgFlags((int) c.value(), Syscalls.RECV_FLAGS) + ")";
                outcome = kernel.recv(pid, fd, c.arg(), (int) c.value());
            }
            case "write" -> {
                call = "write(" + fd + ", ..., " + c.data().length + ")";
                outcome = kernel.write(pid, fd, c.data(), report);
            }
            case "send" -> {
                call = "send(" + fd + ", ..., " + c.data().length + ", " + msgFlags((int) c.value(), Syscalls.SEND_FLAGS) + ")";
                outcome = kernel.send(pid, fd, c.data(), (int) c.value(), report);
            }
            case "sendmsg" -> {
                int[] iov = io.vkernel.kernel.KernelInput.Syscall.parseIovLengths(c.name());
                call = "sendmsg(" + fd + ", {msg_name(...)=..., msg_iov(" + iov.length + ")=["
                        + java.util.Arrays.stream(iov).mapToObj(n -> "{..., " + n + "}").collect(java.util.stream.Collectors.joining(", "))
                        + "], msg_flags=0}, " + msgFlags((int) c.value(), Syscalls.SEND_FLAGS) + ")";
                outcome = kernel.sendmsg(pid, fd, c.data(), iov, (int) c.value(), report);
            }
            case "nullbuf" -> {
                int flags = (int) c.value();
                call = switch (c.name()) {
                    case "read", "write" -> c.name() + "(" + fd + ", NULL, " + c.arg() + ")";
                    case "recv" -> "recv(" + fd + ", NULL, " + c.arg() + ", " + msgFlags(flags, Syscalls.RECV_FLAGS) + ")";
                    case "send" -> "send(" + fd + ", NULL, " + c.arg() + ", " + msgFlags(flags, Syscalls.SEND_FLAGS) + ")";
                    default -> throw refuse("is sendto() with a NULL buffer, which this export does not write as a script line yet");
                };
                outcome = kernel.nullBuffer(pid, c.name(), fd, c.arg(), flags, c.address(), report);
            }
            case "close" -> {
                call = "close(" + fd + ")";
                outcome = kernel.close(pid, fd, report);
            }
            case "shutdown" -> {
                if (c.arg() < 0 || c.arg() > 2) {
                    throw refuse("has how=" + c.arg() + ", which a script writes only as SHUT_RD, SHUT_WR or SHUT_RDWR");
                }
                call = "shutdown(" + fd + ", " + List.of("SHUT_RD", "SHUT_WR", "SHUT_RDWR").get(c.arg()) + ")";
                outcome = kernel.shutdown(pid, fd, c.arg(), report);
            }
            case "fcntl" -> {
                boolean set = "F_SETFL".equals(c.name());
                if (!set && !"F_GETFL".equals(c.name())) {
                    throw refuse("is fcntl(" + c.name() + "); a script writes F_GETFL and F_SETFL");
                }
                call = set ? "fcntl(" + fd + ", F_SETFL, " + fileFlags(c.arg()) + ")" : "fcntl(" + fd + ", F_GETFL)";
                outcome = kernel.fcntl(pid, fd, c.name(), c.arg());
                if (!set) {
                    render = r -> r.ret() >= 0 ? "fcntl(" + fd + ", F_GETFL) = " + fileFlags((int) r.ret()) : "fcntl(" + fd + ", F_GETFL)" + result(r);
                }
            }
            case "setsockopt" -> {
                call = setsockopt(fd, c.name(), c.value(), c.arg() != 0);
                outcome = kernel.setsockopt(pid, fd, c.name(), c.value(), c.arg() != 0);
            }
            case "getsockopt" -> {
                String level = level(c.name());
                call = null;
                outcome = kernel.getsockopt(pid, fd, c.name());
                render = r -> "getsockopt(" + fd + ", " + level + ", " + c.name() + ", [" + optval(c.name(), r) + "], [4])" + result(r);
            }
            case "ioctl" -> {
                call = null;
                outcome = kernel.ioctl(pid, fd, c.name());
                render = r -> "ioctl(" + fd + ", " + c.name() + ", [" + (r.value() == null ? "..." : r.value()) + "])" + result(r);
            }
            case "dup" -> {
                call = "dup(" + fd + ")";
                outcome = kernel.dup(pid, fd);
            }
            case "dup2" -> {
                call = "dup2(" + fd + ", " + c.arg() + ")";
                outcome = kernel.dup2(pid, fd, c.arg(), report);
            }
            case "poll" -> {
                List<Syscalls.PollFd> fds = parsePollFds(c.name());
                call = null;
                outcome = kernel.poll(pid, fds, c.arg());
                render = r -> {
                    StringBuilder text = new StringBuilder("poll([");
                    for (int i = 0; i < fds.size(); i++) {
                        text.append(i == 0 ? "" : ", ").append("{fd=").append(fds.get(i).fd()).append(", events=")
                                .append(Syscalls.pollNames(fds.get(i).events()));
                        if (r.revents() != null && i < r.revents().size()) {
                            text.append(", revents=").append(r.revents().get(i) == 0 ? "0" : Syscalls.pollNames(r.revents().get(i)));
                        }
                        text.append('}');
                    }
                    return text.append("], ").append(fds.size()).append(", ").append(c.arg()).append(')').append(result(r)).toString();
                };
            }
            default -> throw refuse("is " + c.call() + "(), which this export does not write as a script line yet; it writes "
                    + "socket, bind, listen, accept, connect, read, recv, write, send, close, shutdown, fcntl, setsockopt, "
                    + "getsockopt, ioctl, dup, dup2 and poll");
        }
        if (render == null) {
            String text = call;
            render = r -> text + result(r);
        }
        if (c.call().equals("bind") && outcome instanceof Syscalls.Done bound && bound.result().ret() == 0 && c.address().port() != 0) {
            boundPorts.add(c.address().port());
        }
        if (c.call().equals("connect")) {
            followConnect(fd, c.address());
        }
        if (outcome instanceof Syscalls.Done done) {
            line(start, render.apply(done.result()));
            return;
        }
        PendingCall pending = ((Syscalls.Pending) outcome).call();
        if (blocked != null) {
            throw refuse("blocked while step " + blocked.step + "'s call was still blocked: the runner, as packetdrill, "
                    + "follows one blocking call at a time");
        }
        line(start, "(blocked)");
        Blocked b = new Blocked(step, op, lines.size() - 1, start, pending, render);
        pending.onDone(r -> b.returnedMs = kernel.clock().now());
        blocked = b;
    }

    /** As the runner does after connect(): its connection is the one lines without ports mean. */
    private void followConnect(int fd, Endpoint remote) {
        Integer local = kernel.inspect(k -> {
            try {
                var socket = k.requireProcess(pid).fds().get(fd).socket();
                return socket == null ? null : socket.local().port();
            } catch (RuntimeException e) {
                return null;
            }
        });
        if (local != null && local != 0) {
            long key = key(local, remote.port());
            defaultKey = key;
            if (!boundPorts.contains(local)) {
                ephemeral.add(key);
            }
        }
    }

    /** Writes the blocked call's line once it has returned: {@code start...end call = result}. */
    private void returned() {
        if (blocked == null || !blocked.pending.isDone()) {
            return;
        }
        Blocked b = blocked;
        blocked = null;
        long end = b.returnedMs >= 0 ? b.returnedMs : now();
        lines.set(b.lineIndex, Notation.seconds(b.startMs * 1000) + "..." + Notation.seconds(end * 1000) + " "
                + b.render.apply(b.pending.result()));
    }

    private String sockaddr(Endpoint address, boolean remote) {
        String ip;
        if (remote) {
            peer(address.address(), "connects to");
            ip = Harness.REMOTE_IP;
        } else {
            ip = address.address() == kernelAddress ? Harness.LOCAL_IP : Ipv4.format(address.address());
        }
        return "{sa_family=AF_INET, sin_port=htons(" + address.port() + "), sin_addr=inet_addr(\"" + ip + "\")}";
    }

    private static String result(SyscallResult r) {
        if (r.errno() != null) {
            return " = -1 " + r.errno().name() + " (" + r.errno().message() + ")";
        }
        return " = " + r.ret();
    }

    private String msgFlags(int flags, Map<String, Integer> names) {
        if (flags == 0) {
            return "0";
        }
        StringBuilder out = new StringBuilder();
        int left = flags;
        for (Map.Entry<String, Integer> e : new TreeMap<>(names).entrySet()) {
            if ((flags & e.getValue()) != 0) {
                out.append(out.isEmpty() ? "" : "|").append(e.getKey());
                left &= ~e.getValue();
            }
        }
        if (left != 0) {
            throw refuse("passes flags 0x" + Integer.toHexString(left) + " that a script cannot name");
        }
        return out.toString();
    }

    /** O_RDWR|O_NONBLOCK as fcntl's flags are written. */
    private static String fileFlags(int flags) {
        String access = switch (flags & 3) {
            case 0 -> "O_RDONLY";
            case 1 -> "O_WRONLY";
            default -> "O_RDWR";
        };
        int rest = flags & ~3;
        if ((rest & ~OpenFile.O_NONBLOCK) != 0 || (flags & 3) == 3) {
            return Integer.toString(flags);
        }
        return (rest & OpenFile.O_NONBLOCK) != 0 ? access + "|O_NONBLOCK" : access;
    }

    private String level(String option) {
        if (option.startsWith("SO_")) {
            return "SOL_SOCKET";
        }
        if (option.startsWith("TCP_")) {
            return "SOL_TCP";
        }
        if (option.startsWith("IP_")) {
            return "SOL_IP";
        }
        throw refuse("uses socket option " + option + ", whose level a script cannot name");
    }

    private String setsockopt(int fd, String option, long value, boolean on) {
        String level = level(option);
        String optval;
        boolean parsedOn;
        int optlen = 4;
        switch (option) {
            case "SO_LINGER" -> {
                optval = "{onoff=" + (on ? 1 : 0) + ", linger=" + value + "}";
                parsedOn = on;
                optlen = 8;
            }
            case "SO_RCVTIMEO", "SO_SNDTIMEO" -> {
                optval = "{tv_sec=" + value / 1000 + ", tv_usec=" + value % 1000 * 1000 + "}";
                parsedOn = value > 0;
                optlen = 16;
            }
            case "SO_TIMESTAMPING" -> throw refuse("sets SO_TIMESTAMPING, which this export does not write yet");
            default -> {
                optval = "[" + value + "]";
                parsedOn = value != 0;
            }
        }
        if (parsedOn != on) {
            throw refuse("sets " + option + " to " + value + " with on=" + on + ", which a script's setsockopt cannot say");
        }
        return "setsockopt(" + fd + ", " + level + ", " + option + ", " + optval + ", " + optlen + ")";
    }

    private static String optval(String option, SyscallResult r) {
        if (r.value() == null || option.equals("SO_LINGER") || option.endsWith("TIMEO")) {
            return "...";
        }
        if (option.equals("SO_ERROR") && r.value() != 0) {
            try {
                return Errno.byNumber(r.value().intValue()).name();
            } catch (IllegalArgumentException e) {
                return r.value().toString();
            }
        }
        return r.value().toString();
    }

    private static List<Syscalls.PollFd> parsePollFds(String text) {
        List<Syscalls.PollFd> fds = new ArrayList<>();
        for (String part : text.isEmpty() ? new String[0] : text.split(",")) {
            String[] fe = part.split(":");
            fds.add(new Syscalls.PollFd(Integer.parseInt(fe[0]), Integer.parseInt(fe[1])));
        }
        return fds;
    }

    private NotExpressible refuse(String reason) {
        return new NotExpressible(step, op, reason);
    }

    // ---------------------------------------------------------------- the proof

    /** Parses and runs the script as POST /api/v1/scripts/runs would; a line it cannot parse or pass refuses its step. */
    private void check(String text, ScriptLimits limits) {
        Script script;
        try {
            script = ScriptParser.parse(text, limits);
        } catch (ScriptTooLargeException e) {
            int over = lines.size() - 1;
            long bytes = 0;
            for (int i = 0; i < lines.size(); i++) {
                bytes += lines.get(i).getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 1;
                if (bytes > limits.maxBytes() || i >= limits.maxLines()) {
                    over = i;
                    break;
                }
            }
            step = lineSteps.get(over);
            op = opOf(step);
            throw refuse("makes the script longer than the runner takes (" + e.getMessage() + "): export a fork taken "
                    + "at an earlier step");
        } catch (ScriptException e) {
            throw lineRefusal(e.line(), "has no spelling the runner reads: line " + e.line() + ": " + e.getMessage());
        }
        ScriptReport report = ScriptRunner.run(script, Harness.DEFAULT_SEED, limits);
        if (!"pass".equals(report.result())) {
            Integer line = report.failure() == null ? null : report.failure().line();
            throw lineRefusal(line == null ? lines.size() : line, "is not reproduced by the script runner"
                    + (line == null ? "" : " (line " + line + ")") + ": " + (report.failure() == null ? report.summary() : report.failure().detail()));
        }
    }

    private NotExpressible lineRefusal(int line, String reason) {
        long s = line >= 1 && line <= lineSteps.size() ? lineSteps.get(line - 1) : 0;
        step = s;
        op = s == 0 ? "header" : opOf(s);
        return refuse(reason);
    }

    private String opOf(long s) {
        return opsByStep.getOrDefault(s, "input");
    }

    private final Map<Long, String> opsByStep = new HashMap<>();
}
