package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.socket.Socket;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpOption;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * TCP Fast Open (RFC 7413) as Linux 6.x does it (net/ipv4/tcp_fastopen.c): the Fast Open option (kind 34, or the
 * experimental kind 254 with magic 0xF989 that clients used before 34 was assigned), the server's cookie (SipHash-2-4
 * of the client's and the server's addresses under net.ipv4.tcp_fastopen_key) and tcp_try_fastopen()'s decision:
 * a SYN whose cookie is valid (or any SYN, where no cookie is required) makes a full child socket at once, in
 * SYN_RECV, with the SYN's data already in its receive queue and ready for accept(); a SYN asking for a cookie, or
 * carrying a wrong one, gets the valid cookie in the SYN-ACK and an ordinary handshake.
 */
public final class FastOpen {

    /** net.ipv4.tcp_fastopen bits (include/net/tcp.h). */
    public static final int CLIENT_ENABLE = 0x1;
    public static final int SERVER_ENABLE = 0x2;
    public static final int CLIENT_NO_COOKIE = 0x4;
    public static final int SERVER_COOKIE_NOT_REQD = 0x200;
    public static final int SERVER_WO_SOCKOPT1 = 0x400;

    /** TCPOPT_FASTOPEN (RFC 7413 §4.1.1) and TCPOPT_EXP with TCPOPT_FASTOPEN_MAGIC (RFC 6994 shared experimental). */
    public static final int KIND = 34;
    public static final int KIND_EXP = 254;
    public static final int MAGIC = 0xF989;
    /** TCP_FASTOPEN_COOKIE_SIZE: Linux's cookies are 8 bytes; a client may carry 4 to 16 (MIN and MAX). */
    public static final int COOKIE_SIZE = 8;
    static final int COOKIE_MIN = 4;
    static final int COOKIE_MAX = 16;

    private FastOpen() {
    }

    /**
     * A Fast Open option as tcp_parse_fastopen_option() reads it: {@code value} empty is a cookie request; {@code exp}
     * whether it came as the experimental kind 254 (the server answers in the same kind).
     */
    public record Cookie(byte[] value, boolean exp) {
        public Cookie {
            value = value == null ? new byte[0] : value.clone();
        }

        public boolean request() {
            return value.length == 0;
        }

        /** The option on the wire: kind 34 and length, or kind 254, length and the magic 0xF989, then the cookie. */
        public TcpOption option() {
            if (!exp) {
                return new TcpOption.Unknown(KIND, value);
            }
            byte[] body = new byte[2 + value.length];
            body[0] = (byte) (MAGIC >>> 8);
            body[1] = (byte) MAGIC;
            System.arraycopy(value, 0, body, 2, value.length);
            return new TcpOption.Unknown(KIND_EXP, body);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Cookie c && c.exp == exp && Arrays.equals(c.value, value);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(value) * 2 + (exp ? 1 : 0);
        }

        @Override
        public String toString() {
            return (exp ? "FOEXP" : "FO") + (value.length == 0 ? "" : " " + HexFormat.of().formatHex(value));
        }
    }

    /**
     * tcp_parse_options() for the Fast Open option of a SYN or SYN-ACK: null when there is none or it is invalid
     * (an odd length, or a cookie shorter than 4 or longer than 16 bytes, which Linux reads as no option).
     */
    public static Cookie parse(Segment segment) {
        // tcp_parse_options() walks every option: of several Fast Open options the last one counts, one of odd
        // length is skipped, and one of a bad even length cancels what came before (tcp_parse_fastopen_option())
        Cookie found = null;
        for (TcpOption option : segment.options().list()) {
            if (!(option instanceof TcpOption.Unknown unknown)) {
                continue;
            }
            byte[] value = unknown.value();
            byte[] cookie;
            boolean exp;
            if (unknown.kind() == KIND) {
                cookie = value;
                exp = false;
            } else if (unknown.kind() == KIND_EXP && value.length >= 2 && ((value[0] & 0xff) << 8 | (value[1] & 0xff)) == MAGIC) {
                cookie = Arrays.copyOfRange(value, 2, value.length);
                exp = true;
            } else {
                continue;
            }
            int len = cookie.length;
            if ((len & 1) != 0) {
                continue;
            }
            found = len != 0 && (len < COOKIE_MIN || len > COOKIE_MAX) ? null : new Cookie(cookie, exp);
        }
        return found;
    }

