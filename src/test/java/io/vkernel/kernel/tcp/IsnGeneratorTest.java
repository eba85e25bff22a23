package io.vkernel.kernel.tcp;

import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ISNs, SYN cookies and timestamp offsets (RFC 9293 §3.4.1, secure_tcp_seq(), syncookies.c, secure_tcp_ts_off()):
 * keyed by the kernel's seed and every part of the 4-tuple, with a clock ticking every 64 ns of virtual time.
 */
class IsnGeneratorTest {

    private static final FourTuple TUPLE = tuple("192.168.1.100:54321", "10.0.0.50:8080");
    private final IsnGenerator isns = new IsnGenerator(42);

    private static FourTuple tuple(String remote, String local) {
        return new FourTuple(Endpoint.parse(remote), Endpoint.parse(local));
    }

    @Test
    void isn_isAKeyedHashOfTheFourTuple_plusA64nsClock() {
        assertThat(new IsnGenerator(1).isn(TUPLE, 0)).as("the README's default kernel").isEqualTo(208720245);
        assertThat(isns.isn(TUPLE, 0)).isEqualTo(1625134959);
        assertThat(isns.isn(tuple("192.168.1.101:54321", "10.0.0.50:8080"), 0)).isEqualTo(-805315332);
        assertThat(isns.isn(tuple("192.168.1.100:54322", "10.0.0.50:8080"), 0)).isEqualTo(35375493);
        assertThat(isns.isn(tuple("192.168.1.100:54321", "10.0.0.50:8081"), 0)).isEqualTo(-64818450);
        assertThat(isns.isn(tuple("192.168.1.100:54321", "10.0.0.51:8080"), 0)).isEqualTo(2195189);
        assertThat(isns.isn(TUPLE, 1000) - isns.isn(TUPLE, 0)).as("one second is 10^9 / 64 ticks").isEqualTo(15_625_000);
        assertThat(isns.isn(TUPLE, 300_000) - isns.isn(TUPLE, 0)).as("the clock wraps modulo 2^32")
                .isEqualTo((int) (300_000L * 1_000_000L / 64));
    }

    @Test
    void tsOffset_isKeyedByTheTuple() {
        assertThat(isns.tsOffset(TUPLE)).isEqualTo(1468793976);
        assertThat(isns.tsOffset(tuple("192.168.1.101:54321", "10.0.0.50:8080"))).isEqualTo(-79987552);
        assertThat(isns.tsOffset(tuple("192.168.1.100:54322", "10.0.0.50:8080"))).isEqualTo(1977376018);
        assertThat(isns.tsOffset(tuple("192.168.1.100:54321", "10.0.0.50:8081"))).isEqualTo(-1066284026);
    }

    @Test
    void cookie_carriesTheMinuteInItsTopByte_andTheMssIndexInItsLowBits() {
        int cookie = isns.cookie(TUPLE, 1000, 125_000, 3);
        assertThat(cookie).isEqualTo(0x02e45c83);
        assertThat(cookie >>> 24).as("minute 2").isEqualTo(2);
        assertThat(isns.cookie(TUPLE, 1001, 125_000, 3)).as("the client's ISN is hashed in").isEqualTo(0x02142d77);
        assertThat(isns.cookie(tuple("192.168.1.101:54321", "10.0.0.50:8080"), 1000, 125_000, 0)).isEqualTo(0x02a774b0);
        assertThat(isns.cookie(TUPLE, 1000, 125_000, 1) & 3).isEqualTo(1);
    }

    @Test
    void checkCookie_acceptsItsOwnCookieForTwoMinutes_andNothingForged() {
        int cookie = isns.cookie(TUPLE, 1000, 125_000, 2);
        assertThat(isns.checkCookie(TUPLE, 1000, cookie, 125_000)).isEqualTo(2);
        assertThat(isns.checkCookie(TUPLE, 1000, cookie, 179_999)).isEqualTo(2);
        assertThat(isns.checkCookie(TUPLE, 1000, cookie, 239_999)).as("the next minute still counts").isEqualTo(2);
        assertThat(isns.checkCookie(TUPLE, 1000, cookie, 240_000)).as("two minutes on").isEqualTo(-1);
        assertThat(isns.checkCookie(TUPLE, 1001, cookie, 125_000)).as("another client ISN").isEqualTo(-1);
        assertThat(isns.checkCookie(tuple("192.168.1.100:54322", "10.0.0.50:8080"), 1000, cookie, 125_000)).isEqualTo(-1);
        assertThat(isns.checkCookie(TUPLE, 1000, cookie ^ 0x100, 125_000)).as("one hash bit flipped").isEqualTo(-1);
        assertThat(isns.checkCookie(TUPLE, 1000, cookie ^ 0x4, 125_000)).as("the lowest hash bit").isEqualTo(-1);
        assertThat(isns.checkCookie(TUPLE, 1000, cookie ^ 0x800000, 125_000)).as("the highest hash bit").isEqualTo(-1);
        assertThat(new IsnGenerator(43).checkCookie(TUPLE, 1000, cookie, 125_000)).as("another kernel's secret").isEqualTo(-1);
        assertThat(IsnGenerator.COOKIE_MSS).containsExactly(536, 1300, 1440, 1460);
    }

    @Test
    void checkCookie_minuteCounterWraps_after256Minutes_butTheHashTakesTheWholeCounter() {
        long minute255 = 255 * 60_000L;
        int cookie = isns.cookie(TUPLE, 7, minute255, 1);
        assertThat(cookie >>> 24).isEqualTo(255);
        assertThat(isns.checkCookie(TUPLE, 7, cookie, minute255 + 60_000)).as("minute 256 is minute 0").isEqualTo(1);
        assertThat(isns.checkCookie(TUPLE, 7, cookie, minute255 + 120_000)).isEqualTo(-1);
        int early = isns.cookie(TUPLE, 7, 0, 1);
        // check_tcp_syn_cookie() hashes the whole counter: 256 minutes later the top byte matches, the hash does not
        assertThat(isns.checkCookie(TUPLE, 7, early, 256 * 60_000L)).as("256 minutes later: not the same minute").isEqualTo(-1);
    }
}
