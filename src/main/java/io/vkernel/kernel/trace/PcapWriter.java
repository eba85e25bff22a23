package io.vkernel.kernel.trace;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes a classic pcap capture file, the format of {@code tcpdump -w} (pcap-savefile(5), draft-ietf-opsawg-pcap):
 * a 24-byte file header, then for each packet a 16-byte record header and the packet's bytes. The link type is
 * LINKTYPE_RAW (101): every record is a bare IPv4 packet without an Ethernet header. Fields are big-endian, which
 * the magic number {@code 0xa1b2c3d4} tells a reader; timestamps are seconds and microseconds.
 *
 * <pre>
 * file header:   magic (4) | version major 2 (2) | minor 4 (2) | thiszone (4) | sigfigs (4) | snaplen (4) | linktype (4)
 * record header: ts_sec (4) | ts_usec (4) | incl_len (4) | orig_len (4), then incl_len bytes of packet
 * </pre>
 */
public final class PcapWriter {

    public static final int MAGIC = 0xa1b2c3d4;
    public static final int VERSION_MAJOR = 2;
    public static final int VERSION_MINOR = 4;
    public static final int SNAPLEN = 65535;
    public static final int LINKTYPE_RAW = 101;
    public static final int FILE_HEADER_LENGTH = 24;
    public static final int RECORD_HEADER_LENGTH = 16;

    private final OutputStream out;
    private final byte[] header = new byte[FILE_HEADER_LENGTH];

    /** Starts a capture on {@code out} by writing the file header. */
    public PcapWriter(OutputStream out) throws IOException {
        this.out = out;
        put32(header, 0, MAGIC);
        put16(header, 4, VERSION_MAJOR);
        put16(header, 6, VERSION_MINOR);
        put32(header, 8, 0);  // thiszone: timestamps are UTC
        put32(header, 12, 0); // sigfigs: always 0
        put32(header, 16, SNAPLEN);
        put32(header, 20, LINKTYPE_RAW);
        out.write(header);
    }

    /** Appends one packet seen at {@code timeMs} on the virtual clock; bytes past the snap length are cut. */
    public void packet(long timeMs, byte[] packet) throws IOException {
        long time = Math.max(0, timeMs);
        int included = Math.min(packet.length, SNAPLEN);
        byte[] record = new byte[RECORD_HEADER_LENGTH];
        put32(record, 0, (int) (time / 1000));
        put32(record, 4, (int) (time % 1000) * 1000);
        put32(record, 8, included);
        put32(record, 12, packet.length);
        out.write(record);
        out.write(packet, 0, included);
    }

    private static void put16(byte[] b, int at, int value) {
        b[at] = (byte) (value >>> 8);
        b[at + 1] = (byte) value;
    }

    private static void put32(byte[] b, int at, int value) {
        b[at] = (byte) (value >>> 24);
        b[at + 1] = (byte) (value >>> 16);
        b[at + 2] = (byte) (value >>> 8);
        b[at + 3] = (byte) value;
    }
}
