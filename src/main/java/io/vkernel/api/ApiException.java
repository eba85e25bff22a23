package io.vkernel.api;

import org.springframework.http.HttpStatus;

/**
 * A request the kernel cannot execute, answered as an RFC 9457 problem: a stable type slug, a status, a detail
 * saying what to fix and, when one field is to blame, its name.
 */
class ApiException extends RuntimeException {

    private final HttpStatus status;
    private final String type;
    private final String title;
    private final String field;

    ApiException(HttpStatus status, String type, String title, String detail, String field) {
        super(detail, null, false, false);
        this.status = status;
        this.type = type;
        this.title = title;
        this.field = field;
    }

    static ApiException badField(String field, String detail) {
        return new ApiException(HttpStatus.BAD_REQUEST, "invalid-field", "Invalid field", detail, field);
    }

    static ApiException notFound(String what, String detail) {
        return new ApiException(HttpStatus.NOT_FOUND, what + "-not-found", "Not found", detail, null);
    }

    HttpStatus status() {
        return status;
    }

    String type() {
        return type;
    }

    String title() {
        return title;
    }

    String field() {
        return field;
    }
}
