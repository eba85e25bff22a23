package io.vkernel.kernel;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** Our SplitMix64 must draw what the JDK's SplittableRandom drew before it replaced it: ports, challenge ACKs, links. */
class SplitMixTest {

    @Test
    void drawsTheSameNumbersAsSplittableRandom_forEverySeedAndBound() {
        long[] seeds = {0, 1, 5961, -1, Long.MIN_VALUE, 0x632be59bd9b4e019L, 123_456_789L};
        int[] intBounds = {1, 2, 3, 7, 1 << 16, 28_232, 0x7fffffff, (1 << 30) + 1};
        long[] longBounds = {1, 2, 3, 1000, 1L << 40, Long.MAX_VALUE, (1L << 62) + 1};
        for (long seed : seeds) {
            SplittableRandom jdk = new SplittableRandom(seed);
            SplitMix ours = new SplitMix(seed);
            for (int i = 0; i < 2000; i++) {
                switch (i % 5) {
                    case 0 -> assertThat(ours.nextInt(intBounds[i % intBounds.length])).isEqualTo(jdk.nextInt(intBounds[i % intBounds.length]));
                    case 1 -> assertThat(ours.nextLong(longBounds[i % longBounds.length])).isEqualTo(jdk.nextLong(longBounds[i % longBounds.length]));
                    case 2 -> assertThat(ours.nextDouble()).isEqualTo(jdk.nextDouble());
                    case 3 -> assertThat(ours.nextInt()).isEqualTo(jdk.nextInt());
                    default -> assertThat(ours.nextLong()).isEqualTo(jdk.nextLong());
                }
            }
        }
    }
}
