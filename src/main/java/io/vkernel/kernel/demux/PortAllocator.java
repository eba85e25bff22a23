package io.vkernel.kernel.demux;

import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;

/**
 * Ephemeral ports for connect() without bind(), as {@code __inet_hash_connect()} chooses them (RFC 6056
 * Algorithm 4): start at a keyed hash of the destination, try even ports first then odd ones, skip ports taken
 * with bind(), and skip any port whose 4-tuple to this destination is already in the established table (TIME_WAIT
 * included). When every port is taken the answer is -1 (connect() fails with EADDRNOTAVAIL).
 */
public final class PortAllocator {

    private final long secret;

    public PortAllocator(long secret) {
        this.secret = secret;
    }

    public int pick(int localAddress, Endpoint remote, int low, int high, BindTable binds, EstablishedTable established) {
        int count = high - low + 1;
        if (count <= 0) {
            return -1;
        }
        long mixed = mix(secret ^ ((long) localAddress << 32) ^ (remote.address() & 0xffffffffL) ^ ((long) remote.port() << 17));
        int offset = (int) Long.remainderUnsigned(mixed, count);
        for (int parity = 0; parity < 2; parity++) {
            for (int i = 0; i < count; i++) {
                int port = low + (offset + i) % count;
                if ((port & 1) != parity) {
                    continue;
                }
                if (binds.explicitlyBound(port)) {
                    continue;
                }
                if (established.find(new FourTuple(remote, new Endpoint(localAddress, port))) != null) {
                    continue;
                }
                return port;
            }
        }
        return -1;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }
}
