package io.vkernel.script;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.KernelConfig;
import io.vkernel.kernel.KernelLimitException;
import io.vkernel.kernel.nic.WireRecord;
import io.vkernel.kernel.proc.ProcNetTcp;
import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.IcmpMessage;
import io.vkernel.kernel.wire.Ipv4;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a parsed script against a fresh, private kernel (192.168.0.1, a fixed seed) on virtual time, as packetdrill
 * runs one against a live kernel: inbound packets are injected at their time; system calls are made at theirs, a
 * blocking one going on in the background until it returns; an outbound line waits (moving the virtual clock from
 * timer to timer) for the next packet the kernel sends and compares it. A packet the script did not expect, one
 * that never comes, a wrong field, result or time fails that line, and the run stops there, as packetdrill does.
 * The kernel is discarded afterwards; the report keeps its wire.
 */
public final class ScriptRunner {

    /** Timer firings a run may cause while waiting for packets, however the script is written. */
    private static final int STEP_BUDGET = 1_000_000;

    private final Script script;
    private final ScriptLimits limits;
    private final long seed;
    private final Kernel kernel;
    private final int pid;
    private final int localAddress;
    /** The script side's address (--remote_ip). */
    private final int remoteAddress;
    private final Deque<Sniffed> unmatched = new ArrayDeque<>();
    private final Map<Flow.Key, Flow> flows = new HashMap<>();
    /** Connections the script closed or left for a newer one: their later packets are not the socket under test's. */
    private final java.util.Set<Flow.Key> closedFlows = new java.util.HashSet<>();
    private int passedOver;
    private final List<Line> lines = new ArrayList<>();
    private Flow.Key defaultFlow;
    /** listen() made the socket under test a listener: its next SYN opens a new connection (see {@link #inboundKey}). */
    private boolean listening;
    /** Whether an inbound packet already went on {@link #defaultFlow}'s remote port. */
    private boolean defaultFlowUsed;
    private long lastWireNo;
    private long previousEventUs;
    private Blocked blocked;
    private Line endLine;
    private ScriptReport.ScriptFailure failure;
    private int budget = STEP_BUDGET;
    /** What set_sysctls.py would write into its restore script: each name's value before it first set it. */
    private final Map<String, Long> restoreValues = new java.util.LinkedHashMap<>();
    /** The counters nstat printed last (its history file); none before the first nstat line. */
    private Map<String, Long> nstatBaseline = Map.of();
    /** Variables the script's %{ }% blocks assigned. */
    private final Map<String, Long> codeVars = CodeBlock.newVars();
    /** packetdrill's socket under test: the last socket socket() or accept() returned; TCP_INFO is read from it. */
    private Integer socketUnderTest;
    /** Script fd to live fd, as packetdrill maps them: a call returning an fd matches any fd when the script expects one. */
    private final Map<Integer, Integer> fdMap = new HashMap<>();

    /** A packet the kernel sent that no outbound line has claimed yet, and the line that was running then. */
    private record Sniffed(WireRecord record, int afterLine) {
    }

    /** A call that blocked, the line it belongs to and, once it returns, when. */
    private static final class Blocked {
        final ScriptEvent event;
        final Line line;
        final SyscallLine call;
        final PendingCall pending;
        final Long endUs;
        final long tolerance;
        long returnedUs = -1;

        Blocked(ScriptEvent event, Line line, SyscallLine call, PendingCall pending, Long endUs, long tolerance) {
            this.event = event;
            this.line = line;
            this.call = call;
            this.pending = pending;
            this.endUs = endUs;
            this.tolerance = tolerance;
        }
    }

    /** One line's outcome as it is being worked out. */
    private static final class Line {
        final ScriptEvent event;
        final String kind;
        String status = "not-run";
        Long timeUs;
        Long returnedUs;
        String expected;
        String actual;
        String wire;
        String detail;

        Line(ScriptEvent event, String kind) {
            this.event = event;
            this.kind = kind;
        }
    }

    private ScriptRunner(Script script, long seed, ScriptLimits limits) {
        this.script = script;
        this.seed = seed;
        this.limits = limits;
        this.localAddress = script.addresses().local();
        this.remoteAddress = script.addresses().remote();
        this.defaultFlow = new Flow.Key(Harness.LOCAL_PORT, new Endpoint(remoteAddress, Harness.REMOTE_PORT));
        this.kernel = new Kernel(new KernelConfig("script-run", localAddress, seed, 1024, "jhash", 1_000, 10_000, 16, 10_000));
        Harness.DEFAULT_SYSCTLS.forEach(this::setSysctl);
        script.setup().forEach(this::apply);
        this.pid = kernel.spawn("packetdrill").pid();
    }

    private void setSysctl(String name, long value) {
        kernel.inspect(k -> {
            k.sysctls().set(name, value);
            return null;
        });
    }

    private void apply(SetupCommands.Setup setup) {
        if (setup.restore()) {
            restoreValues.forEach(this::setSysctl);
            restoreValues.clear();
        }
        for (String name : setup.saved()) {
            restoreValues.putIfAbsent(name, kernel.inspect(k -> k.sysctls().get(name)));
        }
        setup.sysctls().forEach(this::setSysctl);
        if (setup.flushMetrics()) {
            kernel.flushTcpMetrics();
        }
        for (SetupFiles.Op op : setup.files()) {
            if (op.remove()) {
                kernel.removeFile(op.path());
            } else {
                kernel.makeFile(op.path(), op.size());
            }
        }
    }

