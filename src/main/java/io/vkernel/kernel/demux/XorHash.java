package io.vkernel.kernel.demux;

import io.vkernel.kernel.wire.FourTuple;

/**
 * The seed document's teaching hash: {@code src_ip ^ src_port << 16 ^ dst_ip ^ dst_port}. Simple to follow by
 * hand, but unkeyed and symmetric, so swapping addresses or ports lands in the same bucket and an attacker can
 * fill one chain at will; Linux uses {@link JenkinsHash} with a secret instead.
 */
public final class XorHash implements TupleHash {

    @Override
    public int hash(FourTuple tuple) {
        return tuple.remote().address() ^ tuple.remote().port() << 16 ^ tuple.local().address() ^ tuple.local().port();
    }

    @Override
    public String name() {
        return "xor";
    }

    @Override
    public String formula() {
        return "src_ip ^ (src_port << 16) ^ dst_ip ^ dst_port, the seed's hash_4tuple(); unkeyed, so collisions are easy to aim";
    }
}
