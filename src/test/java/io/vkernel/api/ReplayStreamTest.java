package io.vkernel.api;

import io.vkernel.journal.JournalCodec;
import io.vkernel.journal.JournalException;
import io.vkernel.journal.Replay;
import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.KernelBudget;
import io.vkernel.kernel.KernelCheck;
import io.vkernel.kernel.KernelConfig;
import io.vkernel.kernel.KernelInput;
import io.vkernel.kernel.MemoryBudget;
import io.vkernel.kernel.wire.Ipv4;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.generators.SourceDSL.longs;

/**
 * A restart rebuilds each kernel reading and executing its journal one line at a time ({@link Replay#stream}) instead
 * of decoding every line first: the kernel it gives must be the one {@link Replay#parse} then {@link Replay#run} give,
 * every view byte for byte, and a journal that cannot be replayed must still be refused naming its line, with the
 * half-built kernel's memory given back.
 */
class ReplayStreamTest {

    @Test
    void readingAndExecutingLineByLine_givesTheSameKernelAsDecodingFirst() {
        JournalReplayPropertiesTest.qt(60).forAll(longs().all(), JournalReplayPropertiesTest.actions()).checkAssert((seed, actions) -> {
            KernelConfig config = new KernelConfig("stream", Ipv4.parse("10.0.0.50"), seed, 64, seed % 2 == 0 ? "jhash" : "xor",
                    500, 500, 16, 1000);
            JournalReplayPropertiesTest.Driven driven = JournalReplayPropertiesTest.drive(config, actions);
            List<String> lines = new ArrayList<>(driven.lines());
            lines.add(""); // a trailing blank line, as an exported file ends, is not a step
            Replay.Rebuilt streamed = Replay.stream(lines, Kernel::new);
            Replay.Parsed parsed = Replay.parse(lines);
            Kernel decodedFirst = Replay.run(parsed, parsed.header().config(), parsed.inputs().size(), Kernel::new);

            assertThat(streamed.steps()).isEqualTo(driven.lines().size() - 1);
            assertThat(JournalReplayPropertiesTest.fingerprint(streamed.kernel()))
                    .isEqualTo(JournalReplayPropertiesTest.fingerprint(decodedFirst))
                    .isEqualTo(JournalReplayPropertiesTest.fingerprint(driven.kernel()));
            assertThat(streamed.kernel().inspect(KernelCheck::run).violations()).isEmpty();
        });
    }

    @Test
    void aStepThatFailsOrALineThatCannotBeRead_isNamedAndTheKernelsMemoryIsGivenBack() {
        KernelConfig config = KernelConfig.defaults("x", 7);
        MemoryBudget service = new MemoryBudget(1L << 30);
        KernelBudget budget = new KernelBudget(1L << 28, 1L << 24, 1L << 24, service);
        List<Kernel> built = new ArrayList<>();
        List<String> lines = new ArrayList<>(Replay.lines(new JournalCodec.Header(config, 4, 16, null, Map.of()),
                List.of(new KernelInput.Spawn("a"), new KernelInput.Advance(5), new KernelInput.Exit(99))));

        Replay.Rebuilt prefix = Replay.stream(lines.subList(0, 3), c -> new Kernel(c, budget));
        assertThat(prefix.steps()).isEqualTo(2);
        assertThat(service.usedBytes()).as("a kernel charges the service budget").isPositive();
        prefix.kernel().releaseBudget();
        assertThat(service.usedBytes()).isZero();

        assertThatThrownBy(() -> Replay.stream(lines, c -> keep(built, new Kernel(c, budget))))
                .isInstanceOf(JournalException.class).hasMessageContaining("line 4").hasMessageContaining("step 3 (exit)");
        assertThat(built).hasSize(1);
        assertThat(service.usedBytes()).as("the refused kernel's charge is released").isZero();

        lines.set(2, lines.get(2).substring(0, 10)); // truncated mid-line
        assertThatThrownBy(() -> Replay.stream(lines, c -> keep(built, new Kernel(c, budget))))
                .isInstanceOf(JournalException.class).hasMessageStartingWith("line 3:").hasMessageContaining("truncated or corrupt");
        assertThat(built).hasSize(2);
        assertThat(service.usedBytes()).isZero();

        assertThatThrownBy(() -> Replay.stream(List.of(lines.get(0).replace("\"version\":1", "\"version\":2")), Kernel::new))
                .hasMessageContaining("newer");
        assertThatThrownBy(() -> Replay.stream(List.of(" ", ""), Kernel::new)).hasMessageContaining("empty");
    }

    private static Kernel keep(List<Kernel> built, Kernel kernel) {
        built.add(kernel);
        return kernel;
    }
}
