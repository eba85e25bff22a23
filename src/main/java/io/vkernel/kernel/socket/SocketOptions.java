package io.vkernel.kernel.socket;

/** Per-socket options set with setsockopt(); defaults are Linux's. */
public final class SocketOptions {

    public boolean reuseAddr;
    public boolean keepAlive;
    /** TCP_NODELAY (IPPROTO_TCP): off by default, so Nagle's algorithm holds small segments. */
    public boolean noDelay;
    public boolean lingerOn;
    public int lingerSeconds;
    /** SO_RCVTIMEO in milliseconds; 0 means block forever. */
    public long rcvTimeoutMs;
    /** SO_SNDTIMEO in milliseconds; 0 means block forever. */
    public long sndTimeoutMs;
    /** SO_RCVBUF as stored (the request doubled, sock_setsockopt()); 0 = not set: tcp_rmem[1], autotuned. */
    public int rcvBuf;
    /** SO_SNDBUF as stored (doubled); 0 = not set: tcp_wmem[1]. */
    public int sndBuf;
}
