package io.vkernel.api;

import io.vkernel.VkernelApplication;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Workshop mode that could not keep anyone out does not start, and says in one line what to set. */
@ExtendWith(OutputCaptureExtension.class)
class WorkshopStartupTest {

    /** Starts the service as from a command line (arguments win over application.yaml); it must fail. */
    private static void start(String... arguments) {
        new SpringApplicationBuilder(VkernelApplication.class)
                .properties("server.port=0", "spring.main.banner-mode=off")
                .run(arguments).close();
    }

    @Test
    void withoutAnInstructorToken_theServiceDoesNotStart_andSaysWhatToSet(CapturedOutput output) {
        assertThatThrownBy(() -> start("--vkernel.workshop.enabled=true")).hasRootCauseInstanceOf(WorkshopProperties.WorkshopMisconfigured.class);
        assertThat(output.getAll()).contains("APPLICATION FAILED TO START")
                .contains("workshop mode (vkernel.workshop.enabled=true) needs an instructor token: set vkernel.workshop.instructor-token "
                        + "(or VKERNEL_WORKSHOP_INSTRUCTOR_TOKEN)");
    }

    @Test
    void aShortInstructorToken_isRefused() {
        assertThatThrownBy(() -> start("--vkernel.workshop.enabled=true", "--vkernel.workshop.instructor-token=letmein"))
                .rootCause().hasMessageContaining("is 7 characters long; use at least 16");
    }
}