    public static ScriptReport run(Script script, long seed, ScriptLimits limits) {
        return new ScriptRunner(script, seed, limits).execute();
    }

    private ScriptReport execute() {
        for (ScriptEvent event : script.events()) {
            lines.add(new Line(event, kindOf(event)));
        }
        for (Line line : lines) {
            boolean ok;
            try {
                ok = step(line);
            } catch (KernelLimitException e) {
                ok = fail(line, "the kernel refused: " + e.getMessage());
            }
            if (!ok || failure != null) {
                break;
            }
        }
        if (failure == null) {
            finish();
        }
        return report();
    }

    private static String kindOf(ScriptEvent event) {
        if (event.action() instanceof PacketLine packet) {
            return packet.inbound() ? "inbound" : "outbound";
        }
        if (event.action() instanceof IcmpLine) {
            return "inbound";
        }
        if (event.action() instanceof SetupCommands.Setup || event.action() instanceof Nstat || event.action() instanceof ProcGrep) {
            return "setup";
        }
        return event.action() instanceof CodeBlock ? "code" : "syscall";
    }

    // ---------------------------------------------------------------- one event

    private boolean step(Line line) {
        ScriptEvent event = line.event;
        EventTime time = event.time();
        long offset = nowUs();
        long start = switch (time.type()) {
            case ABSOLUTE, ABSOLUTE_RANGE -> time.startUs();
            case RELATIVE, RELATIVE_RANGE -> offset + time.startUs();
            case ANY -> offset;
        };
        long end = time.type() == EventTime.Type.ABSOLUTE_RANGE ? time.endUs()
                : time.type() == EventTime.Type.RELATIVE_RANGE ? offset + time.endUs() : start;
        long tolerance = tolerance(start);
        boolean ok;
        if (event.action() instanceof PacketLine packet && packet.inbound()) {
            ok = inbound(line, packet, time, start, end, tolerance);
        } else if (event.action() instanceof PacketLine packet) {
            ok = outbound(line, packet, time, start, end, tolerance);
        } else if (event.action() instanceof SetupCommands.Setup setup) {
            ok = reach(line, time, start, end, tolerance, "setup command");
            if (ok) {
                apply(setup);
                line.status = "pass";
                line.actual = (setup.sysctls().isEmpty() ? setup.files().isEmpty() ? "nothing to set" : "" : "set " + setup.sysctls())
                        + (setup.files().isEmpty() ? "" : (setup.sysctls().isEmpty() ? "" : "; ") + "files " + setup.files());
                line.detail = setup.notes().isEmpty() ? null : String.join("; ", setup.notes());
            }
        } else if (event.action() instanceof CodeBlock code) {
            ok = reach(line, time, start, end, tolerance, "%{ }% block") && code(line, code);
        } else if (event.action() instanceof IcmpLine icmp) {
            ok = icmp(line, icmp, time, start, end, tolerance);
        } else if (event.action() instanceof Nstat nstat) {
            ok = reach(line, time, start, end, tolerance, "nstat") && nstat(line, nstat);
        } else if (event.action() instanceof ProcGrep grep) {
            ok = reach(line, time, start, end, tolerance, "grep") && procGrep(line, grep);
        } else {
            SyscallLine call = (SyscallLine) event.action();
            Long callEnd = call.endUs() == null ? null : time.isRelative() || time.isAny() ? offset + call.endUs() : call.endUs();
            ok = syscall(line, call, time, start, end, callEnd, tolerance);
        }
        previousEventUs = start;
        return ok;
    }

    private long tolerance(long startUs) {
        long dynamic = script.tolerancePercent() * Math.max(0, startUs - previousEventUs) / 100;
        return Math.max(script.toleranceUs(), dynamic);
    }

    /** Moves time to the event, then checks nothing unexpected happened meanwhile and the event is on time. */
    private boolean reach(Line line, EventTime time, long start, long end, long tolerance, String what) {
        advanceTo(start);
        collect(line.event.line());
        line.timeUs = nowUs();
        if (!checkBlocked()) {
            return false;
        }
        // as packetdrill, packets are read only by '>' lines: one sent meanwhile meets the next '>' line
        String late = timing(time, start, end, line.timeUs, tolerance, what);
        return late == null || fail(line, late);
    }

    private boolean inbound(Line line, PacketLine packet, EventTime time, long start, long end, long tolerance) {
        line.expected = (packet.ports() == null ? "" : packet.ports() + " ") + packet.describe();
        if (!reach(line, time, start, end, tolerance, "inbound packet")) {
            return false;
        }
        Flow.Key key = inboundKey(packet);
        Segment segment = Packets.inbound(packet, key, flow(key), localAddress);
        PacketReport report = kernel.receive(segment);
        line.wire = segment.summary();
        line.detail = "kernel: " + report.verdict() + (report.dropReason() == null ? "" : " (" + report.dropReason() + ")")
                + (report.state() == null ? "" : "; connection " + report.state());
        line.status = "pass";
        collect(line.event.line());
        return checkBlocked();
    }

