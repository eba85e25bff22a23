package io.vkernel.bench;

import io.vkernel.script.Harness;
import io.vkernel.script.Script;
import io.vkernel.script.ScriptException;
import io.vkernel.script.ScriptLimits;
import io.vkernel.script.ScriptParser;
import io.vkernel.script.ScriptReport;
import io.vkernel.script.ScriptRunner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Runs every {@code .pkt} under the given directories, unmodified, through the script runner exactly as
 * {@code POST /api/v1/scripts/runs} does, and tallies pass / fail / refused per directory with the first reason of
 * each failure. Not part of verify: the public suites are GPL-2.0 and live outside the repository (see FIDELITY.md):
 * <pre>
 * ./mvnw -q test-compile exec:exec@fidelity -Dfidelity.args="/tmp/pd/gtests/net/tcp"
 * </pre>
 * Arguments: directories, and optionally {@code --prepend=TEXT} (a line put before every script, e.g. the 2013
 * suite's {@code // vkernel-sysctl net.ipv4.tcp_rmem=4096 87380 3145728}) and {@code -v} (one line per script).
 */
public final class PublicScriptTally {

    private record Outcome(String dir, String file, String kind, String reason) {
    }

    public static void main(String[] args) throws IOException {
        List<Path> roots = new ArrayList<>();
        String prepend = null;
        boolean verbose = false;
        for (String arg : args) {
            if (arg.startsWith("--prepend=")) {
                prepend = arg.substring("--prepend=".length());
            } else if (arg.equals("-v")) {
                verbose = true;
            } else if (arg.equals("--report")) {
                report = true; // every failing script's whole report, line by line
            } else {
                roots.add(Path.of(arg));
            }
        }
        List<Outcome> outcomes = new ArrayList<>();
        for (Path root : roots) {
            List<Path> files;
            try (Stream<Path> walk = Files.walk(root)) {
                files = walk.filter(p -> p.toString().endsWith(".pkt")).sorted().toList();
            }
            for (Path file : files) {
                String dir = root.getFileName() + "/" + root.relativize(file.getParent());
                String text = Files.readString(file);
                if (prepend != null) {
                    text = prepend + "\n" + text;
                }
                outcomes.add(run(dir, file.getFileName().toString(), text, prepend != null));
            }
        }
        Map<String, int[]> perDir = new TreeMap<>();
        Map<String, String> firstReason = new TreeMap<>();
        Map<String, Integer> reasons = new TreeMap<>();
        for (Outcome o : outcomes) {
            int[] counts = perDir.computeIfAbsent(o.dir(), d -> new int[4]);
            counts[switch (o.kind()) { case "pass" -> 0; case "fail" -> 1; case "refused" -> 2; default -> 3; }]++;
            if (!o.kind().equals("pass")) {
                firstReason.putIfAbsent(o.dir(), o.file() + ": " + o.kind() + ": " + o.reason());
                reasons.merge(o.kind() + ": " + o.reason().replaceAll("line \\d+", "line N").replaceAll("\\d+", "N"), 1, Integer::sum);
            }
            if (verbose) {
                System.out.printf("%-8s %s/%s %s%n", o.kind(), o.dir(), o.file(), o.kind().equals("pass") ? "" : o.reason());
            }
        }
        int[] total = new int[4];
        System.out.printf("%-40s %5s %5s %5s %5s %5s%n", "directory", "total", "pass", "fail", "refus", "error");
        perDir.forEach((dir, c) -> {
            System.out.printf("%-40s %5d %5d %5d %5d %5d%n", dir, c[0] + c[1] + c[2] + c[3], c[0], c[1], c[2], c[3]);
            for (int i = 0; i < 4; i++) {
                total[i] += c[i];
            }
        });
        System.out.printf("%-40s %5d %5d %5d %5d %5d%n", "TOTAL", total[0] + total[1] + total[2] + total[3], total[0], total[1], total[2], total[3]);
        System.out.println();
        System.out.println("first failure per directory:");
        firstReason.forEach((dir, reason) -> System.out.println("  " + dir + ": " + reason));
        System.out.println();
        System.out.println("reasons, most frequent first:");
        reasons.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue()).limit(40)
                .forEach(e -> System.out.printf("%4d %s%n", e.getValue(), e.getKey()));
    }

    private static boolean report;

    private static Outcome run(String dir, String file, String text, boolean shifted) {
        try {
            Script script = ScriptParser.parse(text, ScriptLimits.defaults());
            ScriptReport report = ScriptRunner.run(script, Harness.DEFAULT_SEED, ScriptLimits.defaults());
            if (report.passed()) {
                return new Outcome(dir, file, "pass", "");
            }
            if (PublicScriptTally.report) {
                System.out.println("==== " + dir + "/" + file + "\n" + io.vkernel.script.ReportText.render(report));
            }
            ScriptReport.ScriptFailure failure = report.failure();
            return new Outcome(dir, file, "fail", shorten(failure == null ? report.summary() : failure.detail()));
        } catch (ScriptException e) {
            return new Outcome(dir, file, "refused", shorten("line " + (e.line() - (shifted ? 1 : 0)) + ": " + e.getMessage()));
        } catch (RuntimeException e) {
            return new Outcome(dir, file, "error", shorten(e.toString()));
        }
    }

    private static String shorten(String s) {
        String one = s.replace('\n', ' ');
        return one.length() > 160 ? one.substring(0, 160) + "..." : one;
    }
}
