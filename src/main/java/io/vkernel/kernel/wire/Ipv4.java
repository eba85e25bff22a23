package io.vkernel.kernel.wire;

/** IPv4 addresses as unsigned 32-bit values held in an {@code int}, with strict dotted-quad parsing. */
public final class Ipv4 {

    public static final int ANY = 0;
    public static final int LOOPBACK = parse("127.0.0.1");

    private Ipv4() {
    }

    /** Parses {@code a.b.c.d}, each part 0..255 in decimal; anything else is rejected with a reason. */
    public static int parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("an IPv4 address is required, written a.b.c.d");
        }
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("'" + text + "' is not an IPv4 address: write four numbers 0-255 separated by dots");
        }
        int value = 0;
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException("'" + text + "' is not an IPv4 address: each part must be a number 0-255");
            }
            int octet = Integer.parseInt(part);
            if (octet > 255) {
                throw new IllegalArgumentException("'" + text + "' is not an IPv4 address: " + octet + " is above 255 (each part is 0-255)");
            }
            value = (value << 8) | octet;
        }
        return value;
    }

    public static String format(int address) {
        return ((address >>> 24) & 0xff) + "." + ((address >>> 16) & 0xff) + "." + ((address >>> 8) & 0xff) + "." + (address & 0xff);
    }

    public static boolean isLoopback(int address) {
        return (address >>> 24) == 127;
    }

    /** Multicast (224/4), limited broadcast and "this network" (0/8) are never valid TCP peers (RFC 1122 §4.2.3.10). */
    public static boolean isValidPeer(int address) {
        int first = address >>> 24;
        return first != 0 && first < 224;
    }
}