    /**
     * The connection an inbound packet goes on. packetdrill's handle_listen_for_script_packet() gives the first SYN
     * to a listener that listen() made the socket under test a new live remote port (next_ephemeral_port()), so a
     * script that closes a connection and listens again reaches the new listener from a fresh 4-tuple, not the
     * closed connection's TIME_WAIT; the first connection keeps {@link Harness#REMOTE_PORT}.
     */
    private Flow.Key inboundKey(PacketLine packet) {
        if (packet.ports() != null) {
            return new Flow.Key(packet.ports().dst(), new Endpoint(remoteAddress, packet.ports().src()));
        }
        if (listening && packet.has(TcpFlags.SYN) && !packet.has(TcpFlags.ACK)) {
            listening = false;
            if (defaultFlowUsed) {
                int port = defaultFlow.remote().port() + 1;
                defaultFlow = new Flow.Key(defaultFlow.localPort(), new Endpoint(remoteAddress, port > 65535 ? Harness.REMOTE_PORT : port));
            }
        }
        defaultFlowUsed = true;
        return defaultFlow;
    }

    /**
     * An ICMP error from the remote address about the connection under test, quoting its segment at the script's
     * sequence number mapped to the kernel's ISN (packetdrill's map_inbound_icmp_tcp_packet()), injected as raw bytes.
     */
    private boolean icmp(Line line, IcmpLine icmp, EventTime time, long start, long end, long tolerance) {
        line.expected = icmp.text();
        if (!reach(line, time, start, end, tolerance, "inbound ICMP packet")) {
            return false;
        }
        Flow.Key key = defaultFlow;
        FourTuple tuple = new FourTuple(key.remote(), new Endpoint(localAddress, key.localPort()));
        byte[] packet = IcmpMessage.encode(key.remote().address(), localAddress, icmp.type(), icmp.code(), icmp.mtu(), tuple,
                flow(key).toLive(icmp.seq(), false), icmp.length());
        PacketReport report = kernel.receiveRaw(packet);
        line.wire = icmp.text();
        line.detail = "kernel: " + report.verdict() + (report.dropReason() == null ? "" : " (" + report.dropReason() + ")");
        line.status = "pass";
        collect(line.event.line());
        return checkBlocked();
    }

    private boolean outbound(Line line, PacketLine packet, EventTime time, long start, long end, long tolerance) {
        line.expected = (packet.ports() == null ? "" : packet.ports() + " ") + packet.describe();
        long horizon = Math.min(limits.maxVirtualMicros(), time.isAny() ? limits.maxVirtualMicros()
                : (time.isRange() ? end : start) + tolerance);
        int passedBefore = passedOver;
        Sniffed sniffed = awaitOutbound(horizon, line.event.line(), packet.ports() == null ? defaultFlow : null);
        if (failure != null) {
            return false;
        }
        if (budget < 0) {
            return fail(line, "the run fired " + STEP_BUDGET + " timers while waiting for this packet; stopped");
        }
        if (sniffed == null) {
            advanceTo(horizon);
            line.timeUs = nowUs();
            return fail(line, "expected the kernel to send " + line.expected + (time.isAny() ? "" : " at " + window(time, start, end))
                    + ", but it sent nothing by " + Notation.seconds(nowUs()) + " s");
        }
        unmatched.poll();
        Segment segment = sniffed.record().segment();
        long sentMs = sniffed.record().timeMs();
        // do_outbound_script_packet(): packets that together make up the length the line expects are read as one
        int fragments = 1;
        for (int last = segment.payload().length; segment.payload().length < packet.length() && last > 0; fragments++) {
            Sniffed more = awaitOutbound(horizon, line.event.line(), packet.ports() == null ? defaultFlow : null);
            Segment next = more == null ? null : more.record().segment();
            int remaining = packet.length() - segment.payload().length;
            if (next == null || !Aggregation.continues(segment, next, last, remaining)) {
                break;
            }
            unmatched.poll();
            segment = Aggregation.join(segment, next);
            sentMs = more.record().timeMs();
            last = next.payload().length;
        }
        Flow.Key expectedKey = packet.ports() == null ? defaultFlow
                : new Flow.Key(packet.ports().src(), new Endpoint(remoteAddress, packet.ports().dst()));
        Flow.Key actualKey = new Flow.Key(segment.src().port(), segment.dst());
        Flow flow = flow(actualKey);
        if (packet.has(TcpFlags.SYN) && segment.has(TcpFlags.SYN)) {
            flow.learnIsn(segment.seq(), packet.seq());
        }
        line.timeUs = sentMs * 1000;
        if (fragments > 1) {
            line.detail = fragments + " packets read as one, as packetdrill aggregates GSO packets up to the length a line expects";
        }
        line.wire = segment.summary();
        line.actual = Packets.describe(segment, flow, packet.ports() != null || !actualKey.equals(expectedKey));
        if (passedOver > passedBefore) {
            line.detail = (passedOver - passedBefore) + " packet(s) of a connection the script had closed or left passed over "
                    + "(packetdrill sniffs only the socket under test)";
        }
        List<String> problems = new ArrayList<>();
        if (!actualKey.equals(expectedKey)) {
            problems.add("connection: expected a packet " + expectedKey + " (to " + expectedKey.remote() + ") but it went "
                    + actualKey + " (to " + actualKey.remote() + ")");
        }
        Packets.learnTimestamps(segment, packet, flow);
        problems.addAll(Packets.compare(segment, packet, flow, script.tsTickUs(), tolerance));
        String late = timing(time, start, end, line.timeUs, tolerance, "outbound packet");
        if (late != null) {
            problems.add(late);
        }
        if (!problems.isEmpty()) {
            String sentEarlier = sniffed.afterLine() < line.event.line() - 1 && sniffed.afterLine() != line.event.line()
                    ? " (the kernel sent this packet after line " + sniffed.afterLine() + ")" : "";
            return fail(line, String.join("; ", problems) + sentEarlier);
        }
        line.status = "pass";
        return true;
    }

