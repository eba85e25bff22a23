package io.vkernel.api;

import io.vkernel.kernel.BudgetExceededException;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * A request refused because a memory budget is spent: 507 Insufficient Storage, naming the budget ({@code kernel}
 * or {@code service}), its setting, what is in use and what the request could have added. Nothing was changed.
 */
@RestControllerAdvice
@Order(Ordered.HIGHEST_PRECEDENCE)
class BudgetProblems {

    @ExceptionHandler(BudgetExceededException.class)
    ResponseEntity<ProblemDetail> budget(BudgetExceededException e) {
        ResponseEntity<ProblemDetail> response = ProblemHandler.problem(HttpStatus.INSUFFICIENT_STORAGE, "memory-budget",
                "Memory budget spent", e.getMessage(), null);
        ProblemDetail body = response.getBody();
        body.setProperty("budget", e.budget().name().toLowerCase(java.util.Locale.ROOT));
        body.setProperty("setting", e.budget().setting());
        body.setProperty("usedBytes", e.usedBytes());
        body.setProperty("requestedBytes", e.requestedBytes());
        body.setProperty("limitBytes", e.limitBytes());
        return response;
    }
}
