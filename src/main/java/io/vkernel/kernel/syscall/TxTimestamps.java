package io.vkernel.kernel.syscall;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.socket.ErrorQueue;
import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.socket.SyscallException;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.trace.PacketReport;

/** SO_TIMESTAMPING's transmit timestamps on a TCP socket: the option (sock_set_timestamping()) and each write's request. */
final class TxTimestamps {

    /** SOF_TIMESTAMPING_MASK: every defined bit up to SOF_TIMESTAMPING_OPT_RX_FILTER (0x20000). */
    private static final long MASK = 0x3ffff;

    private TxTimestamps() {
    }

    /** sock_set_timestamping(): unknown bits are EINVAL, and so is OPT_ID on a socket not yet connected or listening. */
    static void set(Kernel kernel, Socket socket, long value) {
        if (value < 0 || (value & ~MASK) != 0) {
            throw new SyscallException(Errno.EINVAL);
        }
        int flags = (int) value;
        Tcb tcb = socket.tcb();
        ErrorQueue queue = socket.errorQueue();
        boolean idOn = queue != null && (queue.tsflags() & ErrorQueue.SOF_OPT_ID) != 0;
        if ((flags & ErrorQueue.SOF_OPT_ID) != 0 && !idOn && (tcb == null || socket.isListening())) {
            throw new SyscallException(Errno.EINVAL); // TCPF_CLOSE | TCPF_LISTEN
        }
        int una = tcb == null ? 0 : tcb.sndUna();
        socket.errorQueueForWrite().timestamping(flags, una, una + (tcb == null ? 0 : tcb.sendQueued()));
        if (flags != 0) {
            kernel.txTimestampsInUse();
        }
    }

    /**
     * tcp_tx_timestamp() at the end of a write that copied bytes: its last byte is the key. vkernel's write has already
     * pushed what it could, so a key byte already on the wire is stamped SCHED/SND now, at the same virtual instant.
     */
    static void afterWrite(Kernel kernel, Socket socket, Tcb tcb, PacketReport report) {
        ErrorQueue queue = socket.errorQueue();
        if (queue == null || (queue.tsflags() & ErrorQueue.SOF_TX_RECORD_MASK) == 0) {
            return;
        }
        int end = tcb.sndUna() + tcb.sendQueued();
        queue.requestTx(end);
        int sentUpTo = tcb.sndNxt();
        if (sentUpTo - (end - 1) > 0 && queue.transmitted(end - 1, 1, kernel.clock().now() * 1_000_000L)) {
            kernel.wake(socket, 0x8 /* EPOLLERR */, report);
        }
    }
}
