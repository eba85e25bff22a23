package io.vkernel;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import org.junit.jupiter.api.Test;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Surefire runs only classes named like its default includes (Test*, *Test, *Tests, *TestCase); a test class named
 * otherwise compiles, looks fine and never runs (the property tests went unrun that way). This lists every class in
 * target/test-classes that declares a test method or an ArchUnit rule and fails on any Surefire would skip.
 */
class TestNamingTest {

    /** Surefire's default includes, applied to the simple name of a top-level class. */
    static final Pattern SUREFIRE_INCLUDES = Pattern.compile("Test.*|.*Test|.*Tests|.*TestCase");

    static final Set<String> TEST_ANNOTATIONS = Set.of(
            "org.junit.jupiter.api.Test",
            "org.junit.jupiter.params.ParameterizedTest",
            "org.junit.jupiter.api.RepeatedTest",
            "org.junit.jupiter.api.TestFactory",
            "org.junit.jupiter.api.TestTemplate",
            "org.junit.Test",
            "net.jqwik.api.Property",
            "net.jqwik.api.Example",
            "com.tngtech.archunit.junit.ArchTest");

    static JavaClasses testClasses() throws URISyntaxException {
        Path root = Path.of(TestNamingTest.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        return new ClassFileImporter().importPath(root);
    }

    static boolean declaresTests(JavaClass type) {
        return type.getMethods().stream().anyMatch(m -> m.getAnnotations().stream()
                        .anyMatch(a -> TEST_ANNOTATIONS.contains(a.getRawType().getName())))
                || type.getFields().stream().anyMatch(f -> f.getAnnotations().stream()
                        .anyMatch(a -> TEST_ANNOTATIONS.contains(a.getRawType().getName())));
    }

    /** The class Surefire selects for this one: nested (@Nested) test classes run through their top-level class. */
    static JavaClass topLevel(JavaClass type) {
        JavaClass top = type;
        while (top.getEnclosingClass().isPresent()) {
            top = top.getEnclosingClass().get();
        }
        return top;
    }

    static boolean surefireRuns(JavaClass type) {
        return SUREFIRE_INCLUDES.matcher(topLevel(type).getSimpleName()).matches();
    }

    @Test
    void everyClassWithTests_isNamedSoSurefireRunsIt() throws URISyntaxException {
        List<JavaClass> withTests = testClasses().stream()
                .filter(TestNamingTest::declaresTests)
                .filter(c -> !c.getModifiers().contains(JavaModifier.ABSTRACT))
                .toList();
        List<String> skipped = withTests.stream().filter(c -> !surefireRuns(c)).map(JavaClass::getName).sorted().toList();

        assertThat(withTests).as("test classes found in target/test-classes").hasSizeGreaterThan(30)
                .extracting(JavaClass::getSimpleName).contains("TestNamingTest", "KernelPropertiesTest", "ArchitectureTest");
        assertThat(skipped).as("classes with tests that Surefire's *Test/*Tests naming rule would never run").isEmpty();
    }

    @Test
    void theRuleRejectsTheNameThatHidTheProperties() {
        assertThat(SUREFIRE_INCLUDES.matcher("KernelProperties").matches()).isFalse();
        assertThat(SUREFIRE_INCLUDES.matcher("KernelPropertiesTest").matches()).isTrue();
        assertThat(SUREFIRE_INCLUDES.matcher("HttpTests").matches()).isTrue();
    }

    @Test
    void jqwikIsNotOnTheTestClasspath() {
        // Its authors' usage terms exclude AI-assisted development, which is how this project is built.
        assertThatThrownBy(() -> Class.forName("net.jqwik.api.Property")).isInstanceOf(ClassNotFoundException.class);
    }
}
