package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One server process listening on 0.0.0.0:8080 of a fresh kernel, and fixtures that bring a connection from a
 * remote peer into each TCP state, each built from the previous: listening → established → finWait1 → ...
 */
class TcpFixture {

    static final String SERVER = "10.0.0.50:8080";
    static final String CLIENT = "192.168.1.100:54321";

    final Kernel kernel = new Kernel(KernelConfig.defaults("tcp-test", 42));
    final int pid = kernel.spawn("server").pid();
    final int listenFd;
    Peer peer;
    int fd = -1;

    TcpFixture() {
        listenFd = (int) done(kernel.socket(pid)).ret();
        done(kernel.bind(pid, listenFd, Endpoint.parse("0.0.0.0:8080")));
        done(kernel.listen(pid, listenFd, 128));
    }

    TcpFixture established() {
        peer = new Peer(kernel, CLIENT, SERVER).connect();
        fd = (int) done(kernel.accept(pid, listenFd)).ret();
        assertThat(state()).isEqualTo(TcpState.ESTABLISHED);
        return this;
    }

    /** The server closes first: FIN out, FIN_WAIT1. */
    TcpFixture finWait1() {
        established();
        close();
        assertThat(state()).isEqualTo(TcpState.FIN_WAIT1);
        return this;
    }

    TcpFixture finWait2() {
        finWait1();
        peer.consumeSent();
        peer.ack();
        assertThat(state()).isEqualTo(TcpState.FIN_WAIT2);
        return this;
    }

    TcpFixture timeWait() {
        finWait2();
        peer.fin();
        assertThat(state()).isEqualTo(TcpState.TIME_WAIT);
        return this;
    }

    /** The peer closes first: CLOSE_WAIT. */
    TcpFixture closeWait() {
        established();
        peer.fin();
        assertThat(state()).isEqualTo(TcpState.CLOSE_WAIT);
        return this;
    }

    TcpFixture lastAck() {
        closeWait();
        close();
        assertThat(state()).isEqualTo(TcpState.LAST_ACK);
        return this;
    }

    Tcb tcb() {
        return kernel.inspect(k -> k.established().find(new FourTuple(Endpoint.parse(CLIENT), Endpoint.parse(SERVER))));
    }

    /** The connection's state, or CLOSE when it has left the established table. */
    TcpState state() {
        Tcb tcb = tcb();
        return tcb == null ? TcpState.CLOSE : tcb.state();
    }

    PacketReport close() {
        PacketReport report = new PacketReport(null);
        done(kernel.close(pid, fd, report));
        return report;
    }

    SyscallResult read() {
        return done(kernel.read(pid, fd, 4096));
    }

    SyscallResult write(String text) {
        return done(kernel.write(pid, fd, text.getBytes(StandardCharsets.UTF_8), new PacketReport(null)));
    }

    /** Writes {@code bytes} zero bytes on the connection. */
    SyscallResult write(int bytes) {
        return done(kernel.write(pid, fd, new byte[bytes], new PacketReport(null)));
    }

    /** Sets a sysctl, as {@code sysctl -w} does. */
    void sysctl(String name, long value) {
        kernel.inspect(k -> {
            k.sysctls().set(name, value);
            return null;
        });
    }

    /** The kernel's SNMP/nstat counter, as {@code nstat -az} shows it. */
    long counter(io.vkernel.kernel.trace.SnmpCounter counter) {
        return kernel.inspect(k -> k.snmp().get(counter));
    }

    /** The data segments the report sent, each as [offset from {@code base}, length]: the wire as the recovery tests read it. */
    static java.util.List<java.util.List<Integer>> dataSegments(PacketReport report, int base) {
        return report.sentSegments().stream().filter(s -> s.length() > 0).map(s -> java.util.List.of(s.seq() - base, s.length())).toList();
    }

    /** The details of the report's steps named {@code step}, in order: what a trace shows for that step. */
    static java.util.List<String> steps(PacketReport report, String step) {
        return report.steps().stream().filter(s -> s.step().equals(step)).map(io.vkernel.kernel.trace.Step::detail).toList();
    }

