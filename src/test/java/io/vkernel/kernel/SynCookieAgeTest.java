package io.vkernel.kernel;

import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How long a SYN cookie's final ACK is taken, with tcp_syncookies = 2: only while the listener sent cookies within
 * the last 120 s, inclusive (tcp_synq_no_recent_overflow(): time_between32(now, last_overflow, last_overflow +
 * TCP_SYNCOOKIE_VALID)), where the stamp of the last overflow moves at most once a second (tcp_synq_overflow());
 * and only while the cookie's minute counter is at most one behind (check_tcp_syn_cookie(), MAX_SYNCOOKIE_AGE 2),
 * the hash taken over the whole counter, so a cookie replayed 256 minutes later, when its top byte matches again, fails.
 */
class SynCookieAgeTest {

    private final TcpFixture t = new TcpFixture();

    private long now() {
        return t.kernel.inspect(k -> k.clock().now());
    }

    private void advanceTo(long ms) {
        t.kernel.advance(ms - now());
    }

    /**
     * A first cookie at 59 s stamps the overflow; a second client's SYN one second later (within HZ of the stamp) does
     * not move it, and its cookie is of minute 1. Answers that second client, its ACK not yet sent.
     */
    private Peer twoCookies() {
        t.sysctl(Sysctls.TCP_SYNCOOKIES, 2);
        advanceTo(59_000);
        new Peer(t.kernel, "192.168.1.100:1001", TcpFixture.SERVER).send(TcpFlags.SYN, "");
        advanceTo(60_000);
        Peer second = new Peer(t.kernel, "192.168.1.100:1002", TcpFixture.SERVER);
        second.send(TcpFlags.SYN, "");
        assertThat(t.counter(SnmpCounter.SYNCOOKIES_SENT)).isEqualTo(2);
        return second;
    }

    @Test
    void exactly120SecondsAfterTheLastOverflowStamp_aValidCookieIsStillTaken() {
        Peer second = twoCookies();
        advanceTo(59_000 + 120_000); // minute 2: the cookie of minute 1 is one behind
        PacketReport ack = second.ack();
        assertThat(ack.state()).isEqualTo("ESTABLISHED");
        assertThat(t.counter(SnmpCounter.SYNCOOKIES_RECV)).isEqualTo(1);
    }

    @Test
    void oneMillisecondLater_theListenerSentNoCookieRecently_andTheAckIsReset() {
        Peer second = twoCookies();
        advanceTo(59_000 + 120_001); // the stamp stayed at 59 s: the second cookie did not move it
        PacketReport ack = second.ack();
        assertThat(ack.sentSegments()).singleElement().satisfies(s -> assertThat(s.has(TcpFlags.RST)).isTrue());
        assertThat(t.counter(SnmpCounter.SYNCOOKIES_RECV)).isZero();
    }

    @Test
    void aCookieReplayed256MinutesLater_failsAlthoughItsTopByteMatchesTheCounterAgain() {
        t.sysctl(Sysctls.TCP_SYNCOOKIES, 2);
        Peer client = new Peer(t.kernel, "192.168.1.100:1001", TcpFixture.SERVER);
        client.send(TcpFlags.SYN, "");
        advanceTo(now() + 256 * 60_000L);
        new Peer(t.kernel, "192.168.1.100:1002", TcpFixture.SERVER).send(TcpFlags.SYN, ""); // a recent overflow again
        PacketReport ack = client.ack();
        assertThat(ack.sentSegments()).singleElement().satisfies(s -> assertThat(s.has(TcpFlags.RST)).isTrue());
        assertThat(t.counter(SnmpCounter.SYNCOOKIES_RECV)).isZero();
    }
}
