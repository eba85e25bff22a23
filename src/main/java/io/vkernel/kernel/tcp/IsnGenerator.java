package io.vkernel.kernel.tcp;

import io.vkernel.kernel.wire.FourTuple;

/**
 * Initial sequence numbers as RFC 9293 §3.4.1 (formerly RFC 6528) recommends and Linux implements in
 * {@code secure_tcp_seq()}: ISN = M + F(4-tuple, secret), where M is a clock ticking every 64 ns and F a keyed
 * hash. Time is the kernel's virtual clock, so a kernel created with the same seed replays the same ISNs.
 */
public final class IsnGenerator {

    private final long secret;

    public IsnGenerator(long seed) {
        this.secret = mix(seed ^ 0x9e3779b97f4a7c15L);
    }

    public int isn(FourTuple tuple, long nowMs) {
        long key = ((long) tuple.local().address() << 32) ^ (tuple.remote().address() & 0xffffffffL);
        long ports = ((long) tuple.local().port() << 16) | tuple.remote().port();
        int keyed = (int) mix(mix(key ^ secret) ^ ports);
        int clock = (int) (nowMs * 1_000_000L >>> 6);
        return keyed + clock;
    }

    /** The per-connection timestamp offset (secure_tcp_ts_off()), so TSval does not reveal uptime. */
    public int tsOffset(FourTuple tuple) {
        return (int) mix(mix(secret ^ 0x5bd1e995L) ^ ((long) tuple.remote().address() << 16) ^ tuple.remote().port()
                ^ ((long) tuple.local().port() << 40));
    }

    /** SplitMix64's finaliser: a keyed, well-mixed 64-bit function standing in for Linux's SipHash. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
