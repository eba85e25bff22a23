package io.vkernel.scenario;

import java.util.List;

/**
 * A finished run of one scenario: the kernel it played on (left in the sandbox registry to explore), the seed
 * that makes its numbers repeatable, the server's pid and every step.
 */
public record ScenarioRun(String scenario, String title, String seedSection, String kernel, long seed, int serverPid,
                          List<ScenarioStep> steps) {

    /** The run as a plain-text transcript, for a terminal. */
    public String transcript() {
        StringBuilder out = new StringBuilder();
        out.append(title).append("  (seed: ").append(seedSection).append(")\n");
        out.append("kernel ").append(kernel).append(", server pid ").append(serverPid).append("\n");
        for (ScenarioStep step : steps) {
            out.append("\n[").append(step.step()).append("] ").append(step.time()).append(" (clock ")
                    .append(step.clockMs()).append(" ms) ").append(step.title()).append('\n');
            // Time order: each action, then what the kernel sent in answer to it. Packets are marked as
            // packetdrill marks them: '<' for a packet coming in to the kernel, '>' for one it sends.
            for (ScenarioAction action : step.actions()) {
                out.append("  ").append(marker(action.kind())).append(' ').append(action.text()).append('\n');
                if (action.sent() != null) {
                    for (String packet : action.sent()) {
                        out.append("  > ").append(packet).append('\n');
                    }
                }
            }
            out.append(wrap(step.narration(), "  | ")).append('\n');
            for (KernelSnapshot.SnapshotConnection c : step.state().connections()) {
                out.append(String.format("    %-12s %-44s %s%n", c.state(), c.tuple(), c.owner()));
            }
            if (step.state().connectionCount() > step.state().connections().size()) {
                out.append("    ... ").append(step.state().connectionCount()).append(" connections in all\n");
            }
        }
        return out.toString();
    }

    private static String marker(String kind) {
        return switch (kind) {
            case "packet-in" -> "<";
            case "clock" -> "~";
            default -> "$";
        };
    }

    private static String wrap(String text, String prefix) {
        StringBuilder out = new StringBuilder();
        StringBuilder line = new StringBuilder(prefix);
        for (String word : text.split(" ")) {
            if (line.length() + word.length() + 1 > 110 && line.length() > prefix.length()) {
                out.append(line.toString().stripTrailing()).append('\n');
                line = new StringBuilder(prefix);
            }
            line.append(word).append(' ');
        }
        return out.append(line.toString().stripTrailing()).toString();
    }
}
