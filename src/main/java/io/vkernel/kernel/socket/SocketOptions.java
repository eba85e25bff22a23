package io.vkernel.kernel.socket;

/**
 * Per-socket options set with setsockopt(); defaults are Linux's. An accepted connection starts with a copy of its
 * listener's (sk_clone_lock() copies the whole socket), so every option added here must be added to {@link #copy}.
 */
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
    /** TCP_MAXSEG (tp->rx_opt.user_mss): 0 = not set; else it clamps the MSS offered and used (tcp_mss_clamp()). */
    public int userMss;
    /** TCP_CORK (TCP_NAGLE_CORK): partial segments wait until uncorked or full. */
    public boolean cork;
    /** TCP_NOTSENT_LOWAT (tp->notsent_lowat): 0 = not set, the sysctl net.ipv4.tcp_notsent_lowat applies. */
    public long notsentLowat;
    /**
     * TCP_CONGESTION: the algorithm's name; tcp_init_sock() -> tcp_assign_congestion_control() fills it from
     * net.ipv4.tcp_congestion_control when the socket is created, and an accepted socket inherits its listener's.
     */
    public String congestion = "cubic";
    /** TCP_USER_TIMEOUT (icsk_user_timeout) in ms: 0 = not set, tcp_retries2 decides when to give up. */
    public long userTimeoutMs;
    /** TCP_INQ (tp->recvmsg_inq): recvmsg() reports the bytes left to read in a TCP_CM_INQ control message. */
    public boolean inq;
    /** IP_TOS (inet->tos): the DSCP bits; on a stream socket the ECN bits stay the kernel's (__ip_sock_set_tos()). */
    public int tos;
    /** IP_MTU_DISCOVER (inet->pmtudisc): IP_PMTUDISC_WANT (1) unless net.ipv4.ip_no_pmtu_disc (inet_create()). */
    public int pmtuDisc = 1;
    /** SO_ZEROCOPY (SOCK_ZEROCOPY): send(MSG_ZEROCOPY) gets completion notifications on the error queue. */
    public boolean zerocopy;
    /** SO_MARK (sk_mark): the fwmark routing rules may match; nothing else reads it. */
    public long mark;
    /** TCP_SYNCNT (icsk_syn_retries): 0 = not set, net.ipv4.tcp_syn_retries applies. */
    public int synRetries;
    /** TCP_KEEPIDLE, TCP_KEEPINTVL in seconds, TCP_KEEPCNT (keepalive_time, _intvl, _probes): 0 = the sysctl applies. */
    public int keepIdle;
    public int keepIntvl;
    public int keepCnt;

    /** TCP_FASTOPEN on a listener (fastopenq.max_qlen): Fast Open children pending at once; 0 = not a Fast Open listener. */
    public int fastOpenQueue;
    /** TCP_FASTOPEN_NO_COOKIE (tp->fastopen_no_cookie): data on SYN is taken, or sent, without a cookie. */
    public boolean fastOpenNoCookie;
    /** TCP_FASTOPEN_CONNECT (tp->fastopen_connect): connect() defers the SYN to the first write, to carry its data. */
    public boolean fastOpenConnect;
    /**
     * TCP_FASTOPEN_KEY (the listener's tcp_fastopen_context): the cookie key's words, primary then an optional backup,
     * as the sysctl writes them; null = the net namespace's net.ipv4.tcp_fastopen_key.
     */
    public long[] fastOpenKey;

    /** IP_FREEBIND (inet->freebind): bind() may take an address that is not (yet) local (inet_bind() -> inet_addr_valid_or_nonlocal()). */
    public boolean freeBind;
    /** SO_OOBINLINE (SOCK_URGINLINE): the urgent byte stays in the stream instead of being skipped by read(). */
    public boolean oobInline;

    /** sk_clone_lock(): the child socket starts with the listener's options, whatever they are. */
    public SocketOptions copy() {
        SocketOptions copy = new SocketOptions();
        copy.fastOpenNoCookie = fastOpenNoCookie;
        copy.fastOpenConnect = fastOpenConnect;
        copy.fastOpenQueue = fastOpenQueue; // sock_copy() copies icsk_accept_queue.fastopenq.max_qlen too
        copy.fastOpenKey = fastOpenKey == null ? null : fastOpenKey.clone(); // and its ctx, the key
        copy.reuseAddr = reuseAddr;
        copy.keepAlive = keepAlive;
        copy.noDelay = noDelay;
        copy.lingerOn = lingerOn;
        copy.lingerSeconds = lingerSeconds;
        copy.rcvTimeoutMs = rcvTimeoutMs;
        copy.sndTimeoutMs = sndTimeoutMs;
        copy.rcvBuf = rcvBuf;
        copy.sndBuf = sndBuf;
        copy.userMss = userMss;
        copy.cork = cork;
        copy.notsentLowat = notsentLowat;
        copy.congestion = congestion;
        copy.userTimeoutMs = userTimeoutMs;
        copy.inq = inq;
        copy.tos = tos;
        copy.pmtuDisc = pmtuDisc;
        copy.zerocopy = zerocopy; // sk_clone_lock() copies sk_flags
        copy.mark = mark;
        copy.synRetries = synRetries;
        copy.keepIdle = keepIdle;
        copy.keepIntvl = keepIntvl;
        copy.keepCnt = keepCnt;
        copy.freeBind = freeBind; // inet_sk_clone_lock() copies the inet flags
        copy.oobInline = oobInline;
        return copy;
    }
}
