package io.vkernel.api;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** A misconfigured workshop mode stops the start with its one-line reason instead of a stack trace. */
public class WorkshopFailureAnalyzer extends AbstractFailureAnalyzer<WorkshopProperties.WorkshopMisconfigured> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, WorkshopProperties.WorkshopMisconfigured cause) {
        return new FailureAnalysis(cause.getMessage(), "Set the workshop properties as the description says, "
                + "or leave vkernel.workshop.enabled unset for open mode.", cause);
    }
}
