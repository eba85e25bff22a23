package io.vkernel.script;

import io.vkernel.kernel.syscall.Syscalls;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * sendmsg() and recvmsg() as packetdrill writes them: {@code sendmsg(4, {msg_name(...)=..., msg_iov(2)=[{..., 100},
 * {..., 200}], msg_flags=0}, MSG_MORE) = 300} is send() of the iovecs' bytes; {@code recvmsg(3, {..., msg_iov(1)=[{...,
 * 1000}], msg_flags=0, msg_control=[{cmsg_level=SOL_TCP, cmsg_type=TCP_CM_INQ, cmsg_data=9000}]}, 0) = 1000} is recv()
 * whose TCP_CM_INQ control message is checked. Other control messages are refused with the line.
 */
final class MsgCalls {

    private static final int MAX_IO = 1 << 20;
    private static final Set<String> MSGHDR_FIELDS = Set.of("msg_name", "msg_iov", "msg_flags", "msg_control");

    private MsgCalls() {
    }

    static Call build(String name, List<Expr> args, int line, int fd) {
        boolean recv = name.equals("recvmsg");
        if (args.size() != 3) {
            throw new ScriptException(line, name + " takes 3 arguments (fd, {msg_iov(1)=[{..., N}], ...}, flags), got " + args.size());
        }
        if (!(args.get(1) instanceof Expr.Struct msghdr)) {
            throw new ScriptException(line, name + "'s message is written {msg_name(...)=..., msg_iov(1)=[{..., 1000}], msg_flags=0}");
        }
        for (Expr.Field field : msghdr.fields()) {
            if (field.name() == null || !MSGHDR_FIELDS.contains(field.name()) || (!recv && field.name().equals("msg_control"))) {
                throw new ScriptException(line, name + "'s message may hold " + (recv ? "msg_name, msg_iov, msg_flags and msg_control"
                        : "msg_name, msg_iov and msg_flags") + ", got '" + (field.name() == null ? field.value() : field.name()) + "'");
            }
        }
        if (msghdr.get("msg_name") != null && !(msghdr.get("msg_name") instanceof Expr.Ellipsis)) {
            throw new ScriptException(line, "msg_name must be ...: a TCP socket is connected, its peer is known");
        }
        byte[] data = iovecs(msghdr.get("msg_iov"), line, name);
        int flags = flags(args.get(2), recv ? Syscalls.RECV_FLAGS : Syscalls.SEND_FLAGS, line, name);
        if (!recv) {
            if (msghdr.get("msg_name") != null && (flags & Syscalls.MSG_FASTOPEN) != 0) {
                // tcp_sendmsg_fastopen(): with MSG_FASTOPEN, msg_name is the address to connect to, as sendto()'s
                return new Call.SendTo(fd, data, flags, Harness.CONNECT_ADDRESS, false);
            }
            return new Call.SendMsg(fd, data, iovLengths(msghdr.get("msg_iov")), flags);
        }
        Expr control = msghdr.get("msg_control");
        if ((flags & Syscalls.MSG_ERRQUEUE) != 0 && control != null && ErrQueueControl.isErrQueue(control)) {
            return new Call.RecvMsg(fd, data.length, flags, null, ErrQueueControl.parse(control, line));
        }
        return new Call.RecvMsg(fd, data.length, flags, expectedInq(control, line), null);
    }

    /** msg_iov: [{..., N}, {"text", N}, ...]: the bytes written (zeros for ...), or for recvmsg their total count. */
    private static byte[] iovecs(Expr iov, int line, String name) {
        if (!(iov instanceof Expr.ListOf list)) {
            throw new ScriptException(line, name + " needs msg_iov(N)=[{..., bytes}, ...]");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Expr item : list.items()) {
            if (!(item instanceof Expr.Struct vec) || vec.fields().size() != 2 || !(vec.fields().get(1).value() instanceof Expr.Num len)
                    || len.value() < 0 || out.size() + len.value() > MAX_IO) {
                throw new ScriptException(line, "each iovec is {..., N} or {\"text\", N} with N bytes, at most " + MAX_IO + " in all; got '"
                        + item + "'");
            }
            Expr base = vec.fields().get(0).value();
            byte[] bytes = new byte[(int) len.value()];
            if (base instanceof Expr.Str str) {
                byte[] text = str.value().getBytes(StandardCharsets.UTF_8);
                System.arraycopy(text, 0, bytes, 0, Math.min(text.length, bytes.length));
            } else if (!(base instanceof Expr.Ellipsis)) {
                throw new ScriptException(line, "an iovec's buffer is ... or a \"string\", got '" + base + "'");
            }
            out.writeBytes(bytes);
        }
        return out.toByteArray();
    }

    /** The lengths of msg_iov's iovecs (already checked by {@link #iovecs}). */
    private static int[] iovLengths(Expr iov) {
        return ((Expr.ListOf) iov).items().stream().mapToInt(item -> (int) ((Expr.Num) ((Expr.Struct) item).fields().get(1).value()).value())
                .toArray();
    }

    /** msg_control=[{cmsg_level=SOL_TCP, cmsg_type=TCP_CM_INQ, cmsg_data=N}]: N is checked; absent, nothing is. */
    private static Long expectedInq(Expr control, int line) {
        if (control == null || control instanceof Expr.Ellipsis) {
            return null;
        }
        if (control instanceof Expr.ListOf list && list.items().size() == 1 && list.items().get(0) instanceof Expr.Struct cmsg
                && cmsg.get("cmsg_level") instanceof Expr.Word level && (level.name().equals("SOL_TCP") || level.name().equals("IPPROTO_TCP"))
                && cmsg.get("cmsg_type") instanceof Expr.Word type && type.name().equals("TCP_CM_INQ")
                && cmsg.get("cmsg_data") instanceof Expr.Num data) {
            return data.value();
        }
        throw new ScriptException(line, "the control message vkernel models is TCP_INQ's: msg_control=[{cmsg_level=SOL_TCP, "
                + "cmsg_type=TCP_CM_INQ, cmsg_data=N}]; got '" + control + "'");
    }

    private static int flags(Expr expr, Map<String, Integer> known, int line, String name) {
        if (expr instanceof Expr.Num num && num.value() == 0) {
            return 0;
        }
        if (expr instanceof Expr.Word word && known.containsKey(word.name())) {
            return known.get(word.name());
        }
        if (expr instanceof Expr.Or or) {
            int bits = 0;
            for (Expr part : or.parts()) {
                bits |= flags(part, known, line, name);
            }
            return bits;
        }
        throw new ScriptException(line, name + " flags may be 0 or " + String.join("|", new java.util.TreeSet<>(known.keySet()))
                + " joined by '|'; got '" + expr + "'");
    }
}
