package io.vkernel.script;

import io.vkernel.kernel.Sysctls;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Understands, without ever running them, the backquoted setup commands of the public packetdrill suites and turns
 * them into kernel settings: {@code sysctl -q name=value ...}, {@code echo V > /proc/sys/net/...}, the suites'
 * defaults scripts (read once and mapped here to the values they set), {@code set_sysctls.py} and its restore
 * script, {@code ethtool -K <dev> gso|tso|gro on|off}, {@code tc qdisc} pfifo/fq on the device's root, and
 * {@code ip tcp_metrics flush}. Anything else is refused with the line and this list.
 */
final class SetupCommands {

    static final String QDISC_FORMS = "tc qdisc add|replace|change dev <dev> root pfifo [limit N] | fq [limit N]; "
            + "tc qdisc del|delete dev <dev> root";

    static final String UNDERSTOOD = "sysctl [-q] [-e] [-w] name=value ... (several per line, ';'-separated, quoted values); "
            + "echo V > /proc/sys/net/...; echo V > /sys/module/tcp_cubic/parameters/hystart*; ../common/defaults.sh (google/packetdrill) and ./defaults.sh (kernel selftests); "
            + "set_sysctls.py /proc/sys/...=V ... and /tmp/sysctl_restore_${PPID}.sh; ethtool -K <dev> gso|tso|gro on|off; "
            + "ip tcp_metrics flush; ip route change|replace|add DST [via GW] [dev tun0] [advmss N] [mtu [lock] M] [initcwnd K]; "
            + "A || B; " + QDISC_FORMS + "; " + SetupFiles.FORMS;

    /**
     * google/packetdrill gtests/net/common/defaults.sh (and gtests/net/tcp/common/defaults.sh), as of 2025: the
     * values it sets, in its order. Its {@code ip tcp_metrics flush} and {@code tc qdisc add dev tun0 root pfifo}
     * have nothing to act on here (no metrics cache, no qdisc).
     */
    static final List<String[]> PACKETDRILL_DEFAULTS = List.of(
            kv("net.ipv4.tcp_rmem", "4096 540000 15728640"),
            kv("net.ipv4.tcp_wmem", "4096 262144 4194304"),
            kv("net.ipv4.tcp_timestamps", "1"),
            kv("net.ipv4.tcp_syn_retries", "5"),
            kv("net.ipv4.tcp_synack_retries", "5"),
            kv("net.ipv4.tcp_frto", "2"),
            kv("net.ipv4.tcp_sack", "1"),
            kv("net.ipv4.tcp_dsack", "1"),
            kv("net.ipv4.tcp_fack", "0"),
            kv("net.ipv4.tcp_reordering", "3"),
            kv("net.ipv4.tcp_congestion_control", "cubic"),
            kv("net.ipv4.tcp_slow_start_after_idle", "0"),
            kv("net.ipv4.tcp_early_retrans", "4"),
            kv("net.ipv4.tcp_recovery", "1"),
            kv("net.ipv4.tcp_tso_win_divisor", "3"),
            kv("net.ipv4.tcp_ecn", "0"),
            kv("net.ipv4.tcp_ecn_option", "2"),
            kv("net.ipv4.tcp_pacing_ss_ratio", "200"),
            kv("net.ipv4.tcp_pacing_ca_ratio", "120"),
            kv("net.ipv4.tcp_notsent_lowat", "4294967295"),
            kv("net.ipv4.tcp_fastopen", "0x70403"),
            kv("net.ipv4.tcp_fastopen_key", "a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4"),
            kv("net.ipv4.tcp_syncookies", "1"));

    /** The Linux kernel's tools/testing/selftests/net/packetdrill/defaults.sh: the same but no ecn_option, fastopen 0x3. */
    static final List<String[]> SELFTESTS_DEFAULTS = PACKETDRILL_DEFAULTS.stream()
            .filter(kv -> !kv[0].equals("net.ipv4.tcp_ecn_option"))
            .map(kv -> kv[0].equals("net.ipv4.tcp_fastopen") ? kv("net.ipv4.tcp_fastopen", "0x3") : kv)
            .toList();