    /** The next packet the kernel sends, moving the clock timer by timer up to {@code horizonUs}; null if none. */
    /**
     * The next packet the kernel sent that the line may match. As packetdrill sniffs only the socket under test,
     * a packet of a connection the script already closed or left for a newer one (its FIN, a late ACK) is passed
     * over while the line expects one of the default flow ({@code expected}; null when the line names its ports).
     */
    private Sniffed awaitOutbound(long horizonUs, int lineNo, Flow.Key expected) {
        while (true) {
            Sniffed next = awaitOutbound(horizonUs, lineNo);
            if (next == null || expected == null) {
                return next;
            }
            Segment segment = next.record().segment();
            Flow.Key key = new Flow.Key(segment.src().port(), segment.dst());
            if (key.equals(expected) || !closedFlows.contains(key)) {
                return next;
            }
            unmatched.poll();
            passedOver++;
        }
    }

    /** The flow of the connection behind {@code fd}, or null when it has none. */
    private Flow.Key flowOf(int fd) {
        return kernel.inspect(k -> {
            try {
                var socket = k.requireProcess(pid).fds().get(fd).socket();
                if (socket == null || socket.tcb() == null) {
                    return null;
                }
                io.vkernel.kernel.wire.FourTuple tuple = socket.tcb().tuple();
                return new Flow.Key(tuple.local().port(), tuple.remote());
            } catch (RuntimeException e) {
                return null;
            }
        });
    }

    private Sniffed awaitOutbound(long horizonUs, int lineNo) {
        while (unmatched.isEmpty()) {
            Long next = kernel.inspect(k -> k.clock().nextDeadline());
            if (next == null || next * 1000 > horizonUs) {
                return null;
            }
            if (--budget < 0) {
                return null;
            }
            kernel.advance(next - kernel.inspect(k -> k.clock().now()));
            collect(lineNo);
            if (!checkBlocked()) {
                return null;
            }
        }
        return unmatched.peek();
    }

    private boolean syscall(Line line, SyscallLine call, EventTime time, long start, long end, Long callEnd, long tolerance) {
        line.expected = call.expected() + (callEnd == null ? "" : " by " + Notation.seconds(callEnd) + " s");
        if (!reach(line, time, start, end, tolerance, "system call")) {
            return false;
        }
        if (blocked != null && call.endUs() != null) {
            return fail(line, "blocking system call while another blocking system call (line " + blocked.event.line()
                    + ") is already in progress");
        }
        Call live = toLive(atAddresses(call.call()));
        if (live instanceof Call.Close close) {
            Flow.Key closing = flowOf(close.fd());
            if (closing != null) {
                closedFlows.add(closing);
            }
        }
        Syscalls.Outcome outcome = ScriptCalls.invoke(kernel, pid, live);
        collect(line.event.line());
        if (live instanceof Call.Close close) {
            fdMap.values().remove(close.fd());
        }
        if (live instanceof Call.Connect connect) {
            followConnect(connect.fd(), connect.address());
        } else if (live instanceof Call.SendTo sendTo && sendTo.address() != null
                && (sendTo.flags() & io.vkernel.kernel.syscall.Syscalls.MSG_FASTOPEN) != 0) {
            followConnect(sendTo.fd(), sendTo.address()); // a Fast Open sendto() connects
        } else if (live instanceof Call.NullBuffer nb && nb.address() != null
                && (nb.flags() & io.vkernel.kernel.syscall.Syscalls.MSG_FASTOPEN) != 0) {
            followConnect(nb.fd(), nb.address());
        }
        if (outcome instanceof Syscalls.Done done) {
            boolean ok = judge(line, call, done.result(), nowUs(), callEnd, time, tolerance);
            return checkBlocked() && ok;
        }
        PendingCall pending = ((Syscalls.Pending) outcome).call();
        if (blocked != null) {
            return fail(line, "this call blocked while line " + blocked.event.line() + "'s call is still blocked; "
                    + "the runner follows one blocked call at a time, as packetdrill does");
        }
        Blocked b = new Blocked(line.event, line, call, pending, callEnd, tolerance);
        blocked = b;
        pending.onDone(result -> b.returnedUs = kernel.clock().now() * 1000);
        line.status = "blocked";
        line.actual = pending.call() + " blocks in " + pending.waitChannel();
        return true;
    }

