package io.vkernel.api;

import io.swagger.v3.oas.annotations.Hidden;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Problems for what no controller handles: an unknown path under /api answers 404 naming the entry points, and
 * any error the servlet container raises itself (an oversized body, a bad URL) is rendered as a problem too.
 */
@RestController
@Hidden
class FallbackController implements ErrorController {

    @RequestMapping("/api/**")
    ResponseEntity<ProblemDetail> unknownPath(HttpServletRequest request) {
        return ProblemHandler.problem(HttpStatus.NOT_FOUND, "path-not-found", "Not found",
                "no endpoint " + request.getMethod() + " " + request.getRequestURI()
                        + "; the API starts at /api/v1/kernels and is described at /swagger-ui.html", null);
    }

    @RequestMapping("/error")
    ResponseEntity<ProblemDetail> error(HttpServletRequest request) {
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        HttpStatus status = code instanceof Integer c && HttpStatus.resolve(c) != null ? HttpStatus.valueOf(c) : HttpStatus.INTERNAL_SERVER_ERROR;
        String detail = switch (status) {
            case NOT_FOUND -> "no such path; the API starts at /api/v1/kernels and is described at /swagger-ui.html";
            case CONTENT_TOO_LARGE -> "the request body is too large";
            default -> status.getReasonPhrase();
        };
        return ProblemHandler.problem(status, "http-" + status.value(), status.getReasonPhrase(), detail, null);
    }
}