    /**
     * Established from an immediate handshake, the peer offering MSS 1000, GSO off (one segment per MSS) and a 1 MiB
     * send buffer: what the congestion-control tests count segments in.
     */
    void establishedMss1000GsoOff() {
        kernel.inspect(k -> {
            k.sysctls().set(Sysctls.VKERNEL_GSO, 0);
            k.sysctls().set(Sysctls.TCP_WMEM_DEFAULT, 1 << 20);
            return null;
        });
        peer = new Peer(kernel, CLIENT, SERVER);
        peer.mss = 1000;
        peer.connect();
        fd = (int) done(kernel.accept(pid, listenFd)).ret();
    }

    /**
     * Established with a 100 ms handshake RTT, MSS 1000 and GSO off (one segment per MSS), SACK as asked: what the
     * loss-recovery tests count segments in. Answers SND.UNA.
     */
    int establishedOneSegmentPerMss(boolean sack) {
        return establishedOneSegmentPerMss(sack, 0);
    }

    /** The same, the SYN carrying {@code synFlags} too (ECE | CWR asks for ECN, RFC 3168 §6.1.1). */
    int establishedOneSegmentPerMss(boolean sack, int synFlags) {
        return establishedOneSegmentPerMss(sack, synFlags, 0.1);
    }

    /** The same with a handshake RTT of {@code rttSeconds} (the first RTT sample: SRTT, and RTO = 3 x RTT from 100 ms up). */
    int establishedOneSegmentPerMss(boolean sack, int synFlags, double rttSeconds) {
        kernel.inspect(k -> {
            k.sysctls().set(Sysctls.VKERNEL_GSO, 0);
            return null;
        });
        return establishedBy(p -> {
            p.mss = 1000;
            p.sackOk = sack;
        }, synFlags, rttSeconds);
    }

    /**
     * Established from a peer {@code setUp} describes (its MSS, SACK, window), the SYN carrying {@code synFlags} too,
     * the ACK {@code rttSeconds} after the SYN-ACK; the sysctls as they are. Answers SND.UNA.
     */
    int establishedBy(java.util.function.Consumer<Peer> setUp, int synFlags, double rttSeconds) {
        peer = new Peer(kernel, CLIENT, SERVER);
        setUp.accept(peer);
        peer.send(io.vkernel.kernel.wire.TcpFlags.SYN | synFlags, "");
        advanceSeconds(rttSeconds);
        peer.send(io.vkernel.kernel.wire.TcpFlags.ACK, "");
        fd = (int) done(kernel.accept(pid, listenFd)).ret();
        return tcb().sndUna();
    }

    /** What the kernel sent the peer after the first {@code skip} segments it ever sent it. */
    java.util.List<io.vkernel.kernel.wire.Segment> sentSince(int skip) {
        java.util.List<io.vkernel.kernel.wire.Segment> all = peer.received();
        return all.subList(skip, all.size());
    }

    /** Each segment as tcpdump would summarise it, relative to {@code base}: flags, then start:end of its data. */
    static java.util.List<String> summary(java.util.List<io.vkernel.kernel.wire.Segment> segments, int base) {
        return segments.stream().map(s -> io.vkernel.kernel.wire.TcpFlags.format(s.flags()) + " " + (s.seq() - base) + ":"
                + (s.seq() - base + s.payload().length)).toList();
    }

    /**
     * The peer sends 1024-byte segments (at most 16) until the server's ACK advertises a zero window; answers that
     * ACK. Each segment costs a 2304-byte skb (RcvSpace.truesize()), so a small tcp_rmem default closes it quickly; a
     * segment whose ACK waits for the timer shows no ACK here.
     */
    io.vkernel.kernel.wire.Segment sendUntilZeroWindow() {
        String chunk = "x".repeat(1024);
        io.vkernel.kernel.wire.Segment lastAck = null;
        for (int i = 0; i < 16 && (lastAck == null || lastAck.window() != 0); i++) {
            var sent = peer.data(chunk).sentSegments();
            lastAck = sent.isEmpty() ? lastAck : sent.get(sent.size() - 1);
        }
        return lastAck;
    }