    /** An nstat line against the kernel's MIB counters; either form moves nstat's baseline to now. */
    private boolean nstat(Line line, Nstat nstat) {
        Map<String, Long> now = kernel.inspect(k -> k.snmp().byName());
        String failed = nstat.check(nstatBaseline, now);
        if (nstat.update()) {
            nstatBaseline = now; // nstat -s leaves its history where it was
        }
        if (failed != null) {
            return fail(line, failed);
        }
        line.status = "pass";
        line.actual = nstat.counter() == null ? "nstat's baseline set" : nstat.counter() + " = " + now.get(nstat.counter());
        return true;
    }

    /** A grep of /proc/net/tcp: passes when a line of the kernel's table matches every pattern, as grep exits 0. */
    private boolean procGrep(Line line, ProcGrep grep) {
        List<String> table = kernel.inspect(ProcNetTcp::rows);
        List<String> found = grep.matching(table);
        if (found.isEmpty()) {
            return fail(line, "grep found no line of /proc/net/tcp with " + grep.patterns() + " (exit status 1); the table holds "
                    + (table.isEmpty() ? "no socket" : joinStripped(table)));
        }
        line.status = "pass";
        line.actual = joinStripped(found);
        return true;
    }

    /** Lines of /proc/net/tcp without their padding, for a message. */
    private static String joinStripped(List<String> lines) {
        return String.join(" | ", lines.stream().map(String::strip).toList());
    }

    /** Evaluates a %{ }% block against TCP_INFO of the socket under test, as packetdrill's code events do. */
    private boolean code(Line line, CodeBlock code) {
        Map<String, Long> info = socketUnderTest == null ? Map.of() : kernel.inspect(k -> {
            try {
                var socket = k.requireProcess(pid).fds().get(socketUnderTest).socket();
                if (socket == null || socket.tcb() == null) {
                    return Map.<String, Long>of();
                }
                Map<String, Long> fields = new java.util.HashMap<>(io.vkernel.kernel.tcp.TcpInfo.of(socket.tcb(), k.clock().now()));
                fields.putAll(io.vkernel.kernel.tcp.SkMeminfo.of(socket.tcb())); // SO_MEMINFO, as the selftests read it
                return fields;
            } catch (RuntimeException e) {
                return Map.<String, Long>of();
            }
        });
        String failed;
        try {
            failed = code.run(info, codeVars);
        } catch (IllegalStateException e) {
            failed = e.getMessage();
        }
        if (failed != null) {
            return fail(line, failed + (socketUnderTest == null ? "" : " (TCP_INFO of fd " + socketUnderTest + ")"));
        }
        line.status = "pass";
        line.actual = socketUnderTest == null ? null : "TCP_INFO of fd " + socketUnderTest;
        return true;
    }

    /**
     * The call with {@code ...} addresses at this run's addresses: the parser writes packetdrill's defaults for them
     * (the very {@link Harness} instances, so an address the script spells out is left as written), and
     * --local_ip/--remote_ip move them, as packetdrill's bind() and connect() use its live local and remote address.
     */
    private Call atAddresses(Call call) {
        ScriptAddresses at = script.addresses();
        if (at.equals(ScriptAddresses.DEFAULT)) {
            return call;
        }
        if (call instanceof Call.Bind c && c.address() == Harness.BIND_ADDRESS) {
            return new Call.Bind(c.fd(), at.bindAddress());
        } else if (call instanceof Call.Connect c && c.address() == Harness.CONNECT_ADDRESS) {
            return new Call.Connect(c.fd(), at.connectAddress());
        } else if (call instanceof Call.SendTo c && c.address() == Harness.CONNECT_ADDRESS) {
            return new Call.SendTo(c.fd(), c.data(), c.flags(), at.connectAddress(), c.unspec());
        } else if (call instanceof Call.NullBuffer c && c.address() == Harness.CONNECT_ADDRESS) {
            return new Call.NullBuffer(c.call(), c.fd(), c.count(), c.flags(), at.connectAddress());
        }
        return call;
    }

