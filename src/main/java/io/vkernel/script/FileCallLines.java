package io.vkernel.script;

import io.vkernel.kernel.fd.OpenFile;
import io.vkernel.kernel.syscall.FileCalls;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The file and pipe calls as packetdrill writes them: {@code open("/tmp/testfile", O_RDONLY) = 5},
 * {@code sendfile(4, 5, [0], 5) = 5} (the offset in brackets, or NULL), {@code pipe([5, 6]) = 0},
 * {@code splice(4, NULL, 6, NULL, 99, 0) = 99} (offsets NULL) and {@code lseek(5, 0, SEEK_SET) = 0}.
 */
final class FileCallLines {

    static final List<String> CALLS = List.of("open", "lseek", "pipe", "sendfile", "splice");

    private static final Map<String, Integer> OPEN_FLAGS = Map.of("O_RDONLY", OpenFile.O_RDONLY, "O_WRONLY", OpenFile.O_WRONLY,
            "O_RDWR", OpenFile.O_RDWR, "O_CREAT", OpenFile.O_CREAT, "O_EXCL", OpenFile.O_EXCL, "O_TRUNC", OpenFile.O_TRUNC,
            "O_APPEND", OpenFile.O_APPEND, "O_NONBLOCK", OpenFile.O_NONBLOCK);
    private static final long MAX_COUNT = 1L << 31;

    private FileCallLines() {
    }

    static Call build(String name, List<Expr> args, int line) {
        return switch (name) {
            case "open" -> {
                if (args.size() != 2 && args.size() != 3) {
                    throw new ScriptException(line, "open takes 2 or 3 arguments (path, flags[, mode]), got " + args.size());
                }
                if (!(args.get(0) instanceof Expr.Str path)) {
                    throw new ScriptException(line, "open's path is a \"string\", got '" + args.get(0) + "'");
                }
                yield new Call.Open(path.value(), (int) flags(args.get(1), OPEN_FLAGS, "open's flags", line));
            }
            case "lseek" -> {
                arity(name, args, 3, line);
                int whence;
                if (args.get(2) instanceof Expr.Word w && FileCalls.WHENCE.contains(w.name())) {
                    whence = FileCalls.WHENCE.indexOf(w.name());
                } else {
                    whence = (int) number(args.get(2), "whence (SEEK_SET, SEEK_CUR or SEEK_END)", -1, 2, line);
                }
                yield new Call.Lseek(fd(args.get(0), line), number(args.get(1), "the offset", Long.MIN_VALUE, Long.MAX_VALUE, line), whence);
            }
            case "pipe" -> {
                arity(name, args, 1, line);
                List<Integer> expected = null;
                if (args.get(0) instanceof Expr.ListOf list && list.items().size() == 2) {
                    expected = new ArrayList<>();
                    for (Expr item : list.items()) {
                        expected.add(fd(item, line));
                    }
                } else if (!(args.get(0) instanceof Expr.Ellipsis)) {
                    throw new ScriptException(line, "pipe's argument is [READ_FD, WRITE_FD], e.g. pipe([5, 6]), or ...");
                }
                yield new Call.Pipe(expected);
            }
            case "sendfile" -> {
                arity(name, args, 4, line);
                Long offset = null;
                if (args.get(2) instanceof Expr.ListOf list && list.items().size() == 1) {
                    offset = number(list.items().get(0), "the offset", 0, Long.MAX_VALUE, line);
                } else if (!isNull(args.get(2))) {
                    throw new ScriptException(line, "sendfile's offset is [N] or NULL, got '" + args.get(2) + "'");
                }
                yield new Call.SendFile(fd(args.get(0), line), fd(args.get(1), line), offset,
                        number(args.get(3), "the byte count", 0, MAX_COUNT, line));
            }
            case "splice" -> {
                arity(name, args, 6, line);
                if (!isNull(args.get(1)) || !isNull(args.get(3))) {
                    throw new ScriptException(line, "splice's offsets must be NULL: vkernel splices at the files' positions only");
                }
                yield new Call.Splice(fd(args.get(0), line), fd(args.get(2), line), number(args.get(4), "the length", 0, MAX_COUNT, line),
                        (int) flags(args.get(5), FileCalls.SPLICE_FLAGS, "splice's flags", line));
            }
            default -> throw new IllegalArgumentException(name);
        };
    }

    private static boolean isNull(Expr expr) {
        return expr instanceof Expr.Word w && w.name().equals("NULL") || expr instanceof Expr.Num n && n.value() == 0;
    }

    private static long flags(Expr expr, Map<String, Integer> names, String what, int line) {
        if (expr instanceof Expr.Num num) {
            return num.value();
        }
        if (expr instanceof Expr.Word word && names.containsKey(word.name())) {
            return names.get(word.name());
        }
        if (expr instanceof Expr.Or or) {
            long value = 0;
            for (Expr part : or.parts()) {
                value |= flags(part, names, what, line);
            }
            return value;
        }
        throw new ScriptException(line, what + " are a number or " + String.join("|", new java.util.TreeSet<>(names.keySet()))
                + " joined by '|', got '" + expr + "'");
    }

    private static int fd(Expr expr, int line) {
        return (int) number(expr, "the file descriptor", 0, 1 << 20, line);
    }

    private static long number(Expr expr, String what, long min, long max, int line) {
        if (expr instanceof Expr.Num num && num.value() >= min && num.value() <= max) {
            return num.value();
        }
        throw new ScriptException(line, what + " must be a number from " + min + " to " + max + ", got '" + expr + "'");
    }

    private static void arity(String name, List<Expr> args, int n, int line) {
        if (args.size() != n) {
            throw new ScriptException(line, name + " takes " + n + " arguments, got " + args.size());
        }
    }
}
