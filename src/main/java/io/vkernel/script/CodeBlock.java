package io.vkernel.script;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongBinaryOperator;

/**
 * A {@code %{ }%} block, read by a small evaluator that is not Python and runs nothing: the suites' assertions over
 * TCP_INFO ({@code assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd}, {@code assert (tcpi_options & TCPI_OPT_SACK) != 0},
 * {@code assert 5000 <= tcpi_rtt <= 20000, 'srtt=%d' % tcpi_rtt}) and assignments ({@code cwnd = 10}). Statements
 * are separated by newlines or ';'; expressions have integers, names, parentheses, arithmetic ({@code + - * // % }),
 * bitwise {@code & | ^ << >>}, chained comparisons, {@code and}/{@code or}/{@code not}. The message after an
 * assert's comma is only checked to be a string, name or {@code %} format, never evaluated. Anything else is
 * refused with its line.
 */
final class CodeBlock implements ScriptEvent.Action {

    /** The constants the suites compare TCP_INFO fields with (include/uapi/linux/tcp.h, net/tcp_states.h). */
    static final Map<String, Long> CONSTANTS = Map.ofEntries(
            Map.entry("TCPI_OPT_TIMESTAMPS", 1L), Map.entry("TCPI_OPT_SACK", 2L), Map.entry("TCPI_OPT_WSCALE", 4L),
            Map.entry("TCPI_OPT_ECN", 8L), Map.entry("TCPI_OPT_ECN_SEEN", 16L), Map.entry("TCPI_OPT_SYN_DATA", 32L),
            Map.entry("TCP_ESTABLISHED", 1L), Map.entry("TCP_SYN_SENT", 2L), Map.entry("TCP_SYN_RECV", 3L),
            Map.entry("TCP_FIN_WAIT1", 4L), Map.entry("TCP_FIN_WAIT2", 5L), Map.entry("TCP_TIME_WAIT", 6L),
            Map.entry("TCP_CLOSE", 7L), Map.entry("TCP_CLOSE_WAIT", 8L), Map.entry("TCP_LAST_ACK", 9L),
            Map.entry("TCP_LISTEN", 10L), Map.entry("TCP_CLOSING", 11L),
            Map.entry("TCP_CA_Open", 0L), Map.entry("TCP_CA_Disorder", 1L), Map.entry("TCP_CA_CWR", 2L),
            Map.entry("TCP_CA_Recovery", 3L), Map.entry("TCP_CA_Loss", 4L),
            Map.entry("TCP_INFINITE_SSTHRESH", 0x7fffffffL), Map.entry("True", 1L), Map.entry("False", 0L));

    sealed interface Node permits Num, Name, Unary, Binary, Compare {
    }

    record Num(long value) implements Node {
    }

    record Name(String name) implements Node {
    }

    record Unary(String op, Node operand) implements Node {
    }

    record Binary(String op, Node left, Node right) implements Node {
    }

    /** {@code a < b <= c}: Python's chained comparison. */
    record Compare(List<Node> operands, List<String> ops) implements Node {
    }

    /** An assertion (with its source text) or an assignment. */
    record Statement(String text, String assignTo, Node expr) {
    }

    /** The assignTo of {@code print(expr)}: the value is evaluated (so an unknown name still fails) and not checked. */
    private static final String PRINT = new String("print()");

    private final List<Statement> statements;

    private CodeBlock(List<Statement> statements) {
        this.statements = statements;
    }

    List<Statement> statements() {
        return statements;
    }

    /**
     * Parses a block; {@code fields} are the TCP_INFO names vkernel fills, {@code assigned} the names earlier
     * blocks assigned (extended with this block's).
     */
    static CodeBlock parse(String text, int line, Set<String> fields, Set<String> assigned) {
        List<Statement> statements = new ArrayList<>();
        int lineNo = line;
        StringBuilder joined = new StringBuilder();
        int joinedFrom = line;
        for (String raw : text.split("\n", -1)) {
            // Python's explicit line joining: a backslash that ends a line continues it on the next
            if (joined.isEmpty()) {
                joinedFrom = lineNo;
            }
            String trimmed = raw.stripTrailing();
            if (trimmed.endsWith("\\")) {
                joined.append(trimmed, 0, trimmed.length() - 1).append(' ');
                lineNo++;
                continue;
            }
            joined.append(raw);
            for (String part : splitStatements(joined.toString())) {
                String stmt = part.strip();
                if (stmt.isEmpty() || stmt.startsWith("#")) {
                    continue;
                }
                statements.add(statement(stmt, joinedFrom, fields, assigned));
            }
            joined.setLength(0);
            lineNo++;
        }
        if (!joined.isEmpty()) {
            throw new ScriptException(joinedFrom, "the %{ }% block ends with a line continued by '\\' but no line follows it");
        }
        return new CodeBlock(statements);
    }

