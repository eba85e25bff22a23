package io.vkernel.bench;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;

/**
 * The inbound pipeline's load, shared by {@link PipelineBenchmark} and {@link PipelineCpu}: 10 000 ESTABLISHED
 * connections, each operation one 64-byte data segment into the next of them, round-robin.
 * <p>
 * {@code reads}: the connections are accepted and their application reads what is queued (one recv() of up to
 * 64 KB) right after every {@value #READ_EVERY}th segment its connection gets; the read is part of the operation it
 * follows, so its time counts against the segments. This is a segment's normal path: the buffer stays small, the
 * window open, and every segment wakes the socket's readers.
 * <p>
 * {@code never}: the connections stay in the accept queue and nothing reads, as this load was before 1 Dec 2026:
 * each connection's queue only grows. Each 64-byte segment is charged a 896-byte truesize against the 131 072-byte
 * tcp_rmem default, so after ~146 segments the buffer is full and tcp_prune_queue()'s collapse
 * (RcvSpace.tryRmemSchedule()) copies the queue into compact skbs, which makes room for ~120 more; it runs again
 * at each fill. That is the buffer-full path, reported apart. (Past ~1 000 segments a connection's 64 KB window
 * would be used up and segments dropped; neither benchmark sends that many.)
 */
final class PipelineLoad {

    static final int CONNECTIONS = 10_000;
    /** A connection's application reads after every this many segments it receives (1 KB of 64-byte segments). */
    static final int READ_EVERY = 16;
    private static final byte[] PAYLOAD = new byte[64];

    final Kernel kernel;
    private final boolean reads;
    private final int pid;
    private final Endpoint[] clients = new Endpoint[CONNECTIONS];
    private final int[] seq = new int[CONNECTIONS];
    private final int[] ack = new int[CONNECTIONS];
    private final int[] fds = new int[CONNECTIONS];
    private int next;
    private int round;

    PipelineLoad(boolean trace, boolean reads) {
        this.reads = reads;
        BenchKernels.Server server = BenchKernels.server(CONNECTIONS, 16_384, false);
        kernel = server.kernel();
        pid = server.pid();
        kernel.inspect(k -> {
            k.sysctls().set(Sysctls.VKERNEL_TRACE, trace ? 1 : 0);
            return null;
        });
        for (int i = 0; i < CONNECTIONS; i++) {
            clients[i] = BenchKernels.client(i);
            int index = i;
            seq[i] = 1001;
            ack[i] = kernel.inspect(k -> k.established().find(BenchKernels.tuple(index)).sndNxt());
            if (reads) {
                // the accept queue is FIFO: the i-th accept() takes the i-th connection
                fds[i] = (int) ((Syscalls.Done) kernel.accept(pid, server.listener())).result().ret();
            }
        }
    }

    /** One segment into the next connection (and, every {@value #READ_EVERY}th round, its application's read). */
    PacketReport step() {
        int i = next;
        Segment segment = new Segment(clients[i], BenchKernels.SERVER, TcpFlags.ACK | TcpFlags.PSH, seq[i], ack[i], 65535, 0, PAYLOAD);
        seq[i] += PAYLOAD.length;
        PacketReport report = kernel.receive(segment);
        if (reads && round % READ_EVERY == READ_EVERY - 1) {
            kernel.recv(pid, fds[i], 65_536, 0);
        }
        if (++next == CONNECTIONS) {
            next = 0;
            round++;
        }
        return report;
    }
}
