package io.vkernel.api;

import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.Ipv4;
import io.vkernel.kernel.wire.TcpFlags;

import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/** Parses the text forms a user types (addresses, flags, sequence numbers) into kernel values, naming the field on error. */
final class Inputs {

    static final long MAX_SEQ = 0xffffffffL;
    private static final Pattern HEX = Pattern.compile("[0-9A-Fa-f]+");

    private Inputs() {
    }

    static Endpoint endpoint(String field, String text) {
        try {
            return Endpoint.parse(text);
        } catch (IllegalArgumentException e) {
            throw ApiException.badField(field, field + ": " + e.getMessage());
        }
    }

    static int address(String field, String text) {
        try {
            return Ipv4.parse(text);
        } catch (IllegalArgumentException e) {
            throw ApiException.badField(field, field + ": " + e.getMessage());
        }
    }

    static FourTuple tuple(String field, String text) {
        try {
            return FourTuple.parse(text);
        } catch (IllegalArgumentException e) {
            throw ApiException.badField(field, field + ": " + e.getMessage());
        }
    }

    static int flags(String field, String text) {
        try {
            return TcpFlags.parse(text);
        } catch (IllegalArgumentException e) {
            throw ApiException.badField(field, field + ": " + e.getMessage());
        }
    }

    /** A 32-bit sequence or acknowledgment number written as an unsigned decimal. */
    static int seq(String field, Long value) {
        if (value == null) {
            return 0;
        }
        if (value < 0 || value > MAX_SEQ) {
            throw ApiException.badField(field, field + " " + value + " is out of range 0-4294967295 (32-bit sequence space)");
        }
        return (int) value.longValue();
    }

    static int range(String field, Integer value, int fallback, int min, int max) {
        int v = value == null ? fallback : value;
        if (v < min || v > max) {
            throw ApiException.badField(field, field + " " + v + " is out of range " + min + "-" + max);
        }
        return v;
    }

    static <T> T required(String field, T value, String what) {
        if (value == null) {
            throw ApiException.badField(field, field + " is required: " + what);
        }
        return value;
    }

    /**
     * The bytes of a raw packet, written as hex ({@code 45 00 00 3c ...} or {@code 45:00:00:3c:...}, as tcpdump -x and
     * Wireshark print them) or base64. Text made only of hex digits, or with spaces or colons in it (which base64
     * never has), is hex; anything else must be base64 (line breaks allowed).
     */
    static byte[] packetBytes(String field, String text) {
        String hex = text.replaceAll("[\\s:]", "");
        if (hex.isEmpty()) {
            throw ApiException.badField(field, field + " is empty: give a whole IPv4 packet as hex (\"45 00 00 3c ...\") or base64");
        }
        boolean separated = text.indexOf(' ') >= 0 || text.indexOf(':') >= 0;
        if (separated || HEX.matcher(hex).matches()) {
            int bad = firstNonHex(hex);
            if (bad >= 0) {
                throw ApiException.badField(field, field + " has spaces or colons, so it is read as hex, but '" + hex.charAt(bad)
                        + "' is not a hex digit (0-9, a-f)");
            }
            if (hex.length() % 2 != 0) {
                throw ApiException.badField(field, field + " has " + hex.length() + " hex digits, an odd number: each byte takes two");
            }
            return HexFormat.of().parseHex(hex);
        }
        try {
            return Base64.getDecoder().decode(text.replaceAll("\\s", ""));
        } catch (IllegalArgumentException e) {
            throw ApiException.badField(field, field + " is neither hex (pairs of digits 0-9 a-f, spaces or colons between them) "
                    + "nor base64 (" + e.getMessage() + ")");
        }
    }

    private static int firstNonHex(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (Character.digit(text.charAt(i), 16) < 0) {
                return i;
            }
        }
        return -1;
    }

    /** A required text field that must be one of {@code allowed}; the error lists them. */
    static String oneOf(String field, String value, List<String> allowed) {
        String text = required(field, value, "one of " + String.join(", ", allowed));
        if (!allowed.contains(text)) {
            throw ApiException.badField(field, field + " must be one of " + String.join(", ", allowed) + ", got '" + text + "'");
        }
        return text;
    }
}
