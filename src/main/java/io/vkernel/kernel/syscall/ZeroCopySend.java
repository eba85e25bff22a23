package io.vkernel.kernel.syscall;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.socket.ErrorQueue;
import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.trace.PacketReport;

/**
 * One send(MSG_ZEROCOPY) call's hold on its notification id (tcp_sendmsg_locked() with a ubuf_info_msgzc): the id is
 * taken when the first bytes are queued (msg_zerocopy_realloc()), the range's end follows each partial copy, and when
 * the call returns its reference is dropped (net_zcopy_put(), or net_zcopy_put_abort() when nothing was queued).
 */
final class ZeroCopySend {

    private final Kernel kernel;
    private final Socket socket;
    private final long size;
    private ErrorQueue.Uarg uarg;
    private int endBefore;
    private boolean queuedAny;
    private boolean finished;

    ZeroCopySend(Kernel kernel, Socket socket, long size) {
        this.kernel = kernel;
        this.socket = socket;
        this.size = size;
    }

    /** The iovec lengths still to queue once {@code written} bytes of them were: a partly queued one shortened. */
    static int[] iovAfter(int[] iov, int written) {
        int i = 0;
        int skipped = 0;
        while (i < iov.length && skipped + iov[i] <= written) {
            skipped += iov[i++];
        }
        int[] rest = java.util.Arrays.copyOfRange(iov, i, iov.length);
        if (rest.length > 0) {
            rest[0] -= written - skipped;
        }
        return rest;
    }

    void before(Tcb tcb) {
        endBefore = tcb.sndUna() + tcb.sendQueued();
        if (uarg == null) {
            uarg = socket.errorQueueForWrite().startZeroCopy(size, endBefore, tcb.sndNxt());
        }
    }

    void after(Tcb tcb) {
        int end = tcb.sndUna() + tcb.sendQueued();
        if (end != endBefore) {
            queuedAny = true;
            socket.errorQueue().queued(uarg, end);
        }
    }

    /** The call returns: drop its reference; a notification due already wakes the socket with EPOLLERR. */
    void finish(Tcb tcb, PacketReport report) {
        if (finished || uarg == null) {
            return;
        }
        finished = true;
        boolean purgedDone = socket.errorQueue().finish(uarg, queuedAny);
        if (purgedDone | (tcb != null && socket.errorQueue().acked(tcb.sndUna()))) {
            kernel.wakeSocket(socket, report);
        }
    }
}
