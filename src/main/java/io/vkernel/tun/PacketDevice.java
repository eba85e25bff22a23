package io.vkernel.tun;

import java.io.IOException;

/**
 * A device that carries whole IPv4 packets in and out of the host: a TUN device, or in tests a queue. Reads come from
 * one thread; writes may come from any thread (the kernel's, under its lock) and must not block for long.
 */
public interface PacketDevice extends AutoCloseable {

    /** The interface name the host sees (ip link shows it). */
    String name();

    /**
     * Waits at most {@code timeoutMs} for a packet and copies it into {@code into}; answers its length, or 0 when none
     * came in time. Throws once the device is closed.
     */
    int read(byte[] into, int timeoutMs) throws IOException;

    /** Hands one packet to the host's IP stack. */
    void write(byte[] packet) throws IOException;

    @Override
    void close();
}
