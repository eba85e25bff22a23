package io.vkernel.kernel.tcp;

/**
 * The sender's chronographs (tcp_chrono_start(), tcp_chrono_stop(), tcp_chrono_set() in tcp_output.c): how long the
 * connection has had data to deliver (busy), and within that how long the peer's window (rwnd limited) or the send
 * buffer (sndbuf limited) held it back. One runs at a time, the most interesting winning (sndbuf over rwnd over
 * busy); TCP_INFO reports them as tcpi_busy_time (all three), tcpi_rwnd_limited and tcpi_sndbuf_limited.
 */
final class Chrono {

    static final int UNSPEC = 0;
    static final int BUSY = 1;
    static final int RWND_LIMITED = 2;
    static final int SNDBUF_LIMITED = 3;

    private int type = UNSPEC;
    private long start;
    private final long[] stat = new long[3];

    private void set(int newType, long now) {
        if (type > UNSPEC) {
            stat[type - 1] += now - start;
        }
        start = now;
        type = newType;
    }

    /** tcp_chrono_start(): a more interesting condition takes over from the current one. */
    void start(int newType, long now) {
        if (newType > type) {
            set(newType, now);
        }
    }

    /** tcp_chrono_stop(): with nothing queued all stop; else the current condition, if it is this one, falls back to busy. */
    void stop(int oldType, long now, boolean queuesEmpty) {
        if (queuesEmpty) {
            if (type != UNSPEC) {
                set(UNSPEC, now);
            }
        } else if (oldType == type) {
            set(BUSY, now);
        }
    }

    /** tcp_get_info_chrono_stats(): milliseconds spent in {@code which}, the running period included. */
    long total(int which, long now) {
        long ms = stat[which - 1];
        if (type == which && now >= start) {
            ms += now - start;
        }
        return ms;
    }

    int type() {
        return type;
    }
}
