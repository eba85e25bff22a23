package io.vkernel.tun;

import java.io.IOException;
import java.util.Random;

/**
 * A device between the host and the kernel that loses and reorders what the host sends, as netem would on the
 * host's side of the link: for kernels without the netem qdisc. Seeded, so a failing run can be repeated.
 */
final class ImpairedDevice implements PacketDevice {

    private final PacketDevice device;
    private final Random random = new Random(17);
    private volatile double loss;
    private volatile double reorder;
    private byte[] held;
    private boolean releaseHeld;
    long lost;
    long reordered;

    ImpairedDevice(PacketDevice device) {
        this.device = device;
    }

    /** From now on, loses {@code loss} of the packets the host sends and delays {@code reorder} of them past the next one. */
    void impair(double loss, double reorder) {
        this.loss = loss;
        this.reorder = reorder;
    }

    @Override
    public String name() {
        return device.name();
    }

    @Override
    public int read(byte[] into, int timeoutMs) throws IOException {
        if (releaseHeld && held != null) {
            return release(into);
        }
        int n = device.read(into, timeoutMs);
        if (n == 0) {
            return held != null ? release(into) : 0;
        }
        if (random.nextDouble() < loss) {
            lost++;
            return 0;
        }
        if (held == null && random.nextDouble() < reorder) {
            held = java.util.Arrays.copyOf(into, n);
            reordered++;
            return 0;
        }
        releaseHeld = held != null;
        return n;
    }

    private int release(byte[] into) {
        System.arraycopy(held, 0, into, 0, held.length);
        int n = held.length;
        held = null;
        releaseHeld = false;
        return n;
    }

    @Override
    public void write(byte[] packet) throws IOException {
        device.write(packet);
    }

    @Override
    public void close() {
        device.close();
    }
}
