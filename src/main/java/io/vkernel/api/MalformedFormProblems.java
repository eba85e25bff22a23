package io.vkernel.api;

import org.apache.tomcat.util.http.InvalidParameterException;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * A form body or query string with a broken %-escape ({@code %zz}) is the client's mistake: a 400 problem, not the
 * 500 that the generic handler gave it (found by OpenApiFuzzTest). No stack trace is logged.
 */
@RestControllerAdvice
@Order(Ordered.HIGHEST_PRECEDENCE)
class MalformedFormProblems {

    @ExceptionHandler(InvalidParameterException.class)
    ResponseEntity<ProblemDetail> malformedForm(InvalidParameterException e) {
        return ProblemHandler.problem(HttpStatus.BAD_REQUEST, "malformed-parameters", "Malformed parameters",
                "the query string or form body has a %-escape that is not two hex digits (e.g. '%zz'); encode '%' as %25, "
                        + "and send request bodies as application/json", null);
    }
}
