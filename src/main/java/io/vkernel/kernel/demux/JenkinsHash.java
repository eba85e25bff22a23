package io.vkernel.kernel.demux;

import io.vkernel.kernel.wire.FourTuple;

/**
 * Linux's established-table hash, {@code inet_ehashfn()}: Bob Jenkins' {@code jhash_3words(laddr, faddr,
 * lport << 16 | fport, secret)} keyed with a per-boot random secret, so an attacker cannot aim connections at one
 * bucket (include/linux/jhash.h, net/ipv4/inet_hashtables.c).
 */
public final class JenkinsHash implements TupleHash {

    private static final int JHASH_INITVAL = 0xdeadbeef;
    private final int secret;

    public JenkinsHash(int secret) {
        this.secret = secret;
    }

    @Override
    public int hash(FourTuple tuple) {
        return jhash3Words(tuple.local().address(), tuple.remote().address(),
                tuple.local().port() << 16 | tuple.remote().port(), secret);
    }

    static int jhash3Words(int a, int b, int c, int initval) {
        int init = initval + JHASH_INITVAL + (3 << 2);
        a += init;
        b += init;
        c += init;
        // __jhash_final()
        c ^= b; c -= Integer.rotateLeft(b, 14);
        a ^= c; a -= Integer.rotateLeft(c, 11);
        b ^= a; b -= Integer.rotateLeft(a, 25);
        c ^= b; c -= Integer.rotateLeft(b, 16);
        a ^= c; a -= Integer.rotateLeft(c, 4);
        b ^= a; b -= Integer.rotateLeft(a, 14);
        c ^= b; c -= Integer.rotateLeft(b, 24);
        return c;
    }

    @Override
    public String name() {
        return "jhash";
    }

    @Override
    public String formula() {
        return "jhash_3words(local_ip, remote_ip, local_port << 16 | remote_port, secret) as Linux's inet_ehashfn(); "
                + "the secret is random per kernel unless the kernel was created with a seed";
    }
}