    private static List<String> splitStatements(String raw) {
        List<String> parts = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        char quote = 0;
        for (char c : raw.toCharArray()) {
            if (quote != 0) {
                quote = c == quote ? 0 : quote;
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == ';') {
                parts.add(cur.toString());
                cur.setLength(0);
                continue;
            } else if (c == '#') {
                break;
            }
            cur.append(c);
        }
        parts.add(cur.toString());
        return parts;
    }

    private static Statement statement(String stmt, int line, Set<String> fields, Set<String> assigned) {
        Parser p = new Parser(tokens(stmt, line), line, fields, assigned);
        if (p.accept("assert")) {
            Node expr = p.expr();
            if (p.accept(",")) {
                p.message();
            }
            p.end(stmt);
            return new Statement(stmt, null, expr);
        }
        if (p.peekIs(0, "print") && p.peekIs(1, "(")) {
            // the suites print a value before asserting it (cubic-bulk-166k: print(tcpi_snd_cwnd)); packetdrill
            // writes it to its stdout, which nothing checks
            p.next();
            Node expr = p.expr(); // the parenthesised argument is an expression on its own
            p.end(stmt);
            return new Statement(stmt, PRINT, expr);
        }
        if (p.peekIsName() && (p.peekIs(1, "+=") || p.peekIs(1, "-="))) {
            // augmented assignment of a name an earlier statement bound (cubic-bulk-166k: cwnd += 1)
            String name = p.next();
            if (!assigned.contains(name)) {
                throw new ScriptException(line, "'" + name + "' is used in %{ }% before anything was assigned to it");
            }
            String op = p.next().substring(0, 1);
            Node expr = p.expr();
            p.end(stmt);
            return new Statement(stmt, name, new Binary(op, new Name(name), expr));
        }
        if (p.peekIsName() && p.peekIs(1, "=")) {
            String name = p.next();
            // a TCP_INFO field is read-only; a constant's name may be bound again, as a Python global can be
            if (fields.contains(name)) {
                throw new ScriptException(line, "'" + name + "' is read-only in %{ }%");
            }
            p.next();
            Node expr = p.expr();
            p.end(stmt);
            assigned.add(name);
            return new Statement(stmt, name, expr);
        }
        throw new ScriptException(line, "in %{ }% vkernel understands 'assert <expression>[, message]' and "
                + "'name = <expression>' over TCP_INFO fields (tcpi_...), integers and the TCPI_OPT_*/TCP_* constants; "
                + "it never runs Python. Not understood: '" + stmt + "'");
    }

    /**
     * Evaluates the block against {@code info} (TCP_INFO of the socket under test) and {@code vars}; returns the
     * first failed assertion as a message, or null.
     */
    String run(Map<String, Long> info, Map<String, Long> vars) {
        for (Statement s : statements) {
            long value = eval(s.expr(), info, vars);
            if (s.assignTo() == PRINT) {
                continue;
            }
            if (s.assignTo() != null) {
                vars.put(s.assignTo(), value);
            } else if (value == 0) {
                return "assertion failed: " + s.text() + " (" + explain(s.expr(), info, vars) + ")";
            }
        }
        return null;
    }

    private static String explain(Node node, Map<String, Long> info, Map<String, Long> vars) {
        List<String> names = new ArrayList<>();
        collectNames(node, names);
        List<String> shown = new ArrayList<>();
        for (String name : names.stream().distinct().toList()) {
            if (!CONSTANTS.containsKey(name)) {
                shown.add(name + " = " + eval(new Name(name), info, vars));
            }
        }
        return shown.isEmpty() ? "false" : String.join(", ", shown);
    }

    private static void collectNames(Node node, List<String> names) {
        if (node instanceof Name n) {
            names.add(n.name());
        } else if (node instanceof Unary u) {
            collectNames(u.operand(), names);
        } else if (node instanceof Binary b) {
            collectNames(b.left(), names);
            collectNames(b.right(), names);
        } else if (node instanceof Compare c) {
            c.operands().forEach(o -> collectNames(o, names));
        }
    }

