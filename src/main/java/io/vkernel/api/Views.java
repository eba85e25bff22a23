package io.vkernel.api;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.demux.EstablishedTable;
import io.vkernel.kernel.fd.OpenFile;
import io.vkernel.kernel.nic.WireRecord;
import io.vkernel.kernel.proc.Process;
import io.vkernel.kernel.proc.SocketQueues;
import io.vkernel.kernel.proc.Task;
import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.time.VirtualClock;
import io.vkernel.kernel.trace.KernelEvent;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.Step;
import io.vkernel.kernel.wire.Ipv4;
import io.vkernel.kernel.wire.MalformedPacketException;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.Seq;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.WirePacket;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/** The response bodies: records built from kernel structures while the kernel lock is held. */
final class Views {

    private Views() {
    }

    // ---------------------------------------------------------------- kernels

    record KernelView(String id, String address, String hash, int buckets, long clockMs, int processes,
                      int connections, int listeners, long packetsIn, long packetsOut, Map<String, String> links,
                      String token) {

        /** The same kernel with the bearer token a new workshop attendee gets once, when it is created. */
        KernelView withToken(String token) {
            return new KernelView(id, address, hash, buckets, clockMs, processes, connections, listeners, packetsIn,
                    packetsOut, links, token);
        }
    }

    /**
     * In one order on every start: {@code Map.of} iterates in an order salted per JVM, so the same kernel's JSON came
     * out with its links shuffled after each restart.
     */
    private static Map<String, String> kernelLinks(String base) {
        Map<String, String> links = new java.util.LinkedHashMap<>();
        for (String part : List.of("packets", "processes", "connections", "demux", "listeners", "clock", "events")) {
            links.put(part, base + "/" + part);
        }
        return links;
    }

    static KernelView kernel(Kernel k) {
        String base = "/api/v1/kernels/" + k.id();
        return new KernelView(k.id(), Ipv4.format(k.address()), k.established().hashFunction().name(),
                k.established().bucketCount(), k.clock().now(), k.processes().size(), k.established().size(),
                k.listeners().all().size(), k.nic().packetsIn(), k.nic().packetsOut(),
                kernelLinks(base), null);
    }

    // ---------------------------------------------------------------- packets

    /** One packet; a raw packet that did not decode has only its number, time, direction and a summary saying why. */
    record PacketView(Long no, Long timeMs, String direction, String src, String dst, String flags, Long seq, Long ack,
                      Integer window, Integer mss, String options, Integer length, String payload, String summary) {
    }

    static PacketView packet(Segment s, Long no, Long timeMs, String direction) {
        return new PacketView(no, timeMs, direction, s.src().toString(), s.dst().toString(), TcpFlags.format(s.flags()),
                Seq.unsigned(s.seq()), s.has(TcpFlags.ACK) ? Seq.unsigned(s.ack()) : null, s.window(),
                s.mss() > 0 ? s.mss() : null, s.options().isEmpty() ? null : s.options().toString().replaceAll("^\\[|\\]$", ""),
                s.payload().length, s.payload().length > 0 ? s.payloadText() : null, s.summary());
    }

    static PacketView wire(WireRecord r) {
        if (r.segment() == null) {
            return undecodable(r.raw(), r.no(), r.timeMs(), r.inbound() ? "in" : "out");
        }
        return packet(r.segment(), r.no(), r.timeMs(), r.inbound() ? "in" : "out");
    }

    /** Raw bytes the NIC received that are not a TCP segment in an IPv4 packet: the summary says why. */
    static PacketView undecodable(byte[] raw, Long no, Long timeMs, String direction) {
        String why;
        try {
            WirePacket.parse(raw);
            why = "decodes";
        } catch (MalformedPacketException e) {
            why = e.reason().name() + ": " + e.getMessage();
        }
        return new PacketView(no, timeMs, direction, null, null, null, null, null, null, null, null, null, null,
                raw.length + " raw bytes, dropped: " + why);
    }

    record PacketResult(PacketView packet, String verdict, String drop, String connection, String state,
                        List<Step> steps, List<PacketView> sent, List<String> woke) {
    }

    static PacketResult report(PacketReport r) {
        return new PacketResult(r.segment() == null ? null : packet(r.segment(), null, null, "in"), r.verdict(),
                r.dropReason() == null ? null : r.dropReason().name(), r.connection(), r.state(), r.steps(),
                sent(r), r.woken().isEmpty() ? null : r.woken());
    }

    static List<PacketView> sent(PacketReport r) {
        return r.sentSegments().stream().map(s -> packet(s, null, null, "out")).toList();
    }

    record InjectResponse(List<PacketResult> results) {
    }

