package io.vkernel.script;

import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.tcp.TcpInfo;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOption;
import io.vkernel.kernel.wire.TcpOptions;
import io.vkernel.script.Lexer.Kind;
import io.vkernel.script.Lexer.Token;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a script in packetdrill's format, one event per line: a time, then a packet ({@code < S 0:0(0) win 32792})
 * or a system call ({@code accept(3, ..., ...) = 4}). Options lines ({@code --tolerance_usecs=10000}) may come
 * first; {@code // vkernel-sysctl name=value} comments set tunables. Anything it cannot run exactly as packetdrill
 * would is refused with the line and the reason, before the kernel is touched.
 */
public final class ScriptParser {

    private static final Map<String, String> OPTIONS = new LinkedHashMap<>();

    static {
        OPTIONS.put("tolerance_usecs", "timing tolerance in microseconds (default 4000)");
        OPTIONS.put("tolerance_percent", "timing tolerance as a percentage of the time since the previous event");
        OPTIONS.put("tcp_ts_tick_usecs", "check outbound TS val, one tick being this many microseconds (vkernel ticks 1000)");
        OPTIONS.put("tcp_ts_ecr_scaled", "TS ecr values are scaled from the script's TS val (vkernel always does this)");
        OPTIONS.put("ip_version", "ipv4 only");
        OPTIONS.put("local_ip", "the kernel's IPv4 address (default " + Harness.LOCAL_IP + ")");
        OPTIONS.put("remote_ip", "the script side's IPv4 address (default " + Harness.REMOTE_IP + ")");
        OPTIONS.put("gateway_ip", "accepted: packetdrill's tun route, which vkernel does not need");
        OPTIONS.put("netmask_ip", "accepted: packetdrill's tun netmask, which vkernel does not need");
        OPTIONS.put("mtu", "1500 only (the tun device's default)");
        OPTIONS.put("mss", "the gso_size packetdrill's tun gives inbound packets: one with more payload arrives as a GRO "
                + "packet of segments this size (the setting vkernel.rx_gso_size)");
        OPTIONS.put("strict_segments", "outbound packets must match segment by segment (vkernel always does)");
    }

    private ScriptParser() {
    }

    public static Script parse(String text, ScriptLimits limits) {
        return parse(text, limits, List.of());
    }

    /**
     * Parses a script; {@code requestSysctls} ("name=value", as a {@code // vkernel-sysctl} directive takes them)
     * are set before the script's own setup, for scripts written for other defaults.
     */
    public static Script parse(String text, ScriptLimits limits, List<String> requestSysctls) {
        ScriptSource source = ScriptSource.of(text, limits);
        long tolerance = Script.DEFAULT_TOLERANCE_US;
        int percent = 0;
        long tsTick = 0;
        ScriptAddresses addresses = ScriptAddresses.DEFAULT;
        List<ScriptEvent> events = new ArrayList<>();
        List<SetupCommands.Setup> setup = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        Set<String> assigned = new HashSet<>();
        Set<String> fields = new HashSet<>(TcpInfo.FIELDS);
        fields.addAll(io.vkernel.kernel.tcp.SkMeminfo.FIELDS);
        setup.add(directives(requestSysctls, source.directives(), notes));
        for (int i = 0; i < source.lines().size(); i++) {
            int line = i + 1;
            String code = source.lines().get(i).strip();
            if (code.isEmpty()) {
                continue;
            }
            // a call may span lines, as packetdrill's grammar allows: poll([{fd=4,\n events=POLLOUT, ...}], 1, 0)
            while (openBrackets(code) > 0 && i + 1 < source.lines().size() && code.indexOf(ScriptSource.MARK) < 0
                    && source.lines().get(i + 1).indexOf(ScriptSource.MARK) < 0) {
                i++;
                code = code + " " + source.lines().get(i).strip();
            }
            if (code.startsWith("--")) {
                if (!events.isEmpty()) {
                    throw new ScriptException(line, "options (--name=value) must come before the first event");
                }
                for (String word : code.split("\\s+")) {
                    String name = word.substring(2, word.contains("=") ? word.indexOf('=') : word.length());
                    switch (name) {
                        case "tolerance_usecs" -> tolerance = option(word, line);
                        case "tolerance_percent" -> percent = (int) Math.min(option(word, line), 1000);
                        case "tcp_ts_tick_usecs" -> tsTick = option(word, line);
                        case "local_ip", "remote_ip", "gateway_ip", "netmask_ip" -> {
                            if (!word.contains("=")) {
                                throw new ScriptException(line, word + " needs an address, e.g. " + word + "=192.168.0.2");
                            }
                            addresses = addresses.with(name, word.substring(word.indexOf('=') + 1), line);
                        }
                        case "mss" -> {
                            // packetdrill's tun writes every inbound TCP packet with this gso_size (linux_tun_write())
                            notes.addAll(fixedOption(word, line));
                            setup.add(new SetupCommands.Setup(Map.of(Sysctls.RX_GSO_SIZE, option(word, line)), Set.of(),
                                    false, List.of(), false));
                        }
                        default -> notes.addAll(fixedOption(word, line));
                    }
                }
                continue;
            }
            int mark = code.indexOf(ScriptSource.MARK);
            if (mark >= 0) {
                int close = code.indexOf(ScriptSource.MARK, mark + 1);
                if (close < 0 || !code.substring(mark + 1, close).matches("[0-9]{1,9}")
                        || Integer.parseInt(code.substring(mark + 1, close)) >= source.blocks().size()) {
                    // the marker is a control character a script's own text may carry too
                    throw new ScriptException(line, "unexpected control character in the script text");
                }
                ScriptSource.Block block = source.blocks().get(Integer.parseInt(code.substring(mark + 1, close)));
                String before = code.substring(0, mark).strip();
                if (!code.substring(close + 1).isBlank()) {
                    throw new ScriptException(line, "nothing may follow a " + (block.shell() ? "backquoted command" : "%{ }% block")
                            + " on its line");
                }
                Nstat nstat = block.shell() ? Nstat.parse(block.text(), block.line()) : null;
                ProcGrep grep = block.shell() && nstat == null ? ProcGrep.parse(block.text(), block.line()) : null;
                ScriptEvent.Action action = nstat != null ? nstat : grep != null ? grep
                        : block.shell() ? SetupCommands.parse(block.text(), block.line())
                        : CodeBlock.parse(block.text(), block.line(), fields, assigned);
                if (grep != null && before.isEmpty()) {
                    throw new ScriptException(line, "a grep of /proc/net/tcp needs its time, e.g. '+0 `grep \" 0A \" /proc/net/tcp`'");
                }
                if (nstat != null && before.isEmpty()) {
                    throw new ScriptException(line, "an nstat line needs its time, e.g. '+0 `nstat > /dev/null`'");
                }
                if (!before.isEmpty()) {
                    Cursor c = new Cursor(Lexer.lex(before, line), line);
                    EventTime time = time(c);
                    c.expectEnd();
                    events.add(new ScriptEvent(line, before + (block.shell() ? " `" + block.text().strip() + "`"
                            : " %{ " + block.text().strip() + " }%"), time, action));
                } else if (action instanceof SetupCommands.Setup commands && events.isEmpty()) {
                    setup.add(commands); // packetdrill's init command: before time 0
                } else if (action instanceof SetupCommands.Setup commands) {
                    // packetdrill's cleanup command runs after the script; the kernel is discarded then
                    notes.add("line " + line + ": the cleanup command after the last event is understood and not needed: "
                            + "each run's kernel is discarded");
                    notes.addAll(commands.notes());
                } else {
                    throw new ScriptException(line, "a %{ }% block needs its time, e.g. '+0 %{ assert tcpi_snd_cwnd == 10 }%'");
                }
                continue;
            }
            events.add(event(line, code));
        }
        if (events.isEmpty()) {
            throw new ScriptException(1, "the script has no events: start with e.g. '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3'");
        }
        int firstEvent = events.get(0).line();
        for (ScriptSource.Directive directive : source.directives()) {
            if (directive.line() > firstEvent) {
                throw new ScriptException(directive.line(), "// vkernel-" + directive.name() + " must come before the first "
                        + "event (line " + firstEvent + "): tunables are set before time 0");
            }
        }
        Map<String, Long> sysctls = new LinkedHashMap<>();
        setup.forEach(s -> {
            sysctls.putAll(s.sysctls());
            notes.addAll(s.notes());
        });
        checkTimeline(events, limits);
        return new Script(events, tolerance, percent, tsTick, sysctls, setup, notes, addresses);
    }

    /** How many (, [ and { are still open at the end of {@code code}, outside "strings". */
    private static int openBrackets(String code) {
        int depth = 0;
        boolean quoted = false;
        for (int k = 0; k < code.length(); k++) {
            char ch = code.charAt(k);
            if (ch == '"' && (k == 0 || code.charAt(k - 1) != '\\')) {
                quoted = !quoted;
            } else if (!quoted && (ch == '(' || ch == '[' || ch == '{')) {
                depth++;
            } else if (!quoted && (ch == ')' || ch == ']' || ch == '}')) {
                depth--;
            }
        }
        return depth;
    }

    // ---------------------------------------------------------------- options and directives

    private static long option(String code, int line) {
        int eq = code.indexOf('=');
        String name = eq < 0 ? code.substring(2) : code.substring(2, eq);
        try {
            long value = Long.parseLong(code.substring(eq + 1).strip());
            if (value < 0 || value > 60_000_000L) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            throw new ScriptException(line, "--" + name + " needs a whole number between 0 and 60000000: " + OPTIONS.get(name));
        }
    }

    /** packetdrill's other command-line options: accepted where they agree with vkernel's fixed harness. */
    private static List<String> fixedOption(String word, int line) {
        int eq = word.indexOf('=');
        String name = eq < 0 ? word.substring(2) : word.substring(2, eq);
        String value = eq < 0 ? "" : word.substring(eq + 1).replace("\"", "");
        boolean ok = switch (name) {
            case "tcp_ts_ecr_scaled", "strict_segments" -> eq < 0;
            case "ip_version" -> value.equals("ipv4");
            case "mtu" -> value.equals("1500");
            case "mss" -> value.matches("[1-9][0-9]{0,4}") && Integer.parseInt(value) <= 65535;
            default -> false;
        };
        if (!ok) {
            throw new ScriptException(line, "option " + word + " is not supported; vkernel's runner takes "
                    + String.join("; ", OPTIONS.entrySet().stream().map(o -> "--" + o.getKey() + " (" + o.getValue() + ")").toList()));
        }
        return name.equals("mss") ? List.of("line " + line + ": " + word + ": " + OPTIONS.get("mss")) : List.of();
    }

    private static SetupCommands.Setup directives(List<String> requestSysctls, List<ScriptSource.Directive> directives,
                                                  List<String> notes) {
        Map<String, Long> sysctls = new LinkedHashMap<>();
        for (String assignment : requestSysctls) {
            String[] parts = assignment.split("=", 2);
            if (parts.length != 2) {
                throw new ScriptException(0, "sysctl parameter '" + assignment + "': write name=value, e.g. "
                        + "net.ipv4.tcp_rmem=4096 87380 3145728");
            }
            SetupCommands.set(parts[0].strip(), parts[1], 0, sysctls, notes);
        }
        for (ScriptSource.Directive directive : directives) {
            if (!directive.name().equals("sysctl")) {
                throw new ScriptException(directive.line(), "unknown directive '// vkernel-" + directive.name()
                        + "': the runner knows '// vkernel-sysctl name=value'");
            }
            String[] parts = directive.argument().split("=", 2);
            if (parts.length != 2) {
                throw new ScriptException(directive.line(), "write the directive as '// vkernel-sysctl name=value', e.g. "
                        + "'// vkernel-sysctl net.ipv4.tcp_abort_on_overflow=1' or "
                        + "'// vkernel-sysctl net.ipv4.tcp_rmem=4096 87380 3145728'");
            }
            SetupCommands.set(parts[0].strip(), parts[1], directive.line(), sysctls, notes);
        }
        return new SetupCommands.Setup(sysctls, Set.of(), false, List.of(), false);
    }

    /** First event at 0, absolute times never going back, nothing past the virtual time limit. */
    private static void checkTimeline(List<ScriptEvent> events, ScriptLimits limits) {
        ScriptEvent first = events.get(0);
        if (!first.time().isRelative() && !first.time().isAny() && first.time().startUs() != 0) {
            throw new ScriptException(first.line(), "the first event must be at time 0 (write 0 or +0)");
        }
        long t = 0;
        Long lastAbsolute = null;
        for (ScriptEvent event : events) {
            EventTime time = event.time();
            long start = switch (time.type()) {
                case ABSOLUTE, ABSOLUTE_RANGE -> time.startUs();
                case RELATIVE, RELATIVE_RANGE -> t + time.startUs();
                case ANY -> t;
            };
            long end = time.type() == EventTime.Type.ABSOLUTE_RANGE ? time.endUs()
                    : time.type() == EventTime.Type.RELATIVE_RANGE ? t + time.endUs() : start;
            if (event.action() instanceof SyscallLine call && call.endUs() != null) {
                end = Math.max(end, time.isRelative() ? t + call.endUs() : call.endUs());
            }
            if (!time.isRelative() && !time.isAny()) {
                if (lastAbsolute != null && time.startUs() < lastAbsolute) {
                    throw new ScriptException(event.line(), "time goes backward in the script, from "
                            + Notation.seconds(lastAbsolute) + " to " + Notation.seconds(time.startUs()) + " s");
                }
                lastAbsolute = time.startUs();
            }
            if (end > limits.maxVirtualMicros()) {
                throw new ScriptException(event.line(), "this event is at " + Notation.seconds(end) + " s of virtual time, "
                        + "beyond the limit of " + limits.maxVirtualSeconds() + " s (vkernel.scripts.max-virtual-seconds)");
            }
            t = start;
        }
    }

    // ---------------------------------------------------------------- events

    private static ScriptEvent event(int line, String code) {
        Cursor c = new Cursor(Lexer.lex(code, line), line);
        EventTime time = time(c);
        ScriptEvent.Action action;
        if ((c.peekIs("<") || c.peekIs(">")) && c.peekIs(1, "icmp")) {
            if (c.next().is(">")) {
                throw c.error("vkernel never sends ICMP, so an outbound ICMP packet cannot be expected");
            }
            action = IcmpLine.parse(c);
        } else if (c.peekIs("<") && c.peekIs(1, "[") && icmpAfterBracket(c)) {
            c.next();
            action = IcmpLine.parseQuotedFirst(c);
        } else if (c.peekIs("<") || c.peekIs(">")) {
            action = packet(c);
        } else if (c.peekIs("...") || c.peekKind(Kind.WORD)) {
            action = syscall(c);
        } else {
            throw c.error("after the time comes a packet ('<' inbound, '>' outbound) or a system call, not '" + c.peekText() + "'");
        }
        c.expectEnd();
        return new ScriptEvent(line, code, time, action);
    }

    /** {@code < [1:1461(1460)] icmp ...}: the 2013 suite's ICMP line, the quoted segment before the word icmp. */
    private static boolean icmpAfterBracket(Cursor c) {
        for (int ahead = 2; ahead < 12; ahead++) {
            if (c.peekIs(ahead, "]")) {
                return c.peekIs(ahead + 1, "icmp");
            }
        }
        return false;
    }

    private static EventTime time(Cursor c) {
        if (!c.peekIs("*") && !c.peekIs("+") && !c.peekKind(Kind.NUMBER)) {
            throw c.error("each event starts with its time: 0.100 (absolute), +0.1 (after the previous event), * (any time) "
                    + "or a range such as +0.1~+0.2");
        }
        if (c.accept("*")) {
            return new EventTime(EventTime.Type.ANY, 0, 0);
        }
        boolean relative = c.accept("+");
        long start = c.seconds("a time in seconds");
        if (!c.accept("~")) {
            return new EventTime(relative ? EventTime.Type.RELATIVE : EventTime.Type.ABSOLUTE, start, start);
        }
        if (relative != c.accept("+")) {
            throw c.error(relative ? "a relative range is written +0.1~+0.2" : "an absolute range is written 0.1~0.2");
        }
        long end = c.seconds("the end of the time range");
        if (end < start) {
            throw c.error("the time range ends (" + Notation.seconds(end) + ") before it starts (" + Notation.seconds(start) + ")");
        }
        return new EventTime(relative ? EventTime.Type.RELATIVE_RANGE : EventTime.Type.ABSOLUTE_RANGE, start, end);
    }

    // ---------------------------------------------------------------- packets

    private static PacketLine packet(Cursor c) {
        boolean inbound = c.next().is("<");
        PacketLine.Ecn ecn = null;
        if (c.peekIs("[") && !c.peekIs(2, "]")) {
            throw c.error("only an IP ECN annotation ([noecn], [ect0], [ect1], [ect01], [ce]) may come before the flags; "
                    + "ICMP packets and other IP-level annotations are not supported");
        }
        if (c.accept("[")) {
            String name = c.peekKind(Kind.WORD) ? c.next().text() : "";
            ecn = java.util.Arrays.stream(PacketLine.Ecn.values()).filter(e -> e.name().equalsIgnoreCase(name)).findFirst()
                    .orElseThrow(() -> c.error("the IP ECN annotation is [noecn], [ect0], [ect1], [ect01] or [ce], got '[" + name + "'"));
            c.expect("]");
            if (inbound && ecn == PacketLine.Ecn.ECT01) {
                throw c.error("[ect01] only matches outbound packets; an inbound one carries [ect0] or [ect1]");
            }
        }
        if (c.peekIs("(")) {
            throw c.error("IP-level annotations such as (tos 0x..) are not supported: vkernel reads only the ECN field "
                    + "([noecn], [ect0], [ect1], [ect01], [ce])");
        }
        PacketLine.Ports ports = null;
        if (c.peekKind(Kind.NUMBER) && c.peekIs(1, ">")) {
            int src = (int) c.unsigned("the source port", 0xffff);
            c.expect(">");
            int dst = (int) c.unsigned("the destination port", 0xffff);
            ports = new PacketLine.Ports(src, dst);
        }
        int flags = flags(c);
        long seq = c.unsigned("the start sequence number (start:end(length))", 0xffffffffL);
        c.expect(":");
        long end = c.unsigned("the end sequence number (start:end(length))", 0xffffffffL);
        c.expect("(");
        int length = (int) c.unsigned("the payload length (start:end(length))", Segment.MAX_PAYLOAD);
        c.expect(")");
        if (end != seq + length) {
            throw c.error("inconsistent sequence numbers and payload length: " + seq + ":" + end + "(" + length
                    + ") needs end = start + length = " + (seq + length));
        }
        Long ack = null;
        Integer window = null;
        int urgent = 0;
        List<TcpOption> options = List.of();
        while (!c.atEnd()) {
            if (c.accept("ack")) {
                ack = c.unsigned("the acknowledgment number after 'ack'", 0xffffffffL);
            } else if (c.accept("win")) {
                window = (int) c.unsigned("the window after 'win'", 0xffff);
            } else if (c.peekIs("urg") && !inbound) {
                throw c.error("urg N on an outbound packet is not supported: vkernel never sends urgent data (send(MSG_OOB) is not modelled)");
            } else if (c.accept("urg")) {
                urgent = (int) c.unsigned("the urgent pointer after 'urg'", 0xffff); // tcp_check_urg() reads it when the U flag is set
            } else if (c.accept("<")) {
                options = options(c);
            } else {
                throw c.error("unexpected '" + c.peekText() + "' in the packet: after start:end(length) come ack N, win N and <options>");
            }
        }
        if ((flags & TcpFlags.ACK) != 0 && ack == null) {
            ack = 0L;
        }
        if (inbound && window == null) {
            throw c.error("an inbound packet needs its window, e.g. 'win 32792' (packetdrill requires it too)");
        }
        if (inbound && options == null) {
            throw c.error("<...> (any options) only makes sense for outbound packets; list the options to send, or none");
        }
        return new PacketLine(inbound, ports, flags, seq, length, ack, window, options, ecn, urgent);
    }

    private static int flags(Cursor c) {
        // packetdrill's AccECN notation: a digit 0-7 after the letters or after the ACK dot is the ACE field
        // (AE, CWR, ECE as bits 2, 1, 0, RFC 9768 §3.2): ".5", "P.5", "P5.", "F5."; the lexer reads ".5" as a number
        if (c.peekKind(Kind.NUMBER) && c.peekText().matches("\\.[0-7]")) {
            return TcpFlags.ACK | ace(c.next().text().charAt(1) - '0');
        }
        if (c.accept(".")) {
            return TcpFlags.ACK;
        }
        if (c.accept("-")) {
            return 0;
        }
        if (!c.peekKind(Kind.WORD)) {
            throw c.error("expected TCP flags (S, S., ., P., F., R, R. ...), got '" + c.peekText() + "'");
        }
        String letters = c.next().text();
        int flags = 0;
        for (int i = 0; i < letters.length(); i++) {
            char letter = letters.charAt(i);
            if (letter >= '0' && letter <= '7' && i == letters.length() - 1) {
                flags |= ace(letter - '0');
                continue;
            }
            flags |= switch (letter) {
                case 'F' -> TcpFlags.FIN;
                case 'S' -> TcpFlags.SYN;
                case 'R' -> TcpFlags.RST;
                case 'P' -> TcpFlags.PSH;
                case 'U' -> TcpFlags.URG;
                case 'E' -> TcpFlags.ECE;
                case 'W' -> TcpFlags.CWR;
                case 'A' -> TcpFlags.AE;
                default -> throw c.error("'" + letter + "' is not a TCP flag: use F, S, R, P, U, E (ECE), W (CWR), A (AE) "
                        + "and '.' for ACK, optionally an ACE value 0-7 last (e.g. S., P., F., SEW, SEWA, P.5, F5.)");
            };
        }
        if (c.peekKind(Kind.NUMBER) && c.peekText().matches("\\.[0-7]") && c.peek().column() == c.previousEnd()) {
            return flags | TcpFlags.ACK | ace(c.next().text().charAt(1) - '0');
        }
        if (c.accept(".")) {
            flags |= TcpFlags.ACK;
        }
        return flags;
    }

    /** The ACE field's value as flags: AE is its high bit, CWR the middle one, ECE the low one (RFC 9768 §3.2). */
    private static int ace(int value) {
        return ((value & 4) != 0 ? TcpFlags.AE : 0) | ((value & 2) != 0 ? TcpFlags.CWR : 0) | ((value & 1) != 0 ? TcpFlags.ECE : 0);
    }

    /** After '<': {@code ...} for any options (returns null), or a comma-separated list closed by '>'. */
    private static List<TcpOption> options(Cursor c) {
        if (c.accept("...")) {
            c.expect(">");
            return null;
        }
        List<TcpOption> options = new ArrayList<>();
        do {
            options.add(option(c));
        } while (c.accept(","));
        c.expect(">");
        int size = options.stream().mapToInt(TcpOption::size).sum();
        if (size > 40) {
            throw c.error("the options take " + size + " bytes; a TCP header holds at most 40");
        }
        if (size % 4 != 0) {
            throw c.error("the options take " + size + " bytes, not a multiple of 4: pad them with nop (packetdrill requires it)");
        }
        return options;
    }

    private static TcpOption option(Cursor c) {
        if (!c.peekKind(Kind.WORD)) {
            throw c.error("expected a TCP option (mss N, sackOK, TS val N ecr N, nop, wscale N, eol, sack L:R), got '" + c.peekText() + "'");
        }
        String name = c.next().text();
        return switch (name) {
            case "nop" -> new TcpOption.Nop();
            case "eol" -> new TcpOption.End();
            case "sackOK" -> new TcpOption.SackPermitted();
            case "mss" -> new TcpOption.Mss((int) c.unsigned("the MSS after 'mss'", 0xffff));
            case "wscale" -> new TcpOption.WindowScale((int) c.unsigned("the shift after 'wscale'", 0xff));
            case "TS" -> {
                c.expect("val");
                long value = c.unsigned("TS val", 0xffffffffL);
                c.expect("ecr");
                yield new TcpOption.Timestamps(value, c.unsigned("TS ecr", 0xffffffffL));
            }
            case "sack" -> sack(c);
            case "FO", "FOEXP" -> fastOpen(c, name.equals("FOEXP"));
            case "ECN" -> accEcn(c);
            case "md5" -> md5(c);
            default -> throw c.error("unknown TCP option '" + name + "': use mss N, sackOK, TS val N ecr N, nop, wscale N, eol, sack L:R");
        };
    }

    /**
     * The cookies google/packetdrill's run_all.py and the kernel selftests' ksft_runner.sh pass with -D for IPv4
     * (--local_ip=192.168.0.1 --remote_ip=192.0.2.1): TFO_COOKIE is the server's cookie for the client under the
     * defaults.sh key a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4, TFO_COOKIE_ZERO the one under the all-zero key.
     */
    static final Map<String, String> COOKIE_DEFINES = Map.of("TFO_COOKIE", "3021b9d889017eeb", "TFO_COOKIE_ZERO", "b7c12350a90dc8f5");

    /** The lexer splits "3021b9d889017eeb" into 3021 and b9d889017eeb: the words and numbers that touch, joined. */
    private static String touchingWords(Cursor c) {
        StringBuilder joined = new StringBuilder();
        Lexer.Token last = null;
        while ((c.peekKind(Kind.NUMBER) || c.peekKind(Kind.WORD))
                && (last == null || c.peek().column() == last.column() + last.text().length())) {
            last = c.next();
            joined.append(last.text());
        }
        return joined.toString();
    }

    /**
     * packetdrill's Fast Open option: {@code FO} (kind 34) or {@code FOEXP} (kind 254, magic 0xF989), then an even
     * number of hex digits (none: a cookie request) or one of the {@link #COOKIE_DEFINES}.
     */
    private static TcpOption fastOpen(Cursor c, boolean exp) {
        String hex = touchingWords(c);
        String digits = COOKIE_DEFINES.getOrDefault(hex.toString(), hex.toString());
        if (!digits.matches("([0-9a-fA-F]{2})*")) {
            throw c.error("a Fast Open cookie is an even number of hex digits (or TFO_COOKIE), got '" + hex + "'");
        }
        byte[] cookie = java.util.HexFormat.of().parseHex(digits);
        // Linux takes 4 to 16 bytes and ignores other lengths, which scripts send on purpose: any that fits the
        // 40 bytes of options is written
        if (cookie.length > TcpOptions.MAX_LENGTH - (exp ? 4 : 2)) {
            throw c.error("a Fast Open cookie must fit the 40 bytes of TCP options, got " + cookie.length + " bytes");
        }
        return new io.vkernel.kernel.tcp.FastOpen.Cookie(cookie, exp).option();
    }

    /**
     * packetdrill's AccECN option: {@code ECN e1b N ceb N e0b N} (kind 174, AccECN1, fields in the order ECT(1), CE,
     * ECT(0)) or {@code ECN e0b N ceb N e1b N} (kind 172, AccECN0), with 0 to 3 of the 24-bit byte counters
     * (RFC 9768 §3.2.3); the first name gives the order.
     */
    private static TcpOption accEcn(Cursor c) {
        List<String> names = new ArrayList<>();
        List<Long> values = new ArrayList<>();
        while (c.peekKind(Kind.WORD) && List.of("e0b", "e1b", "ceb").contains(c.peekText())) {
            if (names.size() == 3) {
                throw c.error("the AccECN option holds at most 3 fields");
            }
            names.add(c.next().text());
            values.add(c.unsigned("the AccECN byte counter after '" + names.get(names.size() - 1) + "'", 0xffffffL));
        }
        List<String> order0 = List.of("e0b", "ceb", "e1b");
        List<String> order1 = List.of("e1b", "ceb", "e0b");
        boolean first1 = !names.isEmpty() && names.get(0).equals("e1b");
        List<String> order = first1 ? order1 : order0;
        if (!names.equals(order.subList(0, names.size()))) {
            throw c.error("the AccECN option's fields go e0b ceb e1b (kind 172) or e1b ceb e0b (kind 174), got "
                    + String.join(" ", names));
        }
        byte[] value = new byte[3 * names.size()];
        for (int i = 0; i < values.size(); i++) {
            long v = values.get(i);
            value[3 * i] = (byte) (v >>> 16);
            value[3 * i + 1] = (byte) (v >>> 8);
            value[3 * i + 2] = (byte) v;
        }
        return new TcpOption.Unknown(first1 ? io.vkernel.kernel.tcp.AccEcn.KIND_ACCECN1 : io.vkernel.kernel.tcp.AccEcn.KIND_ACCECN0, value);
    }

    /**
     * packetdrill's TCP MD5 signature option (RFC 2385): {@code md5} and the 16-byte digest as 32 hex digits, kind 19
     * length 18 on the wire.
     */
    private static TcpOption md5(Cursor c) {
        String hex = touchingWords(c);
        if (!hex.toString().matches("[0-9a-fA-F]{32}")) {
            throw c.error("an md5 option is 32 hex digits (the 16-byte digest), e.g. md5 000102030405060708090a0b0c0d0e0f, got '" + hex + "'");
        }
        return new TcpOption.Unknown(19, java.util.HexFormat.of().parseHex(hex.toString()));
    }

    private static TcpOption sack(Cursor c) {
        ByteBuffer blocks = ByteBuffer.allocate(32);
        int count = 0;
        while (c.peekKind(Kind.NUMBER)) {
            if (count == 4) {
                throw c.error("a SACK option holds at most 4 blocks");
            }
            blocks.putInt((int) c.unsigned("a SACK block's left edge", 0xffffffffL));
            c.expect(":");
            blocks.putInt((int) c.unsigned("a SACK block's right edge", 0xffffffffL));
            count++;
        }
        if (count == 0) {
            throw c.error("sack needs at least one block, e.g. 'sack 1001:2001'");
        }
        byte[] value = new byte[count * 8];
        blocks.flip().get(value);
        return new TcpOption.Unknown(Notation.KIND_SACK, value);
    }

    // ---------------------------------------------------------------- system calls

    private static SyscallLine syscall(Cursor c) {
        Long endUs = null;
        if (c.accept("...")) {
            endUs = c.seconds("the time the call returns, after '...'");
        }
        if (!c.peekKind(Kind.WORD)) {
            throw c.error("expected a system call name, got '" + c.peekText() + "'");
        }
        String name = c.next().text();
        c.expect("(");
        List<Expr> args = new ArrayList<>();
        if (!c.accept(")")) {
            do {
                args.add(expr(c));
            } while (c.accept(","));
            c.expect(")");
        }
        c.expect("=");
        long expected = Calls.value(expr(c), c.line(), "the expected return value");
        String errno = null;
        if (c.peekKind(Kind.WORD) && c.peekText().matches("E[A-Z0-9]+")) {
            errno = c.next().text();
        }
        if (c.accept("(")) {
            c.skipNote();
        }
        Call call = Calls.build(name, args, c.line());
        return new SyscallLine(call, expected, errno, endUs);
    }

    /** A comma-separated list of expressions up to {@code close} (the opening bracket is already read). */
    private static List<Expr> exprsUntil(Cursor c, String close) {
        List<Expr> items = new ArrayList<>();
        if (!c.accept(close)) {
            do {
                items.add(expr(c));
            } while (c.accept(","));
            c.expect(close);
        }
        return items;
    }

    private static Expr expr(Cursor c) {
        Expr first = primary(c);
        if (!c.peekIs("|")) {
            return first;
        }
        List<Expr> parts = new ArrayList<>(List.of(first));
        while (c.accept("|")) {
            parts.add(primary(c));
        }
        return new Expr.Or(parts);
    }

    private static Expr primary(Cursor c) {
        if (c.accept("...")) {
            return new Expr.Ellipsis();
        }
        if (c.accept("-")) {
            return new Expr.Num(-c.integer("a number after '-'"));
        }
        if (c.peekKind(Kind.NUMBER)) {
            return new Expr.Num(c.integer("a whole number"));
        }
        if (c.peekKind(Kind.STRING)) {
            Expr.Str string = new Expr.Str(c.next().text());
            c.accept("...");
            return string;
        }
        if (c.accept("[")) {
            return new Expr.ListOf(exprsUntil(c, "]"));
        }
        if (c.accept("{")) {
            List<Expr.Field> fields = new ArrayList<>();
            if (!c.accept("}")) {
                do {
                    String name = null;
                    if (c.peekKind(Kind.WORD) && c.peekIs(1, "=")) {
                        name = c.next().text();
                        c.expect("=");
                    } else if (c.peekKind(Kind.WORD) && c.peekIs(1, "(") && c.parenthesesThenEquals(1)) {
                        // a msghdr's counted fields: msg_iov(1)=[...], msg_name(...)=...; the count is not needed
                        name = c.next().text();
                        c.expect("(");
                        exprsUntil(c, ")");
                        c.expect("=");
                    }
                    fields.add(new Expr.Field(name, expr(c)));
                } while (c.accept(","));
                c.expect("}");
            }
            return new Expr.Struct(fields);
        }
        if (c.peekKind(Kind.WORD)) {
            String word = c.next().text();
            if (c.accept("(")) {
                return new Expr.Apply(word, exprsUntil(c, ")"));
            }
            return new Expr.Word(word);
        }
        throw c.error("expected an argument (a number, a symbol, ..., [N], {...}), got '" + c.peekText() + "'");
    }

    // ---------------------------------------------------------------- the token cursor

    /** Walks one line's tokens; every error names the line and, when there is one, the token's column. */
    static final class Cursor {
        private final List<Token> tokens;
        private final int line;
        private int at;

        Cursor(List<Token> tokens, int line) {
            this.tokens = tokens;
            this.line = line;
        }

        int line() {
            return line;
        }

        boolean atEnd() {
            return at >= tokens.size();
        }

        boolean peekIs(String text) {
            return peekIs(0, text);
        }

        boolean peekIs(int ahead, String text) {
            return at + ahead < tokens.size() && tokens.get(at + ahead).is(text);
        }

        /** The token {@code ahead} opens parentheses whose match is followed by '='. */
        boolean parenthesesThenEquals(int ahead) {
            int depth = 0;
            for (int i = at + ahead; i < tokens.size(); i++) {
                if (tokens.get(i).is("(")) {
                    depth++;
                } else if (tokens.get(i).is(")") && --depth == 0) {
                    return i + 1 < tokens.size() && tokens.get(i + 1).is("=");
                }
            }
            return false;
        }

        boolean peekKind(Kind kind) {
            return !atEnd() && tokens.get(at).kind() == kind;
        }

        Token peek() {
            return atEnd() ? null : tokens.get(at);
        }

        /** The column just after the last token taken, to tell "P.5" (one word) from "P .5". */
        int previousEnd() {
            if (at == 0) {
                return -1;
            }
            Token last = tokens.get(at - 1);
            return last.column() + last.text().length();
        }

        String peekText() {
            return atEnd() ? "end of line" : tokens.get(at).toString();
        }

        Token next() {
            if (atEnd()) {
                throw error("the line ends too early");
            }
            return tokens.get(at++);
        }

        boolean accept(String text) {
            if (peekIs(text)) {
                at++;
                return true;
            }
            return false;
        }

        void expect(String text) {
            if (!accept(text)) {
                throw error("expected '" + text + "', got '" + peekText() + "'");
            }
        }

        void expectEnd() {
            if (!atEnd()) {
                throw error("unexpected '" + peekText() + "' at the end of the event");
            }
        }

        /** The rest of the line is a note in parentheses, such as {@code (Resource temporarily unavailable)}. */
        void skipNote() {
            if (atEnd() || !tokens.get(tokens.size() - 1).is(")")) {
                throw error("the note after the result needs a closing ')'");
            }
            at = tokens.size();
        }

        long seconds(String what) {
            if (!peekKind(Kind.NUMBER) || peekText().startsWith("0x")) {
                throw error("expected " + what + ", got '" + peekText() + "'");
            }
            try {
                return new BigDecimal(next().text()).movePointRight(6).setScale(0, RoundingMode.HALF_UP).longValueExact();
            } catch (ArithmeticException e) {
                throw error(what + " is too large");
            }
        }

        long integer(String what) {
            if (!peekKind(Kind.NUMBER)) {
                throw error("expected " + what + ", got '" + peekText() + "'");
            }
            String text = next().text();
            try {
                if (text.startsWith("0x") || text.startsWith("0X")) {
                    return Long.parseLong(text.substring(2), 16);
                }
                if (text.contains(".")) {
                    throw error("expected " + what + ", got '" + text + "'");
                }
                return Long.parseLong(text);
            } catch (NumberFormatException e) {
                throw error(what + " '" + text + "' is out of range");
            }
        }

        long unsigned(String what, long max) {
            long value = integer(what);
            if (value < 0 || value > max) {
                throw error(what + " must be between 0 and " + max + ", got " + value);
            }
            return value;
        }

        ScriptException error(String message) {
            String where = atEnd() ? "" : " (column " + tokens.get(at).column() + ")";
            return new ScriptException(line, message + where);
        }
    }
}
