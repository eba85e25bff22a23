package io.vkernel.kernel.trace;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads a classic pcap file back (either byte order), so tests can check what {@link PcapWriter} wrote;
 * {@code magic} is the first four bytes read big-endian.
 */
public record PcapFile(int magic, int versionMajor, int versionMinor, int snaplen, int linkType, List<Record> records) {

    /** One captured packet: its timestamp, lengths and bytes. */
    public record Record(long tsSec, long tsUsec, int includedLength, int originalLength, byte[] data) {
        public long timeMs() {
            return tsSec * 1000 + tsUsec / 1000;
        }
    }

    public static PcapFile read(byte[] file) {
        ByteBuffer in = ByteBuffer.wrap(file).order(ByteOrder.BIG_ENDIAN);
        int magic = in.getInt(0);
        if (magic != PcapWriter.MAGIC) {
            in.order(ByteOrder.LITTLE_ENDIAN);
            if (in.getInt(0) != PcapWriter.MAGIC) {
                throw new IllegalArgumentException("not a classic pcap file: magic 0x" + Integer.toHexString(magic));
            }
        }
        in.position(4);
        int major = Short.toUnsignedInt(in.getShort());
        int minor = Short.toUnsignedInt(in.getShort());
        in.getInt(); // thiszone
        in.getInt(); // sigfigs
        int snaplen = in.getInt();
        int linkType = in.getInt();
        List<Record> records = new ArrayList<>();
        while (in.remaining() > 0) {
            long sec = Integer.toUnsignedLong(in.getInt());
            long usec = Integer.toUnsignedLong(in.getInt());
            int included = in.getInt();
            int original = in.getInt();
            byte[] data = Arrays.copyOfRange(file, in.position(), in.position() + included);
            in.position(in.position() + included);
            records.add(new Record(sec, usec, included, original, data));
        }
        return new PcapFile(magic, major, minor, snaplen, linkType, records);
    }
}
