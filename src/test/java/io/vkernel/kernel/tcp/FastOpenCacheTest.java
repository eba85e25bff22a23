package io.vkernel.kernel.tcp;

import io.vkernel.kernel.wire.Ipv4;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The client's per-destination Fast Open entries as tcp_fastopen_cache_set() keeps them (tcp_metrics.c): an MSS of 0
 * leaves the old one, an empty cookie keeps the cookie held, try_exp only rises and only while no cookie is known.
 */
class FastOpenCacheTest {

    private static final int SERVER = Ipv4.parse("192.0.2.1");
    private static final int OTHER = Ipv4.parse("192.0.2.2");
    private final FastOpenClient.Cache cache = new FastOpenClient.Cache();

    private static FastOpen.Cookie cookie(boolean exp, int... bytes) {
        byte[] value = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            value[i] = (byte) bytes[i];
        }
        return new FastOpen.Cookie(value, exp);
    }

    @Test
    void anEntryPerDestination_mssKeptWhenTheNextSynAckGivesNone() {
        assertThat(cache.get(SERVER)).isNull();
        cache.set(SERVER, 1400, null, 0);
        cache.set(SERVER, 0, null, 0);
        assertThat(cache.get(SERVER).mss).isEqualTo(1400);
        cache.set(SERVER, 1200, null, 0);
        assertThat(cache.get(SERVER).mss).isEqualTo(1200);
        assertThat(cache.get(OTHER)).isNull();
        assertThat(cache.size()).isEqualTo(1);
        assertThat(cache.describe()).containsExactly("192.0.2.1 mss 1200 no cookie");
    }

    @Test
    void aCookie_replacesTheOld_anEmptyOneDoesNot() {
        cache.set(SERVER, 1460, cookie(false, 0xAB, 0xCD), 0);
        cache.set(SERVER, 1460, cookie(false), 0);
        assertThat(cache.get(SERVER).cookie).containsExactly(0xAB, 0xCD);
        cache.set(SERVER, 1460, cookie(true, 0x01, 0x02, 0x03, 0x04), 0);
        assertThat(cache.get(SERVER).cookie).containsExactly(1, 2, 3, 4);
        assertThat(cache.get(SERVER).exp).isTrue();
        assertThat(cache.describe()).containsExactly("192.0.2.1 mss 1460 cookie 01020304 (kind 254)");
        cache.set(SERVER, 1460, cookie(false, 0x0F), 0);
        assertThat(cache.get(SERVER).exp).isFalse();
        assertThat(cache.describe()).containsExactly("192.0.2.1 mss 1460 cookie 0f");
    }

    @Test
    void tryExp_risesOnly_andNotOnceACookieIsKnown() {
        cache.set(SERVER, 1460, null, 1);
        assertThat(cache.get(SERVER).tryExp).isEqualTo(1);
        assertThat(cache.describe()).containsExactly("192.0.2.1 mss 1460 no cookie try_exp 1");
        cache.set(SERVER, 1460, null, 1);
        cache.set(SERVER, 1460, null, 0);
        assertThat(cache.get(SERVER).tryExp).isEqualTo(1);
        cache.set(SERVER, 1460, null, 2);
        assertThat(cache.get(SERVER).tryExp).isEqualTo(2);

        cache.set(OTHER, 1460, cookie(false, 0x11), 0);
        cache.set(OTHER, 1460, null, 2);
        assertThat(cache.get(OTHER).tryExp).as("a cookie is known").isZero();
        int third = Ipv4.parse("192.0.2.3");
        cache.set(third, 1460, cookie(true), 0);
        cache.get(third).exp = true;
        cache.set(third, 1460, null, 1);
        assertThat(cache.get(third).tryExp).as("asking in kind 254 already").isZero();
        cache.flush();
        assertThat(cache.size()).isZero();
        assertThat(cache.get(SERVER)).isNull();
    }
}