    static long eval(Node node, Map<String, Long> info, Map<String, Long> vars) {
        if (node instanceof Num n) {
            return n.value();
        }
        if (node instanceof Name n) {
            Long v = vars.get(n.name());
            if (v == null) {
                v = CONSTANTS.get(n.name());
            }
            if (v == null) {
                v = info.get(n.name());
            }
            if (v == null) {
                throw new IllegalStateException(n.name() + " has no value here (no TCP socket under test?)");
            }
            return v;
        }
        if (node instanceof Unary u) {
            long v = eval(u.operand(), info, vars);
            return switch (u.op()) {
                case "-" -> -v;
                case "+" -> v;
                case "~" -> ~v;
                default -> v == 0 ? 1 : 0; // not
            };
        }
        if (node instanceof Binary b) {
            if (b.op().equals("and")) {
                long l = eval(b.left(), info, vars);
                return l == 0 ? l : eval(b.right(), info, vars);
            }
            if (b.op().equals("or")) {
                long l = eval(b.left(), info, vars);
                return l != 0 ? l : eval(b.right(), info, vars);
            }
            return arith(b.op()).applyAsLong(eval(b.left(), info, vars), eval(b.right(), info, vars));
        }
        Compare c = (Compare) node;
        long left = eval(c.operands().get(0), info, vars);
        for (int i = 0; i < c.ops().size(); i++) {
            long right = eval(c.operands().get(i + 1), info, vars);
            boolean ok = switch (c.ops().get(i)) {
                case "==" -> left == right;
                case "!=" -> left != right;
                case "<" -> left < right;
                case "<=" -> left <= right;
                case ">" -> left > right;
                default -> left >= right;
            };
            if (!ok) {
                return 0;
            }
            left = right;
        }
        return 1;
    }

    private static LongBinaryOperator arith(String op) {
        return switch (op) {
            case "+" -> Long::sum;
            case "-" -> (a, b) -> a - b;
            case "*" -> (a, b) -> a * b;
            case "//", "/" -> (a, b) -> {
                if (b == 0) {
                    throw new IllegalStateException("division by zero");
                }
                return Math.floorDiv(a, b);
            };
            case "%" -> (a, b) -> {
                if (b == 0) {
                    throw new IllegalStateException("modulo by zero");
                }
                return Math.floorMod(a, b);
            };
            case "&" -> (a, b) -> a & b;
            case "|" -> (a, b) -> a | b;
            case "^" -> (a, b) -> a ^ b;
            case "<<" -> (a, b) -> a << Math.min(63, b);
            default -> (a, b) -> a >> Math.min(63, b); // >>
        };
    }

    // ---------------------------------------------------------------- tokens and the recursive-descent parser

    private static final List<String> SYMBOLS = List.of("//", "<<", ">>", "<=", ">=", "==", "!=", "+=", "-=", "+", "-", "*", "/", "%",
            "&", "|", "^", "~", "<", ">", "(", ")", ",", "=");

