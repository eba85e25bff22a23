package io.vkernel.api;

import io.swagger.v3.oas.annotations.Hidden;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.resource.NoResourceFoundException;

import java.net.URI;

/**
 * Errors the servlet container raises itself after a request reached it (an oversized body, a failure outside
 * Spring MVC) come to /error; they are answered as problems too. Unknown paths and wrong methods are handled
 * by {@link ProblemHandler} (404, and 405 with {@code Allow}); requests Tomcat refuses before any servlet runs
 * by {@link ProblemReportValve}.
 */
@RestController
@Hidden
class FallbackController implements ErrorController {

    @RequestMapping("/error")
    ResponseEntity<ProblemDetail> error(HttpServletRequest request) throws NoResourceFoundException {
        if (request.getDispatcherType() != DispatcherType.ERROR) {
            // Asked for by a client rather than forwarded by the container: there is no error to report, and
            // /error is not an endpoint, so it is the same 404 any unknown path gets (not a 500 for "no status").
            throw new NoResourceFoundException(HttpMethod.valueOf(request.getMethod()), request.getRequestURI(), request.getRequestURI());
        }
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        HttpStatus status = code instanceof Integer c && HttpStatus.resolve(c) != null ? HttpStatus.valueOf(c) : HttpStatus.INTERNAL_SERVER_ERROR;
        String detail = switch (status) {
            case NOT_FOUND -> "no such path; the API starts at /api/v1 and is described at /swagger-ui.html";
            case CONTENT_TOO_LARGE -> "the request body is too large";
            case BAD_REQUEST -> "the request could not be read: check the URL's %-escapes and the body";
            default -> status.getReasonPhrase();
        };
        ResponseEntity<ProblemDetail> problem = ProblemHandler.problem(status, "http-" + status.value(), status.getReasonPhrase(), detail, null);
        if (request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI) instanceof String uri) {
            problem.getBody().setInstance(URI.create(uri.replace(" ", "%20")));
        }
        return problem;
    }
}
