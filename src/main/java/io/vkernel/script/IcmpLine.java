package io.vkernel.script;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An inbound ICMP packet line as packetdrill writes it: {@code < icmp unreachable frag_needed mtu 800 [0:1000(1000)]}.
 * The type and code by name (packetdrill's icmp_packet.c tables) or as {@code type_N} / {@code code_N}; {@code mtu}
 * only for "unreachable frag_needed"; the bracket gives the quoted TCP segment's sequence number in the kernel's
 * script space (0, the ISN, when absent). The runner builds the message about the connection under test, from the
 * remote address, and injects it as raw bytes.
 */
record IcmpLine(int type, int code, int mtu, long seq, int length, String text) implements ScriptEvent.Action {

    /** icmpv4_types[] of packetdrill's icmp_packet.c. */
    static final Map<String, Integer> TYPES = new LinkedHashMap<>();
    /** icmpv4_unreachable_codes[]: the only type with named codes. */
    static final Map<String, Integer> UNREACHABLE_CODES = new LinkedHashMap<>();

    static {
        String[] types = {"echo_reply", "0", "unreachable", "3", "source_quench", "4", "redirect", "5", "echo_request", "8",
                "time_exceeded", "11", "parameter_problem", "12", "timestamp_request", "13", "timestamp_reply", "14",
                "information_request", "15", "information_reply", "16", "address_mask_request", "17", "address_mask_reply", "18"};
        for (int i = 0; i < types.length; i += 2) {
            TYPES.put(types[i], Integer.parseInt(types[i + 1]));
        }
        String[] codes = {"net_unreachable", "host_unreachable", "protocol_unreachable", "port_unreachable", "frag_needed",
                "source_route_failed", "net_unknown", "host_unknown", "source_host_isolated", "net_prohibited", "host_prohibited",
                "net_unreachable_for_tos", "host_unreachable_for_tos", "packet_filtered", "precedence_violation", "precedence_cutoff"};
        for (int i = 0; i < codes.length; i++) {
            UNREACHABLE_CODES.put(codes[i], i);
        }
    }

    /**
     * The ICMP code google/packetdrill's run_all.py passes with {@code -D CODE=host_unreachable} for its IPv4 runs (the
     * Fast Open server's icmp-* scripts write {@code < icmp unreachable CODE}), as {@link ScriptParser}'s cookie
     * defines stand for its {@code -D TFO_COOKIE=...}.
     */
    static final String CODE_DEFINE = "CODE";
    static final Map<String, String> HARNESS_DEFINES = Map.of(CODE_DEFINE, "host_unreachable");

    /** After {@code <}: {@code icmp TYPE [CODE] [mtu N] [id N] [[start:end(length)]]}. */
    static IcmpLine parse(ScriptParser.Cursor c) {
        return parse(c, null);
    }

    /**
     * After {@code <}, the 2013 suite's order: the quoted segment first, {@code [1:1461(1460)] icmp unreachable
     * frag_needed mtu 1200} (packetdrill then read the bracket as the inner packet's annotation).
     */
    static IcmpLine parseQuotedFirst(ScriptParser.Cursor c) {
        c.expect("[");
        long[] quoted = quoted(c);
        if (c.peekIs("[")) {
            throw c.error("the quoted segment is given once, before 'icmp' or after it");
        }
        return parse(c, quoted);
    }

    private static long[] quoted(ScriptParser.Cursor c) {
        if (c.peekIs("udp") || c.peekIs("raw")) {
            throw c.error("vkernel's ICMP messages quote a TCP segment; [udp (N)] and [raw (N)] are not modelled");
        }
        long seq = c.unsigned("the quoted segment's start sequence number (start:end(length))", 0xffffffffL);
        c.expect(":");
        long end = c.unsigned("the quoted segment's end sequence number", 0xffffffffL);
        c.expect("(");
        long length = c.unsigned("the quoted segment's payload length", 0xffff);
        c.expect(")");
        c.expect("]");
        if (end != seq + length) {
            throw c.error("inconsistent quoted sequence numbers: " + seq + ":" + end + "(" + length + ") needs end = start + length");
        }
        return new long[] {seq, length};
    }

    private static IcmpLine parse(ScriptParser.Cursor c, long[] quotedFirst) {
        c.expect("icmp");
        if (!c.peekKind(Lexer.Kind.WORD)) {
            throw c.error("an ICMP packet names its type: " + String.join(", ", TYPES.keySet()) + " or type_N");
        }
        String typeName = c.next().text();
        Integer type = TYPES.get(typeName);
        if (type == null) {
            type = numbered(typeName, "type_");
        }
        if (type == null) {
            throw c.error("unknown ICMP type '" + typeName + "': use " + String.join(", ", TYPES.keySet()) + " or type_N (0-255)");
        }
        int code = 0;
        String codeName = null;
        if (c.peekKind(Lexer.Kind.WORD) && !c.peekIs("mtu") && !c.peekIs("id")) {
            codeName = c.next().text();
            if (codeName.equals(CODE_DEFINE) && type == 3) {
                codeName = HARNESS_DEFINES.get(CODE_DEFINE);
            }
            Integer named = type == 3 ? UNREACHABLE_CODES.get(codeName) : null;
            Integer value = named != null ? named : numbered(codeName, "code_");
            if (value == null) {
                throw c.error("unknown ICMP code '" + codeName + "' for " + typeName + ": use " + (type == 3
                        ? String.join(", ", UNREACHABLE_CODES.keySet()) + " or " : "") + "code_N (0-255)");
            }
            code = value;
        }
        int mtu = -1;
        if (c.accept("mtu")) {
            mtu = (int) c.unsigned("the MTU after 'mtu'", 0xffff);
            if (type != 3 || code != 4) {
                throw c.error("an ICMP MTU is only valid for unreachable frag_needed (packetdrill: set_icmpv4_header())");
            }
        }
        if (c.accept("id")) {
            c.unsigned("the echo id after 'id'", 0xffff); // only echo messages carry it; nothing here reads it
        }
        long[] quoted = quotedFirst;
        if (c.peekIs("[")) {
            if (quotedFirst != null) {
                throw c.error("the quoted segment is given once, before 'icmp' or after it");
            }
            c.expect("[");
            quoted = quoted(c);
        }
        long seq = quoted == null ? 0 : quoted[0];
        int length = quoted == null ? 0 : (int) quoted[1];
        StringBuilder text = new StringBuilder("icmp ").append(typeName);
        if (codeName != null) {
            text.append(' ').append(codeName);
        }
        if (mtu >= 0) {
            text.append(" mtu ").append(mtu);
        }
        text.append(" [").append(seq).append(':').append(seq + length).append('(').append(length).append(")]");
        return new IcmpLine(type, code, Math.max(0, mtu), seq, length, text.toString());
    }

    private static Integer numbered(String word, String prefix) {
        if (!word.startsWith(prefix) || word.length() == prefix.length() || word.length() > prefix.length() + 3) {
            return null;
        }
        for (int i = prefix.length(); i < word.length(); i++) {
            if (!Character.isDigit(word.charAt(i))) {
                return null;
            }
        }
        int value = Integer.parseInt(word.substring(prefix.length()));
        return value <= 255 ? value : null;
    }
}
