package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.socket.Socket;

/**
 * Linux's receive-buffer arithmetic for a new connection (net/ipv4/tcp_output.c, include/net/tcp.h): the buffer
 * is tcp_rmem[1] unless SO_RCVBUF set (and locked) it; the window it can back is tcp_win_from_space() of it; the
 * window scale offered in the SYN is sized by tcp_select_initial_window() for the largest window the socket could
 * ever grow to (tcp_rmem[2], net.core.rmem_max), clamped by what a locked buffer allows.
 */
public final class ReceiveBuffer {

    /** TCP_MAX_WSCALE (RFC 7323 §2.3). */
    static final int MAX_WSCALE = 14;

    private ReceiveBuffer() {
    }

    /**
     * tcp_win_from_space() with the default scaling_ratio (TCP_DEFAULT_SCALING_RATIO: half of the buffer goes to
     * the window, the rest is overhead) — the ratio a connection starts with.
     */
    static int winFromSpace(int space) {
        return Math.max(0, space) / 2;
    }

    /**
     * The receive buffer and the window scale a new connection offers: tcp_rmem[1] or the owner's SO_RCVBUF
     * (inherited from the listener), and tcp_select_initial_window()'s scale when both may scale windows.
     */
    static void init(Tcb tcb, Socket owner, boolean peerScales, Sysctls sysctls) {
        int soRcvBuf = owner == null ? 0 : owner.options().rcvBuf;
        tcb.rcvBufLocked = soRcvBuf > 0;
        tcb.rcvBufLimit = initialBuffer(sysctls, soRcvBuf);
        boolean wscaleOk = peerScales && sysctls.get(Sysctls.TCP_WINDOW_SCALING) != 0;
        tcb.offeredWscale = wscale(sysctls, tcb.rcvBufLimit, tcb.rcvBufLocked, wscaleOk);
    }

    /** The initial buffer: SO_RCVBUF's doubled value when the socket set it, else tcp_rmem[1] (tcp_init_sock()). */
    static int initialBuffer(Sysctls sysctls, int soRcvBuf) {
        return soRcvBuf > 0 ? soRcvBuf : sysctls.getInt(Sysctls.TCP_RMEM_DEFAULT);
    }

    /**
     * The window scale tcp_select_initial_window() picks: 0 without window scaling, else ilog2 of the largest
     * space (tcp_full_space(), tcp_rmem[2], rmem_max) limited by the window clamp, less 15, within 0..14. A locked
     * buffer (SO_RCVBUF) clamps the window to its tcp_full_space() (tcp_openreq_init_rwin(), tcp_connect_init()).
     */
    static int wscale(Sysctls sysctls, int buffer, boolean locked, boolean wscaleOk) {
        if (!wscaleOk) {
            return 0;
        }
        long fullSpace = winFromSpace(buffer);
        long clamp = locked ? fullSpace : 65535L << MAX_WSCALE;
        long space = Math.min(clamp, fullSpace);
        space = Math.max(space, sysctls.get(Sysctls.TCP_RMEM_MAX));
        space = Math.max(space, sysctls.get(Sysctls.CORE_RMEM_MAX));
        space = Math.min(space, clamp);
        int ilog2 = 63 - Long.numberOfLeadingZeros(Math.max(1, space));
        return Math.max(0, Math.min(MAX_WSCALE, ilog2 - 15));
    }

    /** sock_setsockopt(SO_RCVBUF): the value capped by rmem_max, doubled for overhead, at least SOCK_MIN_RCVBUF. */
    public static int rcvBufFromOption(Sysctls sysctls, long requested) {
        long capped = Math.min(Math.max(0, requested), sysctls.get(Sysctls.CORE_RMEM_MAX));
        return (int) Math.max(capped * 2, SOCK_MIN_RCVBUF);
    }

    /** sock_setsockopt(SO_SNDBUF): capped by wmem_max, doubled, at least SOCK_MIN_SNDBUF. */
    public static int sndBufFromOption(Sysctls sysctls, long requested) {
        long capped = Math.min(Math.max(0, requested), sysctls.get(Sysctls.CORE_WMEM_MAX));
        return (int) Math.max(capped * 2, SOCK_MIN_SNDBUF);
    }

    /** SOCK_MIN_RCVBUF / SOCK_MIN_SNDBUF on x86-64 (2048 + sizeof(struct sk_buff), doubled for send). */
    static final int SOCK_MIN_RCVBUF = 2304;
    static final int SOCK_MIN_SNDBUF = 4608;
}