    /**
     * Linux sysctls the suites set that vkernel accepts without modelling what they tune (fast recovery, pacing,
     * Fast Open...): the run notes each one, and a script that depends on it fails on the packets, not here.
     */
    private static final Set<String> ACCEPTED = Set.of("net.ipv4.tcp_frto", "net.ipv4.tcp_fack",
            "net.ipv4.tcp_notsent_lowat",
            "net.ipv4.tcp_fastopen_blackhole_timeout_sec", "net.ipv4.tcp_fastopen_cookies", "net.ipv4.tcp_app_win", "net.ipv4.tcp_autocorking",
            "net.ipv4.tcp_limit_output_bytes", "net.ipv4.tcp_thin_linear_timeouts", "net.ipv4.tcp_no_metrics_save",
            "net.ipv4.tcp_min_rtt_wlen", "net.ipv4.tcp_comp_sack_nr", "net.ipv4.tcp_comp_sack_delay_ns",
            "net.ipv4.tcp_mtu_probe_floor", "net.ipv4.tcp_probe_interval", "net.ipv4.tcp_probe_threshold",
            // Linux 6.6+ no longer reads tcp_adv_win_scale (the window share is the per-connection scaling_ratio);
            // vkernel has no receive autotuning for tcp_moderate_rcvbuf to switch
            "net.ipv4.tcp_adv_win_scale", "net.ipv4.tcp_moderate_rcvbuf");

    private static final String DEFAULTS_NOTE = "line %d: %s also flushes TCP metrics (the Fast Open client's cache, "
            + "emptied) and sets a pfifo qdisc on tun0 (vkernel.qdisc=0, vkernel.qdisc_limit=500)";

    private static final String CUBIC_PARAMETERS = "/sys/module/tcp_cubic/parameters/";

    private static final Pattern RESTORE = Pattern.compile("/tmp/sysctl_restore_\\$\\{?PPID}?\\.sh");
    private static final Pattern NAME = Pattern.compile("[a-z0-9_]+([./][a-z0-9_]+)+");

    /**
     * A backquoted block as settings. {@code sysctls} are vkernel's names and values, {@code saved} the names
     * set_sysctls.py would write a restore line for, {@code restore} whether this block runs that restore script.
     */
    record Setup(Map<String, Long> sysctls, Set<String> saved, boolean restore, List<String> notes, boolean flushMetrics,
                 List<SetupFiles.Op> files) implements ScriptEvent.Action {

        /** Settings only, no files. */
        Setup(Map<String, Long> sysctls, Set<String> saved, boolean restore, List<String> notes, boolean flushMetrics) {
            this(sysctls, saved, restore, notes, flushMetrics, List.of());
        }
    }

    private SetupCommands() {
    }

    private static String[] kv(String name, String value) {
        return new String[] {name, value};
    }

