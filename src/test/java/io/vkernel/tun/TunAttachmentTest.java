package io.vkernel.tun;

import org.awaitility.Awaitility;

import java.time.Duration;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.KernelConfig;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.WirePacket;
import io.vkernel.sandbox.KernelRegistry;
import io.vkernel.sandbox.RealtimeClocks;
import io.vkernel.sandbox.SandboxLimits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The attachment without a real device (runs anywhere, root or not): what the host routes in goes through the
 * kernel's NIC, what the kernel sends to other hosts comes out, and nothing is forwarded.
 */
class TunAttachmentTest {

    /** A device whose host side is two queues. */
    static final class QueueDevice implements PacketDevice {
        final BlockingQueue<byte[]> fromHost = new LinkedBlockingQueue<>();
        final List<byte[]> toHost = new CopyOnWriteArrayList<>();
        volatile boolean closed;

        @Override
        public String name() {
            return "q0";
        }

        @Override
        public int read(byte[] into, int timeoutMs) throws IOException {
            if (closed) {
                throw new IOException("closed");
            }
            try {
                byte[] packet = fromHost.poll(timeoutMs, TimeUnit.MILLISECONDS);
                if (packet == null) {
                    return 0;
                }
                System.arraycopy(packet, 0, into, 0, packet.length);
                return packet.length;
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
        }

        @Override
        public void write(byte[] packet) {
            toHost.add(packet);
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    final Kernel kernel = new Kernel(KernelConfig.defaults("tun-unit", 1));
    final QueueDevice device = new QueueDevice();
    final TunAttachment tun = TunAttachment.attach(kernel, device);

    @AfterEach
    void detach() {
        tun.close();
    }

    private static byte[] syn(String dst) {
        return WirePacket.encode(new Segment(Endpoint.parse("10.0.0.1:40000"), Endpoint.parse(dst), TcpFlags.SYN, 1000, 0,
                64240, 1460, null));
    }

    private void awaitIn(long packets) {
        // counted once the kernel has handled it
        Awaitility.await("the reader took the packets").atMost(Duration.ofSeconds(10)).until(() -> tun.stats().packetsIn() >= packets);
    }

    @Test
    void aSynForTheKernelIsAnsweredOnTheDevice_withAValidPacket() throws Exception {
        int pid = kernel.spawn("server").pid();
        kernel.socket(pid);
        kernel.bind(pid, 3, Endpoint.parse("0.0.0.0:8080"));
        kernel.listen(pid, 3, 16);
        device.fromHost.add(syn("10.0.0.50:8080"));
        awaitIn(1);
        assertThat(device.toHost).hasSize(1);
        Segment synAck = WirePacket.parse(device.toHost.get(0)).segment(); // parse verifies both checksums
        assertThat(synAck.flags()).isEqualTo(TcpFlags.SYN | TcpFlags.ACK);
        assertThat(synAck.ack()).isEqualTo(1001);
        assertThat(tun.stats().packetsOut()).isEqualTo(1);
        assertThat(tun.stats().bytesOut()).isEqualTo(device.toHost.get(0).length);
        long wireIn = kernel.inspect(k -> k.nic().packetsIn());
        assertThat(wireIn).isEqualTo(1);
    }

    @Test
    void otherAddressesAreDroppedAndCounted_andNothingIsForwarded() throws Exception {
        device.fromHost.add(syn("10.0.0.51:8080"));
        awaitIn(1);
        assertThat(tun.stats().drops()).containsEntry("NOT_FOR_THIS_HOST", 1L);
        assertThat(device.toHost).isEmpty();
    }

    @Test
    void ipv6FromTheHostNeverReachesTheKernel() throws Exception {
        byte[] routerSolicitation = new byte[48];
        routerSolicitation[0] = 0x60;
        device.fromHost.add(routerSolicitation);
        awaitIn(1);
        assertThat(tun.stats().drops()).containsEntry(TunAttachment.NOT_IPV4, 1L);
        assertThat(tun.stats().bytesIn()).isEqualTo(48);
        long wireIn = kernel.inspect(k -> k.nic().packetsIn());
        assertThat(wireIn).as("not in the wire log").isZero();
    }

    @Test
    void afterClose_theKernelSendsNothingToTheDevice() {
        tun.close();
        assertThat(tun.stats().state()).isEqualTo("closed");
        int pid = kernel.spawn("client").pid();
        kernel.socket(pid);
        kernel.connect(pid, 3, Endpoint.parse("10.0.0.1:80"), null);
        assertThat(device.toHost).isEmpty();
        long wireOut = kernel.inspect(k -> k.nic().packetsOut());
        assertThat(wireOut).as("the SYN is still in the wire log").isEqualTo(1);
    }

    @Test
    void deletingTheAttachedKernel_leavesTheDeviceToTheFreshKernelOfThatId() throws Exception {
        KernelRegistry registry = new KernelRegistry(SandboxLimits.defaults());
        QueueDevice shared = new QueueDevice();
        try (RealtimeClocks clocks = new RealtimeClocks(registry);
             TunAttachments attachments = TunAttachments.start(new TunAttachments.Settings("q0", null, null), registry, clocks,
                     name -> shared)) {
            Kernel first = registry.find("default").orElseThrow();
            assertThat(attachments.find("default")).get().extracting(TunAttachment::kernel).isSameAs(first);
            assertThat(clocks.isRealtime(first)).isTrue();
            registry.delete("default");
            Kernel fresh = registry.find("default").orElseThrow();
            assertThat(fresh).isNotSameAs(first);
            TunAttachment now = attachments.find("default").orElseThrow();
            assertThat(now.kernel()).isSameAs(fresh);
            assertThat(clocks.isRealtime(fresh)).isTrue();
            assertThat(shared.closed).as("the host's side of the device keeps its address").isFalse();
            shared.fromHost.add(syn("10.0.0.50:8080"));
            Awaitility.await("the fresh kernel's reader took the SYN").atMost(Duration.ofSeconds(10)).until(() -> now.stats().packetsIn() >= 1);
            assertThat(shared.toHost).as("no listener in the fresh kernel: its RST").hasSize(1);
        }
        assertThat(shared.closed).isTrue();
    }

    @Test
    void withoutTheCapability_theServiceRunsWithoutTheDevice() {
        KernelRegistry registry = new KernelRegistry(SandboxLimits.defaults());
        try (RealtimeClocks clocks = new RealtimeClocks(registry);
             TunAttachments attachments = TunAttachments.start(new TunAttachments.Settings("vk0", "default", null), registry,
                     clocks, name -> {
                         throw new IOException("open(/dev/net/tun) failed: EPERM (needs root or CAP_NET_ADMIN)");
                     })) {
            assertThat(attachments.find("default")).isEmpty();
            assertThat(clocks.isRealtime(registry.find("default").orElseThrow())).isFalse();
        }
    }

    @Test
    void aDeviceNameLinuxWouldRefuse_isRefusedBeforeAnyIoctl() {
        assertThatThrownBy(() -> TunDevice.open("this-name-is-too-long")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1-15 characters");
        assertThatThrownBy(() -> TunDevice.open("vk 0")).isInstanceOf(IllegalArgumentException.class);
    }
}
