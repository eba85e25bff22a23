package io.vkernel.script;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.KernelConfig;
import io.vkernel.kernel.KernelInput;
import io.vkernel.kernel.nic.WireRecord;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Histories written as scripts: random server histories (several clients of one peer, data both ways, reads,
 * writes, ACKs, closes from either side, time passing) always export, and the export has run them through the
 * runner, so every one is a script that passes; what the format cannot say names its step.
 */
class JournalScriptTest {

    private static final Endpoint SERVER = Endpoint.parse("10.0.0.50:8080");

    /** A kernel recording its inputs, as the journal does. */
    private static final class Recorded {
        final Kernel kernel;
        final List<KernelInput> inputs = new ArrayList<>();

        Recorded(long seed) {
            kernel = new Kernel(KernelConfig.defaults("k", seed));
            kernel.recordInputs((k, input) -> inputs.add(input));
        }

        String export() {
            Kernel fresh = new Kernel(kernel.config());
            return JournalScript.export(fresh, "test", inputs, ScriptLimits.defaults());
        }
    }

    /** The kernel's ISN towards {@code client}: the seq of the last SYN-ACK it sent there. */
    private static int isn(Kernel kernel, Endpoint client) {
        List<WireRecord> wire = kernel.inspect(k -> k.nic().wire(0, Integer.MAX_VALUE));
        for (int i = wire.size() - 1; i >= 0; i--) {
            Segment s = wire.get(i).segment();
            if (!wire.get(i).inbound() && s != null && s.dst().equals(client) && s.has(TcpFlags.SYN)) {
                return s.seq();
            }
        }
        throw new AssertionError("no SYN-ACK to " + client);
    }

    @Test
    void randomServerHistories_exportAsScriptsTheRunnerPasses() {
        for (long seed = 1; seed <= 25; seed++) {
            Random random = new Random(seed);
            Recorded r = new Recorded(seed);
            Kernel k = r.kernel;
            int pid = k.spawn("server").pid();
            k.socket(pid);
            k.bind(pid, 3, Endpoint.parse("0.0.0.0:8080"));
            k.listen(pid, 3, 16);
            int clients = 1 + random.nextInt(3);
            List<int[]> conns = new ArrayList<>(); // port, fd, peer seq, kernel seq sent so far, open
            for (int c = 0; c < clients; c++) {
                Endpoint client = Endpoint.parse("192.168.1.100:" + (40000 + c));
                int peerIsn = random.nextInt(1 << 30);
                k.receive(new Segment(client, SERVER, TcpFlags.SYN, peerIsn, 0, 65535, 1460, null));
                int kernelIsn = isn(k, client);
                k.receive(new Segment(client, SERVER, TcpFlags.ACK, peerIsn + 1, kernelIsn + 1, 65535, 0, null));
                int fd = (int) ((io.vkernel.kernel.syscall.Syscalls.Done) k.accept(pid, 3)).result().ret();
                // non-blocking, so a read with nothing queued is an EAGAIN line (a script follows one blocked call)
                k.fcntl(pid, fd, "F_SETFL", io.vkernel.kernel.fd.OpenFile.O_RDWR | io.vkernel.kernel.fd.OpenFile.O_NONBLOCK);
                conns.add(new int[] {40000 + c, fd, peerIsn + 1, kernelIsn + 1, 1});
            }
            for (int step = 0; step < 12; step++) {
                int[] c = conns.get(random.nextInt(conns.size()));
                if (c[4] == 0) {
                    continue;
                }
                Endpoint client = Endpoint.parse("192.168.1.100:" + c[0]);
                switch (random.nextInt(5)) {
                    case 0 -> {
                        int n = 1 + random.nextInt(200);
                        k.receive(new Segment(client, SERVER, TcpFlags.ACK | TcpFlags.PSH, c[2], c[3], 65535, 0, new byte[n]));
                        c[2] += n;
                    }
                    case 1 -> k.read(pid, c[1], 1 + random.nextInt(300));
                    case 2 -> {
                        int n = 1 + random.nextInt(300);
                        k.write(pid, c[1], new byte[n], new PacketReport(null));
                        c[3] += n;
                        k.advance(1 + random.nextInt(5));
                        k.receive(new Segment(client, SERVER, TcpFlags.ACK, c[2], c[3], 65535, 0, null));
                    }
                    case 3 -> k.advance(random.nextInt(500));
                    default -> {
                        k.read(pid, c[1], 4096);
                        k.close(pid, c[1], new PacketReport(null));
                        k.receive(new Segment(client, SERVER, TcpFlags.ACK | TcpFlags.FIN, c[2], c[3] + 1, 65535, 0, null));
                        c[4] = 0;
                    }
                }
            }
            k.advance(1000);
            String script = r.export();
            assertThat(script).as("seed " + seed).contains("accept(3, ..., ...) = 4").contains("> 8080>40000 S. 0:0(0)");
            assertThat(script.lines().filter(l -> l.contains(" < ")).count()).as("seed " + seed)
                    .isEqualTo(r.inputs.stream().filter(i -> i instanceof KernelInput.Packet).count());
        }
    }

    @Test
    void aProcessExit_isRefusedNamingItsStep() {
        Recorded r = new Recorded(3);
        int pid = r.kernel.spawn("server").pid();
        r.kernel.socket(pid);
        r.kernel.exit(pid);
        assertThatThrownBy(r::export).isInstanceOf(JournalScript.NotExpressible.class)
                .hasMessageStartingWith("step 3 (exit) ends the process")
                .satisfies(e -> assertThat(((JournalScript.NotExpressible) e).step()).isEqualTo(3));
    }

    @Test
    void aPacketToAnotherAddress_isRefusedNamingItsStep() {
        Recorded r = new Recorded(3);
        r.kernel.spawn("server");
        r.kernel.receive(new Segment(Endpoint.parse("192.168.1.100:40000"), Endpoint.parse("10.0.0.99:80"), TcpFlags.SYN, 1, 0,
                65535, 1460, null));
        assertThatThrownBy(r::export).isInstanceOf(JournalScript.NotExpressible.class)
                .hasMessageContaining("step 2 (packet) is addressed to 10.0.0.99");
    }

    @Test
    void aHistoryLongerThanAScriptMayBe_isRefusedAtTheStepThatPassesTheBound_withoutReplayingTheRest() {
        Recorded r = new Recorded(3);
        int pid = r.kernel.spawn("server").pid();
        for (int i = 0; i < 30; i++) {
            r.kernel.socket(pid);
        }
        Kernel fresh = new Kernel(r.kernel.config());
        assertThatThrownBy(() -> JournalScript.export(fresh, "test", r.inputs, new ScriptLimits(64 * 1024, 20, 86_400)))
                .isInstanceOf(JournalScript.NotExpressible.class)
                .hasMessageStartingWith("step 20 (socket) makes the script longer than the runner takes (20 lines");
        int open = fresh.inspect(Kernel::openFds);
        assertThat(open).as("the replay stopped there").isEqualTo(3 + 19);
    }
}
