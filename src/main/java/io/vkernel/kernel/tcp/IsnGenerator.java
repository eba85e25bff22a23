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

    /**
     * A SYN cookie (net/ipv4/syncookies.c, in spirit): the ISN carries a keyed hash of the 4-tuple and the client's
     * ISN, a minute counter in its top byte and the index of the client's MSS in {@link #COOKIE_MSS} in its low two
     * bits, so the final ACK alone proves the handshake without any state kept.
     */
    public int cookie(FourTuple tuple, int clientIsn, long nowMs, int mssIndex) {
        int count = (int) (nowMs / 60_000); // tcp_cookie_time(): whole minutes; the cookie keeps its low byte
        return (count << 24) | (cookieHash(tuple, clientIsn, count) & 0x00fffffc) | mssIndex;
    }

    /**
     * The MSS index a valid cookie carries, or -1 when it is forged or older than two minutes. As
     * check_tcp_syn_cookie(): the age is the top byte's distance from the counter's low byte, and the hash is taken
     * again over the whole counter less that age, so a cookie replayed a multiple of 256 minutes later fails.
     */
    public int checkCookie(FourTuple tuple, int clientIsn, int cookie, long nowMs) {
        int count = (int) (nowMs / 60_000);
        int age = (count - (cookie >>> 24)) & 0xff;
        if (age > 1) {
            return -1; // MAX_SYNCOOKIE_AGE
        }
        return (cookieHash(tuple, clientIsn, count - age) & 0x00fffffc) == (cookie & 0x00fffffc) ? cookie & 3 : -1;
    }

    /** msstab[] of syncookies.c: the MSS values a cookie can encode. */
    public static final int[] COOKIE_MSS = {536, 1300, 1440, 1460};

    private int cookieHash(FourTuple tuple, int clientIsn, int count) {
        return (int) mix(mix(secret ^ 0x2545f4914f6cdd1dL ^ count) ^ ((long) tuple.remote().address() << 32)
                ^ ((long) tuple.remote().port() << 16) ^ tuple.local().port() ^ ((long) clientIsn << 20));
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
