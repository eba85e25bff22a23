package io.vkernel.kernel.wire;

import java.util.Locale;

/**
 * TCP control bits (RFC 9293 §3.1) as a bit set, read and written as tcpdump prints them
 * ({@code S}, {@code S.}, {@code P.}, {@code F.}, {@code R}, {@code R.}, {@code .}) or as names ({@code SYN,ACK}).
 */
public final class TcpFlags {

    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK = 0x10;
    public static final int URG = 0x20;
    /** ECN-Echo and Congestion Window Reduced (RFC 3168 §6.1), tcpdump's E and W. */
    public static final int ECE = 0x40;
    public static final int CWR = 0x80;
    /**
     * Accurate ECN's AE flag (RFC 9768 §3.2.2, once the NS bit of RFC 3540): header bit 7 of byte 12, the lowest
     * reserved bit, kept here above the eight classic bits. AE, CWR and ECE together form the 3-bit ACE field.
     */
    public static final int AE = 0x100;

    public static final String ALLOWED = "tcpdump letters S F R P U E W A (AE) and '.' for ACK (e.g. \"S\", \"S.\", \"P.\", \"F.\", \"R\", \"SEW\"), "
            + "or names SYN, ACK, FIN, RST, PSH, URG, ECE, CWR, AE joined by ',' '|' '+' or spaces";

    private static final int[] ORDER = {FIN, SYN, RST, PSH, ACK, URG, ECE, CWR, AE};
    private static final char[] LETTERS = {'F', 'S', 'R', 'P', '.', 'U', 'E', 'W', 'A'};
    private static final String[] NAMES = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "AE"};

    private TcpFlags() {
    }

    public static int parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("flags are required: " + ALLOWED);
        }
        String trimmed = text.strip();
        if (trimmed.startsWith("[") && trimmed.endsWith("]")) {
            trimmed = trimmed.substring(1, trimmed.length() - 1);
        }
        trimmed = trimmed.toUpperCase(Locale.ROOT);
        if (trimmed.chars().anyMatch(c -> ",|+ ".indexOf(c) >= 0) || nameBit(trimmed) != 0) {
            return parseNames(trimmed);
        }
        int flags = 0;
        for (char c : trimmed.toCharArray()) {
            int bit = letterBit(c);
            if (bit == 0) {
                throw new IllegalArgumentException("unknown flag '" + c + "' in \"" + text + "\": use " + ALLOWED);
            }
            flags |= bit;
        }
        return flags;
    }

    private static int parseNames(String text) {
        int flags = 0;
        for (String name : text.toUpperCase(Locale.ROOT).split("[,|+ ]+")) {
            if (name.isEmpty()) {
                continue;
            }
            int bit = nameBit(name);
            if (bit == 0) {
                throw new IllegalArgumentException("unknown flag '" + name + "': use " + ALLOWED);
            }
            flags |= bit;
        }
        if (flags == 0) {
            throw new IllegalArgumentException("no flag given: use " + ALLOWED);
        }
        return flags;
    }

    private static int letterBit(char c) {
        for (int i = 0; i < LETTERS.length; i++) {
            if (LETTERS[i] == c) {
                return ORDER[i];
            }
        }
        return 0;
    }

    private static int nameBit(String name) {
        for (int i = 0; i < NAMES.length; i++) {
            if (NAMES[i].equals(name)) {
                return ORDER[i];
            }
        }
        return 0;
    }

    /** tcpdump's spelling: bits in header order, ACK as a dot ({@code S.}, {@code FP.}). */
    public static String format(int flags) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < ORDER.length; i++) {
            if ((flags & ORDER[i]) != 0) {
                out.append(LETTERS[i]);
            }
        }
        return out.length() == 0 ? "none" : out.toString();
    }

    public static String names(int flags) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < ORDER.length; i++) {
            if ((flags & ORDER[i]) != 0) {
                out.append(out.length() == 0 ? "" : ",").append(NAMES[i]);
            }
        }
        return out.toString();
    }
}
