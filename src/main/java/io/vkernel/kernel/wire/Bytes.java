package io.vkernel.kernel.wire;

/** Big-endian (network byte order) reads and writes of 8, 16 and 32-bit fields. */
final class Bytes {

    private Bytes() {
    }

    static int u8(byte[] data, int at) {
        return data[at] & 0xff;
    }

    static int u16(byte[] data, int at) {
        return ((data[at] & 0xff) << 8) | (data[at + 1] & 0xff);
    }

    static int u32(byte[] data, int at) {
        return ((data[at] & 0xff) << 24) | ((data[at + 1] & 0xff) << 16) | ((data[at + 2] & 0xff) << 8) | (data[at + 3] & 0xff);
    }

    static void put8(byte[] data, int at, int value) {
        data[at] = (byte) value;
    }

    static void put16(byte[] data, int at, int value) {
        data[at] = (byte) (value >>> 8);
        data[at + 1] = (byte) value;
    }

    static void put32(byte[] data, int at, int value) {
        data[at] = (byte) (value >>> 24);
        data[at + 1] = (byte) (value >>> 16);
        data[at + 2] = (byte) (value >>> 8);
        data[at + 3] = (byte) value;
    }

    static String hex16(int value) {
        return String.format("0x%04x", value);
    }
}
