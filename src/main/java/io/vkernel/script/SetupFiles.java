package io.vkernel.script;

import io.vkernel.kernel.fs.VirtualFs;

import java.util.List;

/**
 * The file-making idioms of the public suites' setup lines, understood and never run: {@code rm -f PATH} and
 * {@code dd if=/dev/zero of=PATH bs=B count=N [status=none]} (google/packetdrill's sendfile test writes five zero
 * bytes this way, since packetdrill expects payloads of zeroes). They act on the run's kernel's files under /tmp.
 */
final class SetupFiles {

    static final String FORMS = "rm [-f] /tmp/NAME ...; dd if=/dev/zero of=/tmp/NAME bs=B count=N [status=none|noxfer]";

    /** A file made of {@code size} zero bytes, or ({@code size} -1) a name removed. */
    record Op(String path, int size) {
        boolean remove() {
            return size < 0;
        }
    }

    private SetupFiles() {
    }

    static boolean handles(String cmd) {
        return cmd.equals("rm") || cmd.endsWith("/rm") || cmd.equals("dd") || cmd.endsWith("/dd");
    }

    /** {@code words} as file operations added to {@code ops}; a form outside {@link #FORMS} is refused with {@code line}. */
    static void parse(List<String> words, int line, String shown, List<Op> ops) {
        String cmd = words.get(0);
        if (cmd.equals("rm") || cmd.endsWith("/rm")) {
            boolean any = false;
            for (String word : words.subList(1, words.size())) {
                if (word.equals("-f")) {
                    continue;
                }
                ops.add(new Op(path(word, line, shown), -1));
                any = true;
            }
            if (!any) {
                throw refuse(line, shown, "rm needs a path");
            }
            return;
        }
        String input = null;
        String output = null;
        long bs = 512; // dd's default block size
        Long count = null;
        for (String word : words.subList(1, words.size())) {
            int eq = word.indexOf('=');
            String key = eq < 0 ? word : word.substring(0, eq);
            String value = eq < 0 ? "" : word.substring(eq + 1);
            switch (key) {
                case "if" -> input = value;
                case "of" -> output = value;
                case "bs" -> bs = size(value, line, shown);
                case "count" -> count = size(value, line, shown);
                case "status" -> {
                    if (!List.of("none", "noxfer", "progress").contains(value)) {
                        throw refuse(line, shown, "status= is none, noxfer or progress");
                    }
                }
                default -> throw refuse(line, shown, "dd operands understood: if=/dev/zero, of=, bs=, count=, status=");
            }
        }
        if (!"/dev/zero".equals(input)) {
            throw refuse(line, shown, "dd reads only if=/dev/zero here (the files hold zero bytes, as packetdrill's payloads do)");
        }
        if (output == null || count == null) {
            throw refuse(line, shown, "dd needs of=PATH and count=N");
        }
        long total = bs * count;
        if (bs > VirtualFs.MAX_FILE_BYTES || count > VirtualFs.MAX_FILE_BYTES || total > VirtualFs.MAX_FILE_BYTES) {
            throw refuse(line, shown, "a file holds at most " + VirtualFs.MAX_FILE_BYTES + " bytes; bs*count is " + total);
        }
        ops.add(new Op(path(output, line, shown), (int) total));
    }

    private static String path(String path, int line, String shown) {
        String invalid = VirtualFs.invalidPath(path);
        if (invalid != null) {
            throw refuse(line, shown, invalid);
        }
        return path;
    }

    /** A dd size: digits with an optional K, M (1024-based, as dd reads them) or c (bytes) suffix. */
    private static long size(String text, int line, String shown) {
        if (!text.matches("[0-9]{1,9}[cKM]?")) {
            throw refuse(line, shown, "a dd size is a number with an optional c, K or M suffix, got '" + text + "'");
        }
        char last = text.charAt(text.length() - 1);
        long multiplier = last == 'K' ? 1024 : last == 'M' ? 1024 * 1024 : 1;
        return Long.parseLong(Character.isDigit(last) ? text : text.substring(0, text.length() - 1)) * multiplier;
    }

    private static ScriptException refuse(int line, String command, String why) {
        return new ScriptException(line, "the backquoted command '" + command + "' is not understood (" + why
                + "). vkernel never runs commands from a script; for files it understands: " + FORMS);
    }
}
