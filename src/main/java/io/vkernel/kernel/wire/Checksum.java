package io.vkernel.kernel.wire;

/**
 * The Internet checksum (RFC 1071): the 16-bit one's complement of the one's complement sum of the data taken as
 * 16-bit big-endian words, an odd last byte padded with a zero. IPv4 sums its header (RFC 791 §3.1); TCP sums a
 * pseudo-header, its header and its payload (RFC 9293 §3.1). A receiver sums everything, checksum included, and
 * gets {@code 0xFFFF} when nothing was damaged (Linux: {@code ip_fast_csum()}, {@code tcp_checksum_complete()}).
 */
public final class Checksum {

    /** The pseudo-header's protocol field for TCP. */
    public static final int PROTOCOL_TCP = 6;

    private Checksum() {
    }

    /** Adds the 16-bit words of {@code data[offset, offset + length)} to {@code sum}, without folding (RFC 1071 §4.1). */
    public static long add(long sum, byte[] data, int offset, int length) {
        int end = offset + length;
        int i = offset;
        for (; i + 1 < end; i += 2) {
            sum += ((data[i] & 0xff) << 8) | (data[i + 1] & 0xff);
        }
        if (i < end) {
            sum += (data[i] & 0xff) << 8;
        }
        return sum;
    }

    /** Folds the carries back in until 16 bits remain: the one's complement sum. */
    public static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) sum;
    }

    /** The value to write in a checksum field whose bytes were zero while summing. */
    public static int complement(long sum) {
        return ~fold(sum) & 0xffff;
    }

    /** An IPv4 header's checksum over {@code headerLength} bytes, the checksum field taken as zero or as sent. */
    public static long ipv4HeaderSum(byte[] packet, int offset, int headerLength) {
        return add(0, packet, offset, headerLength);
    }

    /**
     * The TCP pseudo-header (RFC 9293 §3.1): source address, destination address, zero, protocol 6 and the TCP
     * length (header plus payload), summed ahead of the segment itself.
     */
    public static long pseudoHeaderSum(int src, int dst, int tcpLength) {
        return (long) (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + PROTOCOL_TCP + tcpLength;
    }

    /** Sum of pseudo-header and segment: {@code 0xFFFF} after folding when the segment's checksum is right. */
    public static long tcpSum(int src, int dst, byte[] data, int offset, int length) {
        return add(pseudoHeaderSum(src, dst, length), data, offset, length);
    }

    /** True when a sum that included the sender's checksum folds to all ones: nothing was damaged. */
    public static boolean verifies(long sumIncludingChecksum) {
        return fold(sumIncludingChecksum) == 0xffff;
    }
}
