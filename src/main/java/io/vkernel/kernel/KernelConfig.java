package io.vkernel.kernel;

import io.vkernel.kernel.wire.Ipv4;

/**
 * How to build a kernel: its id and IPv4 address, the seed for its secrets (hash key, ISNs), the established
 * table's bucket count and hash function, and the bounds of its logs and tables.
 */
public record KernelConfig(String id, int address, long seed, int buckets, String hash, int eventCapacity,
                           int wireCapacity, int maxProcesses, int maxConnections) {

    public static final String DEFAULT_ADDRESS = "10.0.0.50";

    public KernelConfig {
        if (buckets < 1 || buckets > (1 << 22) || Integer.bitCount(buckets) != 1) {
            throw new IllegalArgumentException("buckets must be a power of two between 1 and 4194304, got " + buckets);
        }
        if (!"jhash".equals(hash) && !"xor".equals(hash)) {
            throw new IllegalArgumentException("hash must be 'jhash' (Linux's keyed hash) or 'xor' (the seed's), got '" + hash + "'");
        }
        if (!Ipv4.isValidPeer(address) || Ipv4.isLoopback(address)) {
            throw new IllegalArgumentException("address " + Ipv4.format(address) + " cannot be a host address: use a unicast address outside 0/8, 127/8 and 224/3");
        }
    }

    /** The seed's host, 10.0.0.50, with Linux-like defaults. */
    public static KernelConfig defaults(String id, long seed) {
        return new KernelConfig(id, Ipv4.parse(DEFAULT_ADDRESS), seed, 65536, "jhash", 10_000, 10_000, 256, 100_000);
    }
}