    // ---------------------------------------------------------------- processes and FDs

    record ThreadView(int tid, String state, String waitChannel, String call) {
    }

    record FdView(int fd, String type, String path, String name, int refCount, boolean nonBlocking) {
    }

    record ProcessView(int pid, String name, int fdLimit, int openFds, List<ThreadView> threads, List<FdView> fds) {
    }

    static ProcessView process(Process p) {
        List<ThreadView> threads = p.threads().stream()
                .map(t -> new ThreadView(t.tid(), t.state().name(), t.waitChannel(), t.call())).toList();
        return new ProcessView(p.pid(), p.name(), p.fds().limit(), p.fds().openCount(), threads, fds(p));
    }

    static List<FdView> fds(Process p) {
        List<FdView> out = new ArrayList<>();
        p.fds().entries().forEach((fd, file) -> out.add(new FdView(fd, file.socket() == null ? file.type() : "IPv4",
                file.path(), describe(file), file.refCount(), file.nonBlocking())));
        return out;
    }

    /** The NAME column lsof prints for a file: {@code TCP *:8080 (LISTEN)} or {@code TCP a:p->b:q (ESTABLISHED)}. */
    static String describe(OpenFile file) {
        Socket socket = file.socket();
        if (file.epoll() != null) {
            return epoll(file.epoll());
        }
        if (socket == null) {
            return file.path();
        }
        if (socket.tcb() != null) {
            Tcb tcb = socket.tcb();
            return "TCP " + tcb.tuple().local() + "->" + tcb.tuple().remote() + " (" + lsofState(tcb.state()) + ")";
        }
        if (socket.local() == null) {
            return "TCP (unbound)";
        }
        String local = socket.local().isWildcard() ? "*:" + socket.local().port() : socket.local().toString();
        return "TCP " + local + (socket.isListening() ? " (LISTEN)" : " (CLOSED)");
    }

    /** An epoll instance as the FD table shows it: each watched fd with its events, and which are on the ready list. */
    static String epoll(io.vkernel.kernel.socket.EventPoll ep) {
        List<String> watches = ep.items().stream().map(i -> "fd " + i.fd() + " " + io.vkernel.kernel.socket.EventPoll.names(i.events())
                + (i.isReady() ? " (ready)" : "")).toList();
        return "[eventpoll] " + (watches.isEmpty() ? "watching nothing" : "watching " + String.join(", ", watches));
    }

    private static String lsofState(TcpState state) {
        return state == TcpState.CLOSE ? "CLOSED" : state.name();
    }

    // ---------------------------------------------------------------- system calls

    record PendingView(long id, int pid, int tid, String call, String waitChannel, long sleepingSinceMs, String href) {
    }

    record SyscallView(String status, Long ret, String errno, String message, String strace, String data,
                       String dataBase64, String peer, Long value, List<String> revents, PendingView pending, List<PacketView> sent,
                       List<Integer> fds) {

        /** pipe(): the two new FDs, read end first, in {@code fds} (the result carries them as its list). */
        SyscallView asPipe() {
            List<Integer> ends = revents == null ? null : revents.stream().map(Integer::valueOf).toList();
            return new SyscallView(status, ret, errno, message, strace, data, dataBase64, peer, value, null, pending, sent, ends);
        }
    }

    static SyscallView result(SyscallResult r, List<PacketView> sent) {
        String data = r.data() == null ? null : new String(r.data(), StandardCharsets.UTF_8);
        String b64 = r.data() == null ? null : Base64.getEncoder().encodeToString(r.data());
        return new SyscallView("done", r.ret(), r.errno() == null ? null : r.errno().name(),
                r.errno() == null ? null : r.errno().message(), r.strace(), data, b64, r.peer(), r.value(),
                r.revents() == null ? null : r.revents().stream().map(r.strace().startsWith("pipe") ? String::valueOf
                        : io.vkernel.kernel.syscall.Syscalls::pollNames).toList(), null,
                sent == null || sent.isEmpty() ? null : sent, null);
    }

    static SyscallView pending(String kernelId, PendingCall call) {
        return new SyscallView("pending", null, null, null, call.call().replaceFirst("\\.\\.\\.\\)$", "") + " <unfinished ...>",
                null, null, null, null, null, pendingInfo(kernelId, call), null, null);
    }

    static PendingView pendingInfo(String kernelId, PendingCall call) {
        return new PendingView(call.id(), call.pid(), call.tid(), call.call(), call.waitChannel(), call.startedAt(),
                "/api/v1/kernels/" + kernelId + "/processes/" + call.pid() + "/calls/" + call.id());
    }

    // ---------------------------------------------------------------- connections, demux, listeners

