package io.vkernel.kernel.syscall;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.socket.ErrorQueue;
import io.vkernel.kernel.socket.Socket;

/**
 * recv()/recvmsg() with MSG_ERRQUEUE on a TCP socket: inet_recv_error() -> ip_recv_error(). It never sleeps; an empty
 * queue is EAGAIN. A notification carries no bytes (a zero-copy completion is an empty skb), so the call returns 0;
 * its struct sock_extended_err comes in an IP_RECVERR control message at SOL_IP, and msg_flags gets MSG_ERRQUEUE.
 */
final class ErrQueueRecv {

    private ErrQueueRecv() {
    }

    static SyscallResult receive(Socket socket, int fd, int count, int flags, boolean msg) {
        String call = msg ? "recvmsg(" + fd + ", {msg_iov=[{iov_base=..., iov_len=" + count + "}], msg_iovlen=1}, " + Syscalls.msgFlags(flags) + ")"
                : "recvfrom(" + fd + ", ..., " + count + ", " + Syscalls.msgFlags(flags) + ", NULL, NULL)";
        ErrorQueue queue = socket.errorQueue();
        ErrorQueue.ExtendedErr err = queue == null ? null : queue.dequeue();
        if (err == null) {
            return SyscallResult.failed(Errno.EAGAIN, call + " = -1 EAGAIN (" + Errno.EAGAIN.message() + ")");
        }
        // put_cmsg(SOL_IP, IP_RECVERR, sizeof(struct sock_extended_err) + sizeof(struct sockaddr_in)): 16 + 16 + 16
        String strace = msg ? "recvmsg(" + fd + ", {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\"\", iov_len=" + count
                + "}], msg_iovlen=1, msg_control=[{cmsg_len=48, cmsg_level=SOL_IP, cmsg_type=IP_RECVERR, cmsg_data=" + err.describe()
                + "}], msg_controllen=48, msg_flags=MSG_ERRQUEUE}, " + Syscalls.msgFlags(flags) + ") = 0"
                : "recvfrom(" + fd + ", \"\", " + count + ", " + Syscalls.msgFlags(flags) + ", NULL, NULL) = 0";
        return new SyscallResult(0, null, strace, new byte[0], null, null, null, err);
    }
}
