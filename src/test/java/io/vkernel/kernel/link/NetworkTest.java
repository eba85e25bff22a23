package io.vkernel.kernel.link;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.KernelConfig;
import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Ipv4;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NetworkTest {

    static Kernel kernel(String id, String address, long seed) {
        KernelConfig d = KernelConfig.defaults(id, seed);
        return new Kernel(new KernelConfig(id, Ipv4.parse(address), seed, 1024, d.hash(), d.eventCapacity(),
                d.wireCapacity(), d.maxProcesses(), d.maxConnections()));
    }

    static SyscallResult result(Syscalls.Outcome outcome) {
        if (outcome instanceof Syscalls.Pending pending) {
            assertThat(pending.call().isDone()).as(pending.call().call() + " is still blocked").isTrue();
            return pending.call().result();
        }
        return ((Syscalls.Done) outcome).result();
    }

    static long now(Kernel kernel) {
        return kernel.inspect(k -> k.clock().now());
    }

    /** A listener on port 80 of {@code server}: returns its FD. */
    static int listen(Kernel server, int pid) {
        int fd = (int) result(server.socket(pid)).ret();
        result(server.bind(pid, fd, Endpoint.parse("0.0.0.0:80")));
        result(server.listen(pid, fd, 128));
        return fd;
    }

    @Test
    void perfectLink_connectCompletesWithinTheCall_andFiveBytesArrive() {
        Kernel alice = kernel("alice", "10.0.0.1", 1);
        Kernel bob = kernel("bob", "10.0.0.2", 2);
        Network lab = new Network("lab", List.of(alice, bob), LinkSettings.perfect());
        int bobPid = bob.spawn("server").pid();
        int listenFd = listen(bob, bobPid);
        int alicePid = alice.spawn("client").pid();
        int fd = (int) result(alice.socket(alicePid)).ret();

        Syscalls.Outcome connect = lab.run(() -> alice.connect(alicePid, fd, Endpoint.parse("10.0.0.2:80"), new PacketReport(null)));
        assertThat(result(connect).ret()).isZero();
        int accepted = (int) result(lab.run(() -> bob.accept(bobPid, listenFd))).ret();
        assertThat(accepted).isGreaterThan(2);
        assertThat(result(lab.run(() -> alice.write(alicePid, fd, "hello".getBytes(StandardCharsets.UTF_8), new PacketReport(null)))).ret())
                .isEqualTo(5);
        SyscallResult read = result(lab.run(() -> bob.read(bobPid, accepted, 100)));
        assertThat(new String(read.data(), StandardCharsets.UTF_8)).isEqualTo("hello");
        TcpState state = bob.inspect(k -> k.established().all().get(0).state());
        assertThat(state).isEqualTo(TcpState.ESTABLISHED);
        assertThat(lab.link().counters().delivered()).isEqualTo(lab.link().counters().sent()).isGreaterThanOrEqualTo(5);
        assertThat(lab.now()).isZero();
    }

    @Test
    void linkCapture_andPacketsInFlight_areChargedToTheServiceBudget_untilTheNetworkIsTakenApart() {
        io.vkernel.kernel.MemoryBudget service = new io.vkernel.kernel.MemoryBudget(1L << 30);
        io.vkernel.kernel.KernelBudget budget = new io.vkernel.kernel.KernelBudget(1L << 28, 1L << 20, 1L << 20, service);
        KernelConfig d = KernelConfig.defaults("x", 1);
        Kernel alice = new Kernel(new KernelConfig("alice", Ipv4.parse("10.0.0.1"), 1, 1024, d.hash(), d.eventCapacity(),
                d.wireCapacity(), d.maxProcesses(), d.maxConnections()), budget);
        Kernel bob = new Kernel(new KernelConfig("bob", Ipv4.parse("10.0.0.2"), 2, 1024, d.hash(), d.eventCapacity(),
                d.wireCapacity(), d.maxProcesses(), d.maxConnections()), budget);
        // a 50 ms delay keeps the SYN in flight after connect() returns
        Network lab = new Network("lab", List.of(alice, bob), new LinkSettings(50, 0, 0, 0, 0, 0, 7));
        int bobPid = bob.spawn("server").pid();
        listen(bob, bobPid);
        int alicePid = alice.spawn("client").pid();
        int fd = (int) result(alice.socket(alicePid)).ret();
        long kernelsOnly = service.usedBytes();
        lab.run(() -> alice.connect(alicePid, fd, Endpoint.parse("10.0.0.2:80"), new PacketReport(null)));

        Link.Memory inFlight = lab.link().memory();
        assertThat(inFlight.capturedPackets()).isEqualTo(1);
        assertThat(inFlight.inFlightBytes()).as("the SYN waits on the link").isPositive();
        assertThat(inFlight.chargedBytes()).isEqualTo(inFlight.captureBytes() + inFlight.inFlightBytes());
        assertThat(inFlight.captureLimitBytes()).isEqualTo(Link.CAPTURE_BYTES);
        assertThat(service.usedBytes()).as("the service budget holds the kernels and the link")
                .isGreaterThanOrEqualTo(kernelsOnly + inFlight.chargedBytes());

        lab.advance(200);
        Link.Memory delivered = lab.link().memory();
        assertThat(delivered.inFlightBytes()).as("every packet delivered").isZero();
        assertThat(delivered.capturedPackets()).isGreaterThanOrEqualTo(3);
        assertThat(delivered.chargedBytes()).isEqualTo(delivered.captureBytes());

        long before = service.usedBytes();
        lab.dissolve();
        assertThat(service.usedBytes()).as("taking the network apart gives the capture's bytes back")
                .isEqualTo(before - delivered.chargedBytes());
        assertThat(lab.link().memory().chargedBytes()).isZero();
    }

    @Test
    void delayedLink_handshakeTakesOneRoundTripOfNetworkTime() {
        Kernel alice = kernel("alice", "10.0.0.1", 1);
        Kernel bob = kernel("bob", "10.0.0.2", 2);
        Network lab = new Network("lab", List.of(alice, bob), new LinkSettings(50, 0, 0, 0, 0, 0, 7));
        int bobPid = bob.spawn("server").pid();
        listen(bob, bobPid);
        int alicePid = alice.spawn("client").pid();
        int fd = (int) result(alice.socket(alicePid)).ret();
        Syscalls.Outcome connect = lab.run(() -> alice.connect(alicePid, fd, Endpoint.parse("10.0.0.2:80"), new PacketReport(null)));
        assertThat(connect).isInstanceOf(Syscalls.Pending.class);
        lab.advance(99);
        assertThat(((Syscalls.Pending) connect).call().isDone()).isFalse();
        lab.advance(1);
        assertThat(((Syscalls.Pending) connect).call().isDone()).isTrue();
        assertThat(now(alice)).isEqualTo(100);
        assertThat(now(bob)).isEqualTo(100);
        assertThat(lab.link().counters().inFlight()).isEqualTo(1); // alice's ACK, due at 150
    }

    @Test
    void segmentsForOtherHosts_stayOffTheLink() {
        Kernel alice = kernel("alice", "10.0.0.1", 1);
        Kernel bob = kernel("bob", "10.0.0.2", 2);
        Network lab = new Network("lab", List.of(alice, bob), LinkSettings.perfect());
        int pid = alice.spawn("client").pid();
        int fd = (int) result(alice.socket(pid)).ret();
        lab.run(() -> alice.connect(pid, fd, Endpoint.parse("10.9.9.9:80"), new PacketReport(null)));
        assertThat(lab.link().counters().sent()).isZero();
        assertThat(alice.nic().packetsOut()).isEqualTo(1);
    }

    @Test
    void joining_bringsMembersToTheLatestTime_andDuplicateAddressesAreRefused() {
        Kernel alice = kernel("alice", "10.0.0.1", 1);
        Kernel bob = kernel("bob", "10.0.0.2", 2);
        alice.advance(5_000);
        Network lab = new Network("lab", List.of(alice, bob), LinkSettings.perfect());
        assertThat(now(bob)).isEqualTo(5_000);
        assertThat(lab.now()).isEqualTo(5_000);
        Kernel twin = kernel("twin", "10.0.0.1", 3);
        assertThatThrownBy(() -> new Network("x", List.of(twin, kernel("carol", "10.0.0.1", 4)), LinkSettings.perfect()))
                .isInstanceOf(Network.DuplicateAddressException.class).hasMessageContaining("10.0.0.1");
    }

    @Test
    void outOfRangeSettings_nameTheField() {
        assertThatThrownBy(() -> new LinkSettings(0, 0, 101, 0, 0, 0, 1))
                .isInstanceOfSatisfying(LinkSettings.LinkSettingException.class, e -> assertThat(e.field()).isEqualTo("lossPercent"));
        assertThatThrownBy(() -> new LinkSettings(0, 0, 0, 0, 10, 0, 1))
                .isInstanceOfSatisfying(LinkSettings.LinkSettingException.class, e -> assertThat(e.field()).isEqualTo("reorderPercent"));
        assertThatThrownBy(() -> new LinkSettings(0, 0, 0, 0, 0, 10, 1))
                .isInstanceOfSatisfying(LinkSettings.LinkSettingException.class, e -> assertThat(e.field()).isEqualTo("rateBytesPerSecond"));
    }
}
