package io.vkernel.kernel.wire;

/**
 * Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4): comparisons look at the signed distance, so
 * {@code 0xFFFFFFF0} is before {@code 0x10}. Never compare raw sequence numbers with {@code <}.
 */
public final class Seq {

    private Seq() {
    }

    public static boolean before(int a, int b) {
        return a - b < 0;
    }

    public static boolean beforeOrEqual(int a, int b) {
        return a - b <= 0;
    }

    public static boolean after(int a, int b) {
        return a - b > 0;
    }

    /** {@code start <= seq < start + size}, modulo 2^32. */
    public static boolean inWindow(int seq, int start, int size) {
        return Integer.compareUnsigned(seq - start, size) < 0;
    }

    public static long unsigned(int seq) {
        return seq & 0xffffffffL;
    }
}