    static Setup parse(String text, int line) {
        Map<String, Long> sysctls = new LinkedHashMap<>();
        Set<String> saved = new LinkedHashSet<>();
        List<String> notes = new ArrayList<>();
        boolean restore = false;
        boolean flush = false;
        List<SetupFiles.Op> files = new ArrayList<>();
        for (List<String> words : commands(text, line)) {
            String cmd = words.get(0);
            String shown = String.join(" ", words);
            if (cmd.equals("sysctl")) {
                boolean any = false;
                for (String word : words.subList(1, words.size())) {
                    if (word.matches("-[qewn]+")) {
                        continue;
                    }
                    int eq = word.indexOf('=');
                    if (eq < 0) {
                        throw refuse(line, shown, "sysctl here only sets values (name=value); reading one has nothing to show");
                    }
                    set(word.substring(0, eq), word.substring(eq + 1), line, sysctls, notes);
                    any = true;
                }
                if (!any) {
                    throw refuse(line, shown, "sysctl without name=value");
                }
            } else if (cmd.equals("echo") && words.size() == 4 && words.get(2).equals(">") && words.get(3).startsWith("/proc/sys/")) {
                set(words.get(3).substring("/proc/sys/".length()), words.get(1), line, sysctls, notes);
            } else if (cmd.equals("echo") && words.size() == 4 && words.get(2).equals(">")
                    && words.get(3).startsWith(CUBIC_PARAMETERS)) {
                // a module parameter of tcp_cubic: vkernel keeps it as the setting tcp_cubic.NAME
                set("tcp_cubic." + words.get(3).substring(CUBIC_PARAMETERS.length()), words.get(1), line, sysctls, notes);
            } else if (cmd.endsWith("common/defaults.sh") && words.size() == 1) {
                PACKETDRILL_DEFAULTS.forEach(kv -> set(kv[0], kv[1], line, sysctls, notes));
                sysctls.put(Sysctls.VKERNEL_QDISC, 0L); // 'tc qdisc add dev tun0 root pfifo'
                sysctls.put(Sysctls.VKERNEL_QDISC_LIMIT, 500L);
                notes.add(DEFAULTS_NOTE.formatted(line, cmd));
                flush = true;
            } else if ((cmd.equals("./defaults.sh") || cmd.equals("defaults.sh")) && words.size() == 1) {
                SELFTESTS_DEFAULTS.forEach(kv -> set(kv[0], kv[1], line, sysctls, notes));
                sysctls.put(Sysctls.VKERNEL_QDISC, 0L); // 'tc qdisc add dev tun0 root pfifo'
                sysctls.put(Sysctls.VKERNEL_QDISC_LIMIT, 500L);
                notes.add(DEFAULTS_NOTE.formatted(line, cmd));
                flush = true;
            } else if (cmd.endsWith("set_sysctls.py")) {
                for (String word : words.subList(1, words.size())) {
                    int eq = word.indexOf('=');
                    if (eq < 0 || !word.startsWith("/proc/sys/")) {
                        throw refuse(line, shown, "set_sysctls.py takes /proc/sys/<name>=<value> arguments");
                    }
                    String name = word.substring("/proc/sys/".length(), eq).replace('/', '.');
                    saved.addAll(set(name, word.substring(eq + 1), line, sysctls, notes));
                }
            } else if (RESTORE.matcher(cmd).matches() && words.size() == 1) {
                restore = true;
            } else if (cmd.equals("ethtool")) {
                ethtool(words, line, shown, sysctls, notes);
            } else if (cmd.equals("ip") && words.size() >= 3 && words.get(1).equals("tcp_metrics") && words.get(2).equals("flush")) {
                flush = true;
                notes.add("line " + line + ": '" + shown + "': the Fast Open client's cookie and MSS cache is emptied");
            } else if (cmd.equals("tc")) {
                qdisc(words, line, shown, sysctls, notes);
            } else if (cmd.equals("ip") && words.size() >= 3 && words.get(1).equals("route")) {
                route(words, line, shown, sysctls, notes);
            } else if (SetupFiles.handles(cmd)) {
                SetupFiles.parse(words, line, shown, files);
            } else {
                throw refuse(line, shown, null);
            }
        }
        return new Setup(sysctls, saved, restore, notes, flush, List.copyOf(files));
    }

    private static ScriptException refuse(int line, String command, String why) {
        return new ScriptException(line, "the backquoted command '" + command + "' is not understood"
                + (why == null ? "" : " (" + why + ")") + ". vkernel never runs commands from a script; it understands: "
                + UNDERSTOOD + ". Or set a tunable with a directive: // vkernel-sysctl name=value");
    }

