package io.vkernel;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/** The layering DESIGN.md draws: api -> sandbox -> kernel (and api -> script -> kernel), plain Java below api. */
@AnalyzeClasses(packages = "io.vkernel", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    @ArchTest
    static final ArchRule kernelIsPlainJava = noClasses().that().resideInAPackage("io.vkernel.kernel..")
            .should().dependOnClassesThat().resideInAnyPackage("org.springframework..", "jakarta..", "javax.servlet..", "lombok..")
            .because("the kernel core is a library a test can drive without Spring");

    @ArchTest
    static final ArchRule kernelKnowsNothingAbove = noClasses().that().resideInAPackage("io.vkernel.kernel..")
            .should().dependOnClassesThat().resideInAnyPackage("io.vkernel.api..", "io.vkernel.sandbox..");

    @ArchTest
    static final ArchRule sandboxKnowsNothingOfHttp = noClasses().that().resideInAPackage("io.vkernel.sandbox..")
            .should().dependOnClassesThat().resideInAnyPackage("io.vkernel.api..", "org.springframework.web..");

    @ArchTest
    static final ArchRule scriptRunnerIsPlainJava = noClasses().that().resideInAPackage("io.vkernel.script..")
            .should().dependOnClassesThat().resideInAnyPackage("org.springframework..", "jakarta..", "io.vkernel.api..",
                    "io.vkernel.sandbox..")
            .because("the script runner drives a private kernel and is testable without Spring");

    @ArchTest
    static final ArchRule layersHaveNoCycles = slices().matching("io.vkernel.(*)..").should().beFreeOfCycles();
}
