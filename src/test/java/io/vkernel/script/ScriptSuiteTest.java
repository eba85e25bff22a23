package io.vkernel.script;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The project's own packetdrill scripts (src/test/resources/scripts/*.pkt): each one tells a story from the seed as
 * packets and system calls, and each must pass against a fresh kernel, on every seed.
 */
class ScriptSuiteTest {

    static final Path SUITE = Path.of("src", "test", "resources", "scripts");

    static List<Path> scripts() throws IOException {
        try (Stream<Path> files = Files.list(SUITE)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".pkt")).sorted().toList();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scripts")
    void script_passes(Path path) throws IOException {
        ScriptReport report = run(path, Harness.DEFAULT_SEED);
        assertThat(report.result()).as("%s%n%s", path, ReportText.render(report)).isEqualTo("pass");
        assertThat(report.lines()).allMatch(line -> line.status().equals("pass"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scripts")
    void script_passesWithAnotherSeed_becauseSequenceNumbersAreRelative(Path path) throws IOException {
        ScriptReport report = run(path, 0xC0FFEE);
        assertThat(report.result()).as("%s%n%s", path, ReportText.render(report)).isEqualTo("pass");
    }

    static ScriptReport run(Path path, long seed) throws IOException {
        Script script = ScriptParser.parse(Files.readString(path), ScriptLimits.defaults());
        return ScriptRunner.run(script, seed, ScriptLimits.defaults());
    }
}
