package io.vkernel.kernel.syscall;

import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.tcp.TcpInq;

/** recvmsg()'s result and strace line: one iovec, and the TCP_CM_INQ control message when TCP_INQ is on. */
final class RecvMsg {

    private RecvMsg() {
    }

    static Long inqHint(Tcb tcb) {
        return (long) TcpInq.hint(tcb);
    }

    /** {@code inq} null: no control message (TCP_INQ off), msg_controllen 0. */
    static SyscallResult result(int fd, int count, int flags, byte[] data, Long inq) {
        // struct cmsghdr (16 bytes) + an int: cmsg_len 20, CMSG_SPACE 24 (put_cmsg() in tcp_recvmsg())
        String control = inq == null ? "msg_controllen=0"
                : "msg_control=[{cmsg_len=20, cmsg_level=SOL_TCP, cmsg_type=TCP_CM_INQ, cmsg_data=" + inq + "}], msg_controllen=24";
        String strace = "recvmsg(" + fd + ", {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=" + Syscalls.quote(data) + ", iov_len="
                + count + "}], msg_iovlen=1, " + control + ", msg_flags=0}, " + Syscalls.msgFlags(flags) + ") = " + data.length;
        SyscallResult result = new SyscallResult(data.length, null, strace, data, null);
        return inq == null ? result : result.withValue(inq);
    }
}
