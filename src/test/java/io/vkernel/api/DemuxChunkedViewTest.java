package io.vkernel.api;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.KernelConfig;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The demux view taken a range of buckets per turn of the lock shows what one turn over the whole table shows. */
class DemuxChunkedViewTest {

    @Test
    void chunkedDemuxView_equalsTheWholeTableView_withAndWithoutTruncation() {
        KernelConfig d = KernelConfig.defaults("demux", 7);
        // xor over 64 buckets: long chains, many empty buckets, several chunks of 16
        Kernel kernel = new Kernel(new KernelConfig("demux", d.address(), 7, 64, "xor", 1000, 1000, 16, 1000));
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

        Views.DemuxView whole = kernel.inspect(k -> Views.demux(k, 4096));
        Views.DemuxView chunked = Views.demux(kernel, 4096, 16);
        assertThat(whole.entries()).isEqualTo(300);
        assertThat(whole.usedBuckets()).isLessThan(64).isGreaterThan(1);
        assertThat(chunked).isEqualTo(whole);

        Views.DemuxView wholeFew = kernel.inspect(k -> Views.demux(k, 5));
        Views.DemuxView chunkedFew = Views.demux(kernel, 5, 16);
        assertThat(chunkedFew.truncated()).isTrue();
        assertThat(chunkedFew.nonEmptyBuckets()).hasSize(5);
        assertThat(chunkedFew).isEqualTo(wholeFew);
    }
}
