package io.vkernel.api;

import io.vkernel.kernel.BudgetExceededException;
import io.vkernel.kernel.KernelLimitException;
import io.vkernel.kernel.NoSuchProcessException;
import io.vkernel.script.ScriptException;
import io.vkernel.script.ScriptTooLargeException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.validation.FieldError;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.HandlerMethodValidationException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;
import tools.jackson.core.JacksonException;

import org.springframework.beans.TypeMismatchException;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.context.request.ServletWebRequest;
import org.springframework.web.context.request.async.AsyncRequestTimeoutException;
import org.springframework.web.servlet.resource.NoResourceFoundException;

import java.net.URI;
import java.util.stream.Collectors;

/**
 * Turns every failure into an RFC 9457 problem ({@code application/problem+json}) with a stable {@code type},
 * a {@code detail} that says what to fix and the offending {@code field}. Nothing a client sends gives a 500;
 * an unexpected exception is logged and answered without its class name.
 */
@RestControllerAdvice
class ProblemHandler extends ResponseEntityExceptionHandler {

    static final String TYPE_BASE = "https://vkernel.dev/problems/";

    @ExceptionHandler(ApiException.class)
    ResponseEntity<ProblemDetail> api(ApiException e) {
        return problem(e.status(), e.type(), e.title(), e.getMessage(), e.field());
    }

    @ExceptionHandler(NoSuchProcessException.class)
    ResponseEntity<ProblemDetail> noProcess(NoSuchProcessException e) {
        return problem(HttpStatus.NOT_FOUND, "process-not-found", "Not found",
                "no process with pid " + e.pid() + " in this kernel; list them with GET .../processes", "pid");
    }

    /**
     * A memory budget is spent: 507 naming the budget ({@code kernel} or {@code service}), its setting, what is in
     * use and what the request could have added. Nothing was changed.
     */
    @ExceptionHandler(BudgetExceededException.class)
    ResponseEntity<ProblemDetail> budget(BudgetExceededException e) {
        ResponseEntity<ProblemDetail> response = problem(HttpStatus.INSUFFICIENT_STORAGE, "memory-budget",
                "Memory budget spent", e.getMessage(), null);
        ProblemDetail body = response.getBody();
        body.setProperty("budget", e.budget().name().toLowerCase(java.util.Locale.ROOT));
        body.setProperty("setting", e.budget().setting());
        body.setProperty("usedBytes", e.usedBytes());
        body.setProperty("requestedBytes", e.requestedBytes());
        body.setProperty("limitBytes", e.limitBytes());
        return response;
    }

    @ExceptionHandler(KernelLimitException.class)
    ResponseEntity<ProblemDetail> limit(KernelLimitException e) {
        return problem(HttpStatus.TOO_MANY_REQUESTS, "limit-reached", "Sandbox limit reached", e.getMessage(), null);
    }

    @ExceptionHandler(ScriptTooLargeException.class)
    ResponseEntity<ProblemDetail> scriptTooLarge(ScriptTooLargeException e) {
        return problem(HttpStatus.CONTENT_TOO_LARGE, "script-too-large", "Script too large", e.getMessage(), "script");
    }

