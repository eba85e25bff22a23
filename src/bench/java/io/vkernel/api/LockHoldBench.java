package io.vkernel.api;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.KernelConfig;
import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Ipv4;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * How long the long read-only views keep every other request to a kernel waiting: a kernel with N accepted
 * connections, a prober thread that takes the kernel lock in a loop (as a packet or a syscall would) and records its
 * longest wait, while the main thread renders {@code GET .../connections} as JSON views and as {@code ss} text.
 * {@code whole} renders each view in one turn of the lock (the way vkernel did before chunking; it runs on older
 * builds too); {@code chunked} the way the controller does now. Also {@code GET .../demux?maxBuckets=4096}, whole and a range of buckets per turn. Usage: {@code LockHoldBench [connections] [whole|chunked|both] [buckets]}.
 */
public final class LockHoldBench {

    public static void main(String[] args) throws Exception {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        String mode = args.length > 1 ? args[1] : "both";
        int buckets = args.length > 2 ? Integer.parseInt(args[2]) : Math.max(1024, Integer.highestOneBit(Math.max(1, count - 1)) << 1);
        Kernel kernel = build(count, buckets);
        int connections = kernel.inspect(k -> k.established().size());
        System.out.printf("connections=%d buckets=%d%n", connections, buckets);
        for (int round = 0; round < 3; round++) {
            // the noise floor: the prober's longest wait while nothing else takes the lock (GC, a busy machine)
            measure("idle        ", kernel, () -> {
                try {
                    Thread.sleep(2000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return 0;
            });
            if (!mode.equals("chunked")) {
                measure("whole   json", kernel, () -> kernel.inspect(kk -> kk.established().all().stream().map(t -> Views.connection(kk, t)).toList()).size());
                measure("whole   ss  ", kernel, () -> kernel.inspect(SsText::render).length());
                measure("whole   demux", kernel, () -> kernel.inspect(kk -> Views.demux(kk, 4096)).nonEmptyBuckets().size());
            }
            if (!mode.equals("whole")) {
                measure("chunked json", kernel, () -> InspectController.connections(kernel).size());
                measure("chunked ss  ", kernel, () -> SsText.render(kernel, InspectController.CHUNK).length());
                measure("chunked demux", kernel, () -> Views.demux(kernel, 4096, Views.DEMUX_CHUNK).nonEmptyBuckets().size());
            }
        }
    }

    private static void measure(String name, Kernel kernel, Supplier<Integer> view) throws InterruptedException {
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong maxWait = new AtomicLong();
        Thread prober = new Thread(() -> {
            while (running.get()) {
                long start = System.nanoTime();
                kernel.inspect(k -> k.clock().now());
                maxWait.accumulateAndGet(System.nanoTime() - start, Math::max);
                Thread.onSpinWait();
            }
        });
        prober.start();
        Thread.sleep(50);
        maxWait.set(0);
        long start = System.nanoTime();
        int size = view.get();
        long took = System.nanoTime() - start;
        running.set(false);
        prober.join();
        System.out.printf("%s: rendered %,d in %,d ms; longest wait of another request for the lock %,.1f ms%n",
                name, size, took / 1_000_000, maxWait.get() / 1e6);
    }

    /** A listener on 0.0.0.0:8080 in process "server" with {@code count} connections handshaken and accepted. */
    private static Kernel build(int count, int buckets) {
        KernelConfig base = KernelConfig.defaults("lockhold", 7);
        Kernel kernel = new Kernel(new KernelConfig("lockhold", base.address(), 7, buckets, "jhash", 1000, 1000, 16, count + 16));
        kernel.inspect(k -> {
            k.sysctls().set(Sysctls.VKERNEL_TRACE, 0);
            k.sysctls().set(Sysctls.SOMAXCONN, 65535);
            k.sysctls().set(Sysctls.RLIMIT_NOFILE, 1 << 20);
            return null;
        });
        Endpoint server = Endpoint.parse("10.0.0.50:8080");
        int pid = kernel.spawn("server").pid();
        int listener = (int) ((Syscalls.Done) kernel.socket(pid)).result().ret();
        kernel.bind(pid, listener, Endpoint.parse("0.0.0.0:8080"));
        kernel.listen(pid, listener, 65535);
        for (int i = 0; i < count; i++) {
            Endpoint client = new Endpoint(Ipv4.parse("172.16.0.0") + i / 64_000, 1024 + i % 64_000);
            PacketReport synAck = kernel.receive(new Segment(client, server, TcpFlags.SYN, 1000, 0, 65535, 1460, null));
            int ack = synAck.sentSegments().get(0).seq() + 1;
            kernel.receive(new Segment(client, server, TcpFlags.ACK, 1001, ack, 65535, 0, null));
            kernel.accept(pid, listener);
        }
        return kernel;
    }
}
