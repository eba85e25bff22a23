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
 * Scripts written as Linux behaves where vkernel does not yet (src/test/resources/scripts/linux-differs): each must
 * fail exactly at its line marked {@code // DIFFERS}. When one starts to pass, the kernel has been fixed: move the
 * script up into scripts/, where every script must pass.
 */
class LinuxDifferencesTest {

    static final Path DIFFERENCES = ScriptSuiteTest.SUITE.resolve("linux-differs");

    static List<Path> scripts() throws IOException {
        try (Stream<Path> files = Files.list(DIFFERENCES)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".pkt")).sorted().toList();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scripts")
    void vkernelStillDiffers_exactlyAtTheMarkedLine(Path path) throws IOException {
        List<String> text = Files.readAllLines(path);
        int marked = 0;
        for (int i = 0; i < text.size(); i++) {
            if (text.get(i).contains("// DIFFERS")) {
                marked = i + 1;
            }
        }
        assertThat(marked).as("%s marks the line where vkernel differs with '// DIFFERS'", path).isPositive();
        ScriptReport report = ScriptSuiteTest.run(path, Harness.DEFAULT_SEED);
        assertThat(report.result()).as("%s passes now: vkernel behaves as Linux here; move it to %s%n%s", path,
                ScriptSuiteTest.SUITE, ReportText.render(report)).isEqualTo("fail");
        assertThat(report.failure().line()).as("%s should fail at line %d, where Linux and vkernel differ%n%s", path, marked,
                ReportText.render(report)).isEqualTo(marked);
    }
}
