package io.vkernel.kernel.demux;

import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;

import io.vkernel.kernel.SplitMix;

/**
 * Ephemeral ports for connect() without bind(), as {@code __inet_hash_connect()} chooses them (RFC 6056
 * Algorithm 4): start at a keyed hash of the destination, try even ports first then odd ones, skip ports taken
 * with bind(), and skip any port whose 4-tuple to this destination is already in the established table (TIME_WAIT
 * included). When every port is taken the answer is -1 (connect() fails with EADDRNOTAVAIL).
 */
public final class PortAllocator {

    private final long secret;
    private final SplitMix random;

    public PortAllocator(long secret) {
        this.secret = secret;
        this.random = new SplitMix(secret);
    }

    /**
     * inet_csk_find_open_port(): the port bind() to port 0 (or listen() on an unbound socket, inet_autobind()) takes.
     * From a random odd offset it scans the odd ports of the range, then the even ones — the opposite parity of
     * connect()'s, "to not pollute connect() users" — skipping any port with an overlapping owner, SO_REUSEADDR or
     * not. A SO_REUSEADDR socket searches the lower half of the range first, then the upper half. -1 when every
     * port is taken (bind() then fails with EADDRINUSE).
     */
    public int pickForBind(Endpoint wanted, boolean reuseAddr, int low, int high, BindTable binds) {
        int top = high + 1; // [low, high] -> [low, top[
        int halves = reuseAddr && top - low >= 4 ? 2 : 1;
        for (int attempt = 0; attempt < halves; attempt++) {
            int from = low;
            int to = top;
            if (halves == 2) {
                int half = low + (((top - low) >> 2) << 1);
                if (attempt == 0) {
                    to = half;
                } else {
                    from = half;
                }
            }
            int remaining = to - from;
            if (remaining <= 0) {
                continue;
            }
            if (remaining > 1) {
                remaining &= ~1;
            }
            int offset = random.nextInt(remaining) | 1;
            for (int parity = 0; parity < 2; parity++, offset--) {
                int port = from + offset;
                for (int i = 0; i < remaining; i += 2, port += 2) {
                    if (port >= to) {
                        port -= remaining;
                    }
                    if (port < from || port > 65535) {
                        continue;
                    }
                    if (!binds.conflicts(new BindTable.Probe(new Endpoint(wanted.address(), port), reuseAddr), false)) {
                        return port;
                    }
                }
            }
        }
        return -1;
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
