package io.vkernel.kernel.tcp;

/** TCP_INQ's answer, tcp_inq_hint() (net/ipv4/tcp.c): what recvmsg() reports in its TCP_CM_INQ control message. */
public final class TcpInq {

    private TcpInq() {
    }

    /**
     * rcv_nxt - copied_seq: the bytes not yet read, plus the FIN's sequence number once it came; and 1 when that
     * is 0 after the FIN (SOCK_DONE), "to tell the user-space to continue reading" until read() returns 0.
     */
    public static int hint(Tcb tcb) {
        int inq = tcb.receiveQueue.size() + (tcb.finReceived && !tcb.finConsumed ? 1 : 0);
        return inq == 0 && tcb.finReceived ? 1 : inq;
    }
}