    record TcbView(long iss, long sndUna, long sndNxt, int sndWnd, long irs, long rcvNxt, int rcvWnd, int peerMss,
                   int rcvBufLimit, int outOfOrderSegments, String pendingError, long rtoMs, Long srttMs, int retransmits,
                   String options, String congestionControl, int cwnd, Integer ssthresh, String caState,
                   int totalRetransmits) {
    }

    /** What both SYNs agreed on, as ss -i would summarise it: {@code ts sack wscale:7,7}. */
    private static String negotiated(Tcb t) {
        StringBuilder out = new StringBuilder();
        if (t.timestampsOk()) {
            out.append("ts ");
        }
        if (t.sackOk()) {
            out.append("sack ");
        }
        if (t.ecnOk()) {
            out.append("ecn ");
        }
        if (t.ecnSeen()) {
            out.append("ecnseen ");
        }
        if (t.sndWscale() >= 0) {
            out.append("wscale:").append(t.sndWscale()).append(',').append(t.rcvWscale());
        }
        return out.length() == 0 ? "none" : out.toString().strip();
    }

    record ConnectionView(String tuple, String state, String local, String remote, int recvQ, int sendQ, String owner,
                          String hash, int bucket, TcbView tcb, String timer, String href, SendBufferView sendBuffer) {
    }

    /**
     * The send buffer as Linux charges it (ss -m's w and tb): sk_wmem_queued is the truesize of the queued skbs, held
     * against sk_sndbuf; notSent is what TCP_NOTSENT_LOWAT (or net.ipv4.tcp_notsent_lowat) is compared with.
     */
    record SendBufferView(long wmemQueued, int sndbuf, boolean locked, int skbs, long notSent, Long notsentLowat,
                          boolean writable) {
    }

    static SendBufferView sendBuffer(Kernel k, Tcb t) {
        io.vkernel.kernel.tcp.SendBuffer b = t.sendBuffer();
        long lowat = b.notsentLowat(t, k.sysctls());
        boolean locked = t.socket() != null && t.socket().options().sndBuf > 0;
        return new SendBufferView(b.wmemQueued(t), b.sndBuf(t, k.sysctls()), locked, b.skbCount(t), b.notSentBytes(t),
                lowat >= 0xFFFF_FFFFL ? null : lowat, b.writeable(t, k.sysctls()));
    }

    /** A 32-bit hash as the kernel prints a u32 and the demux steps show it: 0x and eight hex digits. */
    static String hex(int hash) {
        return String.format("0x%08x", hash);
    }

    static ConnectionView connection(Kernel k, Tcb t) {
        int hash = k.established().hashFunction().hash(t.tuple());
        VirtualClock.Timer timer = t.stateTimer();
        String timerText = timer == null || timer.isCancelled() ? null
                : timer.name() + " in " + (timer.deadline() - k.clock().now()) + " ms";
        TcbView tcb = t.state() == TcpState.SYN_RECV || t.state().isSynchronized() || t.state() == TcpState.CLOSE
                ? new TcbView(Seq.unsigned(t.iss()), Seq.unsigned(t.sndUna()), Seq.unsigned(t.sndNxt()), t.sndWnd(),
                Seq.unsigned(t.irs()), Seq.unsigned(t.rcvNxt()), t.rcvWnd(), t.peerMss(), t.rcvBufLimit(),
                t.outOfOrderSegments(), t.pendingError() == null ? null : t.pendingError().name(), t.rtoMs(),
                t.srttMs() < 0 ? null : t.srttMs(), t.retransmits(), negotiated(t), t.congestionControl(), t.cwnd(),
                t.ssthresh() == Integer.MAX_VALUE ? null : t.ssthresh(), t.caState().name(), t.totalRetransmits())
                : null;
        return new ConnectionView(t.tuple().toString(), t.state().name(), t.tuple().local().toString(),
                t.tuple().remote().toString(), SocketQueues.recvQ(t), SocketQueues.sendQ(t), k.ownerOf(t), hex(hash),
                hash & (k.established().bucketCount() - 1), tcb, timerText,
                "/api/v1/kernels/" + k.id() + "/connections/" + t.tuple(),
                t.state().isSynchronized() ? sendBuffer(k, t) : null);
    }

    record ChainEntry(String tuple, String state, String hash) {
    }

    record BucketView(int index, int length, List<ChainEntry> chain) {
    }

    static BucketView bucket(Kernel k, int index) {
        List<ChainEntry> chain = k.established().chain(index).stream()
                .map(t -> new ChainEntry(t.tuple().toString(), t.state().name(),
                        hex(k.established().hashFunction().hash(t.tuple())))).toList();
        return new BucketView(index, chain.size(), chain);
    }

