package io.vkernel.script;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Mangled scripts (characters dropped, doubled or replaced, lines swapped, numbers blown up) either parse and run
 * to a verdict or are refused with a line number; nothing else escapes, so the HTTP edge never answers 500.
 */
class HostileScriptTest {

    private static final String NOISE = "0123456789+-*~<>.:()[]{},=|/ \"SPFR.abcxyz...\n";

    @Test
    void mangledSuiteScripts_endInAVerdictOrALineNumberedRefusal() throws IOException {
        Random random = new Random(4);
        List<String> originals = new ArrayList<>();
        for (Path path : ScriptSuiteTest.scripts()) {
            originals.add(Files.readString(path));
        }
        int refused = 0;
        int ran = 0;
        int passed = 0;
        for (int i = 0; i < 3000; i++) {
            String mangled = mangle(originals.get(random.nextInt(originals.size())), random);
            try {
                ScriptReport report = ScriptRunner.run(ScriptParser.parse(mangled, ScriptLimits.defaults()), i, ScriptLimits.defaults());
                if (report.passed()) {
                    assertThat(report.failure()).as("a passing run names no failure").isNull();
                    passed++;
                } else {
                    assertThat(report.result()).isEqualTo("fail");
                    assertThat(report.failure()).as("a failing run says where and why").isNotNull();
                    assertThat(report.failure().detail()).isNotBlank();
                }
                ran++;
            } catch (ScriptException e) {
                assertThat(e.line()).as(e.getMessage()).isPositive();
                refused++;
            }
        }
        assertThat(refused).isPositive();
        assertThat(ran).isPositive();
        assertThat(passed).as("some mangling leaves a script that still passes").isPositive();
        assertThat(ran - passed).as("and some breaks what the kernel must do").isPositive();
    }

    private static String mangle(String script, Random random) {
        StringBuilder text = new StringBuilder(script);
        for (int edits = 1 + random.nextInt(3); edits > 0; edits--) {
            int at = random.nextInt(text.length());
            switch (random.nextInt(5)) {
                case 0 -> text.deleteCharAt(at);
                case 1 -> text.insert(at, text.charAt(at));
                case 2 -> text.setCharAt(at, NOISE.charAt(random.nextInt(NOISE.length())));
                case 3 -> text.insert(at, "99999999999");
                default -> {
                    String[] lines = text.toString().split("\n", -1);
                    int a = random.nextInt(lines.length);
                    int b = random.nextInt(lines.length);
                    String swap = lines[a];
                    lines[a] = lines[b];
                    lines[b] = swap;
                    text = new StringBuilder(String.join("\n", lines));
                }
            }
        }
        return text.toString();
    }
}
