package io.vkernel.tun;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.wire.Ipv4;
import io.vkernel.sandbox.KernelRegistry;
import io.vkernel.sandbox.RealtimeClocks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The TUN devices the service runs, by kernel id: at most the one its configuration names. Attaching happens only
 * here, at start-up, from configuration ({@code vkernel.tun.*}); no request can attach a device, so in workshop mode
 * only whoever starts the service decides. Without the capability the service says so in one line and runs on.
 */
public final class TunAttachments implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TunAttachments.class);

    /**
     * What to attach: the device name (null or blank: nothing), the kernel's id, and for a kernel that does not exist
     * yet the address it is created with (null: the default, 10.0.0.50). An existing kernel keeps its address.
     */
    public record Settings(String device, String kernel, String address) {
    }

    private final Map<String, TunAttachment> byKernel = new ConcurrentHashMap<>();
    private volatile PacketDevice device;
    private volatile boolean closed;

    /** Attaches what {@code settings} ask for; a failure is logged in one line and leaves the service without TUN. */
    public static TunAttachments start(Settings settings, KernelRegistry registry, RealtimeClocks clocks) {
        return start(settings, registry, clocks, TunDevice::open);
    }

    /** Opens a device by name; {@link TunDevice#open} but for tests. */
    public interface Opener {
        PacketDevice open(String name) throws IOException;
    }

    static TunAttachments start(Settings settings, KernelRegistry registry, RealtimeClocks clocks, Opener opener) {
        TunAttachments attachments = new TunAttachments();
        if (settings.device() == null || settings.device().isBlank()) {
            return attachments;
        }
        try {
            Kernel kernel = kernelFor(settings, registry);
            PacketDevice device = opener.open(settings.device().strip());
            String id = kernel.id();
            attachments.byKernel.put(id, TunAttachment.attach(kernel, device));
            clocks.setRealtime(kernel, true);
            attachments.device = device;
            // DELETE /kernels/{id} of the attached kernel: the device stays up, and a new kernel of that id (a fresh
            // 'default' comes at once) takes it over, so the host's side of the device keeps its address and routes
            registry.onRemoved(removed -> {
                TunAttachment attached = attachments.byKernel.get(id);
                if (attached != null && attached.kernel() == removed) {
                    attachments.byKernel.remove(id, attached);
                    attached.detach();
                }
            });
            registry.onCreated(created -> {
                if (created.id().equals(id) && !attachments.closed && !attachments.byKernel.containsKey(id)) {
                    attachments.byKernel.put(id, TunAttachment.attach(created, device));
                    clocks.setRealtime(created, true);
                    log.info("TUN device {} attached to the new kernel '{}' at {}", device.name(), id, Ipv4.format(created.address()));
                }
            });
            log.info("TUN device {} attached to kernel '{}' at {} (realtime clock); on the host: ip addr add {}/24 dev {} "
                    + "&& ip link set {} up", device.name(), kernel.id(), Ipv4.format(kernel.address()),
                    Ipv4.format(hostAddress(kernel.address())), device.name(), device.name());
        } catch (IOException | RuntimeException e) {
            log.warn("TUN device {} not attached, vkernel runs without it: {}", settings.device(), e.getMessage());
        } catch (LinkageError e) {
            log.warn("TUN device {} not attached, vkernel runs without it: JNA cannot reach libc here ({})", settings.device(),
                    e.getMessage());
        }
        return attachments;
    }

    private static Kernel kernelFor(Settings settings, KernelRegistry registry) {
        String id = settings.kernel() == null || settings.kernel().isBlank() ? KernelRegistry.DEFAULT_ID : settings.kernel().strip();
        Integer address = settings.address() == null || settings.address().isBlank() ? null : Ipv4.parse(settings.address().strip());
        Optional<Kernel> existing = registry.find(id);
        if (existing.isPresent()) {
            if (address != null && address != existing.get().address()) {
                throw new IllegalArgumentException("kernel '" + id + "' has address " + Ipv4.format(existing.get().address())
                        + ", not vkernel.tun.address=" + settings.address() + "; name a new kernel in vkernel.tun.kernel to create it with that address");
            }
            return existing.get();
        }
        return registry.create(id, address, null, null, null);
    }

    /** The address the host side of the device takes: another one in the kernel's /24 (.1, or .2 when the kernel is .1). */
    public static int hostAddress(int kernelAddress) {
        int net = kernelAddress & 0xffffff00;
        return (kernelAddress & 0xff) == 1 ? net | 2 : net | 1;
    }

    public Optional<TunAttachment> find(String kernelId) {
        return Optional.ofNullable(byKernel.get(kernelId));
    }

    @Override
    public synchronized void close() {
        closed = true;
        byKernel.values().forEach(TunAttachment::detach);
        byKernel.clear();
        if (device != null) {
            device.close();
        }
    }
}
