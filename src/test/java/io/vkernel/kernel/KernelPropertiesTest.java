package io.vkernel.kernel;

import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;
import org.quicktheories.QuickTheory;
import org.quicktheories.core.Gen;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;
import static org.quicktheories.generators.SourceDSL.strings;

/**
 * Properties over random inputs: delivery is exactly-once and in order; nothing a peer or caller does breaks the kernel.
 * QuickTheories generates the inputs and shrinks a failing one to the smallest it can find; a failure prints
 * "Seed was N", and {@code ./mvnw test -Dtest=KernelPropertiesTest -DQT_SEED=N} replays it. Without QT_SEED the seed
 * is fixed, so the build (and a mutation run) sees the same examples every time.
 */
class KernelPropertiesTest {

    static final long DEFAULT_SEED = 20_261_130L;

    static QuickTheory qt(int examples) {
        QuickTheory theory = QuickTheory.qt().withExamples(examples);
        return System.getProperty("QT_SEED") == null ? theory.withFixedSeed(DEFAULT_SEED) : theory;
    }

    /** Byte arrays of 1..6000 random bytes; shrinking shortens them and moves bytes towards 0. */
    static Gen<byte[]> streams() {
        return lists().of(integers().between(-128, 127)).ofSizeBetween(1, 6000).map(list -> {
            byte[] bytes = new byte[list.size()];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = (byte) (int) list.get(i);
            }
            return bytes;
        });
    }

    @Test
    void anyStreamCutReorderedDuplicatedAndRetransmitted_isReadExactlyOnceInOrder() {
        qt(200).forAll(streams(), longs().all(), integers().between(1, 1400))
                .checkAssert(KernelPropertiesTest::deliveredExactlyOnceInOrder);
    }

    static void deliveredExactlyOnceInOrder(byte[] stream, long shuffleSeed, int maxCut) {
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

    @Test
    void randomPacketsAndSyscalls_neverThrow_andNeverBreakTheInvariants() {
        qt(150).forAll(actions()).checkAssert(KernelPropertiesTest::keepsInvariants);
    }

    static void keepsInvariants(List<Action> actions) {
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

    static Gen<List<Action>> actions() {
        Gen<Action> action = integers().between(0, 13).zip(integers().all(), integers().all(), integers().all(),
                strings().betweenCodePoints('a', 'z').ofLengthBetween(0, 20), Action::new);
        return lists().of(action).ofSizeBetween(1, 60);
    }

}