    private static void ethtool(List<String> words, int line, String shown, Map<String, Long> sysctls, List<String> notes) {
        if (words.size() < 5 || !(words.get(1).equals("-K") || words.get(1).equals("--features") || words.get(1).equals("--offload"))
                || (words.size() - 3) % 2 != 0) {
            throw refuse(line, shown, "ethtool -K <dev> followed by pairs of feature on|off");
        }
        for (int i = 3; i < words.size(); i += 2) {
            String feature = words.get(i);
            String state = words.get(i + 1);
            if (!state.equals("on") && !state.equals("off")) {
                throw refuse(line, shown, "a feature is turned 'on' or 'off', not '" + state + "'");
            }
            switch (feature) {
                // TSO and GSO both let TCP build super-segments; with either off packetdrill sees MSS-sized ones
                // TSO and GSO both let TCP hand the NIC super-segments; packetdrill's tun sees them only while both are on
                case "gso", "tso", "generic-segmentation-offload", "tcp-segmentation-offload" -> {
                    long value = state.equals("on") ? 1 : 0;
                    sysctls.merge(Sysctls.VKERNEL_GSO, value, Math::min);
                }
                case "gro", "generic-receive-offload" -> notes.add("line " + line + ": ethtool " + feature + " " + state
                        + ": vkernel delivers each injected packet as it is written; there is no receive offload to turn "
                        + state);
                default -> throw refuse(line, shown, "the features understood are gso, tso and gro");
            }
        }
    }

    /**
     * {@code tc qdisc} on the root of the device, as the settings vkernel.qdisc (0 pfifo, 1 fq) and
     * vkernel.qdisc_limit. Deleting the root qdisc gives the device its default back (a pfifo of tx_queue_len).
     */
    private static void qdisc(List<String> words, int line, String shown, Map<String, Long> sysctls, List<String> notes) {
        if (words.size() < 5 || !words.get(1).equals("qdisc") || !words.get(3).equals("dev")) {
            throw refuse(line, shown, QDISC_FORMS);
        }
        String verb = words.get(2);
        List<String> rest = words.subList(5, words.size());
        if (verb.equals("del") || verb.equals("delete")) {
            if (!rest.equals(List.of("root"))) {
                throw refuse(line, shown, "only the root qdisc can be deleted: tc qdisc delete dev <dev> root");
            }
            sysctls.put(Sysctls.VKERNEL_QDISC, 0L);
            sysctls.put(Sysctls.VKERNEL_QDISC_LIMIT, 500L);
            notes.add("line " + line + ": '" + shown + "': the device's default qdisc again (pfifo, limit 500)");
            return;
        }
        if (!(verb.equals("add") || verb.equals("replace") || verb.equals("change")) || rest.size() < 2
                || !rest.get(0).equals("root") || !(rest.get(1).equals("pfifo") || rest.get(1).equals("fq"))) {
            throw refuse(line, shown, QDISC_FORMS);
        }
        boolean fq = rest.get(1).equals("fq");
        long limit = fq ? 10_000 : 500; // fq_init(): sch->limit 10000; pfifo: the device's tx_queue_len
        List<String> options = rest.subList(2, rest.size());
        if (options.size() == 2 && options.get(0).equals("limit")) {
            try {
                limit = Long.parseLong(options.get(1));
            } catch (NumberFormatException e) {
                throw refuse(line, shown, "limit takes a number of packets");
            }
        } else if (!options.isEmpty()) {
            throw refuse(line, shown, "the only qdisc option understood is 'limit N'");
        }
        put(Sysctls.VKERNEL_QDISC, fq ? 1 : 0, line, sysctls);
        put(Sysctls.VKERNEL_QDISC_LIMIT, limit, line, sysctls);
        notes.add("line " + line + ": '" + shown + "': " + (limit == 0 ? "every packet is dropped at the qdisc"
                : fq ? "packets leave paced at each connection's pacing rate" : "packets leave at once, in order"));
    }

