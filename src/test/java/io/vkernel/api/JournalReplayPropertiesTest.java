package io.vkernel.api;

import io.vkernel.journal.JournalCodec;
import io.vkernel.journal.JournalException;
import io.vkernel.journal.Replay;
import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.KernelCheck;
import io.vkernel.kernel.KernelConfig;
import io.vkernel.kernel.KernelInput;
import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.proc.ProcNetTcp;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Ipv4;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.WirePacket;
import org.junit.jupiter.api.Test;
import org.quicktheories.QuickTheory;
import org.quicktheories.core.Gen;
import tools.jackson.databind.json.JsonMapper;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;
import static org.quicktheories.generators.SourceDSL.strings;

/**
 * A kernel is its creation settings plus its inputs: a random history (packets from a few peers, raw bytes, every
 * system call, processes starting and exiting, time, tunables, clock modes) is recorded, written as journal lines,
 * read back and replayed into a fresh kernel, and every view a user can read (connections, listeners, FD tables,
 * demux, memory, clock, sysctls, nstat, events, the wire log, pending calls, ss text, the invariant check) is the
 * same JSON, byte for byte. Set -DQT_SEED=N to replay a failure QuickTheories reported.
 */
class JournalReplayPropertiesTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String SERVER = "10.0.0.50:8080";

    static QuickTheory qt(int examples) {
        QuickTheory theory = QuickTheory.qt().withExamples(examples);
        return System.getProperty("QT_SEED") == null ? theory.withFixedSeed(20_261_130L) : theory;
    }

    @Test
    void replayingTheJournalOfAnyHistory_givesTheSameViewsByteForByte() {
        qt(120).forAll(longs().all(), actions()).checkAssert(JournalReplayPropertiesTest::replaysIdentically);
    }

    /** A kernel driven by a random history, the inputs it recorded as journal lines, and its two processes' pids. */
    record Driven(Kernel kernel, List<String> lines, int[] pids) {
    }

    /** A server listening on {@code SERVER} and a client, then {@code actions}: a refused one changes nothing and is not recorded, as over HTTP. */
    static Driven drive(KernelConfig config, List<Action> actions) {
        Kernel original = new Kernel(config);
        original.limitParkedCalls(4, 16);
        List<KernelInput> recorded = new ArrayList<>();
        original.recordInputs((k, input) -> recorded.add(input));
        int server = original.spawn("server").pid();
        original.socket(server);
        original.bind(server, 3, Endpoint.parse(SERVER));
        original.listen(server, 3, 4);
        int[] pids = {server, original.spawn("client").pid()};
        for (Action action : actions) {
            try {
                action.apply(original, pids);
            } catch (RuntimeException refused) {
                // refused before it changed anything (no such process, a limit): not recorded
            }
        }
        return new Driven(original, Replay.lines(new JournalCodec.Header(config, 4, 16, null, Map.of()), recorded), pids);
    }

    static void replaysIdentically(long seed, List<Action> actions) {
        KernelConfig config = new KernelConfig("prop", Ipv4.parse("10.0.0.50"), seed, 64, seed % 2 == 0 ? "jhash" : "xor",
                500, 500, 16, 1000);
        Driven driven = drive(config, actions);
        Kernel original = driven.kernel();
        List<String> lines = driven.lines();
        Replay.Parsed parsed = Replay.parse(lines);
        List<KernelInput> again = new ArrayList<>();
        Kernel replayed = Replay.run(parsed, parsed.header().config(), parsed.inputs().size(), c -> {
            Kernel k = new Kernel(c);
            k.recordInputs((kk, input) -> again.add(input));
            return k;
        });

        String expected = fingerprint(original);
        String actual = fingerprint(replayed);
        int at = 0;
        while (at < Math.min(expected.length(), actual.length()) && expected.charAt(at) == actual.charAt(at)) {
            at++;
        }
        int from = Math.max(0, at - 300);
        assertThat(actual.substring(from, Math.min(actual.length(), at + 200)))
                .as("the replay's views differ from the original's at character " + at)
                .isEqualTo(expected.substring(from, Math.min(expected.length(), at + 200)));
        assertThat(replayed.inspect(KernelCheck::run).violations()).isEmpty();
        assertThat(Replay.lines(parsed.header(), again)).as("the replayed kernel journals the same lines").isEqualTo(lines);
    }

    /** Everything a user can read about a kernel, as JSON and text. */
    static String fingerprint(Kernel kernel) {
        return kernel.inspect(k -> {
            Map<String, Object> views = new LinkedHashMap<>();
            views.put("kernel", Views.kernel(k));
            views.put("connections", k.established().all().stream().map(t -> Views.connection(k, t)).toList());
            views.put("listeners", k.listeners().all().stream().map(Views::listener).toList());
            views.put("processes", k.processes().stream().map(p -> List.of(Views.process(p), Views.fds(p), LsofText.render(k, p))).toList());
            views.put("demux", Views.demux(k, 64));
            views.put("memory", MemoryViews.of(k, 100));
            views.put("clock", Views.clock(k, k.realtimeClock()));
            views.put("sysctl", k.sysctls().all());
            views.put("nstat", k.nstat());
            views.put("events", k.events().after(0, Integer.MAX_VALUE).stream().map(Views::event).toList());
            views.put("wire", k.nic().wire(0, Integer.MAX_VALUE).stream().map(Views::wire).toList());
            views.put("pending", k.pendingCalls().stream().map(c -> Views.pending(k.id(), c)).toList());
            views.put("ss", SsText.render(k));
            views.put("procNetTcp", ProcNetTcp.render(k));
            views.put("check", KernelCheck.run(k));
            return JSON.writeValueAsString(views);
        });
    }

    /** One step of a random history. */
    record Action(int kind, int a, int b, int c, String text) {
        void apply(Kernel k, int[] pids) {
            int pid = pids[Math.floorMod(a, 2)];
            int fd = Math.floorMod(b, 7);
            PacketReport report = new PacketReport(null);
            switch (kind) {
                case 0, 1, 2, 3 -> {
                    int[] flagChoices = {TcpFlags.SYN, TcpFlags.ACK, TcpFlags.ACK | TcpFlags.PSH, TcpFlags.FIN | TcpFlags.ACK,
                            TcpFlags.RST, TcpFlags.SYN | TcpFlags.ACK, TcpFlags.SYN | TcpFlags.ECE | TcpFlags.CWR,
                            TcpFlags.ACK | TcpFlags.ECE};
                    int flags = flagChoices[Math.floorMod(b, flagChoices.length)];
                    Endpoint src = new Endpoint(Ipv4.parse("192.168.1.100"), 50000 + Math.floorMod(a, 3));
                    byte[] payload = (flags & TcpFlags.SYN) != 0 ? new byte[0] : text.getBytes();
                    Segment segment = new Segment(src, Endpoint.parse(SERVER), flags, c, c * 31 + a, Math.floorMod(a * 7, 65536),
                            Math.floorMod(c, 3) == 0 ? 1460 : 0, payload);
                    if (Math.floorMod(c, 4) == 1) {
                        byte[] raw = WirePacket.encode(segment);
                        if (Math.floorMod(a, 5) == 0) {
                            raw[Math.floorMod(b, raw.length)] ^= 0x5a; // damaged on the wire
                        }
                        k.receiveRaw(raw);
                    } else {
                        k.receive(segment);
                    }
                }
                case 4 -> k.accept(pid, fd);
                case 5 -> k.read(pid, fd, 1 + Math.floorMod(c, 100));
                case 6 -> k.write(pid, fd, text.getBytes(), report);
                case 7 -> k.close(pid, fd, report);
                case 8 -> k.socket(pid);
                case 9 -> k.connect(pid, fd, Endpoint.parse(Math.floorMod(c, 2) == 0 ? "127.0.0.1:8080" : "192.0.2.1:80"), report);
                case 10 -> k.advance(Math.floorMod(c, 200_000));
                case 11 -> k.shutdown(pid, fd, Math.floorMod(c, 3), report);
                case 12 -> k.dup2(pid, fd, Math.floorMod(c, 7), report);
                case 13 -> k.setsockopt(pid, fd, List.of("SO_LINGER", "SO_KEEPALIVE", "SO_RCVTIMEO", "SO_RCVBUF").get(Math.floorMod(c, 4)),
                        Math.floorMod(c, 5000), true);
                case 14 -> k.fcntl(pid, fd, "F_SETFL", Math.floorMod(c, 2) == 0 ? 04000 : 0);
                case 15 -> k.getsockopt(pid, fd, Math.floorMod(c, 2) == 0 ? "SO_ERROR" : "SO_RCVBUF");
                case 16 -> k.ioctl(pid, fd, "FIONREAD");
                case 17 -> k.dup(pid, fd);
                case 18 -> k.bind(pid, fd, new Endpoint(0, Math.floorMod(c, 3) == 0 ? 0 : 9000 + Math.floorMod(c, 3)));
                case 19 -> k.listen(pid, fd, Math.floorMod(c, 5));
                case 20 -> k.sysctl(List.of(Sysctls.SOMAXCONN, Sysctls.TCP_FIN_TIMEOUT, Sysctls.VKERNEL_TRACE).get(Math.floorMod(c, 3)),
                        Math.floorMod(c, 2));
                case 21 -> k.clockMode(Math.floorMod(c, 2) == 0);
                case 22 -> pids[Math.floorMod(a, 2)] = k.spawn(text.isEmpty() ? "p" : text).pid();
                // recv/send with MSG_PEEK (2), MSG_DONTWAIT (0x40), MSG_MORE (0x8000); poll; the one string option
                case 23 -> k.recv(pid, fd, 1 + Math.floorMod(c, 100), List.of(0, 2, 0x40, 0x42).get(Math.floorMod(c, 4)));
                case 24 -> k.send(pid, fd, text.getBytes(), List.of(0, 0x40, 0x8000).get(Math.floorMod(c, 3)), report);
                case 25 -> k.poll(pid, List.of(new io.vkernel.kernel.syscall.Syscalls.PollFd(fd, 1 | 4),
                        new io.vkernel.kernel.syscall.Syscalls.PollFd(Math.floorMod(c, 7), 0x2000)), Math.floorMod(c, 3) == 0 ? 0 : 5000);
                case 26 -> k.setsockopt(pid, fd, "TCP_CONGESTION", Math.floorMod(c, 3) == 0 ? "bbr" : Math.floorMod(c, 2) == 0 ? "reno" : "cubic");
                // epoll, zero-copy sends and the error queue, transmit timestamps (issue 13)
                case 27 -> k.epollCreate(pid, Math.floorMod(c, 3));
                case 28 -> k.epollCtl(pid, fd, 1 + Math.floorMod(c, 3), Math.floorMod(a, 7),
                        List.of(1, 4, 1 | 0x80000000, 4 | 0x40000000, 0x2000 | 1).get(Math.floorMod(c, 5)), c);
                case 29 -> k.epollWait(pid, fd, 1 + Math.floorMod(c, 4), Math.floorMod(c, 3) == 0 ? 0 : 3000);
                case 30 -> k.setsockopt(pid, fd, List.of("SO_ZEROCOPY", "SO_TIMESTAMPING", "SO_MARK", "IP_TOS").get(Math.floorMod(c, 4)),
                        Math.floorMod(c, 4) == 1 ? 0x392 : Math.floorMod(c, 2) + (Math.floorMod(c, 4) == 3 ? 0x20 : 0), true);
                case 31 -> {
                    k.send(pid, fd, text.getBytes(), 0x4000000, report);
                    k.recvmsg(pid, fd, 0, 0x2000);
                }
                // TCP Fast Open's client calls: sendto(MSG_FASTOPEN[|MSG_DONTWAIT]) to an address or AF_UNSPEC,
                // TCP_FASTOPEN_CONNECT, and the flush of the per-destination cookie cache
                case 32 -> k.sendto(pid, fd, text.getBytes(), 0x20000000 | (Math.floorMod(c, 2) == 0 ? 0 : 0x40),
                        Math.floorMod(c, 5) == 0 ? null : Endpoint.parse(Math.floorMod(c, 3) == 0 ? "127.0.0.1:8080" : "192.0.2.1:80"),
                        Math.floorMod(c, 5) == 0, report);
                case 33 -> k.setsockopt(pid, fd, "TCP_FASTOPEN_CONNECT", Math.floorMod(c, 3), false);
                case 34 -> k.flushTcpMetrics();
                // the per-socket timer counts (TCP_SYNCNT, TCP_KEEP*), valid or out of range
                case 35 -> k.setsockopt(pid, fd, List.of("TCP_SYNCNT", "TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT").get(Math.floorMod(c, 4)),
                        Math.floorMod(c, 130), true);
                // a listener's own Fast Open key: 16 or 32 bytes, or a length that is EINVAL (issue 13)
                case 36 -> k.setsockopt(pid, fd, "TCP_FASTOPEN_KEY", new byte[List.of(16, 32, 3).get(Math.floorMod(c, 3))]);
                case 37 -> {
                    if (Math.floorMod(c, 2) == 0) {
                        k.disconnect(pid, fd, report); // connect(fd, AF_UNSPEC)
                    } else {
                        k.socketNonBlocking(pid); // socket(SOCK_STREAM|SOCK_NONBLOCK): socket() then fcntl() in the journal
                    }
                }
                // a NULL buffer pointer (EFAULT where the copy faults; a Fast Open sendto() sends a SYN without data)
                case 38 -> k.nullBuffer(pid, io.vkernel.kernel.Kernel.NULL_BUFFER_CALLS.get(Math.floorMod(c, 5)), fd, Math.floorMod(a, 2000),
                        Math.floorMod(c, 5) == 4 ? 0x20000000 : Math.floorMod(c, 3) == 0 ? 0x40 : 0,
                        Math.floorMod(c, 5) == 4 ? Endpoint.parse("192.0.2.1:80") : null, report);
                // sendmsg() with the text cut into iovecs of 1 to 3 bytes, pinned (MSG_ZEROCOPY) or copied
                case 39 -> {
                    int[] iov = new int[text.length()];
                    int n = 0;
                    for (int at = 0; at < text.length(); at += iov[n++]) {
                        iov[n] = Math.min(text.length() - at, 1 + Math.floorMod(c + at, 3));
                    }
                    k.sendmsg(pid, fd, text.getBytes(), java.util.Arrays.copyOf(iov, n), Math.floorMod(c, 2) == 0 ? 0x4000000 : 0, report);
                }
                default -> k.exit(pid);
            }
        }
    }

    static Gen<List<Action>> actions() {
        Gen<Action> action = integers().between(0, 40).zip(integers().all(), integers().all(), integers().all(),
                strings().betweenCodePoints('a', 'z').ofLengthBetween(0, 20), Action::new);
        return lists().of(action).ofSizeBetween(1, 80);
    }

    @Test
    void aJournalWithAStepThatCannotReplay_isRefusedNamingItsLine() {
        KernelConfig config = KernelConfig.defaults("x", 7);
        List<String> lines = new ArrayList<>(Replay.lines(new JournalCodec.Header(config, 4, 16, null, Map.of()),
                List.of(new KernelInput.Spawn("a"), new KernelInput.Exit(99))));
        Replay.Parsed parsed = Replay.parse(lines);
        assertThatThrownBy(() -> Replay.run(parsed, config, 2, Kernel::new))
                .isInstanceOf(JournalException.class).hasMessageContaining("line 3").hasMessageContaining("step 2 (exit)");
        lines.set(1, lines.get(1).substring(0, 10));
        assertThatThrownBy(() -> Replay.parse(lines)).isInstanceOf(JournalException.class).hasMessageStartingWith("line 2:");
        assertThatThrownBy(() -> Replay.parse(List.of(lines.get(0).replace("\"version\":1", "\"version\":2"))))
                .hasMessageContaining("newer");
    }
}
