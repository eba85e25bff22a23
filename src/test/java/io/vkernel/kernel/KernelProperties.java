package io.vkernel.kernel;

import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Properties over random inputs: delivery is exactly-once and in order; nothing a peer or caller does breaks the kernel. */
class KernelProperties {

    @Property(tries = 200)
    void anyStreamCutReorderedDuplicatedAndRetransmitted_isReadExactlyOnceInOrder(
            @ForAll @Size(min = 1, max = 6000) byte[] stream, @ForAll long shuffleSeed, @ForAll @IntRange(min = 1, max = 1400) int maxCut) {
        TcpFixture t = new TcpFixture().established();
        Random random = new Random(shuffleSeed);
        int base = t.peer.sndNxt();
        List<int[]> pieces = new ArrayList<>();
        for (int start = 0; start < stream.length; ) {
            int length = Math.min(stream.length - start, 1 + random.nextInt(maxCut));
            pieces.add(new int[] {start, length});
            start += length;
        }
        List<int[]> sent = new ArrayList<>(pieces);
        for (int i = 0; i < pieces.size() / 2 + 1; i++) {
            sent.add(pieces.get(random.nextInt(pieces.size()))); // duplicates
            int from = random.nextInt(stream.length);
            sent.add(new int[] {from, 1 + random.nextInt(Math.min(maxCut, stream.length - from))}); // overlapping retransmissions
        }
        Collections.shuffle(sent, random);
        for (int[] piece : sent) {
            byte[] payload = java.util.Arrays.copyOfRange(stream, piece[0], piece[0] + piece[1]);
            t.kernel.receive(new Segment(Endpoint.parse(TcpFixture.CLIENT), Endpoint.parse(TcpFixture.SERVER),
                    TcpFlags.ACK | TcpFlags.PSH, base + piece[0], t.peer.rcvNxt(), 65535, 0, payload));
        }
        ByteArrayOutputStream read = new ByteArrayOutputStream();
        t.nonBlocking();
        while (true) {
            SyscallResult result = TcpFixture.done(t.kernel.read(t.pid, t.fd, 100_000));
            if (result.ret() <= 0) {
                break;
            }
            read.writeBytes(result.data());
        }
        assertThat(read.toByteArray()).isEqualTo(stream);
        assertThat(t.kernel.inspect(KernelCheck::run).violations()).isEmpty();
    }

    @Property(tries = 150)
    void randomPacketsAndSyscalls_neverThrow_andNeverBreakTheInvariants(@ForAll("actions") List<Action> actions) {
        TcpFixture t = new TcpFixture();
        int client = t.kernel.spawn("client").pid();
        for (Action action : actions) {
            action.apply(t, client);
            KernelCheck.Result check = t.kernel.inspect(KernelCheck::run);
            assertThat(check.violations()).as("after " + action).isEmpty();
        }
    }

    /** One step of a random history: a segment from one of a few peers, a system call, or time passing. */
    record Action(int kind, int a, int b, int c, String text) {
        void apply(TcpFixture t, int client) {
            Kernel k = t.kernel;
            int[] pids = {t.pid, client};
            int pid = pids[Math.floorMod(a, 2)];
            int fd = Math.floorMod(b, 8);
            switch (kind) {
                case 0, 1, 2 -> {
                    int[] flagChoices = {TcpFlags.SYN, TcpFlags.ACK, TcpFlags.ACK | TcpFlags.PSH, TcpFlags.FIN | TcpFlags.ACK,
                            TcpFlags.RST, TcpFlags.RST | TcpFlags.ACK, TcpFlags.SYN | TcpFlags.ACK, TcpFlags.SYN | TcpFlags.FIN};
                    int flags = flagChoices[Math.floorMod(b, flagChoices.length)];
                    Endpoint src = new Endpoint(io.vkernel.kernel.wire.Ipv4.parse("192.168.1.100"), 50000 + Math.floorMod(a, 3));
                    Endpoint dst = Endpoint.parse(Math.floorMod(c, 5) == 0 ? "10.0.0.50:9999" : TcpFixture.SERVER);
                    byte[] payload = (flags & TcpFlags.SYN) != 0 ? new byte[0] : text.getBytes();
                    k.receive(new Segment(src, dst, flags, c, c * 31 + a, Math.floorMod(a * 7, 65536), 0, payload));
                }
                case 3 -> k.accept(pid, fd);
                case 4 -> k.read(pid, fd, 1 + Math.floorMod(c, 100));
                case 5 -> k.write(pid, fd, text.getBytes(), new PacketReport(null));
                case 6 -> k.close(pid, fd, new PacketReport(null));
                case 7 -> k.socket(pid);
                case 8 -> k.connect(pid, fd, Endpoint.parse(Math.floorMod(c, 2) == 0 ? "127.0.0.1:8080" : "192.0.2.1:80"), new PacketReport(null));
                case 9 -> k.advance(Math.floorMod(c, 200_000));
                case 10 -> k.shutdown(pid, fd, Math.floorMod(c, 3), new PacketReport(null));
                case 11 -> k.dup2(pid, fd, Math.floorMod(c, 8), new PacketReport(null));
                case 12 -> k.setsockopt(pid, fd, Math.floorMod(c, 2) == 0 ? "SO_LINGER" : "SO_KEEPALIVE", 0, true);
                default -> k.fcntl(pid, fd, "F_SETFL", Math.floorMod(c, 2) == 0 ? 04000 : 0);
            }
        }
    }

    @Provide
    Arbitrary<List<Action>> actions() {
        Arbitrary<Action> action = Combinators.combine(
                Arbitraries.integers().between(0, 13), Arbitraries.integers(), Arbitraries.integers(), Arbitraries.integers(),
                Arbitraries.strings().alpha().ofMaxLength(20)).as(Action::new);
        return action.list().ofMinSize(1).ofMaxSize(60);
    }

}