    /**
     * {@code ip route change|replace|add DST [via GW] [dev DEV] [advmss N] [mtu [lock] M] [initcwnd K]}: the route's
     * metrics as the settings vkernel.route.*. The route is replaced whole, as iproute2 does: a metric the line does
     * not give goes back to none (the device's 1500-byte MTU, unlocked; advmss from the MTU; TCP_INIT_CWND). vkernel
     * has one route, to the peer the script talks to, so DST and GW are read and not checked.
     */
    private static void route(List<String> words, int line, String shown, Map<String, Long> sysctls, List<String> notes) {
        String usage = "ip route change|replace|add DST [via GW] [dev DEV] [advmss N] [mtu [lock] M] [initcwnd K]";
        if (words.size() < 4 || !Set.of("change", "replace", "add").contains(words.get(2))) {
            throw refuse(line, shown, usage);
        }
        Map<String, Long> metrics = new LinkedHashMap<>();
        metrics.put(Sysctls.ROUTE_ADVMSS, 0L);
        metrics.put(Sysctls.ROUTE_MTU, 1500L);
        metrics.put(Sysctls.ROUTE_MTU_LOCK, 0L);
        metrics.put(Sysctls.ROUTE_INITCWND, 0L);
        for (int i = 4; i < words.size(); i++) {
            String word = words.get(i);
            boolean last = i + 1 == words.size();
            switch (word) {
                case "via", "dev", "src", "proto", "scope", "table", "metric" -> {
                    if (last) {
                        throw refuse(line, shown, "'" + word + "' needs a value; " + usage);
                    }
                    i++;
                }
                case "advmss", "mtu", "initcwnd" -> {
                    if (last) {
                        throw refuse(line, shown, "'" + word + "' needs a value; " + usage);
                    }
                    String value = words.get(++i);
                    if (word.equals("mtu") && value.equals("lock")) {
                        if (i + 1 == words.size()) {
                            throw refuse(line, shown, "'mtu lock' needs a value; " + usage);
                        }
                        metrics.put(Sysctls.ROUTE_MTU_LOCK, 1L);
                        value = words.get(++i);
                    }
                    String name = switch (word) {
                        case "advmss" -> Sysctls.ROUTE_ADVMSS;
                        case "mtu" -> Sysctls.ROUTE_MTU;
                        default -> Sysctls.ROUTE_INITCWND;
                    };
                    metrics.put(name, number(name, value, line));
                }
                default -> throw refuse(line, shown, "the route attributes understood are via, dev, advmss, mtu [lock] and initcwnd; " + usage);
            }
        }
        metrics.forEach((name, value) -> put(name, value, line, sysctls));
        notes.add("line " + line + ": '" + shown + "': the route's metrics are now advmss " + metrics.get(Sysctls.ROUTE_ADVMSS)
                + ", mtu " + (metrics.get(Sysctls.ROUTE_MTU_LOCK) == 1 ? "lock " : "") + metrics.get(Sysctls.ROUTE_MTU)
                + ", initcwnd " + metrics.get(Sysctls.ROUTE_INITCWND) + " (0: none); new connections take them");
    }

    /**
     * One Linux sysctl as vkernel settings; returns the vkernel names it set. tcp_rmem/tcp_wmem take their three
     * values; tcp_congestion_control its name (reno, cubic); accepted-but-not-modelled ones are noted.
     */
    static Set<String> set(String linuxName, String value, int line, Map<String, Long> sysctls, List<String> notes) {
        String name = linuxName.replace('/', '.');
        if (!NAME.matcher(name).matches()) {
            throw new ScriptException(line, "'" + linuxName + "' is not a sysctl name");
        }
        String v = value.strip();
        Set<String> names = new LinkedHashSet<>();
        if (name.equals("net.ipv4.tcp_rmem") || name.equals("net.ipv4.tcp_wmem")) {
            String[] parts = v.split("\\s+");
            if (parts.length != 3) {
                throw new ScriptException(line, name + " takes three values, \"min default max\", got '" + v + "'");
            }
            String[] suffix = {".min", ".default", ".max"};
            for (int i = 0; i < 3; i++) {
                names.add(put(name + suffix[i], number(name, parts[i], line), line, sysctls));
            }
            return names;
        }
        if (name.equals(Sysctls.TCP_FASTOPEN_KEY)) {
            long[] words = fastOpenKey(v, line);
            for (int i = 0; i < 4; i++) {
                names.add(put(name + "." + i, words[i], line, sysctls));
            }
            return names;
        }
        if (name.equals(Sysctls.TCP_CONGESTION_CONTROL)) {
            long cc = switch (v) {
                case "reno" -> 0;
                case "cubic" -> 1;
                default -> throw new ScriptException(line, name + "=" + v + ": vkernel has reno and cubic");
            };
            names.add(put(name, cc, line, sysctls));
            return names;
        }
        if (Sysctls.exists(name)) {
            names.add(put(name, number(name, v, line), line, sysctls));
            return names;
        }
        if (ACCEPTED.contains(name)) {
            notes.add("line " + line + ": " + name + "=" + v + " accepted; vkernel does not model what it tunes");
            return names;
        }
        throw new ScriptException(line, "sysctl " + name + " is not known to vkernel. It models: "
                + String.join(", ", new Sysctls().all().keySet()) + ", and net.ipv4.tcp_rmem / tcp_wmem as three values; "
                + "it accepts without modelling: " + String.join(", ", ACCEPTED.stream().sorted().toList()));
    }