    /** The details of the kernel's STATE_CHANGE events, oldest first: what the event log shows of each transition. */
    java.util.List<String> stateEvents() {
        return events(io.vkernel.kernel.trace.EventType.STATE_CHANGE);
    }

    /** The details of the kernel's CONGESTION events, oldest first: the CA state moves, undos and drops as logged. */
    java.util.List<String> congestionEvents() {
        return events(io.vkernel.kernel.trace.EventType.CONGESTION);
    }

    /** The names of the timers the clock view (GET /clock) lists as pending, soonest first. */
    java.util.List<String> timers() {
        return kernel.inspect(k -> k.clock().pending().stream().map(io.vkernel.kernel.time.VirtualClock.Timer::name).toList());
    }

    /** The details of the kernel's events of one type, oldest first, as the event log shows them. */
    java.util.List<String> events(io.vkernel.kernel.trace.EventType type) {
        return kernel.inspect(k -> k.events().after(0, 10_000)).stream().filter(e -> e.type() == type)
                .map(io.vkernel.kernel.trace.KernelEvent::detail).toList();
    }

    /** A new TCP socket of the fixture's process, O_NONBLOCK when {@code nonBlocking}; answers its fd. */
    int socket(boolean nonBlocking) {
        int fd = (int) done(kernel.socket(pid)).ret();
        if (nonBlocking) {
            done(kernel.fcntl(pid, fd, "F_SETFL", 04000));
        }
        return fd;
    }

    /** The Tcb behind {@code fd} of the fixture's process (null before connect() or listen()). */
    Tcb tcbOf(int fd) {
        return kernel.inspect(k -> k.process(pid).fds().get(fd).socket().tcb());
    }

    /** The peer refuses {@code fd}'s connect(): a RST|ACK acknowledging its SYN. */
    PacketReport refuse(int fd) {
        Tcb tcb = tcbOf(fd);
        return kernel.receive(new io.vkernel.kernel.wire.Segment(tcb.tuple().remote(), tcb.tuple().local(),
                io.vkernel.kernel.wire.TcpFlags.RST | io.vkernel.kernel.wire.TcpFlags.ACK, 0, tcb.iss() + 1, 0, 0, null, null));
    }

    /** The MTU-probe tests' set-up: GSO off, tcp_mtu_probing=2, initcwnd 12 and a 1 MiB send buffer. */
    void mtuProbingWithInitcwnd12() {
        kernel.inspect(k -> {
            k.sysctls().set(Sysctls.VKERNEL_GSO, 0);
            k.sysctls().set(Sysctls.TCP_MTU_PROBING, 2);
            k.sysctls().set(Sysctls.ROUTE_INITCWND, 12);
            k.sysctls().set(Sysctls.TCP_WMEM_DEFAULT, 1 << 20);
            return null;
        });
    }

    void nonBlocking() {
        done(kernel.fcntl(pid, fd, "F_SETFL", 04000));
    }

    void advanceSeconds(double seconds) {
        kernel.advance((long) (seconds * 1000));
    }

    static SyscallResult done(Syscalls.Outcome outcome) {
        assertThat(outcome).isInstanceOf(Syscalls.Done.class);
        return ((Syscalls.Done) outcome).result();
    }

    /** A call that finished before the kernel call returned, even if it slept on the way (loopback handshakes). */
    static SyscallResult finished(Syscalls.Outcome outcome) {
        if (outcome instanceof Syscalls.Pending pending) {
            assertThat(pending.call().isDone()).as(pending.call().call() + " is still blocked").isTrue();
            return pending.call().result();
        }
        return ((Syscalls.Done) outcome).result();
    }

    static PendingCall pending(Syscalls.Outcome outcome) {
        assertThat(outcome).isInstanceOf(Syscalls.Pending.class);
        return ((Syscalls.Pending) outcome).call();
    }

    static String text(SyscallResult result) {
        return new String(result.data(), StandardCharsets.UTF_8);
    }

    static void assertErrno(SyscallResult result, Errno errno) {
        assertThat(result.ret()).isEqualTo(-1);
        assertThat(result.errno()).isEqualTo(errno);
    }
}
