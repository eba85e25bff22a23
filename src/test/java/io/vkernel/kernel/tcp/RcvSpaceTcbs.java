package io.vkernel.kernel.tcp;

import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;

/** A bare TCB with a 128 KiB receive buffer, and in-order data arriving on it: what the RcvSpace tests work on. */
final class RcvSpaceTcbs {

    static final Endpoint LOCAL = Endpoint.parse("192.168.0.1:8080");
    static final Endpoint REMOTE = Endpoint.parse("192.0.2.1:40000");

    private RcvSpaceTcbs() {
    }

    /** A TCB in {@code state}, IRS 1000 and nothing received yet, its buffer limited to 128 KiB. */
    static Tcb tcb(TcpState state) {
        Tcb t = new Tcb(new FourTuple(LOCAL, REMOTE), state, 0);
        t.rcvBufLimit = 131_072;
        t.irs = 1000;
        t.rcvNxt = 1001;
        return t;
    }

    static Tcb established() {
        return tcb(TcpState.ESTABLISHED);
    }

    /** {@code bytes} arrive in order (RCV.NXT moves) and are charged {@code truesize} in all. */
    static void receive(Tcb tcb, int bytes, int truesize) {
        tcb.receiveQueue.append(new byte[bytes], 0, bytes);
        RcvSpace.chargeQueued(tcb, bytes, truesize);
        tcb.rcvNxt += bytes;
    }
}
