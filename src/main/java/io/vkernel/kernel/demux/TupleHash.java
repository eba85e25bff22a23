package io.vkernel.kernel.demux;

import io.vkernel.kernel.wire.FourTuple;

/** A hash function over a connection's 4-tuple; the bucket is {@code hash & (buckets - 1)}. */
public interface TupleHash {

    int hash(FourTuple tuple);

    /** Short name shown in the demux view. */
    String name();

    /** How the function is computed, for a learner. */
    String formula();
}