    /** The call with the script's file descriptors replaced by the kernel's (identical unless they differed). */
    private Call toLive(Call call) {
        if (fdMap.isEmpty()) {
            return call;
        }
        if (call instanceof Call.Bind c) {
            return new Call.Bind(fd(c.fd()), c.address());
        } else if (call instanceof Call.Listen c) {
            return new Call.Listen(fd(c.fd()), c.backlog());
        } else if (call instanceof Call.Accept c) {
            return new Call.Accept(fd(c.fd()));
        } else if (call instanceof Call.Connect c) {
            return new Call.Connect(fd(c.fd()), c.address());
        } else if (call instanceof Call.Disconnect c) {
            return new Call.Disconnect(fd(c.fd()));
        } else if (call instanceof Call.Read c) {
            return new Call.Read(fd(c.fd()), c.count(), c.flags(), c.recv());
        } else if (call instanceof Call.RecvMsg c) {
            return new Call.RecvMsg(fd(c.fd()), c.count(), c.flags(), c.expectedInq(), c.expectedErr());
        } else if (call instanceof Call.Write c) {
            return new Call.Write(fd(c.fd()), c.data(), c.flags(), c.send());
        } else if (call instanceof Call.SendMsg c) {
            return new Call.SendMsg(fd(c.fd()), c.data(), c.iov(), c.flags());
        } else if (call instanceof Call.SendTo c) {
            return new Call.SendTo(fd(c.fd()), c.data(), c.flags(), c.address(), c.unspec());
        } else if (call instanceof Call.NullBuffer c) {
            return new Call.NullBuffer(c.call(), fd(c.fd()), c.count(), c.flags(), c.address());
        } else if (call instanceof Call.Poll c) {
            return new Call.Poll(c.fds().stream().map(p -> new io.vkernel.kernel.syscall.Syscalls.PollFd(fd(p.fd()), p.events())).toList(),
                    c.expectedRevents(), c.timeoutMs());
        } else if (call instanceof Call.Close c) {
            return new Call.Close(fd(c.fd()));
        } else if (call instanceof Call.Shutdown c) {
            return new Call.Shutdown(fd(c.fd()), c.how());
        } else if (call instanceof Call.Fcntl c) {
            return new Call.Fcntl(fd(c.fd()), c.command(), c.flags());
        } else if (call instanceof Call.SetSockOpt c) {
            return new Call.SetSockOpt(fd(c.fd()), c.option(), c.value(), c.on());
        } else if (call instanceof Call.SetSockOptBytes c) {
            return new Call.SetSockOptBytes(fd(c.fd()), c.option(), c.value());
        } else if (call instanceof Call.GetSockOpt c) {
            return new Call.GetSockOpt(fd(c.fd()), c.option(), c.expectedValue());
        } else if (call instanceof Call.Ioctl c) {
            return new Call.Ioctl(fd(c.fd()), c.request(), c.expectedValue());
        } else if (call instanceof Call.Dup c) {
            return new Call.Dup(fd(c.fd()));
        } else if (call instanceof Call.Dup2 c) {
            return new Call.Dup2(fd(c.oldFd()), fd(c.newFd()));
        } else if (call instanceof Call.EpollCtl c) {
            return new Call.EpollCtl(fd(c.epfd()), c.op(), fd(c.fd()), c.events(), c.data());
        } else if (call instanceof Call.EpollWait c) {
            return new Call.EpollWait(fd(c.epfd()), c.expectedEvents(), c.expectedData(), c.maxEvents(), c.timeoutMs());
        } else if (call instanceof Call.Lseek c) {
            return new Call.Lseek(fd(c.fd()), c.offset(), c.whence());
        } else if (call instanceof Call.SendFile c) {
            return new Call.SendFile(fd(c.outFd()), fd(c.inFd()), c.offset(), c.count());
        } else if (call instanceof Call.Splice c) {
            return new Call.Splice(fd(c.inFd()), fd(c.outFd()), c.len(), c.flags());
        }
        return call;
    }

    private int fd(int scriptFd) {
        return fdMap.getOrDefault(scriptFd, scriptFd);
    }

    /** After connect(), packets without explicit ports belong to the new connection (packetdrill's socket under test). */
    private void followConnect(int connectFd, Endpoint address) {
        Endpoint local = kernel.inspect(k -> {
            try {
                var file = k.requireProcess(pid).fds().get(connectFd);
                return file.socket() == null ? null : file.socket().local();
            } catch (RuntimeException e) {
                return null;
            }
        });
        if (local != null && local.port() != 0) {
            Flow.Key next = new Flow.Key(local.port(), address);
            if (!next.equals(defaultFlow)) {
                closedFlows.add(defaultFlow); // the new connection is the socket under test now
            }
            defaultFlow = next;
        }
    }

