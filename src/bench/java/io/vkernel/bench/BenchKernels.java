package io.vkernel.bench;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.KernelConfig;
import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.Ipv4;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;

/** Builds kernels full of ESTABLISHED connections through the real receive path, for benchmarks. */
final class BenchKernels {

    static final Endpoint SERVER = Endpoint.parse("10.0.0.50:8080");

    private BenchKernels() {
    }

    /** A kernel listening on 0.0.0.0:8080 with {@code count} connections handshaken (left in the accept queue unless accepted). */
    static Kernel withConnections(int count, int buckets, boolean accept) {
        return server(count, buckets, accept).kernel();
    }

    /** The kernel of {@link #withConnections}, with the listening process and its listener's FD. */
    record Server(Kernel kernel, int pid, int listener) {
    }

    static Server server(int count, int buckets, boolean accept) {
        KernelConfig base = KernelConfig.defaults("bench", 7);
        Kernel kernel = new Kernel(new KernelConfig("bench", base.address(), 7, buckets, "jhash", 1000, 1000, 16, count + 16));
        kernel.inspect(k -> {
            k.sysctls().set(Sysctls.VKERNEL_TRACE, 0);
            k.sysctls().set(Sysctls.SOMAXCONN, 65535);
            k.sysctls().set(Sysctls.RLIMIT_NOFILE, 1 << 20);
            return null;
        });
        int pid = kernel.spawn("server").pid();
        int listener = (int) ((Syscalls.Done) kernel.socket(pid)).result().ret();
        kernel.bind(pid, listener, Endpoint.parse("0.0.0.0:8080"));
        kernel.listen(pid, listener, 65535);
        for (int i = 0; i < count; i++) {
            Endpoint client = client(i);
            PacketReport synAck = kernel.receive(new Segment(client, SERVER, TcpFlags.SYN, 1000, 0, 65535, 1460, null));
            int ack = synAck.sentSegments().get(0).seq() + 1;
            kernel.receive(new Segment(client, SERVER, TcpFlags.ACK, 1001, ack, 65535, 0, null));
            if (accept) {
                kernel.accept(pid, listener);
            }
        }
        return new Server(kernel, pid, listener);
    }

    /** The i-th client: addresses 172.16.0.0/12 and ports 1024-65023, so a million tuples are distinct. */
    static Endpoint client(int i) {
        int address = Ipv4.parse("172.16.0.0") + (i / 64_000);
        return new Endpoint(address, 1024 + i % 64_000);
    }

    static FourTuple tuple(int i) {
        return new FourTuple(client(i), SERVER);
    }

    static int bucketsFor(int count) {
        return Math.max(1024, Integer.highestOneBit(Math.max(1, count - 1)) << 1);
    }
}
