package io.vkernel.kernel;

import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Challenge ACKs (RFC 5961) are rate-limited as tcp_send_challenge_ack() limits them. */
class ChallengeAckRateTest {

    private final TcpFixture f = new TcpFixture().established();

    /** A RST inside the window but not at RCV.NXT: answered with a challenge ACK unless rate-limited. */
    private int blindRst(Peer peer) {
        int before = peer.received().size();
        peer.sendAt(TcpFlags.RST, peer.sndNxt() + 100, 0, "");
        return peer.received().size() - before;
    }

    private long counter(SnmpCounter c) {
        return f.kernel.inspect(k -> k.snmp().get(c));
    }

    @Test
    void established_secondBlindRstWithin500ms_drawsNoChallengeAck_afterwardsOneAgain() {
        assertThat(blindRst(f.peer)).isEqualTo(1);
        f.advanceSeconds(0.1);
        assertThat(blindRst(f.peer)).as("tcp_invalid_ratelimit = 500 ms").isZero();
        f.advanceSeconds(0.45);
        assertThat(blindRst(f.peer)).isEqualTo(1);

        assertThat(counter(SnmpCounter.TCP_CHALLENGE_ACK)).isEqualTo(2);
        assertThat(counter(SnmpCounter.TCP_ACK_SKIPPED_CHALLENGE)).isEqualTo(1);
        assertThat(f.state()).isEqualTo(io.vkernel.kernel.tcp.TcpState.ESTABLISHED);
    }

    @Test
    void invalidRatelimitZero_turnsThePerSocketLimitOff() {
        f.kernel.inspect(k -> {
            k.sysctls().set(Sysctls.TCP_INVALID_RATELIMIT, 0);
            return null;
        });
        assertThat(blindRst(f.peer)).isEqualTo(1);
        assertThat(blindRst(f.peer)).isEqualTo(1);
    }

    @Test
    void challengeAckLimit_isOneBudgetPerSecondForTheWholeKernel() {
        f.kernel.inspect(k -> {
            k.sysctls().set(Sysctls.TCP_CHALLENGE_ACK_LIMIT, 1); // a budget of exactly 1 per second
            return null;
        });
        Peer other = new Peer(f.kernel, "192.168.1.101:40000", TcpFixture.SERVER).connect();
        assertThat(blindRst(f.peer)).isEqualTo(1);
        assertThat(blindRst(other)).as("another socket, same second: the kernel's budget is spent").isZero();
        f.advanceSeconds(1);
        assertThat(blindRst(other)).isEqualTo(1);
        assertThat(counter(SnmpCounter.TCP_CHALLENGE_ACK)).isEqualTo(2);
    }

    @Test
    void synOnAnEstablishedConnection_isASynChallenge_sharingTheSameLimit() {
        f.peer.sendAt(TcpFlags.SYN, f.peer.sndNxt() + 5, 0, "");
        assertThat(TcpFlags.format(f.peer.lastReceived().flags())).isEqualTo(".");
        assertThat(blindRst(f.peer)).isZero();
        assertThat(counter(SnmpCounter.TCP_SYN_CHALLENGE)).isEqualTo(1);
    }

    // ---------------------------------------------------------------- the same clock for other invalid segments

    private int outOfWindow(Peer peer, int flags, String payload) {
        int before = peer.received().size();
        peer.sendAt(flags, peer.sndNxt() + 1_000_000, peer.rcvNxt(), payload);
        return peer.received().size() - before;
    }

    @Test
    void established_outOfWindowBareAcks_areAnsweredOncePer500ms_dataAlways() {
        assertThat(outOfWindow(f.peer, TcpFlags.ACK, "")).isEqualTo(1);
        f.advanceSeconds(0.1);
        assertThat(outOfWindow(f.peer, TcpFlags.ACK, "")).as("tcp_oow_rate_limited()").isZero();
        assertThat(outOfWindow(f.peer, TcpFlags.ACK | TcpFlags.PSH, "data")).as("data is not an ACK loop").isEqualTo(1);
        assertThat(counter(SnmpCounter.TCP_ACK_SKIPPED_SEQ)).isEqualTo(1);
    }