    /** Checks a finished call's result, errno, option value and return time against the line. */
    private boolean judge(Line line, SyscallLine call, SyscallResult result, long returnedUs, Long callEnd, EventTime time,
                          long tolerance) {
        line.actual = result.strace();
        line.returnedUs = returnedUs;
        List<String> problems = new ArrayList<>();
        boolean returnsFd = call.call() instanceof Call.Socket || call.call() instanceof Call.Accept
                || call.call() instanceof Call.Dup || call.call() instanceof Call.Dup2 || call.call() instanceof Call.EpollCreate
                || call.call() instanceof Call.Open;
        if (returnsFd && call.expectedRet() >= 0 && result.ret() >= 0) {
            // packetdrill's CHECK_FD: any new fd matches; later calls name it by the script's number
            if (call.expectedRet() != result.ret()) {
                fdMap.put((int) call.expectedRet(), (int) result.ret());
                line.detail = "the script's fd " + call.expectedRet() + " is the kernel's fd " + result.ret();
            } else {
                fdMap.remove((int) call.expectedRet());
            }
        } else if (result.ret() != call.expectedRet()) {
            problems.add("expected the call to return " + call.expectedRet() + " but it returned " + result.ret()
                    + (result.errno() == null ? "" : " " + result.errno().name() + " (" + result.errno().message() + ")"));
        } else if (call.expectedErrno() != null && (result.errno() == null || !result.errno().name().equals(call.expectedErrno()))) {
            problems.add("expected errno " + call.expectedErrno() + " but it was " + (result.errno() == null ? "not set" : result.errno().name()));
        }
        if (call.call() instanceof Call.Pipe pipe && pipe.expectedFds() != null && result.ret() == 0 && result.revents() != null) {
            // packetdrill's pipe(): the script's two numbers name the kernel's two new fds, as for any new fd
            for (int i = 0; i < 2; i++) {
                int expected = pipe.expectedFds().get(i);
                int actual = result.revents().get(i);
                if (expected != actual) {
                    fdMap.put(expected, actual);
                } else {
                    fdMap.remove(expected);
                }
            }
        }
        if (call.call() instanceof Call.GetSockOpt get && get.expectedValue() != null && result.value() != null
                && !result.value().equals(get.expectedValue())) {
            problems.add("expected optval [" + optval(get.option(), get.expectedValue()) + "] but it was ["
                    + optval(get.option(), result.value()) + "]");
        }
        if (call.call() instanceof Call.Poll poll && result.revents() != null) {
            for (int i = 0; i < poll.fds().size(); i++) {
                Integer expected = poll.expectedRevents().get(i);
                if (expected != null && !expected.equals(result.revents().get(i))) {
                    problems.add("expected fd " + poll.fds().get(i).fd() + " revents=" + Syscalls.pollNames(expected)
                            + " but it was " + Syscalls.pollNames(result.revents().get(i)));
                }
            }
        }
        if (call.call() instanceof Call.RecvMsg recvmsg && recvmsg.expectedInq() != null && result.ret() >= 0
                && !recvmsg.expectedInq().equals(result.value())) {
            problems.add("expected the TCP_CM_INQ control message to carry " + recvmsg.expectedInq() + " but "
                    + (result.value() == null ? "there was none (TCP_INQ is not set)" : "it carried " + result.value()));
        }
        if (call.call() instanceof Call.EpollWait wait && result.ret() >= 1 && result.revents() != null && result.revents().size() >= 2) {
            int events = result.revents().get(0);
            long data = result.revents().get(1);
            if (wait.expectedEvents() != null && wait.expectedEvents() != events) {
                problems.add("expected epoll_wait to report events=" + io.vkernel.kernel.socket.EventPoll.names(wait.expectedEvents())
                        + " but it reported " + io.vkernel.kernel.socket.EventPoll.names(events));
            }
            if (wait.expectedData() != null && wait.expectedData() != data) {
                problems.add("expected epoll_wait's event to carry data " + wait.expectedData() + " but it carried " + data);
            }
        }
        if (call.call() instanceof Call.RecvMsg recvmsg && recvmsg.expectedErr() != null && result.ret() >= 0) {
            String mismatch = recvmsg.expectedErr().mismatch(result.extendedErr(), tolerance);
            if (mismatch != null) {
                problems.add(mismatch);
            }
        }
        if (call.call() instanceof Call.Ioctl ioctl && ioctl.expectedValue() != null && result.value() != null
                && !result.value().equals(ioctl.expectedValue())) {
            problems.add("expected " + ioctl.request() + " [" + ioctl.expectedValue() + "] but it was [" + result.value() + "]");
        }
        if (callEnd != null && !time.isAny() && Math.abs(returnedUs - callEnd) > tolerance) {
            problems.add("timing error: expected the call to return at " + Notation.seconds(callEnd) + " s (tolerance "
                    + Notation.seconds(tolerance) + " s) but it returned at " + Notation.seconds(returnedUs) + " s");
        }
        if (!problems.isEmpty()) {
            return fail(line, String.join("; ", problems));
        }
        if (result.ret() >= 0 && (call.call() instanceof Call.Socket || call.call() instanceof Call.Accept)) {
            socketUnderTest = (int) result.ret();
        }
        if (result.ret() == 0 && call.call() instanceof Call.Listen) {
            listening = true; // syscall_listen(): the listener is the socket under test now
        }
        line.status = "pass";
        return true;
    }

    private static String optval(String option, long value) {
        if (option.equals("SO_ERROR") && value != 0) {
            try {
                return Errno.byNumber((int) value).name();
            } catch (IllegalArgumentException e) {
                return String.valueOf(value);
            }
        }
        return String.valueOf(value);
    }

    /** A blocked call that has returned is judged now, against its own line. */
    private boolean checkBlocked() {
        if (blocked == null || !blocked.pending.isDone()) {
            return true;
        }
        Blocked b = blocked;
        blocked = null;
        long returned = b.returnedUs >= 0 ? b.returnedUs : nowUs();
        boolean ok = judge(b.line, b.call, b.pending.result(), returned, b.endUs, b.event.time(), b.tolerance);
        if (ok && b.endUs == null && returned > b.line.timeUs) {
            b.line.detail = "the call blocked from " + Notation.seconds(b.line.timeUs) + " until " + Notation.seconds(returned)
                    + " s; packetdrill writes such a call with its return time, e.g. +0..." + Notation.seconds(returned - b.line.timeUs);
        }
        return ok;
    }

    // ---------------------------------------------------------------- end of the script