    /**
     * __tcp_fastopen_cookie_gen_cipher(): SipHash-2-4 over the SYN's source then destination IPv4 address (8 bytes as
     * on the wire) under the 128-bit key, stored little-endian. The key's four words are the sysctl's
     * "%x-%x-%x-%x", each stored little-endian (proc_tcp_fastopen_key()).
     */
    public static byte[] cookie(long[] keyWords, FourTuple inbound) {
        long k0 = (keyWords[1] & 0xffffffffL) << 32 | (keyWords[0] & 0xffffffffL);
        long k1 = (keyWords[3] & 0xffffffffL) << 32 | (keyWords[2] & 0xffffffffL);
        // the 8 message bytes are saddr then daddr in network order, read as one little-endian u64
        long m = (Integer.reverseBytes(inbound.local().address()) & 0xffffffffL) << 32
                | (Integer.reverseBytes(inbound.remote().address()) & 0xffffffffL);
        long hash = sipHash24(k0, k1, m);
        byte[] out = new byte[COOKIE_SIZE];
        for (int i = 0; i < COOKIE_SIZE; i++) {
            out[i] = (byte) (hash >>> (8 * i));
        }
        return out;
    }

    /** TCP_FASTOPEN_KEY_LENGTH and TCP_FASTOPEN_KEY_BUF_LENGTH (a primary and a backup key). */
    public static final int KEY_LENGTH = 16;
    static final int KEY_BUF_LENGTH = 32;

    /**
     * setsockopt(TCP_FASTOPEN_KEY): the socket's own key, its bytes read as little-endian 32-bit words as
     * proc_tcp_fastopen_key() stores the sysctl's (so bytes f7 63 bf a0 are the sysctl's word a0bf63f7); false for a
     * length other than 16 or 32 (EINVAL).
     */
    public static boolean setKey(Socket socket, byte[] value) {
        if (value.length != KEY_LENGTH && value.length != KEY_BUF_LENGTH) {
            return false;
        }
        long[] words = new long[value.length / 4];
        for (int i = 0; i < words.length; i++) {
            words[i] = (value[4 * i] & 0xffL) | (value[4 * i + 1] & 0xffL) << 8 | (value[4 * i + 2] & 0xffL) << 16
                    | (value[4 * i + 3] & 0xffL) << 24;
        }
        socket.options().fastOpenKey = words;
        return true;
    }

    /**
     * The keys a listener's cookies are made and checked with: its own TCP_FASTOPEN_KEY (primary, then backup) or
     * the net.ipv4.tcp_fastopen_key sysctl (tcp_fastopen_get_ctx() falls back to the namespace's context).
     */
    static List<long[]> keys(Socket listener, Sysctls sysctls) {
        long[] own = listener.options().fastOpenKey;
        if (own == null) {
            return List.of(key(sysctls));
        }
        return own.length == 4 ? List.of(own) : List.of(Arrays.copyOf(own, 4), Arrays.copyOfRange(own, 4, 8));
    }

    /** getsockopt(TCP_FASTOPEN_KEY): the keys {@link #keys} gives, as bytes (each word little-endian). */
    public static byte[] keyBytes(Socket socket, Sysctls sysctls) {
        List<long[]> keys = keys(socket, sysctls);
        byte[] out = new byte[keys.size() * KEY_LENGTH];
        int i = 0;
        for (long[] key : keys) {
            for (long word : key) {
                for (int b = 0; b < 4; b++) {
                    out[i++] = (byte) (word >>> (8 * b));
                }
            }
        }
        return out;
    }

