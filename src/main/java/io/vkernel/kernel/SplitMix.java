package io.vkernel.kernel;

/**
 * The SplitMix64 generator of {@link java.util.SplittableRandom}, drawing the very same numbers for the same seed
 * (SplitMixTest compares them), but with its state in a field of ours: a kernel holding it can be snapshotted and read
 * back by a serializer (issue 15), which the JDK's class, closed to reflection since Java 17, does not allow.
 */
public final class SplitMix {

    private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;
    private long seed;

    public SplitMix(long seed) {
        this.seed = seed;
    }

    private long nextSeed() {
        return seed += GOLDEN_GAMMA;
    }

    public long nextLong() {
        long z = nextSeed();
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    public int nextInt() {
        long z = nextSeed();
        z = (z ^ (z >>> 33)) * 0x62a9d9ed799705f5L;
        return (int) (((z ^ (z >>> 28)) * 0xcb24d0a5c88c35b3L) >>> 32);
    }

    /** Uniform in [0, bound), as {@code RandomSupport.boundedNextInt} draws it. */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive");
        }
        int r = nextInt();
        int m = bound - 1;
        if ((bound & m) == 0) {
            return r & m;
        }
        for (int u = r >>> 1; u + m - (r = u % bound) < 0; u = nextInt() >>> 1) {
            // rejected: the draw fell in the range's uneven tail
        }
        return r;
    }

    /** Uniform in [0, bound), as {@code RandomSupport.boundedNextLong} draws it. */
    public long nextLong(long bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive");
        }
        long m = bound - 1;
        long r = nextLong();
        if ((bound & m) == 0L) {
            return r & m;
        }
        for (long u = r >>> 1; u + m - (r = u % bound) < 0L; u = nextLong() >>> 1) {
            // rejected, as above
        }
        return r;
    }

    /** Uniform in [0, 1), 53 bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }
}