    record DemuxView(String hash, String formula, int buckets, int entries, int usedBuckets, int longestChain,
                     double loadFactor, Map<Integer, Integer> chainLengths, double examinedPerLookup, String distribution,
                     List<BucketView> nonEmptyBuckets, boolean truncated) {
    }

    static DemuxView demux(Kernel k, int maxBuckets) {
        EstablishedTable.Distribution d = k.established().distribution();
        List<BucketView> nonEmpty = new ArrayList<>();
        boolean truncated = false;
        for (int i = 0; i < k.established().bucketCount(); i++) {
            if (k.established().chainLength(i) > 0) {
                if (nonEmpty.size() == maxBuckets) {
                    truncated = true;
                    break;
                }
                nonEmpty.add(bucket(k, i));
            }
        }
        return new DemuxView(k.established().hashFunction().name(), k.established().hashFunction().formula(),
                d.buckets(), d.entries(), d.usedBuckets(), d.longestChain(), d.loadFactor(), d.chainLengths(),
                Math.round(d.examinedPerLookup() * 100) / 100.0, DemuxText.summary(d), nonEmpty, truncated);
    }

    /**
     * Buckets per turn of the kernel lock in the chunked demux view: scanning 4 096 buckets and rendering the chains
     * found there takes well under a millisecond at the table's usual load, so a 4 194 304-bucket table is walked in
     * 1 024 short turns instead of one long one (BENCHMARKS.md "Long views and the kernel lock").
     */
    static final int DEMUX_CHUNK = 4096;

    /**
     * The demux view taken a range of buckets at a time, the kernel lock released between ranges: the distribution
     * is the sum of the ranges' (a connection that moves in or out between two turns is counted as each range saw it).
     */
    static DemuxView demux(Kernel kernel, int maxBuckets, int chunk) {
        int bucketCount = LockTurns.turn(kernel, kk -> kk.established().bucketCount());
        List<BucketView> nonEmpty = new ArrayList<>();
        EstablishedTable.Distribution d = null;
        boolean[] truncated = {false};
        for (int from = 0; from < bucketCount; from += chunk) {
            int start = from;
            int end = Math.min(bucketCount, from + chunk);
            EstablishedTable.Distribution part = LockTurns.turn(kernel, kk -> {
                for (int i = start; i < end && !truncated[0]; i++) {
                    if (kk.established().chainLength(i) > 0) {
                        if (nonEmpty.size() == maxBuckets) {
                            truncated[0] = true;
                        } else {
                            nonEmpty.add(bucket(kk, i));
                        }
                    }
                }
                return kk.established().distribution(start, end);
            });
            d = d == null ? part : d.plus(part);
        }
        EstablishedTable.Distribution total = d != null ? d : LockTurns.turn(kernel, kk -> kk.established().distribution(0, 0));
        return LockTurns.turn(kernel, kk -> new DemuxView(kk.established().hashFunction().name(), kk.established().hashFunction().formula(),
                total.buckets(), total.entries(), total.usedBuckets(), total.longestChain(), total.loadFactor(), total.chainLengths(),
                Math.round(total.examinedPerLookup() * 100) / 100.0, DemuxText.summary(total), nonEmpty, truncated[0]));
    }

    record ListenerView(String local, int backlog, int acceptQueueCapacity, List<String> acceptQueue, int synRecv,
                        int recvQ, int sendQ, List<String> sleepers) {
    }

    static ListenerView listener(Socket l) {
        return new ListenerView(l.local().toString(), l.backlog(), l.backlog() + 1,
                l.acceptQueue().stream().map(t -> t.tuple().remote() + " (" + t.state().name() + ")").toList(),
                l.synRecv(), l.acceptQueue().size(), l.backlog(),
                l.waitQueue().waiters().stream().map(w -> w.describe()).toList());
    }

    // ---------------------------------------------------------------- clock and events

    record TimerView(String name, String owner, long deadlineMs, long inMs) {
    }

    record ClockView(String mode, long nowMs, List<TimerView> timers) {
    }

    static ClockView clock(Kernel k, boolean realtime) {
        long now = k.clock().now();
        return new ClockView(realtime ? "realtime" : "manual", now, k.clock().pending().stream()
                .map(t -> new TimerView(t.name(), t.owner(), t.deadline(), t.deadline() - now)).toList());
    }

    record EventView(long seq, long timeMs, String type, String subject, String detail) {
    }

    static EventView event(KernelEvent e) {
        return new EventView(e.seq(), e.timeMs(), e.type().name(), e.subject(), e.detail());
    }

    static ThreadView thread(Task t) {
        return new ThreadView(t.tid(), t.state().name(), t.waitChannel(), t.call());
    }
}