    /** The cookie key the sysctls hold (net.ipv4.tcp_fastopen_key.0 to .3). */
    static long[] key(Sysctls sysctls) {
        long[] words = new long[4];
        for (int i = 0; i < 4; i++) {
            words[i] = sysctls.get(Sysctls.TCP_FASTOPEN_KEY + "." + i);
        }
        return words;
    }

    /** SipHash-2-4 (Aumasson and Bernstein; Linux lib/siphash.c siphash_1u64()) of one 64-bit little-endian word. */
    static long sipHash24(long k0, long k1, long m) {
        long[] v = {k0 ^ 0x736f6d6570736575L, k1 ^ 0x646f72616e646f6dL, k0 ^ 0x6c7967656e657261L, k1 ^ 0x7465646279746573L};
        long last = 8L << 56; // the message length (8 bytes) in the final block's top byte
        v[3] ^= m;
        sipRound(v);
        sipRound(v);
        v[0] ^= m;
        v[3] ^= last;
        sipRound(v);
        sipRound(v);
        v[0] ^= last;
        v[2] ^= 0xff;
        for (int i = 0; i < 4; i++) {
            sipRound(v);
        }
        return v[0] ^ v[1] ^ v[2] ^ v[3];
    }

    private static void sipRound(long[] v) {
        v[0] += v[1];
        v[1] = Long.rotateLeft(v[1], 13);
        v[1] ^= v[0];
        v[0] = Long.rotateLeft(v[0], 32);
        v[2] += v[3];
        v[3] = Long.rotateLeft(v[3], 16);
        v[3] ^= v[2];
        v[0] += v[3];
        v[3] = Long.rotateLeft(v[3], 21);
        v[3] ^= v[0];
        v[2] += v[1];
        v[1] = Long.rotateLeft(v[1], 17);
        v[1] ^= v[2];
        v[2] = Long.rotateLeft(v[2], 32);
    }

    /**
     * inet_listen(): with net.ipv4.tcp_fastopen bits 0x400 and 0x2 every listener becomes a Fast Open listener with
     * its backlog (capped by somaxconn) as queue length, unless TCP_FASTOPEN already set one (fastopen_queue_tune()).
     */
    public static void listen(Socket listener, Sysctls sysctls, long backlog) {
        long bits = sysctls.get(Sysctls.TCP_FASTOPEN);
        if ((bits & SERVER_WO_SOCKOPT1) != 0 && (bits & SERVER_ENABLE) != 0 && listener.options().fastOpenQueue == 0) {
            listener.options().fastOpenQueue = queueLength(sysctls, backlog);
        }
    }

    /** fastopen_queue_tune(): the queue length a listener keeps, min(backlog, somaxconn). */
    public static int queueLength(Sysctls sysctls, long backlog) {
        return (int) Math.min(backlog, sysctls.get(Sysctls.SOMAXCONN));
    }

    /** What tcp_try_fastopen() decided for one SYN. */
    enum Verdict {
        /** No Fast Open: an ordinary request, any data on the SYN is not acknowledged. */
        NONE,
        /** An ordinary request whose SYN-ACK carries the valid cookie (the client asked, or sent a wrong one). */
        COOKIE,
        /** A child socket now: the data is acknowledged by the SYN-ACK and the socket can be accepted at once. */
        CHILD
    }

