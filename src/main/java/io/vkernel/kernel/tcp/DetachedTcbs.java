package io.vkernel.kernel.tcp;

import io.vkernel.kernel.wire.FourTuple;

/**
 * TCBs made without a handshake, socket or engine, for demonstrations and measurements that fill a scratch
 * established table with many connections at once (the hash-table demo); never for a kernel that carries traffic.
 */
public final class DetachedTcbs {

    private DetachedTcbs() {
    }

    /** An ESTABLISHED TCB for {@code tuple}, created at virtual time {@code now}. */
    public static Tcb established(FourTuple tuple, long now) {
        return new Tcb(tuple, TcpState.ESTABLISHED, now);
    }
}
