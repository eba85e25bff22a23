package io.vkernel.kernel;

import io.vkernel.kernel.demux.BindTable;
import io.vkernel.kernel.demux.EstablishedTable;
import io.vkernel.kernel.demux.JenkinsHash;
import io.vkernel.kernel.demux.ListenerTable;
import io.vkernel.kernel.demux.PortAllocator;
import io.vkernel.kernel.demux.TupleHash;
import io.vkernel.kernel.demux.XorHash;
import io.vkernel.kernel.fd.OpenFile;
import io.vkernel.kernel.nic.Egress;
import io.vkernel.kernel.nic.Nic;
import io.vkernel.kernel.proc.Process;
import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.socket.WaitQueue;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.tcp.IsnGenerator;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.tcp.TcpEngine;
import io.vkernel.kernel.tcp.TcpHost;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.time.VirtualClock;
import io.vkernel.kernel.trace.DropReason;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.trace.SnmpCounters;
import io.vkernel.kernel.trace.EventLog;
import io.vkernel.kernel.trace.EventType;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.IcmpMessage;
import io.vkernel.kernel.wire.Ipv4;
import io.vkernel.kernel.wire.MalformedPacketException;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.Seq;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOption;
import io.vkernel.kernel.wire.WirePacket;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One virtual host: an IPv4 address, a NIC, the demux tables, processes with their FD tables, the TCP engine
 * and a manual virtual clock. Every public method takes the kernel's one lock (a "big kernel lock"), so its
 * structures are always consistent; kernels share nothing.
 *
 * <p>An inbound packet follows the seed's path, one method per step: {@link #nicReceive}, {@link #ipValidate},
 * {@link #extractTuple}, {@link #demux}, then the TCP engine (TCB, receive buffer and ACK) and {@link #wake}.
 */
public final class Kernel implements TcpHost {

    /** Finished calls kept for polling (GET .../calls/{id}). */
    public static final int FINISHED_CALLS_KEPT = 1024;

    private final KernelConfig config;
    private final VirtualClock clock = new VirtualClock();
    private final EventLog events;
    private final Nic nic;
    private final SnmpCounters snmp = new SnmpCounters();
    private final EstablishedTable established;
    private final ListenerTable listeners = new ListenerTable();
    private final BindTable binds = new BindTable();
    private final Sysctls sysctls = new Sysctls();
    private final TcpEngine tcp;
    private final Syscalls syscalls = new Syscalls(this);
    /** Regular files (under /tmp) and what open(), sendfile() and splice() do with them and with pipes. */
    private final io.vkernel.kernel.fs.VirtualFs files = new io.vkernel.kernel.fs.VirtualFs();
    private final io.vkernel.kernel.syscall.FileCalls fileCalls = new io.vkernel.kernel.syscall.FileCalls(this, syscalls);
    private final Map<Integer, Process> processes = new LinkedHashMap<>();
    /** Blocked calls, oldest first. */
    private final Map<Long, PendingCall> calls = new LinkedHashMap<>();
    /** The most recent finished calls, so a client polling for a result still finds it. */
    private final Map<Long, PendingCall> finishedCalls = new FinishedCalls();
    private final KernelMemory memory;
    private int parkedPerProcess = Integer.MAX_VALUE;
    private int parkedPerKernel = Integer.MAX_VALUE;
    private final PortAllocator ports;
    /** Segments sent to one of our own addresses, delivered once the current operation finishes (the lo device). */
    private final ArrayDeque<Segment> loopback = new ArrayDeque<>();
    private boolean delivering;
    private long nextInode = 40_000;
    private int nextPid = 12_345;
    private long nextCallId = 1;
    private PacketReport current;
    /** Where segments for other hosts go; null: they stay in the wire log only. */
    private volatile Egress egress;
    /** Who keeps the inputs this kernel executes (a journal); null: nobody. */
    private volatile KernelInput.Recorder recorder;
    /** The clock follows the wall clock (someone outside advances it); a recorded input so a replay knows. */
    private boolean realtimeClock;

    public Kernel(KernelConfig config) {
        this(config, KernelBudget.unlimited());
    }

    /** A kernel whose retained memory is charged against {@code budget} (see {@link KernelMemory}). */
    public Kernel(KernelConfig config, KernelBudget budget) {
        this.config = config;
        this.events = new EventLog(config.eventCapacity(), clock::now);
        this.events.limitBytes(budget.eventLogBytes());
        this.nic = new Nic(config.wireCapacity(), clock::now);
        this.nic.limitBytes(budget.wireLogBytes());
        TupleHash hash = "xor".equals(config.hash()) ? new XorHash() : new JenkinsHash((int) Secrets.hashSecret(config.seed()));
        this.established = new EstablishedTable(hash, config.buckets());
        this.ports = new PortAllocator(Secrets.hashSecret(config.seed() + 1));
        this.tcp = new TcpEngine(established, listeners, binds, clock, sysctls, new IsnGenerator(config.seed()), this, config.maxConnections());
        this.memory = new KernelMemory(this, budget);
    }

    // ---------------------------------------------------------------- the receive path (the seed's six steps)

    /** An inbound segment arrives at the NIC; the report tells what each step did. */
    public synchronized PacketReport receive(Segment segment) {
        memory.admit(KernelMemory.REQUEST + 2L * segment.payload().length, "this packet");
        PacketReport report = receiveOne(segment);
        deliverLoopback();
        return recorded(new KernelInput.Packet(segment), report);
    }

    private PacketReport receiveOne(Segment segment) {
        PacketReport report = new PacketReport(segment, sysctls.tracing());
        PacketReport outer = current;
        current = report;
        try {
            nicReceive(segment, report);
            if (!ipValidate(segment, report)) {
                return report;
            }
            FourTuple tuple = extractTuple(segment, report);
            snmp.increment(SnmpCounter.TCP_IN_SEGS);
            demux(tuple, segment, report);
            countDrop(report);
            return report;
        } finally {
            current = outer;
        }
    }

    /**
     * Delivers what the kernel sent to itself (connections over 127.0.0.1 or its own address), in order, each
     * through the same receive path as a packet from the NIC. Bounded, so two sockets can never ping-pong forever.
     */
    private void deliverLoopback() {
        if (delivering) {
            return;
        }
        delivering = true;
        try {
            for (int budget = 100_000; !loopback.isEmpty() && budget > 0; budget--) {
                receiveOne(loopback.pollFirst());
            }
            loopback.clear();
        } finally {
            delivering = false;
        }
    }

    private <T> T deliveringAfter(T result) {
        deliverLoopback();
        return result;
    }

    /** Step 1: the NIC interrupts and the packet is copied from its ring into kernel memory. */
    private void nicReceive(Segment segment, PacketReport report) {
        long no = nic.receive(segment).no();
        if (!report.tracing()) {
            return;
        }
        events.recordPacket(EventType.PACKET_IN, no, segment);
        int payload = segment.payload().length;
        report.step("nic.receive", () -> "IRQ: the NIC copied packet #" + no + " (" + (40 + payload)
                + " bytes: 20 IPv4 + 20 TCP + " + payload + " payload) from its receive ring into kernel memory");
    }

    /** Step 2: IP validation — the packet is for this host and its source can be a TCP peer. */
    private boolean ipValidate(Segment segment, PacketReport report) {
        int destination = segment.dst().address();
        if (!isLocalAddress(destination)) {
            dropped(report, DropReason.NOT_FOR_THIS_HOST, Ipv4.format(destination) + " is not "
                    + Ipv4.format(config.address()) + " or 127.0.0.1");
            return false;
        }
        if (!Ipv4.isValidPeer(segment.src().address())) {
            dropped(report, DropReason.BAD_SOURCE, Ipv4.format(segment.src().address()) + " cannot send TCP");
            return false;
        }
        if (!report.tracing()) {
            return true;
        }
        int source = segment.src().address();
        report.step("ip.validate", () -> "destination " + Ipv4.format(destination) + " is this host, source "
                + Ipv4.format(source) + " is a unicast address, protocol 6 (TCP): passed to TCP");
        return true;
    }

    /** Step 3: the 4-tuple, the connection's identity. */
    private FourTuple extractTuple(Segment segment, PacketReport report) {
        FourTuple tuple = FourTuple.ofInbound(segment);
        if (!report.tracing()) {
            return tuple;
        }
        report.step("tcp.tuple", () -> "4-tuple (src " + segment.src() + ", dst " + segment.dst() + "), flags ["
                + TcpFlags.format(segment.flags()) + "], seq " + Seq.unsigned(segment.seq())
                + (segment.has(TcpFlags.ACK) ? ", ack " + Seq.unsigned(segment.ack()) : "")
                + ", " + segment.payload().length + " payload bytes");
        return tuple;
    }

    /** Step 4: established table by exact 4-tuple, then a listener on the address, then on 0.0.0.0, else RST. */
    private void demux(FourTuple tuple, Segment segment, PacketReport report) {
        if (!report.tracing()) {
            Tcb found = established.find(tuple);
            if (found != null) {
                tcp.segmentArrives(found, segment, report);
                return;
            }
            Socket listener = listeners.find(tuple.local());
            if (listener != null) {
                tcp.listenerReceives(listener, segment, report);
            } else {
                nic.countDrop(DropReason.NO_SOCKET);
                report.markDropCounted();
                tcp.resetNoSocket(segment, report);
            }
            return;
        }
        // the texts are rendered when the report is read, from values captured now (see PacketReport)
        EstablishedTable.Lookup lookup = established.trace(tuple);
        String hashName = established.hashFunction().name();
        int buckets = established.bucketCount();
        report.step("demux.hash", () -> hashName + "(" + tuple + ") = " + String.format("0x%08x", lookup.hash())
                + "; bucket = hash & " + (buckets - 1) + " = " + lookup.bucket() + " of " + buckets);
        report.step("demux.chain", () -> lookup.compared().isEmpty() ? "bucket " + lookup.bucket() + " is empty"
                : "bucket " + lookup.bucket() + " chain: " + String.join("; ", lookup.compared()));
        if (lookup.found() != null) {
            Tcb tcb = lookup.found();
            TcpState state = tcb.state();
            Object owner = owner(tcb);
            report.step("demux.found", () -> "connection " + tuple + " in " + state + ", held by " + owner);
            tcp.segmentArrives(tcb, segment, report);
            return;
        }
        Socket listener = listeners.find(tuple.local());
        if (listener != null) {
            Endpoint local = listener.local();
            report.step("demux.listener", () -> "no connection; listener " + local + " matches"
                    + (local.isWildcard() ? " (wildcard, no listener on " + tuple.local() + ")" : " (exact address)"));
            tcp.listenerReceives(listener, segment, report);
            return;
        }
        report.step("demux.miss", () -> "no connection and no listener on " + tuple.local() + " or 0.0.0.0:" + tuple.local().port());
        nic.countDrop(DropReason.NO_SOCKET);
        report.markDropCounted();
        tcp.resetNoSocket(segment, report);
    }

    /** Who holds a connection: a process's FD, the listener's accept or SYN queue, or nobody (an orphan). */
    public String ownerOf(Tcb tcb) {
        return owner(tcb).toString();
    }

    /**
     * {@link #ownerOf}'s answer as of now, as a string or, in the two cases every traced packet meets, as an
     * immutable record of the values that answer is written from (written out when a trace is read).
     */
    private Object owner(Tcb tcb) {
        if (tcb.socket() != null) {
            // the usual case, one FD in one process, without scanning every FD table (this runs for every traced packet)
            OpenFile file = tcb.socket().file();
            if (file != null) {
                for (Process process : processes.values()) {
                    int fd = process.fds().soleFd(file);
                    if (fd >= 0) {
                        return new FdOwner(process.pid(), process.name(), fd);
                    }
                }
            }
            for (Process process : processes.values()) {
                List<Integer> fds = process.fds().fdsOf(tcb.socket());
                if (!fds.isEmpty()) {
                    String numbers = fds.toString().replaceAll("[\\[\\]]", "");
                    return "pid " + process.pid() + " (" + process.name() + ") fd" + (fds.size() > 1 ? "s " : " ") + numbers;
                }
            }
        }
        if (tcb.state() == TcpState.SYN_RECV) {
            return "request for listener " + tcb.listener().local() + " (SYN queue)";
        }
        if (tcb.isOrphan()) {
            return "orphan: no FD (closed by the application)";
        }
        if (tcb.listener() != null && tcb.listener().acceptQueue().contains(tcb)) {
            return new AcceptQueueOwner(tcb.listener().local());
        }
        return "no FD";
    }

    private record FdOwner(int pid, String name, int fd) {
        @Override
        public String toString() {
            return "pid " + pid + " (" + name + ") fd " + fd;
        }
    }

    private record AcceptQueueOwner(Endpoint listener) {
        @Override
        public String toString() {
            return "accept queue of " + listener + ": no FD until accept()";
        }
    }

    private void dropped(PacketReport report, DropReason reason, String detail) {
        nic.countDrop(reason);
        report.drop(reason, detail);
        report.markDropCounted();
        event(EventType.PACKET_DROP, reason.name(), detail);
    }

    /** A drop the TCP layer reported (accept queue full, out of window, ...) is counted and logged here, once. */
    private void countDrop(PacketReport report) {
        DropReason reason = report.dropReason();
        if (reason == null || report.dropCounted()) {
            return;
        }
        report.markDropCounted();
        nic.countDrop(reason);
        if (report.tracing()) {
            event(EventType.PACKET_DROP, reason.name(), report.dropDetail());
        }
    }

    // ---------------------------------------------------------------- the receive path for raw bytes

    /**
     * Raw bytes arrive at the NIC: logged as received (a capture shows them as they came), then decoded as Linux's
     * {@code ip_rcv_core()} and {@code tcp_v4_rcv()} check them. Bytes that are not a sound TCP segment in an IPv4
     * packet are dropped and counted by reason, without a reply; a sound one goes on along {@link #receive}'s path.
     * Unlike Linux, both headers are checked before the addresses, so a damaged packet for another host counts as
     * damaged, not as {@link DropReason#NOT_FOR_THIS_HOST}.
     */
    public synchronized PacketReport receiveRaw(byte[] packet) {
        memory.admit(KernelMemory.REQUEST + 3L * packet.length, "this packet");
        if (IcmpMessage.isIcmp(packet)) {
            PacketReport report = new PacketReport(null);
            current = report;
            try {
                receiveIcmp(packet, report);
            } finally {
                current = null;
            }
            deliverLoopback();
            return recorded(new KernelInput.RawPacket(packet.clone()), report);
        }
        WirePacket decoded = null;
        MalformedPacketException malformed = null;
        try {
            decoded = WirePacket.parse(packet);
        } catch (MalformedPacketException e) {
            malformed = e;
        }
        Segment segment = decoded == null ? null : decoded.segment();
        PacketReport report = new PacketReport(segment);
        current = report;
        try {
            receiveRawSteps(packet, decoded, malformed, segment, report);
        } finally {
            current = null;
        }
        deliverLoopback();
        return recorded(new KernelInput.RawPacket(packet.clone()), report);
    }

    private void receiveRawSteps(byte[] packet, WirePacket decoded, MalformedPacketException malformed, Segment segment,
                                 PacketReport report) {
        nicReceiveRaw(packet, decoded, segment, report);
        if (malformed != null) {
            DropReason reason = DropReason.of(malformed.reason());
            if (reason == DropReason.BAD_TCP_CHECKSUM || reason == DropReason.BAD_TCP_HEADER) {
                snmp.increment(SnmpCounter.TCP_IN_SEGS); // tcp_v4_rcv() counts the segment, then the error
                snmp.increment(SnmpCounter.TCP_IN_ERRS);
                if (reason == DropReason.BAD_TCP_CHECKSUM) {
                    snmp.increment(SnmpCounter.TCP_IN_CSUM_ERRORS);
                }
            }
            dropped(report, reason, malformed.getMessage() + ". Dropped without a reply: " + reason.explanation());
            return;
        }
        report.step("ip.header", decoded.ip().describe() + ": header checksum verified (ip_rcv_core)");
        if (!ipValidate(segment, report)) {
            return;
        }
        report.step("tcp.header", decoded.tcp().describe() + ": checksum verified over the pseudo-header (tcp_v4_rcv)");
        for (TcpOption option : decoded.tcp().options().list()) {
            if (option instanceof TcpOption.Malformed bad) {
                report.step("tcp.options", bad.problem() + ": tcp_parse_options() stops reading options there (\"silly "
                        + "options\"); the ones before it count and the segment is processed as usual");
            }
        }
        FourTuple tuple = extractTuple(segment, report);
        snmp.increment(SnmpCounter.TCP_IN_SEGS);
        demux(tuple, segment, report);
        countDrop(report);
    }

    /**
     * An ICMP message (icmp_rcv()): checked, then an error about one of our TCP segments goes to the connection the
     * quoted header names (icmp_unreach() -> tcp_v4_err(), by the established table only, as Linux looks it up).
     */
    private void receiveIcmp(byte[] packet, PacketReport report) {
        IcmpMessage icmp = null;
        MalformedPacketException malformed = null;
        try {
            icmp = IcmpMessage.parse(packet);
        } catch (MalformedPacketException e) {
            malformed = e;
        }
        long no = nic.receiveRaw(packet, null).no();
        event(EventType.PACKET_IN, "#" + no, packet.length + " raw bytes" + (icmp == null ? "" : ": " + icmp.describe()));
        report.step("nic.receive", "IRQ: the NIC copied packet #" + no + " (" + packet.length + " bytes, IPv4 protocol 1: ICMP) "
                + "from its receive ring into kernel memory");
        if (malformed != null) {
            DropReason reason = DropReason.of(malformed.reason());
            dropped(report, reason, malformed.getMessage() + ". Dropped without a reply: " + reason.explanation());
            return;
        }
        report.step("icmp", icmp.describe() + " (icmp_rcv())");
        if (!IcmpMessage.isError(icmp.type()) || icmp.quotedProtocol() != io.vkernel.kernel.wire.Checksum.PROTOCOL_TCP) {
            dropped(report, DropReason.ICMP_IGNORED, IcmpMessage.isError(icmp.type())
                    ? "the quoted datagram is IPv4 protocol " + icmp.quotedProtocol() + ", not TCP"
                    : "ICMP type " + icmp.type() + " is not an error about a TCP segment; vkernel answers no echo or timestamp request");
            return;
        }
        Tcb tcb = established.find(icmp.quotedTuple());
        if (tcb == null) {
            dropped(report, DropReason.ICMP_IGNORED, "no connection matches the quoted segment " + icmp.quotedTuple()
                    + " (ICMP InErrors)");
            return;
        }
        tcp.icmpError(tcb, icmp, report);
        countDrop(report);
    }

    /** Step 1 for raw bytes: the NIC copies them into kernel memory whether or not they make sense. */
    private void nicReceiveRaw(byte[] packet, WirePacket decoded, Segment segment, PacketReport report) {
        long no = nic.receiveRaw(packet, segment).no();
        String layout = decoded == null ? "" : ": " + decoded.ip().headerLength() + " IPv4 + " + decoded.tcp().headerLength()
                + " TCP + " + decoded.payload().length + " payload";
        if (segment == null) {
            event(EventType.PACKET_IN, "#" + no, packet.length + " raw bytes");
        } else {
            events.recordPacket(EventType.PACKET_IN, no, segment);
        }
        report.step("nic.receive", "IRQ: the NIC copied packet #" + no + " (" + packet.length + " bytes" + layout
                + ") from its receive ring into kernel memory");
    }

    // ---------------------------------------------------------------- TcpHost: output, events, wake-ups

    /** Set once any socket asks for transmit timestamps, so other kernels' transmits never look for them. */
    private boolean txTimestamps;

    public void txTimestampsInUse() {
        txTimestamps = true;
    }

    @Override
    public void transmit(Segment segment, PacketReport report) {
        if (sysctls.qdiscDrops()) {
            // the root qdisc holds no packets (tc qdisc ... pfifo limit 0): dropped before the device, never on the wire
            event(EventType.PACKET_DROP, "QDISC", "qdisc limit 0 dropped " + segment);
            return;
        }
        long no = nic.transmit(segment).no();
        if (txTimestamps && segment.payload().length > 0) {
            stampTransmit(segment, report);
        }
        snmp.increment(SnmpCounter.TCP_OUT_SEGS);
        if (segment.has(TcpFlags.RST)) {
            snmp.increment(SnmpCounter.TCP_OUT_RSTS);
        }
        PacketReport target = report != null ? report : current;
        if (target == null || target.tracing()) {
            events.recordPacket(EventType.PACKET_OUT, no, segment);
        }
        if (target != null) {
            target.sent(segment);
        }
        if (isLocalAddress(segment.dst().address())) {
            loopback.addLast(segment);
        } else if (egress != null) {
            egress.send(segment);
        }
    }

    /** SO_TIMESTAMPING: the segment that carries a write's key byte out gets its SCHED and SND timestamps. */
    private void stampTransmit(Segment segment, PacketReport report) {
        Tcb tcb = established.find(new FourTuple(segment.dst(), segment.src()));
        Socket socket = tcb == null ? null : tcb.socket();
        if (socket != null && socket.errorQueue() != null && socket.errorQueue().wantsTxStamps()
                && socket.errorQueue().transmitted(segment.seq(), segment.payload().length, clock.now() * 1_000_000L)) {
            wake(socket, 0x8 /* EPOLLERR: sk_error_report() */, report);
        }
    }

    /** Attaches (or with null detaches) where segments for non-local addresses are sent. */
    public void egress(Egress egress) {
        this.egress = egress;
    }

    @Override
    public void count(SnmpCounter counter) {
        snmp.increment(counter);
    }

    /** The MIB counters nstat would show for this kernel. */
    public SnmpCounters snmp() {
        return snmp;
    }

    @Override
    public void event(EventType type, String subject, String detail) {
        events.record(type, subject, detail);
    }

    @Override
    public void event(EventType type, String subject, io.vkernel.kernel.trace.EventText detail) {
        events.record(type, subject, detail);
    }

    /** Step 6: wake the threads sleeping on the socket; each retries its call. */
    @Override
    public void wake(Socket socket, PacketReport report) {
        wake(socket, WaitQueue.ALL, report);
    }

    /** A wake-up with a poll key (EPOLLIN for new data, EPOLLERR for the error queue...): epoll watches filter on it. */
    @Override
    public void wake(Socket socket, int key, PacketReport report) {
        if (socket.waitQueue().isEmpty()) {
            return;
        }
        if (key != WaitQueue.ALL && (key & WRITE_SPACE) != 0) {
            // tcp_check_space() -> sk_stream_write_space(): EPOLLOUT only for a socket marked SOCK_NOSPACE that is writeable again
            key &= ~WRITE_SPACE;
            if (socket.noSpace() && syscalls.pollWriteable(socket)) {
                socket.noSpace(false);
                key |= io.vkernel.kernel.socket.EventPoll.EPOLLOUT | io.vkernel.kernel.socket.EventPoll.EPOLLWRNORM
                        | io.vkernel.kernel.socket.EventPoll.EPOLLWRBAND;
            }
            if (key == 0) {
                return; // not writeable enough yet: sk_stream_write_space() wakes nobody, a blocked write sleeps on
            }
        }
        for (WaitQueue.Waiter waiter : socket.waitQueue().wakeAll(key)) {
            event(EventType.THREAD_WAKE, "socket:[" + socket.inode() + "]", waiter.describe() + " woken: RUNNABLE");
            if (report != null) {
                report.woke(waiter.describe());
                String who = waiter.describe();
                long inode = socket.inode();
                report.step("wake", () -> "woke " + who + " sleeping on socket:[" + inode + "]'s wait queue");
            }
        }
    }

    // ---------------------------------------------------------------- processes and system calls

    public synchronized Process spawn(String name) {
        if (processes.size() >= config.maxProcesses()) {
            throw new KernelLimitException("this kernel already runs " + processes.size() + " processes (limit " + config.maxProcesses() + ")");
        }
        memory.admit(KernelMemory.REQUEST + KernelMemory.processBytes(), "a new process");
        Process process = new Process(newPid(), name, sysctls.getInt(Sysctls.RLIMIT_NOFILE));
        processes.put(process.pid(), process);
        event(EventType.PROCESS, "pid " + process.pid(), "process '" + name + "' started with fds 0, 1, 2 on the terminal");
        return recorded(new KernelInput.Spawn(name), process);
    }

    /** exit(): every FD is closed as close() would, blocked calls end, the process goes away. */
    public synchronized PacketReport exit(int pid) {
        Process process = requireProcess(pid);
        memory.changed();
        PacketReport report = new PacketReport(null);
        for (PendingCall call : pendingCalls()) {
            if (call.pid() == pid) {
                Syscalls.abandon(call);
            }
        }
        for (int fd : List.copyOf(process.fds().entries().keySet())) {
            syscalls.close(process, fd, report);
        }
        processes.remove(pid);
        event(EventType.PROCESS, "pid " + pid, "process exited; all its FDs were closed");
        return recorded(new KernelInput.Exit(pid), deliveringAfter(report));
    }

    public synchronized Syscalls.Outcome socket(int pid) {
        memory.admit(KernelMemory.REQUEST + KernelMemory.SOCKET + KernelMemory.FD, "socket()");
        return recorded(KernelInput.Syscall.of("socket", pid, -1), deliveringAfter(syscalls.socket(requireProcess(pid))));
    }

    /** socket(AF_INET, SOCK_STREAM, protocol): anything but IPPROTO_TCP (0) answers EPROTONOSUPPORT. */
    public synchronized Syscalls.Outcome socket(int pid, String protocol) {
        return socket(pid, protocol, false);
    }

    /** socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK, protocol) when {@code nonBlock}: the new file starts O_NONBLOCK. */
    public synchronized Syscalls.Outcome socket(int pid, String protocol, boolean nonBlock) {
        memory.admit(KernelMemory.REQUEST + KernelMemory.SOCKET + KernelMemory.FD, "socket()");
        return deliveringAfter(syscalls.socket(requireProcess(pid), protocol, nonBlock));
    }

    /** socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK, 0) over HTTP, journaled as a socket with that type. */
    public synchronized Syscalls.Outcome socketNonBlocking(int pid) {
        memory.admit(KernelMemory.REQUEST + KernelMemory.SOCKET + KernelMemory.FD, "socket()");
        return recorded(new KernelInput.Syscall("socket", pid, -1, 1, 0, null, null, null),
                deliveringAfter(syscalls.socket(requireProcess(pid), "IPPROTO_TCP", true)));
    }

    public synchronized Syscalls.Outcome bind(int pid, int fd, Endpoint address) {
        memory.admit(KernelMemory.REQUEST, "bind()");
        return recorded(new KernelInput.Syscall("bind", pid, fd, 0, 0, address, null, null), deliveringAfter(syscalls.bind(requireProcess(pid), fd, address)));
    }

    public synchronized Syscalls.Outcome listen(int pid, int fd, int backlog) {
        memory.admit(KernelMemory.REQUEST, "listen()");
        return recorded(new KernelInput.Syscall("listen", pid, fd, backlog, 0, null, null, null), deliveringAfter(syscalls.listen(requireProcess(pid), fd, backlog)));
    }

    public synchronized Syscalls.Outcome accept(int pid, int fd) {
        memory.changed();
        return recorded(KernelInput.Syscall.of("accept", pid, fd), deliveringAfter(syscalls.accept(requireProcess(pid), fd)));
    }

    public synchronized Syscalls.Outcome read(int pid, int fd, int count) {
        memory.changed();
        return recorded(new KernelInput.Syscall("read", pid, fd, count, 0, null, null, null), deliveringAfter(syscalls.read(requireProcess(pid), fd, count)));
    }

    /** recv(fd, buf, count, flags): read() with MSG_PEEK / MSG_DONTWAIT. */
    public synchronized Syscalls.Outcome recv(int pid, int fd, int count, int flags) {
        memory.changed();
        return recorded(new KernelInput.Syscall("recv", pid, fd, count, flags, null, null, null),
                deliveringAfter(syscalls.read(requireProcess(pid), fd, count, flags, true)));
    }

    /** epoll_create(size): a new epoll instance in the lowest free FD. */
    public synchronized Syscalls.Outcome epollCreate(int pid, int size) {
        memory.admit(KernelMemory.REQUEST, "epoll_create()");
        return recorded(new KernelInput.Syscall("epoll_create", pid, -1, size, 0, null, null, null),
                syscalls.epollCreate(requireProcess(pid), size));
    }

    /** epoll_ctl(epfd, op, fd, {events, data}); op 1 ADD, 2 DEL, 3 MOD. */
    public synchronized Syscalls.Outcome epollCtl(int pid, int epfd, int op, int fd, int events, long data) {
        memory.changed();
        return recorded(new KernelInput.Syscall("epoll_ctl", pid, epfd, op, KernelInput.Syscall.epollTarget(fd, events), null, null,
                Long.toString(data)), syscalls.epollCtl(requireProcess(pid), epfd, op, fd, events, data));
    }

    /** epoll_wait(epfd, events, maxevents, timeout). */
    public synchronized Syscalls.Outcome epollWait(int pid, int epfd, int maxEvents, int timeoutMs) {
        memory.changed();
        return recorded(new KernelInput.Syscall("epoll_wait", pid, epfd, maxEvents, timeoutMs, null, null, null),
                syscalls.epollWait(requireProcess(pid), epfd, maxEvents, timeoutMs));
    }

    /** recvmsg(fd, {one iovec of count bytes}, flags): recv(), plus TCP_CM_INQ (the result's value) under TCP_INQ. */
    public synchronized Syscalls.Outcome recvmsg(int pid, int fd, int count, int flags) {
        memory.changed();
        return recorded(new KernelInput.Syscall("recvmsg", pid, fd, count, flags, null, null, null),
                deliveringAfter(syscalls.recvmsg(requireProcess(pid), fd, count, flags)));
    }

    /** send(fd, buf, count, flags): write() with MSG_DONTWAIT / MSG_NOSIGNAL. */
    public synchronized Syscalls.Outcome send(int pid, int fd, byte[] data, int flags, PacketReport report) {
        memory.admit(KernelMemory.REQUEST + 3L * data.length, "this send()");
        return recorded(new KernelInput.Syscall("send", pid, fd, 0, flags, null, data.clone(), null),
                deliveringAfter(syscalls.write(requireProcess(pid), fd, data, flags, true, report)));
    }

    /**
     * sendmsg(fd, {msg_iov(N)=[...]}, flags): send() of the iovecs' bytes, {@code iov} their lengths (which
     * MSG_ZEROCOPY turns into skb frags). The lengths must add up to the bytes.
     */
    public synchronized Syscalls.Outcome sendmsg(int pid, int fd, byte[] data, int[] iov, int flags, PacketReport report) {
        memory.admit(KernelMemory.REQUEST + 3L * data.length + 8L * iov.length, "this sendmsg()");
        long total = 0;
        for (int length : iov) {
            if (length < 0) {
                throw new IllegalArgumentException("an iovec's length is at least 0, got " + length);
            }
            total += length;
        }
        if (total != data.length) {
            throw new IllegalArgumentException("the iovec lengths add up to " + total + " bytes, the data has " + data.length);
        }
        return recorded(new KernelInput.Syscall("sendmsg", pid, fd, 0, flags, null, data.clone(), KernelInput.Syscall.iovLengths(iov)),
                deliveringAfter(syscalls.sendmsg(requireProcess(pid), fd, data, iov.clone(), flags, report)));
    }

    /**
     * sendto(fd, buf, count, flags, addr): send() whose MSG_FASTOPEN connects to {@code remote} with the data on the
     * SYN (TCP Fast Open); {@code remote} null with {@code unspec} is an AF_UNSPEC address.
     */
    public synchronized Syscalls.Outcome sendto(int pid, int fd, byte[] data, int flags, Endpoint remote, boolean unspec,
                                                PacketReport report) {
        memory.admit(KernelMemory.REQUEST + KernelMemory.CONNECTION + 3L * data.length, "this sendto()");
        return recorded(new KernelInput.Syscall("sendto", pid, fd, unspec ? 1 : 0, flags, remote, data.clone(), null),
                deliveringAfter(syscalls.sendto(requireProcess(pid), fd, data, flags, remote, unspec, report)));
    }

    /** The calls {@link #nullBuffer} makes with a NULL buffer pointer. */
    public static final List<String> NULL_BUFFER_CALLS = List.of("read", "recv", "write", "send", "sendto");

    /**
     * {@code call} (read, recv, write, send or sendto) of {@code count} bytes with a NULL buffer pointer, as the
     * public scripts' syscall_bad_arg tests make it: EFAULT where Linux's copy to or from user memory faults, the
     * socket otherwise untouched. {@code remote} is sendto()'s address (MSG_FASTOPEN), or null.
     */
    public synchronized Syscalls.Outcome nullBuffer(int pid, String call, int fd, int count, int flags, Endpoint remote,
                                                    PacketReport report) {
        if (!NULL_BUFFER_CALLS.contains(call)) {
            throw new IllegalArgumentException("a NULL buffer is given to " + String.join(", ", NULL_BUFFER_CALLS) + ", not " + call);
        }
        memory.admit(KernelMemory.REQUEST + KernelMemory.CONNECTION + count, call + "() with a NULL buffer");
        Process process = requireProcess(pid);
        KernelInput.Syscall input = new KernelInput.Syscall("nullbuf", pid, fd, count, flags, remote, null, call);
        return recorded(input, deliveringAfter(switch (call) {
            case "read", "recv" -> syscalls.readUnwritable(process, fd, count, flags, call.equals("recv"));
            default -> syscalls.writeUnreadable(process, fd, count, flags, !call.equals("write"), remote, call.equals("sendto"), report);
        }));
    }

    /** ip tcp_metrics flush: the Fast Open client forgets every cached cookie and MSS. */
    public synchronized void flushTcpMetrics() {
        tcp.fastOpenCache().flush();
        recorded(new KernelInput.Syscall("tcp_metrics_flush", 0, -1, 0, 0, null, null, null), null);
    }

    public synchronized Syscalls.Outcome poll(int pid, java.util.List<Syscalls.PollFd> fds, int timeoutMs) {
        memory.admit(KernelMemory.REQUEST, "poll()");
        return recorded(new KernelInput.Syscall("poll", pid, -1, timeoutMs, 0, null, null, KernelInput.Syscall.pollFds(fds)),
                syscalls.poll(requireProcess(pid), fds, timeoutMs));
    }

    public synchronized Syscalls.Outcome write(int pid, int fd, byte[] data, PacketReport report) {
        memory.admit(KernelMemory.REQUEST + 3L * data.length, "this write()");
        return recorded(new KernelInput.Syscall("write", pid, fd, 0, 0, null, data.clone(), null), deliveringAfter(syscalls.write(requireProcess(pid), fd, data, report)));
    }

    public synchronized Syscalls.Outcome close(int pid, int fd, PacketReport report) {
        memory.changed();
        return recorded(KernelInput.Syscall.of("close", pid, fd), deliveringAfter(syscalls.close(requireProcess(pid), fd, report)));
    }

    public synchronized Syscalls.Outcome fcntl(int pid, int fd, String command, int flags) {
        memory.admit(KernelMemory.REQUEST, "fcntl()");
        return recorded(new KernelInput.Syscall("fcntl", pid, fd, flags, 0, null, null, command), deliveringAfter(syscalls.fcntl(requireProcess(pid), fd, command, flags)));
    }

    /** connect(fd, AF_UNSPEC): tcp_disconnect(), the socket left unconnected and reusable. */
    public synchronized Syscalls.Outcome disconnect(int pid, int fd, PacketReport report) {
        memory.admit(KernelMemory.REQUEST, "connect()");
        return recorded(KernelInput.Syscall.of("disconnect", pid, fd), deliveringAfter(syscalls.disconnect(requireProcess(pid), fd, report)));
    }

    public synchronized Syscalls.Outcome connect(int pid, int fd, Endpoint remote, PacketReport report) {
        memory.admit(KernelMemory.REQUEST + KernelMemory.CONNECTION, "connect()");
        return recorded(new KernelInput.Syscall("connect", pid, fd, 0, 0, remote, null, null), deliveringAfter(syscalls.connect(requireProcess(pid), fd, remote, report)));
    }

    public synchronized Syscalls.Outcome shutdown(int pid, int fd, int how, PacketReport report) {
        memory.changed();
        return recorded(new KernelInput.Syscall("shutdown", pid, fd, how, 0, null, null, null), deliveringAfter(syscalls.shutdown(requireProcess(pid), fd, how, report)));
    }

    public synchronized Syscalls.Outcome dup(int pid, int fd) {
        memory.admit(KernelMemory.REQUEST + KernelMemory.FD, "dup()");
        return recorded(KernelInput.Syscall.of("dup", pid, fd), syscalls.dup(requireProcess(pid), fd));
    }

    public synchronized Syscalls.Outcome dup2(int pid, int oldFd, int newFd, PacketReport report) {
        memory.admit(KernelMemory.REQUEST + KernelMemory.FD, "dup2()");
        return recorded(new KernelInput.Syscall("dup2", pid, oldFd, newFd, 0, null, null, null), deliveringAfter(syscalls.dup2(requireProcess(pid), oldFd, newFd, report)));
    }

    public synchronized Syscalls.Outcome ioctl(int pid, int fd, String request) {
        return recorded(new KernelInput.Syscall("ioctl", pid, fd, 0, 0, null, null, request), syscalls.ioctl(requireProcess(pid), fd, request));
    }

    public synchronized Syscalls.Outcome getsockopt(int pid, int fd, String option) {
        return recorded(new KernelInput.Syscall("getsockopt", pid, fd, 0, 0, null, null, option), syscalls.getsockopt(requireProcess(pid), fd, option));
    }

    /** setsockopt() with a string value (TCP_CONGESTION). */
    public synchronized Syscalls.Outcome setsockopt(int pid, int fd, String option, String name) {
        memory.admit(KernelMemory.REQUEST, "setsockopt()");
        return recorded(new KernelInput.Syscall("setsockoptname", pid, fd, 0, 0, null, name.getBytes(java.nio.charset.StandardCharsets.UTF_8), option),
                deliveringAfter(syscalls.setsockopt(requireProcess(pid), fd, option, name)));
    }

    /** setsockopt() with a byte-string value (TCP_FASTOPEN_KEY). */
    public synchronized Syscalls.Outcome setsockopt(int pid, int fd, String option, byte[] value) {
        memory.admit(KernelMemory.REQUEST, "setsockopt()");
        return recorded(new KernelInput.Syscall("setsockoptbytes", pid, fd, 0, 0, null, value.clone(), option),
                syscalls.setsockopt(requireProcess(pid), fd, option, value));
    }

    public synchronized Syscalls.Outcome setsockopt(int pid, int fd, String option, long value, boolean on) {
        memory.admit(KernelMemory.REQUEST, "setsockopt()");
        return recorded(new KernelInput.Syscall("setsockopt", pid, fd, on ? 1 : 0, value, null, null, option), deliveringAfter(syscalls.setsockopt(requireProcess(pid), fd, option, value, on)));
    }

    // ---------------------------------------------------------------- regular files and pipes

    public io.vkernel.kernel.fs.VirtualFs files() {
        return files;
    }

    public io.vkernel.kernel.syscall.FileCalls fileCalls() {
        return fileCalls;
    }

    /** open(path, flags): a regular file under /tmp (O_CREAT makes it). */
    public synchronized Syscalls.Outcome open(int pid, String path, int flags) {
        memory.admit(KernelMemory.REQUEST + KernelMemory.FD, "open()");
        return recorded(new KernelInput.Syscall("open", pid, -1, flags, 0, null, null, path), fileCalls.open(requireProcess(pid), path, flags));
    }

    /** lseek(fd, offset, whence): whence 0 SEEK_SET, 1 SEEK_CUR, 2 SEEK_END. */
    public synchronized Syscalls.Outcome lseek(int pid, int fd, long offset, int whence) {
        memory.admit(KernelMemory.REQUEST, "lseek()");
        return recorded(new KernelInput.Syscall("lseek", pid, fd, whence, offset, null, null, null), fileCalls.lseek(requireProcess(pid), fd, offset, whence));
    }

    /** pipe() (flags 0) or pipe2(O_NONBLOCK): the result's revents hold the two FDs, read end first. */
    public synchronized Syscalls.Outcome pipe(int pid, int flags) {
        memory.admit(KernelMemory.REQUEST + 2L * KernelMemory.FD, "pipe()");
        return recorded(new KernelInput.Syscall("pipe", pid, -1, flags, 0, null, null, null), fileCalls.pipe(requireProcess(pid), flags));
    }

    /** sendfile(outFd, inFd, offset or NULL (null), count). */
    public synchronized Syscalls.Outcome sendfile(int pid, int outFd, int inFd, Long offset, long count, PacketReport report) {
        memory.admit(KernelMemory.REQUEST + 3L * Math.min(Math.max(count, 0), io.vkernel.kernel.fs.VirtualFs.MAX_FILE_BYTES), "this sendfile()");
        return recorded(new KernelInput.Syscall("sendfile", pid, outFd, inFd, count, null, null, offset == null ? "NULL" : Long.toString(offset)),
                deliveringAfter(fileCalls.sendfile(requireProcess(pid), outFd, inFd, offset, count, report)));
    }

    /** splice(fdIn, NULL, fdOut, NULL, len, flags). */
    public synchronized Syscalls.Outcome splice(int pid, int fdIn, int fdOut, long len, int flags, PacketReport report) {
        memory.admit(KernelMemory.REQUEST + 3L * io.vkernel.kernel.fs.Pipe.CAPACITY, "this splice()");
        return recorded(new KernelInput.Syscall("splice", pid, fdIn, flags, len, null, null, Integer.toString(fdOut)),
                deliveringAfter(fileCalls.splice(requireProcess(pid), fdIn, fdOut, len, flags, report)));
    }

    /**
     * A file of {@code size} zero bytes at {@code path}, replacing what was there: what {@code dd if=/dev/zero
     * of=PATH bs=B count=N} leaves (O_CREAT|O_TRUNC, then B*N bytes). No process is involved: a setup step.
     */
    public synchronized void makeFile(String path, int size) {
        String invalid = io.vkernel.kernel.fs.VirtualFs.invalidPath(path);
        if (invalid != null) {
            throw new IllegalArgumentException(invalid);
        }
        if (size < 0 || size > io.vkernel.kernel.fs.VirtualFs.MAX_FILE_BYTES) {
            throw new IllegalArgumentException("a file holds 0 to " + io.vkernel.kernel.fs.VirtualFs.MAX_FILE_BYTES + " bytes, not " + size);
        }
        io.vkernel.kernel.fs.FileNode node = files.lookup(path);
        long others = files.totalBytes() - (node == null ? 0 : node.size());
        if (node == null && files.files().size() >= io.vkernel.kernel.fs.VirtualFs.MAX_FILES) {
            throw new KernelLimitException("this kernel already holds " + io.vkernel.kernel.fs.VirtualFs.MAX_FILES + " files; remove one first");
        }
        if (others + size > io.vkernel.kernel.fs.VirtualFs.MAX_TOTAL_BYTES) {
            throw new KernelLimitException("this kernel's files may hold " + io.vkernel.kernel.fs.VirtualFs.MAX_TOTAL_BYTES + " bytes in all");
        }
        memory.admit(KernelMemory.REQUEST + size, "a file of " + size + " bytes");
        node = files.create(path, false);
        files.truncate(node);
        files.write(node, 0, new byte[size]);
        event(EventType.SYSCALL, "files", path + ": " + size + " zero bytes written (dd if=/dev/zero)");
        recorded(new KernelInput.Syscall("mkfile", 0, -1, 0, size, null, null, path), null);
    }

    /** rm -f PATH: the name goes if it exists (open files keep the data); true when it existed. */
    public synchronized boolean removeFile(String path) {
        boolean existed = files.lookup(path) != null;
        if (existed) {
            files.unlink(path);
            event(EventType.SYSCALL, "files", path + " removed (rm -f)");
        }
        recorded(new KernelInput.Syscall("unlink", 0, -1, 0, 0, null, null, path), null);
        return existed;
    }

    /** The last reference to an open file is gone: release its socket (tcp_close(), or stop listening). */
    public void releaseFile(OpenFile file, PacketReport report) {
        if (file.pipe() != null) {
            fileCalls.released(file); // pipe_release()
            return;
        }
        if (file.epoll() != null) {
            file.epoll().close(); // ep_free(): the instance's watches leave their sockets
            return;
        }
        Socket socket = file.socket();
        if (socket == null || socket.isReleased()) {
            return;
        }
        // eventpoll_release(): epoll instances stop watching a socket whose file is gone
        for (WaitQueue.Waiter waiter : socket.waitQueue().waiters()) {
            if (waiter instanceof io.vkernel.kernel.socket.EventPoll.Item item) {
                item.detach();
            }
        }
        socket.markReleased();
        if (socket.isListening()) {
            stopListening(socket, report);
            binds.remove(socket);
        }
        if (socket.tcb() != null) {
            tcp.close(socket.tcb(), socket.options().lingerOn && socket.options().lingerSeconds == 0, report);
        } else if (socket.local() != null) {
            binds.remove(socket);
        }
    }

    /** A listener stops (close() or shutdown()): queued connections are reset, blocked accept() calls fail with EINVAL. */
    public void stopListening(Socket socket, PacketReport report) {
        socket.stopListening();
        listeners.remove(socket);
        tcp.closeListener(socket, report);
        event(EventType.STATE_CHANGE, socket.local().toString(), "LISTEN -> CLOSED: listener closed");
        wake(socket, report);
    }

    public void wakeSocket(Socket socket, PacketReport report) {
        wake(socket, report);
    }

    public PortAllocator ports() {
        return ports;
    }

    public void attachSocket(Tcb tcb, Socket socket) {
        tcp.attach(tcb, socket);
    }

    // ---------------------------------------------------------------- time

    /** Advances the virtual clock, firing due timers (TIME_WAIT, SYN-ACK retries, SO_RCVTIMEO, ...). */
    public synchronized int advance(long ms) {
        memory.changed();
        int fired = 0;
        long target = clock.now() + ms;
        // fire timers one deadline at a time so loopback replies land before later timers
        while (true) {
            Long next = clock.nextDeadline();
            if (next == null || next > target) {
                break;
            }
            fired += clock.advance(next - clock.now());
            deliverLoopback();
        }
        clock.advance(target - clock.now());
        return recorded(new KernelInput.Advance(ms), fired);
    }

    /** Sets a tunable; {@link IllegalArgumentException} for a value it does not take (nothing changes then). */
    public synchronized void sysctl(String name, long value) {
        sysctls.set(name, value);
        recorded(new KernelInput.Sysctl(name, value), null);
    }

    /** Records that the clock now follows the wall clock (true) or moves only when advanced (false). */
    public synchronized void clockMode(boolean realtime) {
        this.realtimeClock = realtime;
        recorded(new KernelInput.ClockMode(realtime), null);
    }

    public synchronized boolean realtimeClock() {
        return realtimeClock;
    }

    /** Hands every input this kernel executes from now on to {@code recorder} (null: to nobody). */
    public synchronized void recordInputs(KernelInput.Recorder recorder) {
        this.recorder = recorder;
    }

    private <T> T recorded(KernelInput input, T result) {
        KernelInput.Recorder to = recorder;
        if (to != null) {
            to.record(this, input);
        }
        return result;
    }

    // ---------------------------------------------------------------- inspection

    /** Runs {@code view} under the kernel lock, so what it reads is consistent. */
    public synchronized <T> T inspect(Function<Kernel, T> view) {
        return view.apply(this);
    }

    public String id() {
        return config.id();
    }

    public KernelConfig config() {
        return config;
    }

    public int address() {
        return config.address();
    }

    public boolean isLocalAddress(int address) {
        return address == config.address() || Ipv4.isLoopback(address);
    }

    public VirtualClock clock() {
        return clock;
    }

    public EventLog events() {
        return events;
    }

    public Nic nic() {
        return nic;
    }

    public EstablishedTable established() {
        return established;
    }

    public ListenerTable listeners() {
        return listeners;
    }

    public BindTable binds() {
        return binds;
    }

    public Sysctls sysctls() {
        return sysctls;
    }

    public TcpEngine tcp() {
        return tcp;
    }

    public Collection<Process> processes() {
        return processes.values();
    }

    public Process process(int pid) {
        return processes.get(pid);
    }

    public Process requireProcess(int pid) {
        Process process = processes.get(pid);
        if (process == null) {
            throw new NoSuchProcessException(pid);
        }
        return process;
    }

    /** A blocked call, or a recently finished one, by id. */
    public PendingCall call(long id) {
        PendingCall call = calls.get(id);
        return call != null ? call : finishedCalls.get(id);
    }

    /** Calls still blocked, oldest first. */
    public List<PendingCall> pendingCalls() {
        return new ArrayList<>(calls.values());
    }

    public int pendingCallCount() {
        return calls.size();
    }

    // ---------------------------------------------------------------- memory budget

    /** The memory this kernel retains, part by part, counted now (call with the lock held, e.g. in {@link #inspect}). */
    public KernelMemory.Retained retained() {
        memory.settle();
        return memory.retained();
    }

    public KernelBudget budget() {
        return memory.budget();
    }

    /** Counts the retained memory again if anything changed, so the service budget sees what was freed. */
    public synchronized void settleBudget() {
        memory.settle();
    }

    /** The kernel is deleted: its memory leaves the service budget. */
    public synchronized void releaseBudget() {
        memory.release();
    }

    /**
     * A kernel rebuilt from a snapshot (issue 15) brings the charge it had when it was written; the service budget of
     * this process has not seen it yet, so it is added now, as {@link #releaseBudget} will take it away.
     */
    public synchronized void chargeRestored() {
        memory.chargeRestored();
    }

    /**
     * A blocking call is about to park a thread: refused (before anything changed) when the kernel's memory budget
     * has no room for one more parked call.
     */
    public void beforePark(Process process, String call) {
        if (process.sleepingCount() >= parkedPerProcess) {
            throw new KernelLimitException("pid " + process.pid() + " already has " + process.sleepingCount()
                    + " threads asleep in blocking calls (limit " + parkedPerProcess + ", vkernel.limits.parked-calls-per-process), "
                    + "as clone() fails with EAGAIN at RLIMIT_NPROC: end some (a packet that wakes them, exit, SO_RCVTIMEO) "
                    + "or use O_NONBLOCK");
        }
        if (calls.size() >= parkedPerKernel) {
            throw new KernelLimitException("kernel '" + id() + "' already has " + calls.size() + " calls asleep (limit "
                    + parkedPerKernel + ", vkernel.limits.parked-calls-per-kernel): end some, or use O_NONBLOCK");
        }
        memory.admit(KernelMemory.PENDING_CALL, "parking " + call + " (a blocked call)");
    }

    public int parkedPerProcessLimit() {
        return parkedPerProcess;
    }

    public int parkedPerKernelLimit() {
        return parkedPerKernel;
    }

    /** Bounds the calls that may sleep at once, per process and in the whole kernel. */
    public synchronized void limitParkedCalls(int perProcess, int perKernel) {
        this.parkedPerProcess = Math.max(1, perProcess);
        this.parkedPerKernel = Math.max(1, perKernel);
    }

    /** Counts of connections by state, listeners included, as the metrics report them. */
    /**
     * What {@code nstat -az} prints for this kernel, in /proc order: the MIB counters, with TcpCurrEstab (a gauge in
     * /proc/net/snmp: connections in ESTABLISHED or CLOSE_WAIT) after TcpEstabResets, where Linux lists it.
     */
    public Map<String, Long> nstat() {
        long currEstab = established.all().stream()
                .filter(t -> t.state() == TcpState.ESTABLISHED || t.state() == TcpState.CLOSE_WAIT).count();
        Map<String, Long> all = new LinkedHashMap<>();
        snmp.byName().forEach((name, value) -> {
            all.put(name, value);
            if (name.equals(SnmpCounter.TCP_ESTAB_RESETS.nstatName())) {
                all.put("TcpCurrEstab", currEstab);
            }
        });
        return all;
    }

    public Map<String, Integer> connectionsByState() {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (Tcb tcb : established.all()) {
            counts.merge(tcb.state().name(), 1, Integer::sum);
        }
        if (!listeners.all().isEmpty()) {
            counts.put("LISTEN", listeners.all().size());
        }
        return counts;
    }

    public int openFds() {
        return processes.values().stream().mapToInt(p -> p.fds().openCount()).sum();
    }

    public long newInode() {
        return nextInode++;
    }

    public int newPid() {
        return nextPid++;
    }

    public long newCallId() {
        return nextCallId++;
    }

    /**
     * What the finished calls kept for polling retain (at most {@link #FINISHED_CALLS_KEPT}): each call's record as
     * a parked one costs, and the bytes its result carries (a read's data).
     */
    long finishedCallBytes() {
        long bytes = 0;
        for (PendingCall call : finishedCalls.values()) {
            SyscallResult result = call.result();
            bytes += KernelMemory.PENDING_CALL + (result != null && result.data() != null ? 16L + result.data().length : 0);
        }
        return bytes;
    }

    public void registerPending(PendingCall call) {
        calls.put(call.id(), call);
        call.onDone(result -> {
            calls.remove(call.id());
            finishedCalls.put(call.id(), call);
        });
    }

    /**
     * The most recent {@link #FINISHED_CALLS_KEPT} finished calls, oldest first. A named class with a constructor of
     * its own (not an anonymous one), so a snapshot of the kernel (issue 15) rebuilds it as a working map.
     */
    private static final class FinishedCalls extends LinkedHashMap<Long, PendingCall> {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, PendingCall> eldest) {
            return size() > FINISHED_CALLS_KEPT;
        }
    }

    /** Derives the demux hash and port secrets from the kernel seed, independent of the ISN secret. */
    private static final class Secrets {
        static long hashSecret(long seed) {
            long z = seed + 0x632be59bd9b4e019L;
            z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
            return z ^ (z >>> 33);
        }
    }
}