    /**
     * tcp_try_fastopen() and tcp_fastopen_queue_check(): whether {@code syn} makes a Fast Open child of
     * {@code listener}; sets the SYN-ACK's option on {@code request} (the valid cookie, in the client's kind).
     * {@code pending} is how many children of this listener still wait for their handshake to end.
     */
    static Verdict decide(Socket listener, Tcb request, Segment syn, Sysctls sysctls, java.util.function.IntSupplier pending,
            PacketReport report) {
        Cookie offered = parse(syn);
        boolean synData = syn.payload().length > 0;
        long bits = sysctls.get(Sysctls.TCP_FASTOPEN);
        int maxQueue = listener.options().fastOpenQueue;
        if ((bits & SERVER_ENABLE) == 0 || !(synData || offered != null) || maxQueue == 0) {
            if (offered != null || synData) {
                report.step("tcp.fastopen", (bits & SERVER_ENABLE) == 0 ? "net.ipv4.tcp_fastopen has no server bit (0x2): "
                        + "the SYN's Fast Open " + (synData ? "data is not acknowledged" : "option is ignored")
                        : maxQueue == 0 ? "the listener is not a Fast Open one (no setsockopt TCP_FASTOPEN, tcp_fastopen "
                        + "without 0x400): an ordinary handshake" : "an ordinary handshake");
            }
            return Verdict.NONE;
        }
        int waiting = pending.getAsInt();
        if (waiting >= maxQueue) {
            // tcp_fastopen_queue_check(): LINUX_MIB_TCPFASTOPENLISTENOVERFLOW
            report.step("tcp.fastopen", waiting + " Fast Open children already pending (TCP_FASTOPEN queue " + maxQueue
                    + "): this SYN gets an ordinary handshake");
            return Verdict.NONE;
        }
        boolean exp = offered != null && offered.exp();
        if ((bits & SERVER_COOKIE_NOT_REQD) != 0 || listener.options().fastOpenNoCookie) {
            report.step("tcp.fastopen", "no cookie required (tcp_fastopen 0x200 or TCP_FASTOPEN_NO_COOKIE): a child socket "
                    + "is created in SYN_RECV with the SYN's " + syn.payload().length + " bytes queued");
            return Verdict.CHILD;
        }
        if (offered == null) {
            report.step("tcp.fastopen", "data on a SYN without a cookie: not acknowledged, an ordinary handshake");
            return Verdict.NONE;
        }
        List<long[]> keys = keys(listener, sysctls);
        byte[] valid = cookie(keys.get(0), request.tuple());
        if (offered.request()) {
            request.synAckFastOpen = new Cookie(valid, exp).option();
            report.step("tcp.fastopen", "the SYN asks for a cookie: the SYN-ACK carries " + new Cookie(valid, exp)
                    + " (SipHash of the two addresses under net.ipv4.tcp_fastopen_key)");
            return Verdict.COOKIE;
        }
        // tcp_fastopen_cookie_gen_check(): a cookie made with the backup key is still valid
        if (keys.stream().noneMatch(k -> Arrays.equals(offered.value(), cookie(k, request.tuple())))) {
            request.synAckFastOpen = new Cookie(valid, exp).option();
            report.step("tcp.fastopen", "the SYN's cookie " + offered + " is not this server's: its data is not "
                    + "acknowledged and the SYN-ACK carries the valid cookie (TCPFastOpenPassiveFail)");
            return Verdict.COOKIE;
        }
        report.step("tcp.fastopen", "valid cookie " + offered + ": a child socket is created in SYN_RECV with the SYN's "
                + syn.payload().length + " bytes queued, ready for accept() before the handshake ends");
        return Verdict.CHILD;
    }

    /** tcp_fastopen_add_skb(): the SYN's data goes straight into the child's receive queue. */
    static void queueSynData(Tcb child, Segment syn) {
        byte[] payload = syn.payload();
        if (payload.length == 0) {
            return;
        }
        int take = Math.min(payload.length, Math.max(0, child.rcvBufLimit - child.receiveQueue.size()));
        child.receiveQueue.append(payload, 0, take);
        RcvSpace.chargeQueued(child, take, RcvSpace.truesize(syn)); // skb_set_owner_r() in tcp_fastopen_add_skb()
        child.rcvNxt += take;
        child.synDataAcked = true;
    }
}
