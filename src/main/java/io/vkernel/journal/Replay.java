package io.vkernel.journal;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.KernelConfig;
import io.vkernel.kernel.KernelInput;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Rebuilds a kernel from its journal: the header's settings make a fresh kernel, then each input is executed in
 * order, exactly as the original calls were. Every line is read and checked before the kernel is made, and an input
 * the kernel refuses on replay (a pid that never existed: the journal was edited) ends the replay with the step
 * named; the caller then has nothing to undo, since the kernel was never registered.
 */
public final class Replay {

    /** A journal read and checked: the header and the inputs, step 1 first. */
    public record Parsed(JournalCodec.Header header, List<KernelInput> inputs) {
    }

    private Replay() {
    }

    /** Parses NDJSON lines (the header first); blank lines at the end are ignored. */
    public static Parsed parse(List<String> lines) {
        int last = linesUpToTheLastNonBlank(lines);
        JournalCodec.Header header = JournalCodec.parseHeader(lines.get(0));
        List<KernelInput> inputs = new ArrayList<>(last - 1);
        for (int i = 1; i < last; i++) {
            inputs.add(JournalCodec.parseEntry(i + 1, lines.get(i)));
        }
        return new Parsed(header, inputs);
    }

    /**
     * Makes a kernel with {@code config} (the header's, perhaps with another id) through {@code factory} and executes
     * the first {@code steps} inputs on it.
     */
    public static Kernel run(Parsed journal, KernelConfig config, int steps, Function<KernelConfig, Kernel> factory) {
        if (steps < 0 || steps > journal.inputs().size()) {
            throw new IllegalArgumentException("step " + steps + " is past the journal's last step, " + journal.inputs().size());
        }
        Kernel kernel = factory.apply(config);
        kernel.limitParkedCalls(journal.header().parkedPerProcess(), journal.header().parkedPerKernel());
        for (int i = 0; i < steps; i++) {
            apply(kernel, i + 1, journal.inputs().get(i));
        }
        return kernel;
    }

    /** How many lines count: blank lines at the end are ignored; none left is an empty journal. */
    private static int linesUpToTheLastNonBlank(List<String> lines) {
        int last = lines.size();
        while (last > 0 && lines.get(last - 1).isBlank()) {
            last--;
        }
        if (last == 0) {
            throw new JournalException(1, "the journal is empty: the first line must be its header");
        }
        return last;
    }

    /** Executes step {@code step} (on line step + 1); a failure releases the kernel and names the line. */
    private static void apply(Kernel kernel, int step, KernelInput input) {
        try {
            input.applyTo(kernel);
        } catch (RuntimeException e) {
            kernel.releaseBudget();
            throw new JournalException(step + 1, "step " + step + " (" + input.op() + ") failed on replay: " + e.getMessage());
        }
    }

    /** A kernel rebuilt by {@link #stream} and how many inputs it executed. */
    public record Rebuilt(Kernel kernel, int steps) {
    }

    /**
     * Rebuilds a kernel from its lines (the header first; blank lines at the end ignored) reading and executing one
     * line at a time, for a restart: each input is garbage as soon as it has run, instead of a whole journal's inputs
     * living until the end of the replay (and being copied by each young collection meanwhile), so a long journal's
     * decoded inputs never all live at once (its lines, as read from the database, still do; the CPU is the same:
     * see BENCHMARKS.md). The result and every error are those of {@link #parse} then {@link #run} on a journal that replays, with one difference: a line that cannot be read is
     * found when the replay reaches it, so an earlier step that fails on replay is the error named. The kernel is
     * released when either happens; the caller has registered nothing.
     */
    public static Rebuilt stream(List<String> lines, Function<KernelConfig, Kernel> factory) {
        int last = linesUpToTheLastNonBlank(lines);
        JournalCodec.Header header = JournalCodec.parseHeader(lines.get(0));
        Kernel kernel = factory.apply(header.config());
        kernel.limitParkedCalls(header.parkedPerProcess(), header.parkedPerKernel());
        for (int i = 1; i < last; i++) {
            KernelInput input;
            try {
                input = JournalCodec.parseEntry(i + 1, lines.get(i));
            } catch (RuntimeException e) {
                kernel.releaseBudget();
                throw e;
            }
            apply(kernel, i, input);
        }
        return new Rebuilt(kernel, last - 1);
    }

    /** The lines of a journal: its header, then one line per input. */
    public static List<String> lines(JournalCodec.Header header, List<KernelInput> inputs) {
        List<String> lines = new ArrayList<>(inputs.size() + 1);
        lines.add(JournalCodec.header(header));
        for (int i = 0; i < inputs.size(); i++) {
            lines.add(JournalCodec.entry(i + 1, inputs.get(i)));
        }
        return lines;
    }
}
