package io.vkernel.tun;

import io.vkernel.kernel.BudgetExceededException;
import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.nic.Egress;
import io.vkernel.kernel.trace.DropReason;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.WirePacket;

import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A kernel wired to a packet device. A daemon thread reads each packet the host routes into the device and hands
 * its bytes to the kernel's NIC ({@link Kernel#receiveRaw}), so it goes through the same six steps as a packet
 * injected over HTTP, lands in the wire log and capture.pcap, and is dropped and counted there when it is not for the
 * kernel's address (a kernel never forwards). Every segment the kernel sends to an address that is not its own comes
 * back through {@link Egress} and is written to the device as {@link WirePacket#encode} puts it on the wire.
 * Packets that are not IPv4 (the host's IPv6 neighbour discovery) never reach the kernel: they are counted here.
 */
public final class TunAttachment implements Egress, AutoCloseable {

    /** Drop counter for packets that are not IPv4 (IPv6 router and neighbour solicitations when the link comes up). */
    public static final String NOT_IPV4 = "NOT_IPV4";
    /** Drop counter for packets the kernel refused because its memory budget was full. */
    public static final String BUDGET = "BUDGET";
    /** Drop counter for segments the device refused to take from the kernel. */
    public static final String WRITE_FAILED = "WRITE_FAILED";

    private static final int POLL_MS = 100;

    private final Kernel kernel;
    private final PacketDevice device;
    private final Thread reader;
    private final AtomicLong packetsIn = new AtomicLong();
    private final AtomicLong bytesIn = new AtomicLong();
    private final AtomicLong packetsOut = new AtomicLong();
    private final AtomicLong bytesOut = new AtomicLong();
    private final Map<String, LongAdder> drops = new ConcurrentHashMap<>();
    private volatile String state = "up";
    private volatile boolean closing;

    private TunAttachment(Kernel kernel, PacketDevice device) {
        this.kernel = kernel;
        this.device = device;
        this.reader = new Thread(this::readLoop, "vkernel-tun-" + device.name());
        this.reader.setDaemon(true);
    }

    /** Wires {@code kernel} to {@code device} and starts reading; the kernel's clock is the caller's business. */
    public static TunAttachment attach(Kernel kernel, PacketDevice device) {
        TunAttachment attachment = new TunAttachment(kernel, device);
        kernel.inspect(k -> {
            k.egress(attachment);
            return null;
        });
        attachment.reader.start();
        return attachment;
    }

    /** One counter-set snapshot for views. */
    public record Stats(String kernel, String device, String state, long packetsIn, long bytesIn, long packetsOut,
                        long bytesOut, Map<String, Long> drops) {
        public long dropped() {
            return drops.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    public Stats stats() {
        Map<String, Long> snapshot = new TreeMap<>();
        drops.forEach((reason, count) -> snapshot.put(reason, count.sum()));
        return new Stats(kernel.id(), device.name(), state, packetsIn.get(), bytesIn.get(), packetsOut.get(), bytesOut.get(),
                snapshot);
    }

    public Kernel kernel() {
        return kernel;
    }

    public String deviceName() {
        return device.name();
    }

    private void readLoop() {
        byte[] buffer = new byte[TunDevice.MAX_PACKET];
        while (!closing) {
            int n;
            try {
                n = device.read(buffer, POLL_MS);
            } catch (IOException e) {
                if (!closing) {
                    state = "failed: " + e.getMessage();
                }
                return;
            }
            if (n > 0) {
                byte[] packet = new byte[n];
                System.arraycopy(buffer, 0, packet, 0, n);
                receive(packet);
            }
        }
    }

    /** One packet from the host: into the kernel's NIC if it is IPv4, then counted (so a count means it was handled). */
    void receive(byte[] packet) {
        try {
            if (packet.length == 0 || (packet[0] & 0xf0) != 0x40) {
                drop(NOT_IPV4);
                return;
            }
            PacketReport report = kernel.receiveRaw(packet);
            DropReason reason = report.dropReason();
            if (reason != null) {
                drop(reason.name());
            }
        } catch (BudgetExceededException e) {
            drop(BUDGET);
        } catch (RuntimeException e) {
            // one bad packet must not stop the device: count it and read on
            drop(e.getClass().getSimpleName());
        } finally {
            bytesIn.addAndGet(packet.length);
            packetsIn.incrementAndGet();
        }
    }

    private void drop(String reason) {
        drops.computeIfAbsent(reason, r -> new LongAdder()).increment();
    }

    /** Called under the kernel's lock for each segment to another host: onto the device, in order. */
    @Override
    public void send(Segment segment) {
        if (closing) {
            return;
        }
        byte[] packet = WirePacket.encode(segment);
        try {
            device.write(packet);
            packetsOut.incrementAndGet();
            bytesOut.addAndGet(packet.length);
        } catch (IOException e) {
            drop(WRITE_FAILED);
        }
    }

    /**
     * Detaches from the kernel (under its lock, so no send is half done) and stops reading, leaving the device up:
     * the kernel was deleted, and a fresh one of the same id may take the device over.
     */
    public void detach() {
        closing = true;
        kernel.inspect(k -> {
            k.egress(null);
            return null;
        });
        try {
            reader.join(2 * POLL_MS + 1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        state = "detached";
    }

    /** Detaches and removes the device. */
    @Override
    public void close() {
        detach();
        device.close();
        state = "closed";
    }
}