    private static List<String> tokens(String text, int line) {
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (Character.isDigit(c)) {
                int end = i;
                while (end < text.length() && (Character.isLetterOrDigit(text.charAt(end)))) {
                    end++;
                }
                out.add(text.substring(i, end));
                i = end;
            } else if (Character.isLetter(c) || c == '_') {
                int end = i;
                while (end < text.length() && (Character.isLetterOrDigit(text.charAt(end)) || text.charAt(end) == '_')) {
                    end++;
                }
                out.add(text.substring(i, end));
                i = end;
            } else if (c == '\'' || c == '"') {
                int end = text.indexOf(c, i + 1);
                if (end < 0) {
                    throw new ScriptException(line, "unterminated string in %{ }%");
                }
                out.add(text.substring(i, end + 1));
                i = end + 1;
            } else {
                String sym = null;
                for (String s : SYMBOLS) {
                    if (text.startsWith(s, i)) {
                        sym = s;
                        break;
                    }
                }
                if (sym == null) {
                    throw new ScriptException(line, "'" + c + "' is not understood in %{ }% (vkernel evaluates integer "
                            + "expressions over TCP_INFO fields, never Python)");
                }
                out.add(sym);
                i += sym.length();
            }
        }
        return out;
    }

    private static final class Parser {
        private final List<String> t;
        private final int line;
        private final Set<String> fields;
        private final Set<String> assigned;
        private int at;

        Parser(List<String> tokens, int line, Set<String> fields, Set<String> assigned) {
            this.t = tokens;
            this.line = line;
            this.fields = fields;
            this.assigned = assigned;
        }

        boolean peekIs(int ahead, String s) {
            return at + ahead < t.size() && t.get(at + ahead).equals(s);
        }

        boolean peekIsName() {
            return at < t.size() && t.get(at).matches("[A-Za-z_][A-Za-z0-9_]*");
        }

        boolean accept(String s) {
            if (peekIs(0, s)) {
                at++;
                return true;
            }
            return false;
        }

        String next() {
            if (at >= t.size()) {
                throw new ScriptException(line, "the %{ }% statement ends too early");
            }
            return t.get(at++);
        }

        void end(String stmt) {
            if (at < t.size()) {
                throw new ScriptException(line, "unexpected '" + t.get(at) + "' in %{ }% statement '" + stmt + "'");
            }
        }

        Node expr() {
            Node left = and();
            while (accept("or")) {
                left = new Binary("or", left, and());
            }
            return left;
        }

        Node and() {
            Node left = not();
            while (accept("and")) {
                left = new Binary("and", left, not());
            }
            return left;
        }

        Node not() {
            if (accept("not")) {
                return new Unary("not", not());
            }
            return comparison();
        }

        Node comparison() {
            List<Node> operands = new ArrayList<>(List.of(bitOr()));
            List<String> ops = new ArrayList<>();
            while (at < t.size() && List.of("==", "!=", "<", "<=", ">", ">=").contains(t.get(at))) {
                ops.add(next());
                operands.add(bitOr());
            }
            return ops.isEmpty() ? operands.get(0) : new Compare(operands, ops);
        }

        Node bitOr() {
            Node left = bitXor();
            while (accept("|")) {
                left = new Binary("|", left, bitXor());
            }
            return left;
        }

        Node bitXor() {
            Node left = bitAnd();
            while (accept("^")) {
                left = new Binary("^", left, bitAnd());
            }
            return left;
        }

        Node bitAnd() {
            Node left = shift();
            while (accept("&")) {
                left = new Binary("&", left, shift());
            }
            return left;
        }

        Node shift() {
            Node left = sum();
            while (peekIs(0, "<<") || peekIs(0, ">>")) {
                String op = next();
                left = new Binary(op, left, sum());
            }
            return left;
        }

        Node sum() {
            Node left = term();
            while (peekIs(0, "+") || peekIs(0, "-")) {
                String op = next();
                left = new Binary(op, left, term());
            }
            return left;
        }

        Node term() {
            Node left = unary();
            while (peekIs(0, "*") || peekIs(0, "//") || peekIs(0, "/") || peekIs(0, "%")) {
                String op = next();
                left = new Binary(op, left, unary());
            }
            return left;
        }

        Node unary() {
            if (peekIs(0, "-") || peekIs(0, "+") || peekIs(0, "~")) {
                String op = next();
                return new Unary(op, unary());
            }
            return atom();
        }

        Node atom() {
            String tok = next();
            if (tok.equals("(")) {
                Node inner = expr();
                if (!accept(")")) {
                    throw new ScriptException(line, "missing ')' in %{ }%");
                }
                return inner;
            }
            if (Character.isDigit(tok.charAt(0))) {
                try {
                    return new Num(tok.startsWith("0x") || tok.startsWith("0X") ? Long.parseLong(tok.substring(2), 16)
                            : Long.parseLong(tok));
                } catch (NumberFormatException e) {
                    throw new ScriptException(line, "'" + tok + "' is not an integer vkernel understands in %{ }%");
                }
            }
            if (tok.matches("[A-Za-z_][A-Za-z0-9_]*") && !List.of("and", "or", "not", "assert").contains(tok)) {
                if (peekIs(0, "(")) {
                    throw new ScriptException(line, "function calls ('" + tok + "(...)') are not understood in %{ }%: "
                            + "vkernel evaluates integer expressions only, never Python");
                }
                if (!CONSTANTS.containsKey(tok) && !fields.contains(tok) && !assigned.contains(tok)) {
                    throw new ScriptException(line, "'" + tok + "' is not known in %{ }%: vkernel fills the TCP_INFO fields "
                            + String.join(", ", fields.stream().sorted().toList()) + " and the TCPI_OPT_*, TCP_* state and "
                            + "TCP_CA_* constants");
                }
                return new Name(tok);
            }
            throw new ScriptException(line, "unexpected '" + tok + "' in %{ }% expression");
        }

        /** An assert message: a string or expression, optionally {@code % value} or {@code % (a, b)}; not evaluated. */
        void message() {
            if (at < t.size() && (t.get(at).startsWith("'") || t.get(at).startsWith("\""))) {
                at++;
            } else {
                expr();
            }
            if (accept("%")) {
                if (accept("(")) {
                    do {
                        expr();
                    } while (accept(","));
                    if (!accept(")")) {
                        throw new ScriptException(line, "missing ')' in the assert message");
                    }
                } else {
                    expr();
                }
            }
        }
    }

    static Map<String, Long> newVars() {
        return new HashMap<>();
    }
}