    /** A script that cannot be run as written: the detail and the {@code line} property say where and why. */
    @ExceptionHandler(ScriptException.class)
    ResponseEntity<ProblemDetail> script(ScriptException e) {
        ResponseEntity<ProblemDetail> response = problem(HttpStatus.BAD_REQUEST, "script-error", "Script error",
                "line " + e.line() + ": " + e.getMessage(), "script");
        response.getBody().setProperty("line", e.line());
        return response;
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<ProblemDetail> unexpected(Exception e) {
        logger.error("unexpected failure", e);
        return problem(HttpStatus.INTERNAL_SERVER_ERROR, "internal", "Internal error",
                "vkernel hit an unexpected condition; the kernel's state was left as it was before this request", null);
    }

    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException e, HttpHeaders headers,
                                                                  HttpStatusCode status, WebRequest request) {
        String field = null;
        String detail = "the request body is not valid JSON for this call";
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BodyLimitFilter.BodyTooLargeException tooLarge) {
                return asObject(problem(HttpStatus.CONTENT_TOO_LARGE, "body-too-large", "Body too large",
                        tooLarge.getMessage() + " (vkernel.limits.max-body-bytes)", null));
            }
        }
        Throwable cause = e.getCause();
        if (cause instanceof JacksonException jackson) {
            field = jackson.getPath().stream()
                    .map(ref -> ref.getPropertyName() != null ? ref.getPropertyName() : "[" + ref.getIndex() + "]")
                    .collect(Collectors.joining(".")).replace(".[", "[");
            if (field.isEmpty()) {
                field = null;
            }
            String original = jackson.getOriginalMessage();
            if (jackson instanceof tools.jackson.databind.exc.UnrecognizedPropertyException unknown) {
                String known = unknown.getKnownPropertyIds() == null ? "" : unknown.getKnownPropertyIds().stream()
                        .map(String::valueOf).sorted().collect(Collectors.joining(", "));
                detail = "unknown field '" + unknown.getPropertyName() + "'" + (known.isEmpty() ? "" : "; this body takes: " + known);
            } else if (original != null) {
                int cut = original.indexOf(" at [Source");
                detail = (field != null ? "field '" + field + "': " : "") + jsonWords(cut > 0 ? original.substring(0, cut) : original);
                if (jackson instanceof tools.jackson.core.exc.StreamReadException && field == null) {
                    var where = jackson.getLocation();
                    detail = "the body is not valid JSON" + (where == null ? "" : " (line " + where.getLineNr() + ", column "
                            + where.getColumnNr() + ")") + ": " + detail + "; check its quotes, commas and braces, and in a "
                            + "shell wrap it in single quotes: -d '{\"name\":\"server\"}'";
                }
            }
        } else if (e.getMessage() != null && e.getMessage().startsWith("Required request body is missing")) {
            detail = "a JSON request body is required";
        }
        return asObject(problem(HttpStatus.BAD_REQUEST, "malformed-body", "Malformed request body", shorten(detail), field));
    }

    @Override
    protected ResponseEntity<Object> handleMethodArgumentNotValid(MethodArgumentNotValidException e, HttpHeaders headers,
                                                                  HttpStatusCode status, WebRequest request) {
        FieldError first = e.getBindingResult().getFieldError();
        String field = first == null ? null : first.getField();
        String detail = e.getBindingResult().getFieldErrors().stream()
                .map(error -> error.getField() + " " + error.getDefaultMessage() + " (got " + error.getRejectedValue() + ")")
                .collect(Collectors.joining("; "));
        return asObject(problem(HttpStatus.BAD_REQUEST, "invalid-field", "Invalid field", detail, field));
    }

    @Override
    protected ResponseEntity<Object> handleHandlerMethodValidationException(HandlerMethodValidationException e, HttpHeaders headers,
                                                                            HttpStatusCode status, WebRequest request) {
        var results = e.getParameterValidationResults();
        String field = results.isEmpty() ? null : results.get(0).getMethodParameter().getParameterName();
        String detail = results.stream()
                .flatMap(r -> r.getResolvableErrors().stream()
                        .map(err -> r.getMethodParameter().getParameterName() + " " + err.getDefaultMessage()
                                + " (got " + r.getArgument() + ")"))
                .collect(Collectors.joining("; "));
        return asObject(problem(HttpStatus.BAD_REQUEST, "invalid-field", "Invalid field", detail, field));
    }

    /**
     * Every exception Spring MVC raises itself (415, 405, 406, 404 for an unknown path, missing or mistyped
     * parameters...) ends here: it becomes one of our problems with a detail saying what to do, keeping the
     * headers Spring prepared ({@code Allow} on a 405, {@code Accept} on a 415). A client error is logged as one
     * line at debug level, never with a stack trace.
     */
    @Override
    protected ResponseEntity<Object> handleExceptionInternal(Exception e, Object body, HttpHeaders headers,
                                                             HttpStatusCode statusCode, WebRequest request) {
        HttpStatus status = HttpStatus.resolve(statusCode.value());
        if (status == null) {
            status = statusCode.is4xxClientError() ? HttpStatus.BAD_REQUEST : HttpStatus.INTERNAL_SERVER_ERROR;
        }
        String type = "http-" + status.value();
        String title = status.getReasonPhrase();
        String detail = body instanceof ProblemDetail pd && pd.getDetail() != null ? pd.getDetail() : title;
        String field = null;
        if (e instanceof HttpMediaTypeNotSupportedException unsupported) {
            type = "unsupported-media-type";
            String got = unsupported.getContentType() == null ? "no Content-Type" : "Content-Type '" + unsupported.getContentType() + "'";
            detail = "send JSON: add -H 'content-type: application/json' (got " + got + "; this endpoint takes "
                    + mediaTypes(unsupported.getSupportedMediaTypes()) + ")";
        } else if (e instanceof HttpRequestMethodNotSupportedException method) {
            type = "method-not-allowed";
            String allowed = method.getSupportedHttpMethods() == null ? "" : method.getSupportedHttpMethods().stream()
                    .map(HttpMethod::name).sorted().collect(Collectors.joining(", "));
            detail = method.getMethod() + " is not allowed on " + path(request) + "; allowed: " + allowed
                    + " (see /swagger-ui.html)";
        } else if (e instanceof HttpMediaTypeNotAcceptableException notAcceptable) {
            type = "not-acceptable";
            detail = "this resource is offered as " + mediaTypes(notAcceptable.getSupportedMediaTypes())
                    + "; send one of them in Accept, or leave Accept out"
                    + (notAcceptable.getSupportedMediaTypes().contains(MediaType.TEXT_PLAIN) ? " (text also with ?format=text)" : "");
        } else if (e instanceof NoResourceFoundException) {
            type = "path-not-found";
            title = "Not found";
            detail = "no endpoint " + method(request) + " " + path(request)
                    + "; the API starts at /api/v1 and is described at /swagger-ui.html";
        } else if (e instanceof MissingServletRequestParameterException missing) {
            type = "invalid-field";
            title = "Invalid field";
            field = missing.getParameterName();
            detail = "the query parameter '" + missing.getParameterName() + "' (" + missing.getParameterType()
                    + ") is required, e.g. ?" + missing.getParameterName() + "=...";
        } else if (e instanceof TypeMismatchException mismatch) {
            type = "invalid-field";
            title = "Invalid field";
            field = mismatch.getPropertyName();
            String expected = mismatch.getRequiredType() == null ? "a valid value" : mismatch.getRequiredType().getSimpleName().toLowerCase();
            detail = "'" + mismatch.getValue() + "' is not a valid " + field + ": expected " + expected;
        } else if (e instanceof AsyncRequestTimeoutException) {
            type = "timeout";
            detail = "the request timed out; retry it";
        }
        if (status.is4xxClientError()) {
            logger.debug("client error " + status.value() + " on " + method(request) + " " + path(request) + ": " + e.getMessage());
        } else {
            logger.warn("server error " + status.value() + " on " + method(request) + " " + path(request) + ": " + e);
        }
        ResponseEntity<ProblemDetail> problem = problem(status, type, title, shorten(detail), field);
        HttpHeaders merged = new HttpHeaders();
        if (headers != null) {
            merged.putAll(headers);
        }
        merged.setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        return new ResponseEntity<>(problem.getBody(), merged, status);
    }

    /** A form body with a broken %-escape fails in Tomcat's parameter parser before any converter sees it. */
    @ExceptionHandler(org.apache.tomcat.util.http.InvalidParameterException.class)
    ResponseEntity<ProblemDetail> badForm(Exception e) {
        return problem(HttpStatus.BAD_REQUEST, "malformed-body", "Malformed request body",
                "the body is not a valid form (a bad %-escape?), and this API takes JSON anyway: send JSON with "
                        + "-H 'content-type: application/json'", null);
    }

    private static String mediaTypes(java.util.List<MediaType> types) {
        return types.stream().map(t -> t.removeQualityValue().toString()).distinct().collect(Collectors.joining(", "));
    }

    private static String path(WebRequest request) {
        return request instanceof ServletWebRequest servlet ? servlet.getRequest().getRequestURI() : "";
    }

    private static String method(WebRequest request) {
        return request instanceof ServletWebRequest servlet ? servlet.getRequest().getMethod() : "";
    }

    static ResponseEntity<ProblemDetail> problem(HttpStatus status, String type, String title, String detail, String field) {
        ProblemDetail body = ProblemDetail.forStatusAndDetail(status, detail);
        body.setType(URI.create(TYPE_BASE + type));
        body.setTitle(title);
        if (field != null) {
            body.setProperty("field", field);
        }
        return ResponseEntity.status(status).contentType(org.springframework.http.MediaType.APPLICATION_PROBLEM_JSON).body(body);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static ResponseEntity<Object> asObject(ResponseEntity<ProblemDetail> entity) {
        return (ResponseEntity) entity;
    }

    private static final java.util.regex.Pattern JAVA_TYPE = java.util.regex.Pattern.compile("`([^`]*)`");

    /** Replaces the Java type names Jackson puts in its messages with the JSON words a client understands. */
    static String jsonWords(String message) {
        java.util.regex.Matcher m = JAVA_TYPE.matcher(message);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String type = m.group(1);
            String word;
            if (type.matches("(java\\.lang\\.)?(Integer|int|Long|long|Short|short|Double|double)")) {
                word = "a number";
            } else if (type.matches("(java\\.lang\\.)?String")) {
                word = "a string";
            } else if (type.matches("(java\\.lang\\.)?(Boolean|boolean)")) {
                word = "true or false";
            } else if (type.startsWith("java.util.") && (type.contains("List") || type.contains("Set"))) {
                word = "an array";
            } else if (type.startsWith("JsonToken.")) {
                word = type.substring("JsonToken.".length()).toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
            } else if (type.startsWith("io.vkernel") || type.startsWith("java.")) {
                word = "an object";
            } else {
                word = "'" + type + "'";
            }
            m.appendReplacement(out, java.util.regex.Matcher.quoteReplacement(word));
        }
        m.appendTail(out);
        return out.toString().replace("Cannot deserialize value of type", "expected").replace(" from ", ", got ")
                .replaceAll(" ?\\(class [^)]*\\)", "").replaceAll("io\\.vkernel\\.[\\w.$]+", "the request");
    }

    private static String shorten(String text) {
        return text.length() > 300 ? text.substring(0, 300) + "..." : text;
    }
}
