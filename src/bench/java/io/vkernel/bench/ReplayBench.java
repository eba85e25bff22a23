package io.vkernel.bench;

import io.vkernel.journal.JournalCodec;
import io.vkernel.journal.KernelJournal;
import io.vkernel.journal.Replay;
import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.KernelConfig;
import io.vkernel.kernel.KernelInput;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Replay speed, in process (issue 15: replay at 200 000 entries/s or more). Drives one kernel to {@code entries}
 * journal entries with the workload of {@code bench/journal-bench.sh}'s restart (a connection opened, 5 bytes read,
 * closed, 100 ms advanced, over and over), takes its journal lines as the database keeps them, then times decoding
 * (lines to inputs) and applying (inputs into a fresh kernel) apart, several rounds, and prints entries/s for each.
 *
 * <p>{@code java -cp ... io.vkernel.bench.ReplayBench [entries] [rounds] [trace 0|1]}, or through Maven:
 * {@code ./mvnw -q -o test-compile exec:exec@replay-bench}.
 */
public final class ReplayBench {

    private ReplayBench() {
    }

    public static void main(String[] args) {
        int entries = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int trace = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        List<String> lines = journal(entries, trace);
        long bytes = lines.stream().mapToLong(l -> l.getBytes(StandardCharsets.UTF_8).length + 1).sum();
        System.out.printf("journal: %d entries, %.1f MB (vkernel.trace=%d)%n", lines.size() - 1, bytes / 1e6, trace);
        System.out.println("round decode_ms apply_ms decode_per_sec apply_per_sec replay_per_sec");
        for (int r = 1; r <= rounds; r++) {
            long t0 = System.nanoTime();
            Replay.Parsed parsed = Replay.parse(lines);
            long t1 = System.nanoTime();
            Kernel kernel = Replay.run(parsed, parsed.header().config(), parsed.inputs().size(), Kernel::new);
            long t2 = System.nanoTime();
            if (kernel.clock().now() == 0) {
                throw new IllegalStateException("the replay did not advance the clock");
            }
            int n = parsed.inputs().size();
            System.out.printf("%d %.0f %.0f %.0f %.0f %.0f%n", r, (t1 - t0) / 1e6, (t2 - t1) / 1e6, n / ((t1 - t0) / 1e9),
                    n / ((t2 - t1) / 1e9), n / ((t2 - t0) / 1e9));
        }
    }

    /** One kernel driven to {@code entries} inputs, as its journal lines (header first). */
    static List<String> journal(int entries, int trace) {
        Kernel kernel = new Kernel(KernelConfig.defaults("k0", 5));
        List<KernelInput> inputs = new ArrayList<>();
        kernel.recordInputs((k, input) -> inputs.add(input));
        if (trace == 0) {
            kernel.sysctl("vkernel.trace", 0);
        }
        int pid = kernel.spawn("server").pid();
        int listener = (int) ((Syscalls.Done) kernel.socket(pid)).result().ret();
        Endpoint server = Endpoint.parse("10.0.0.50:8080");
        kernel.bind(pid, listener, Endpoint.parse("0.0.0.0:8080"));
        kernel.listen(pid, listener, 128);
        int port = 20_000;
        while (inputs.size() < entries) {
            Endpoint client = new Endpoint(Endpoint.parse("192.168.1.100:1").address(), ++port > 65_000 ? (port = 20_001) : port);
            PacketReport synAck = kernel.receive(new Segment(client, server, TcpFlags.SYN, 1000, 0, 65535, 1460, null));
            int ack = synAck.sentSegments().get(0).seq() + 1;
            kernel.receive(new Segment(client, server, TcpFlags.ACK, 1001, ack, 65535, 0, null));
            int fd = (int) ((Syscalls.Done) kernel.accept(pid, listener)).result().ret();
            kernel.receive(new Segment(client, server, TcpFlags.PSH | TcpFlags.ACK, 1001, ack, 65535, 0, "hello".getBytes(StandardCharsets.US_ASCII)));
            kernel.read(pid, fd, 100);
            kernel.close(pid, fd, new PacketReport(null));
            kernel.advance(100);
        }
        return Replay.lines(KernelJournal.headerOf(kernel), inputs.subList(0, entries));
    }

    static String header(Kernel kernel) {
        return JournalCodec.header(KernelJournal.headerOf(kernel));
    }
}
