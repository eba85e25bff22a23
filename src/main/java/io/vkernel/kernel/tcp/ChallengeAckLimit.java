package io.vkernel.kernel.tcp;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.time.VirtualClock;
import io.vkernel.kernel.trace.SnmpCounter;

import io.vkernel.kernel.SplitMix;

/**
 * RFC 5961 §7 ACK throttling as Linux 6.x's {@code tcp_send_challenge_ack()} does it: first the per-socket limit
 * ({@code __tcp_oow_rate_limited()}: at most one challenge ACK per {@code tcp_invalid_ratelimit} ms), then the
 * per-netns budget {@code tcp_challenge_ack_limit} per second, drawn at random in [limit/2, limit*3/2) each second
 * so an attacker cannot count it (CVE-2016-5696). Since Linux 6.0 the budget defaults to INT_MAX, which skips it.
 */
final class ChallengeAckLimit {

    private final VirtualClock clock;
    private final Sysctls sysctls;
    private final TcpHost host;
    private final SplitMix random = new SplitMix(5961);
    private long second = -1;
    private long budget;

    ChallengeAckLimit(VirtualClock clock, Sysctls sysctls, TcpHost host) {
        this.clock = clock;
        this.sysctls = sysctls;
        this.host = host;
    }

    /** Null when a challenge ACK may go out now (and takes it from the budgets), else why it may not. */
    String refuse(Tcb tcb) {
        if (oowRateLimited(tcb)) {
            host.count(SnmpCounter.TCP_ACK_SKIPPED_CHALLENGE);
            return "the last one to this socket left less than tcp_invalid_ratelimit = "
                    + sysctls.get(Sysctls.TCP_INVALID_RATELIMIT) + " ms ago (__tcp_oow_rate_limited())";
        }
        long limit = sysctls.get(Sysctls.TCP_CHALLENGE_ACK_LIMIT);
        if (limit == Integer.MAX_VALUE) {
            return null;
        }
        long now = clock.now() / 1000; // jiffies / HZ
        if (now != second) {
            long half = (limit + 1) >> 1;
            second = now;
            budget = limit == 0 ? 0 : half + random.nextLong(limit); // get_random_u32_inclusive(half, limit + half - 1)
        }
        if (budget > 0) {
            budget--;
            return null;
        }
        return "tcp_challenge_ack_limit = " + limit + " per second is spent for this second";
    }

    /** __tcp_oow_rate_limited(): true within tcp_invalid_ratelimit of the last out-of-window ACK; else notes now. */
    boolean oowRateLimited(Tcb tcb) {
        long now = clock.now();
        if (tcb.lastOowAckTime >= 0 && now - tcb.lastOowAckTime < sysctls.get(Sysctls.TCP_INVALID_RATELIMIT)) {
            return true;
        }
        tcb.lastOowAckTime = now;
        return false;
    }
}