    private void finish() {
        checkBlocked();
        if (failure != null) {
            return;
        }
        if (blocked != null) {
            fail(blocked.line, "the script ended while this call was still blocked (since " + Notation.seconds(blocked.line.timeUs) + " s)");
            return;
        }
        if (!unmatched.isEmpty()) {
            // packetdrill stops reading the wire at the script's last line (often a close() whose FIN or RST
            // follows it): such packets are reported, not judged
            endLine = new Line(null, "end");
            endLine.timeUs = nowUs();
            endLine.status = "pass";
            endLine.detail = unexpected("after the last line").replace(", which no '>' line expects",
                    "; packetdrill does not check packets after a script's last line");
        }
    }

    private boolean fail(Line line, String detail) {
        line.status = "fail";
        line.detail = detail;
        if (failure == null) {
            failure = new ScriptReport.ScriptFailure(line.event == null ? null : line.event.line(), detail);
        }
        return false;
    }

    private String unexpected(String where) {
        List<String> packets = new ArrayList<>();
        for (Sniffed sniffed : unmatched) {
            Segment segment = sniffed.record().segment();
            Flow.Key key = new Flow.Key(segment.src().port(), segment.dst());
            packets.add(Packets.describe(segment, flow(key), !key.equals(defaultFlow)) + " at "
                    + Notation.seconds(sniffed.record().timeMs() * 1000) + " s (after line " + sniffed.afterLine() + ")");
        }
        return "unexpected outbound packet" + (packets.size() > 1 ? "s " : " ") + where + ": the kernel sent "
                + String.join(", then ", packets) + ", which no '>' line expects";
    }

    // ---------------------------------------------------------------- time and the wire

    private long nowUs() {
        return kernel.inspect(k -> k.clock().now()) * 1000;
    }

    /** Moves the virtual clock to {@code us} (rounded to the kernel's millisecond), firing timers on the way. */
    private void advanceTo(long us) {
        long target = (us + 500) / 1000;
        long now = kernel.inspect(k -> k.clock().now());
        if (target > now) {
            kernel.advance(target - now);
        }
    }

    /** null when {@code actualUs} is within the event's time (or range) and tolerance, else packetdrill's message. */
    private static String timing(EventTime time, long start, long end, long actualUs, long tolerance, String what) {
        if (time.isAny()) {
            return null;
        }
        long high = time.isRange() ? end : start;
        if (actualUs >= start - tolerance && actualUs <= high + tolerance) {
            return null;
        }
        return "timing error: expected " + what + " at " + window(time, start, end) + " (tolerance "
                + Notation.seconds(tolerance) + " s) but it happened at " + Notation.seconds(actualUs) + " s";
    }

    private static String window(EventTime time, long start, long end) {
        return time.isRange() ? Notation.seconds(start) + "~" + Notation.seconds(end) + " s" : Notation.seconds(start) + " s";
    }

    /** Takes the packets the kernel sent since the last look into the unmatched queue. */
    private void collect(int lineNo) {
        List<WireRecord> records = kernel.inspect(k -> k.nic().wire(lastWireNo, Integer.MAX_VALUE));
        for (WireRecord record : records) {
            lastWireNo = record.no();
            if (!record.inbound() && record.segment() != null) {
                unmatched.addLast(new Sniffed(record, lineNo));
            }
        }
    }

    private Flow flow(Flow.Key key) {
        return flows.computeIfAbsent(key, k -> new Flow());
    }

    // ---------------------------------------------------------------- the report

    private ScriptReport report() {
        List<ScriptReport.ScriptLine> results = new ArrayList<>();
        int passed = 0;
        for (Line line : lines) {
            results.add(result(line));
            passed += line.status.equals("pass") ? 1 : 0;
        }
        if (endLine != null) {
            results.add(result(endLine));
        }
        String summary = passed + " of " + lines.size() + " lines passed"
                + (failure == null ? "" : failure.line() == null ? "; unexpected packets after the last line" : "; line " + failure.line() + " failed");
        List<ScriptReport.ScriptPacket> wire = kernel.inspect(k -> k.nic().wire(0, Integer.MAX_VALUE)).stream()
                .map(r -> new ScriptReport.ScriptPacket(r.no(), r.timeMs() / 1000.0, r.inbound() ? "in" : "out",
                        r.segment() == null ? r.length() + " raw bytes" : r.segment().summary()))
                .toList();
        ScriptReport.ScriptSetup setup = new ScriptReport.ScriptSetup(script.addresses().localText() + ":" + Harness.LOCAL_PORT,
                script.addresses().remoteText() + ":" + Harness.REMOTE_PORT, seed, script.toleranceUs(), script.sysctls(), script.notes(),
                nowUs() / 1e6);
        return new ScriptReport(failure == null ? "pass" : "fail", summary, failure, setup, results, wire);
    }

    private static ScriptReport.ScriptLine result(Line line) {
        return new ScriptReport.ScriptLine(line.event == null ? null : line.event.line(),
                line.event == null ? "(end of script)" : line.event.text(), line.kind, line.status,
                line.timeUs == null ? null : line.timeUs / 1e6, line.returnedUs == null ? null : line.returnedUs / 1e6,
                line.expected, line.actual, line.wire, line.detail);
    }
}
