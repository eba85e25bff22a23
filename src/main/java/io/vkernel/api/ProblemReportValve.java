package io.vkernel.api;

import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.springframework.http.HttpStatus;

import java.io.IOException;

/**
 * Tomcat's error report, as a problem instead of its HTML page. Tomcat refuses some requests before any servlet
 * runs — an encoded NUL ({@code %00}) or slash ({@code %2F}) in the path, a malformed %-escape, a bad request
 * line — and renders them with the host's {@link ErrorReportValve}; this subclass takes that valve's place
 * (see {@link SurfaceConfig}) and writes the same {@code application/problem+json} our handler writes.
 */
class ProblemReportValve extends ErrorReportValve {

    ProblemReportValve() {
        setShowReport(false);
        setShowServerInfo(false);
    }

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int code = response.getStatus();
        if (code < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
            return;
        }
        HttpStatus status = HttpStatus.resolve(code);
        if (status == null) {
            status = code < 500 ? HttpStatus.BAD_REQUEST : HttpStatus.INTERNAL_SERVER_ERROR;
        }
        String detail = status == HttpStatus.BAD_REQUEST
                ? "the request was refused before reaching vkernel: " + (response.getMessage() == null ? "malformed request" : response.getMessage())
                + ". A path may not contain an encoded NUL (%00), slash (%2F) or backslash (%5C), or a broken %-escape; "
                + "kernel ids are lower-case letters, digits and '-'"
                : status.getReasonPhrase();
        try {
            response.setContentType("application/problem+json");
            response.setCharacterEncoding("UTF-8");
            var writer = response.getReporter();
            if (writer != null) {
                writer.write(ProblemWriter.json(status, status == HttpStatus.BAD_REQUEST ? "bad-request" : "http-" + code,
                        status.getReasonPhrase(), detail, null));
                response.finishResponse();
            }
        } catch (IOException | IllegalStateException e) {
            // The client is gone or the response cannot take a body: nothing more to tell it.
        }
    }
}
