package io.vkernel.scenario;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.demux.XorHash;
import io.vkernel.kernel.nic.WireRecord;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.trace.EventType;
import io.vkernel.kernel.trace.KernelEvent;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.Seq;
import io.vkernel.kernel.wire.TcpFlags;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Where a scenario plays: one fresh kernel with the seed's server process, driven through the kernel's public API
 * as a test would. Every packet injected and call made is recorded as an action of the current step; the kernel's
 * replies are read from its wire log and handed to the client they are addressed to; {@link #step} closes a step
 * with its narration and a snapshot of the kernel.
 */
final class Stage {

    static final Endpoint SERVER = Endpoint.parse("10.0.0.50:8080");
    /** Sent packets listed in one step before the list is cut to its first and last ones. */
    static final int SENT_SHOWN = 12;
    /** Events a call's or a timer's kernel path shows; they repeat in batches, so a few are enough. */
    private static final Set<EventType> EXPLAINING = EnumSet.of(EventType.STATE_CHANGE, EventType.FD_ALLOC,
            EventType.FD_FREE, EventType.THREAD_SLEEP, EventType.THREAD_WAKE, EventType.TIMER_FIRED);

    private final Kernel kernel;
    private final int pid;
    private final List<ScenarioStep> steps = new ArrayList<>();
    private final List<ScenarioAction> actions = new ArrayList<>();
    private final List<Segment> sent = new ArrayList<>();
    private final List<PendingCall> waiting = new ArrayList<>();
    private final Map<Endpoint, Client> clients = new HashMap<>();
    private long wireMark;
    private long outMark;
    private int sentTotal;
    private boolean quiet;
    private String time = "setup";

    Stage(Kernel kernel) {
        this.kernel = kernel;
        this.wireMark = kernel.inspect(k -> k.nic().packetsIn() + k.nic().packetsOut());
        this.outMark = kernel.inspect(k -> k.nic().packetsOut());
        this.pid = kernel.spawn("server").pid();
        actions.add(new ScenarioAction("process", "server started: pid " + pid + ", FDs 0, 1, 2 open on the terminal", null, null));
    }

    int pid() {
        return pid;
    }

    List<ScenarioStep> steps() {
        return List.copyOf(steps);
    }

    Client client(String name, String endpoint) {
        Client client = new Client(this, name, endpoint);
        clients.put(client.endpoint(), client);
        return client;
    }

    // ---------------------------------------------------------------- time

    /** Names the seed's moment the next step shows, moving the virtual clock there (seconds) when it is ahead. */
    void at(String label, double seconds) {
        time = label;
        long target = Math.round(seconds * 1000);
        long now = kernel.inspect(k -> k.clock().now());
        if (target <= now) {
            return;
        }
        Long next = kernel.inspect(k -> k.clock().nextDeadline());
        if (next != null && next <= target) {
            advance(target - now); // a timer falls due on the way: show what it did
        } else {
            kernel.advance(target - now);
        }
    }

    void at(String label) {
        time = label;
    }

    /** Moves the virtual clock, firing the timers that fall due; the events they caused are the action's path. */
    private int advance(long ms) {
        long before = kernel.inspect(k -> k.clock().now());
        long mark = eventMark();
        int fired = kernel.advance(ms);
        long after = kernel.inspect(k -> k.clock().now());
        record(new ScenarioAction("clock", "time passes " + ms + " ms (clock " + before + " -> " + after + " ms): "
                + fired + (fired == 1 ? " timer fired" : " timers fired"), null, eventsAfter(mark)));
        return fired;
    }

    // ---------------------------------------------------------------- packets

    PacketReport inject(Segment segment) {
        PacketReport report = kernel.receive(segment);
        String payload = segment.payload().length == 0 ? "" : " " + quote(segment.payloadText());
        record(new ScenarioAction("packet-in", segment.summary() + payload, report.verdict(),
                report.steps().stream().map(s -> s.step() + ": " + s.detail()).toList()));
        return report;
    }

    // ---------------------------------------------------------------- system calls

    int socket() {
        return (int) done(() -> kernel.socket(pid), null).ret();
    }

    SyscallResult bind(int fd, String address) {
        return done(() -> kernel.bind(pid, fd, Endpoint.parse(address)), null);
    }

    SyscallResult listen(int fd, int backlog) {
        return done(() -> kernel.listen(pid, fd, backlog), null);
    }

    SyscallResult accept(int fd) {
        return done(() -> kernel.accept(pid, fd), null);
    }

    /** accept() on an empty queue: the thread sleeps until a connection completes its handshake. */
    PendingCall acceptBlocking(int fd) {
        return blocked(() -> kernel.accept(pid, fd));
    }

    SyscallResult read(int fd) {
        return done(() -> kernel.read(pid, fd, 4096), null);
    }

    PendingCall readBlocking(int fd) {
        return blocked(() -> kernel.read(pid, fd, 4096));
    }

    SyscallResult write(int fd, String text) {
        PacketReport report = new PacketReport(null);
        return done(() -> kernel.write(pid, fd, text.getBytes(StandardCharsets.UTF_8), report), report);
    }

    SyscallResult close(int fd) {
        PacketReport report = new PacketReport(null);
        return done(() -> kernel.close(pid, fd, report), report);
    }

    SyscallResult dup(int fd) {
        return done(() -> kernel.dup(pid, fd), null);
    }

    SyscallResult setsockopt(int fd, String option, long value) {
        return done(() -> kernel.setsockopt(pid, fd, option, value, true), null);
    }

    /** The seed's server: socket() = 3, bind() to 0.0.0.0:8080, listen() with backlog 128. */
    int serverListens() {
        int fd = socket();
        bind(fd, "0.0.0.0:8080");
        listen(fd, 128);
        return fd;
    }

    /** The common first step: the seed's server listening on 0.0.0.0:8080 with its socket at FD 3. */
    /** The client connects and the server accepts it: one step names the FD and the hash bucket; returns the FD. */
    int established(Client client, int listener, String aside) {
        client.connect();
        int fd = (int) accept(listener).ret();
        step("Connection established: FD " + fd, client.endpoint() + " -> 10.0.0.50:8080, " + hashOf(client)
                + ", accepted at FD " + fd + aside + ".");
        return fd;
    }

    int listeningServer() {
        int fd = serverListens();
        int limit = inspect(k -> k.process(pid).fds().limit());
        step("The server listens on 0.0.0.0:8080", "The server process, pid " + pid + ", starts with FDs 0, 1 and 2 open "
                + "(stdin, stdout, stderr); its RLIMIT_NOFILE is " + limit + ". socket() returns " + fd + ", the lowest free "
                + "number. bind() to 0.0.0.0:8080 and listen() with backlog 128 make it a listener whose accept queue holds "
                + "backlog+1 = 129 finished connections. A listener has no remote end and so no 4-tuple: the kernel keeps it "
                + "in its listening table, not in the established hash table the connections will go into.");
        return fd;
    }

    /** Runs {@code body} as one action (many connections at once): its calls and packets are not listed one by one. */
    void batch(String text, Runnable body) {
        long mark = eventMark();
        int sentBefore = sent.size();
        int totalBefore = sentTotal;
        quiet = true;
        try {
            body.run();
        } finally {
            quiet = false;
        }
        List<String> path = eventsAfter(mark);
        List<String> shown = path;
        if (path.size() > SENT_SHOWN) {
            shown = new ArrayList<>(path.subList(0, SENT_SHOWN / 2));
            shown.add("... " + (path.size() - SENT_SHOWN) + " more events ...");
            shown.addAll(path.subList(path.size() - SENT_SHOWN / 2, path.size()));
        }
        record(new ScenarioAction("batch", text, null, shown), sentBefore, totalBefore);
    }

    /** Makes a call that must finish; its action's path is what the kernel reported and the events it recorded. */
    private SyscallResult done(Supplier<Syscalls.Outcome> syscall, PacketReport report) {
        long mark = eventMark();
        Syscalls.Outcome outcome = syscall.get();
        if (!(outcome instanceof Syscalls.Done done)) {
            throw new IllegalStateException("a call the scenario expected to finish blocked: " + ((Syscalls.Pending) outcome).call().call());
        }
        List<String> path = new ArrayList<>();
        if (report != null) {
            report.steps().forEach(s -> path.add(s.step() + ": " + s.detail()));
        }
        path.addAll(eventsAfter(mark));
        record(new ScenarioAction("syscall", done.result().strace(), null, path.isEmpty() ? null : path));
        return done.result();
    }

    /** Makes a call that must block: its thread sleeps until a packet or a timer wakes it. */
    private PendingCall blocked(Supplier<Syscalls.Outcome> syscall) {
        long mark = eventMark();
        Syscalls.Outcome outcome = syscall.get();
        if (!(outcome instanceof Syscalls.Pending pending)) {
            throw new IllegalStateException("a call the scenario expected to block finished: " + ((Syscalls.Done) outcome).result().strace());
        }
        PendingCall call = pending.call();
        waiting.add(call);
        int comma = call.call().indexOf(", ");
        String unfinished = (comma > 0 ? call.call().substring(0, comma + 2) : call.call()) + "<unfinished ...>";
        record(new ScenarioAction("syscall-blocked", unfinished, null, eventsAfter(mark)));
        return call;
    }

    // ---------------------------------------------------------------- recording

    private void record(ScenarioAction action) {
        record(action, sent.size(), sentTotal);
    }

    /** Records an action with the packets sent since {@code before} (a batch counts those of its quiet calls). */
    private void record(ScenarioAction action, int before, int totalBefore) {
        collectSent();
        if (!quiet) {
            actions.add(action.withSent(shownSent(sent.subList(before, sent.size()), sentTotal - totalBefore)));
        }
        for (Iterator<PendingCall> it = waiting.iterator(); it.hasNext(); ) {
            PendingCall call = it.next();
            if (call.isDone()) {
                it.remove();
                if (!quiet) {
                    actions.add(new ScenarioAction("syscall-resumed", call.result().strace(), null,
                            List.of("thread " + call.tid() + " RUNNABLE again: " + call.call() + " returns")));
                }
            }
        }
    }

    /** The packets one action sent, as tcpdump lines; a long run of them keeps its ends around a count. */
    private static List<String> shownSent(List<Segment> segments, int total) {
        List<String> lines = segments.stream().map(Segment::summary).toList();
        if (lines.size() <= SENT_SHOWN && total <= lines.size()) {
            return lines;
        }
        List<String> shown = new ArrayList<>(lines.subList(0, Math.min(SENT_SHOWN / 2, lines.size())));
        int tail = Math.max(0, Math.min(SENT_SHOWN / 2, lines.size() - shown.size()));
        shown.add("... " + (total - shown.size() - tail) + " more packets ...");
        shown.addAll(lines.subList(lines.size() - tail, lines.size()));
        return shown;
    }

    /** Reads what the kernel sent since the last look and gives each segment to the client it is for. */
    private void collectSent() {
        record Fresh(List<WireRecord> records, long total, long out) {
        }
        Fresh fresh = kernel.inspect(k -> new Fresh(k.nic().wire(wireMark, Integer.MAX_VALUE),
                k.nic().packetsIn() + k.nic().packetsOut(), k.nic().packetsOut()));
        for (WireRecord record : fresh.records()) {
            if (!record.inbound()) {
                sent.add(record.segment());
                Client client = clients.get(record.segment().dst());
                if (client != null) {
                    client.observe(record.segment());
                }
            }
        }
        sentTotal += (int) (fresh.out() - outMark);
        wireMark = fresh.total();
        outMark = fresh.out();
    }

    /** Closes the current step: its narration, the actions since the last step, what was sent, the kernel's state. */
    void step(String title, String narration) {
        List<Segment> shown = sent;
        if (sent.size() > SENT_SHOWN) {
            shown = new ArrayList<>(sent.subList(0, SENT_SHOWN / 2));
            shown.addAll(sent.subList(sent.size() - SENT_SHOWN / 2, sent.size()));
        }
        List<ScenarioPacket> packets = shown.stream().map(Stage::packet).toList();
        Integer omitted = sentTotal > packets.size() ? sentTotal - packets.size() : null;
        long now = kernel.inspect(k -> k.clock().now());
        steps.add(new ScenarioStep(steps.size() + 1, time, now, title, narration, List.copyOf(actions), packets, omitted,
                KernelSnapshot.of(kernel, pid)));
        actions.clear();
        sent.clear();
        sentTotal = 0;
    }

    private static ScenarioPacket packet(Segment s) {
        return new ScenarioPacket(s.src().toString(), s.dst().toString(), TcpFlags.format(s.flags()),
                Seq.unsigned(s.seq()), s.has(TcpFlags.ACK) ? Seq.unsigned(s.ack()) : null,
                s.payload().length, s.summary());
    }

    private long eventMark() {
        return kernel.inspect(k -> k.events().lastSeq());
    }

    private List<String> eventsAfter(long mark) {
        List<KernelEvent> events = kernel.inspect(k -> k.events().after(mark, Integer.MAX_VALUE));
        return events.stream().filter(e -> EXPLAINING.contains(e.type()))
                .map(e -> e.type().name() + " " + e.subject() + ": " + e.detail()).toList();
    }

    // ---------------------------------------------------------------- values for the narration

    Tcb tcb(Client client) {
        FourTuple tuple = new FourTuple(client.endpoint(), SERVER);
        return kernel.inspect(k -> k.established().find(tuple));
    }

    /** The connection's state in the server's table, or "gone" when it has left it. */
    String state(Client client) {
        Tcb tcb = tcb(client);
        return tcb == null ? "gone" : KernelSnapshot.name(tcb.state());
    }

    <T> T inspect(Function<Kernel, T> view) {
        return kernel.inspect(view);
    }

    /** {@code jhash(...) = 0x1a2b3c4d, bucket 0x1a2b3c4d & 65535 = 15437}: the demux computation for a client's tuple. */
    String hashOf(Client client) {
        FourTuple tuple = new FourTuple(client.endpoint(), SERVER);
        return kernel.inspect(k -> {
            int hash = k.established().hashFunction().hash(tuple);
            return k.established().hashFunction().name() + "(" + client.endpoint() + " -> " + SERVER + ") = "
                    + KernelSnapshot.hex(hash) + ", bucket " + KernelSnapshot.hex(hash) + " & "
                    + (k.established().bucketCount() - 1) + " = " + k.established().bucketOf(tuple);
        });
    }

    int bucket(Client client) {
        FourTuple tuple = new FourTuple(client.endpoint(), SERVER);
        return kernel.inspect(k -> k.established().bucketOf(tuple));
    }

    /** The bucket the seed's own {@code hash_4tuple()} would pick: {@code (src_ip ^ src_port << 16 ^ dst_ip ^ dst_port) % 65536}. */
    static int seedBucket(Client client) {
        return new XorHash().hash(new FourTuple(client.endpoint(), SERVER)) & 0xffff;
    }

    static String seq(int seq) {
        return String.valueOf(Seq.unsigned(seq));
    }

    static String quote(String text) {
        String shown = text.length() > 40 ? text.substring(0, 40) + "..." : text;
        return "\"" + shown.replace("\r", "\\r").replace("\n", "\\n") + "\"";
    }
}
