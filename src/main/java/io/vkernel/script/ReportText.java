package io.vkernel.script;

import java.util.Locale;

/** A run report as a terminal shows it: one line per script line with ok/FAIL, then the details of a failure. */
public final class ReportText {

    private ReportText() {
    }

    public static String render(ScriptReport report) {
        StringBuilder out = new StringBuilder();
        ScriptReport.ScriptSetup setup = report.setup();
        out.append(report.passed() ? "PASS" : "FAIL").append(": ").append(report.summary()).append('\n');
        out.append("local ").append(setup.local()).append(", remote ").append(setup.remote()).append(", seed ").append(setup.seed())
                .append(", tolerance ").append(setup.toleranceUsecs()).append(" us");
        setup.sysctls().forEach((name, value) -> out.append(", ").append(name).append('=').append(value));
        out.append('\n');
        for (ScriptReport.ScriptLine line : report.lines()) {
            String time = line.time() == null ? "" : String.format(Locale.ROOT, "%.3f", line.time());
            out.append(String.format(Locale.ROOT, "%5s %-7s %9s  %s%n", line.line() == null ? "" : line.line(),
                    mark(line.status()), time, line.text()));
            if ("fail".equals(line.status()) || "blocked".equals(line.status())) {
                detail(out, "expected", line.expected());
                detail(out, "actual", line.actual());
                detail(out, "wire", line.wire());
                detail(out, "why", line.detail());
            }
        }
        return out.toString();
    }

    private static String mark(String status) {
        return switch (status) {
            case "pass" -> "ok";
            case "fail" -> "FAIL";
            case "blocked" -> "blocked";
            default -> "-";
        };
    }

    private static void detail(StringBuilder out, String label, String value) {
        if (value != null) {
            out.append(String.format(Locale.ROOT, "%25s %-9s %s%n", "", label + ":", value));
        }
    }
}