    private static String put(String name, long value, int line, Map<String, Long> sysctls) {
        try {
            new Sysctls().set(name, value);
        } catch (IllegalArgumentException e) {
            throw new ScriptException(line, e.getMessage());
        }
        sysctls.put(name, value);
        return name;
    }

    /** proc_tcp_fastopen_key(): "%x-%x-%x-%x", optionally ",backup" (vkernel keeps only the primary key). */
    static long[] fastOpenKey(String text, int line) {
        String primary = text.split(",", -1)[0];
        String[] parts = primary.split("-", -1);
        long[] words = new long[4];
        try {
            if (parts.length != 4) {
                throw new NumberFormatException();
            }
            for (int i = 0; i < 4; i++) {
                if (parts[i].isEmpty() || parts[i].length() > 8) {
                    throw new NumberFormatException();
                }
                words[i] = Long.parseLong(parts[i], 16);
            }
        } catch (NumberFormatException e) {
            throw new ScriptException(line, "net.ipv4.tcp_fastopen_key takes four hex words as Linux prints it, "
                    + "e.g. a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4; got '" + text + "'");
        }
        return words;
    }

    private static long number(String name, String text, int line) {
        try {
            if (text.startsWith("$((") && text.endsWith("))")) {
                return new Arithmetic(text.substring(3, text.length() - 2)).value();
            }
            return text.startsWith("0x") ? Long.parseLong(text.substring(2), 16) : Long.parseLong(text);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new ScriptException(line, "sysctl " + name + " needs a whole number (or $(( )) arithmetic of them), got '" + text + "'");
        }
    }

    /**
     * The shell's $(( )) arithmetic as the suites write it in a value ("4096 131072 $((32*1024*1024))"): whole
     * numbers, + - * / % and parentheses, with the usual precedence. Nothing else (no variables, no shifts).
     */
    private static final class Arithmetic {
        private final String text;
        private int at;

        Arithmetic(String text) {
            this.text = text.replace(" ", "");
        }

        long value() {
            long v = sum();
            if (at != text.length()) {
                throw new NumberFormatException("unexpected '" + text.charAt(at) + "'");
            }
            return v;
        }

        private long sum() {
            long v = product();
            while (at < text.length() && (text.charAt(at) == '+' || text.charAt(at) == '-')) {
                char op = text.charAt(at++);
                long r = product();
                v = op == '+' ? Math.addExact(v, r) : Math.subtractExact(v, r);
            }
            return v;
        }

        private long product() {
            long v = atom();
            while (at < text.length() && (text.charAt(at) == '*' || text.charAt(at) == '/' || text.charAt(at) == '%')) {
                char op = text.charAt(at++);
                long r = atom();
                v = switch (op) {
                    case '*' -> Math.multiplyExact(v, r);
                    case '/' -> v / r;
                    default -> v % r;
                };
            }
            return v;
        }

