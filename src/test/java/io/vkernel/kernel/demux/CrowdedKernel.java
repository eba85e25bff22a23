package io.vkernel.kernel.demux;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.KernelConfig;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;

/** A kernel whose established table is crowded: 300 connections in 64 buckets with the xor hash (long chains, many empty buckets). */
public final class CrowdedKernel {

    private CrowdedKernel() {
    }

    public static Kernel of(String id) {
        KernelConfig d = KernelConfig.defaults(id, 7);
        Kernel kernel = new Kernel(new KernelConfig(id, d.address(), 7, 64, "xor", 1000, 1000, 16, 1000));
        int pid = kernel.spawn("server").pid();
        int listener = (int) ((Syscalls.Done) kernel.socket(pid)).result().ret();
        kernel.bind(pid, listener, Endpoint.parse("0.0.0.0:8080"));
        kernel.listen(pid, listener, 1000);
        Endpoint server = Endpoint.parse("10.0.0.50:8080");
        for (int i = 0; i < 300; i++) {
            Endpoint client = Endpoint.parse("192.168.1." + (1 + i % 7) + ":" + (40000 + i * 3));
            PacketReport synAck = kernel.receive(new Segment(client, server, TcpFlags.SYN, 1000, 0, 65535, 1460, null));
            kernel.receive(new Segment(client, server, TcpFlags.ACK, 1001, synAck.sentSegments().get(0).seq() + 1, 65535, 0, null));
        }
        return kernel;
    }
}