    @Test
    void established_outOfWindowSyn_isASynChallenge() {
        assertThat(outOfWindow(f.peer, TcpFlags.SYN, "")).isEqualTo(1);
        assertThat(counter(SnmpCounter.TCP_SYN_CHALLENGE)).isEqualTo(1);
        assertThat(counter(SnmpCounter.TCP_CHALLENGE_ACK)).isEqualTo(1);
    }

    @Test
    void timeWait_outOfWindowBareAcksAreRateLimited_butRetransmittedFinsAreAlwaysAcked() {
        TcpFixture tw = new TcpFixture().timeWait();
        Peer peer = tw.peer;
        int before = peer.received().size();
        peer.sendAt(TcpFlags.ACK, peer.sndNxt() - 1, peer.rcvNxt(), "");
        peer.sendAt(TcpFlags.ACK, peer.sndNxt() - 1, peer.rcvNxt(), "");
        assertThat(peer.received().size() - before).as("one ACK for two old bare ACKs").isEqualTo(1);
        peer.sendAt(TcpFlags.FIN | TcpFlags.ACK, peer.sndNxt() - 1, peer.rcvNxt(), "");
        peer.sendAt(TcpFlags.FIN | TcpFlags.ACK, peer.sndNxt() - 1, peer.rcvNxt(), "");
        assertThat(peer.received().size() - before).as("each retransmitted FIN is ACKed").isEqualTo(3);
        long skipped = tw.kernel.inspect(k -> k.snmp().get(SnmpCounter.TCP_ACK_SKIPPED_TIME_WAIT));
        assertThat(skipped).isEqualTo(1);
    }

    // ---------------------------------------------------------------- why no challenge ACK went out, in the trace

    private static String challengeStep(io.vkernel.kernel.trace.PacketReport report) {
        return TcpFixture.steps(report, "tcp.challenge_ack").get(0);
    }

    @Test
    void aRateLimitedChallenge_saysWhichLimitInItsTrace() {
        blindRst(f.peer);
        f.advanceSeconds(0.1);
        io.vkernel.kernel.trace.PacketReport second = f.peer.sendAt(TcpFlags.RST, f.peer.sndNxt() + 100, 0, "");
        assertThat(second.verdict()).isEqualTo("challenge ack rate-limited");
        assertThat(challengeStep(second)).endsWith(": the segment is dropped, and no challenge ACK goes out: the last one to "
                + "this socket left less than tcp_invalid_ratelimit = 500 ms ago (__tcp_oow_rate_limited())");

        f.kernel.sysctl(Sysctls.TCP_CHALLENGE_ACK_LIMIT, 1);
        Peer other = new Peer(f.kernel, "192.168.1.101:40000", TcpFixture.SERVER).connect();
        f.advanceSeconds(1);
        assertThat(blindRst(f.peer)).isEqualTo(1);
        f.advanceSeconds(0.001); // a millisecond later, the same second (jiffies / HZ)
        io.vkernel.kernel.trace.PacketReport spent = other.sendAt(TcpFlags.RST, other.sndNxt() + 100, 0, "");
        assertThat(spent.verdict()).isEqualTo("challenge ack rate-limited");
        assertThat(challengeStep(spent)).endsWith(": the segment is dropped, and no challenge ACK goes out: "
                + "tcp_challenge_ack_limit = 1 per second is spent for this second");
    }

    @Test
    void challengeAckLimit_theBudgetIsDrawnEachSecond_betweenHalfAndOneAndAHalfTimesTheLimit() {
        f.kernel.sysctl(Sysctls.TCP_INVALID_RATELIMIT, 0); // the per-socket limit off: only the kernel's budget counts
        f.kernel.sysctl(Sysctls.TCP_CHALLENGE_ACK_LIMIT, 10);
        f.advanceSeconds(1);
        for (int second = 0; second < 3; second++) {
            int answered = 0;
            for (int i = 0; i < 30; i++) {
                answered += blindRst(f.peer);
            }
            // get_random_u32_inclusive(limit / 2, limit + limit / 2 - 1)
            assertThat(answered).as("second %d", second).isBetween(5, 14);
            f.advanceSeconds(1);
        }
    }
}