        private long atom() {
            if (at < text.length() && text.charAt(at) == '(') {
                at++;
                long v = sum();
                if (at >= text.length() || text.charAt(at) != ')') {
                    throw new NumberFormatException("unbalanced parentheses");
                }
                at++;
                return v;
            }
            int start = at;
            while (at < text.length() && Character.isDigit(text.charAt(at))) {
                at++;
            }
            if (start == at) {
                throw new NumberFormatException("a number was expected");
            }
            return Long.parseLong(text.substring(start, at));
        }
    }

    // ---------------------------------------------------------------- a small shell-word reader (nothing is run)

    /** The block's commands as words: continuations joined, '#' comments and redirections to /dev/null dropped. */
    static List<List<String>> commands(String text, int line) {
        String joined = text.replace("\\\n", " ");
        List<List<String>> commands = new ArrayList<>();
        List<String> words = new ArrayList<>();
        StringBuilder word = null;
        char quote = 0;
        for (int i = 0; i <= joined.length(); i++) {
            char c = i < joined.length() ? joined.charAt(i) : '\n';
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else if (c == '\n' && i == joined.length()) {
                    throw new ScriptException(line, "unterminated " + quote + " quote in the backquoted command");
                } else {
                    word.append(c);
                }
                continue;
            }
            if (c == '\'' || c == '"') {
                quote = c;
                word = word == null ? new StringBuilder() : word;
                continue;
            }
            if (c == '#' && word == null) {
                while (i + 1 < joined.length() && joined.charAt(i + 1) != '\n') {
                    i++;
                }
                continue;
            }
            if (Character.isWhitespace(c) || c == ';') {
                if (word != null) {
                    words.add(word.toString());
                    word = null;
                }
                if (c == '\n' || c == ';') {
                    addCommand(commands, words, line);
                    words = new ArrayList<>();
                }
                continue;
            }
            if (c == '|' && joined.startsWith("||", i)) {
                // 'A || B', as the suites write "sysctl -q net.ipv4.tcp_fastopen_cookies=0 || ip tcp_metrics flush":
                // both are read; each is a way to the same end (the first exists only on some kernels), and vkernel
                // applies what it understands of both
                if (word != null) {
                    words.add(word.toString());
                    word = null;
                }
                addCommand(commands, words, line);
                words = new ArrayList<>();
                i++;
                continue;
            }
            if (c == '>' || c == '&' || c == '|' || c == '<' || c == '$' && joined.startsWith("$(", i)) {
                if (c == '|' || c == '<' || c == '$') {
                    throw new ScriptException(line, "pipes, input redirections and command substitutions in backquoted "
                            + "commands are not understood; it understands: " + UNDERSTOOD);
                }
                if (word != null && !word.toString().matches("[0-9]")) {
                    words.add(word.toString());
                }
                word = null;
                StringBuilder op = new StringBuilder().append(c);
                while (i + 1 < joined.length() && ">&12".indexOf(joined.charAt(i + 1)) >= 0) {
                    op.append(joined.charAt(++i));
                }
                words.add(op.toString().equals("&&") ? ";" : ">");
                if (op.toString().equals("&&")) {
                    words.remove(words.size() - 1);
                    addCommand(commands, words, line);
                    words = new ArrayList<>();
                }
                continue;
            }
            word = word == null ? new StringBuilder() : word;
            word.append(c);
        }
        return commands;
    }

    /** Drops '> /dev/null' and '2>&1' style redirections, keeps '> /proc/sys/...'. */
    private static void addCommand(List<List<String>> commands, List<String> words, int line) {
        List<String> kept = new ArrayList<>();
        for (int i = 0; i < words.size(); i++) {
            if (words.get(i).equals(">")) {
                if (i + 1 < words.size() && words.get(i + 1).equals("/dev/null")) {
                    i++;
                    continue;
                }
                if (i + 1 == words.size() || words.get(i + 1).equals(">")) {
                    continue; // 2>&1
                }
            }
            kept.add(words.get(i));
        }
        if (!kept.isEmpty()) {
            commands.add(kept);
        }
    }
}
