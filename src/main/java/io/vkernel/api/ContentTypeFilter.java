package io.vkernel.api;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;

/**
 * Refuses a request whose Content-Type names no format — a wildcard such as {@code *}{@code /*} or a header that
 * does not parse — with a 415 problem before Spring tries to read it (Spring would otherwise fail with
 * "Content-Type cannot contain wildcard type" deep inside argument resolution, a 500).
 */
class ContentTypeFilter extends OncePerRequestFilter {

    static final String ALLOWED = "application/json; a script run also takes text/plain";

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String header = request.getContentType();
        // only a request whose body is read needs a format: a GET's Content-Type names nothing anyone reads
        boolean hasBody = !HttpMethod.GET.matches(request.getMethod()) && !HttpMethod.HEAD.matches(request.getMethod())
                && !HttpMethod.DELETE.matches(request.getMethod()) && !HttpMethod.OPTIONS.matches(request.getMethod());
        if (hasBody && header != null && !header.isBlank()) {
            String problem = null;
            try {
                MediaType type = MediaType.parseMediaType(header);
                if (type.isWildcardType() || type.isWildcardSubtype()) {
                    problem = "Content-Type '" + header + "' is a wildcard and names no format";
                }
            } catch (InvalidMediaTypeException e) {
                problem = "Content-Type '" + header + "' is not a media type";
            }
            if (problem != null) {
                ProblemWriter.write(response, HttpStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", "Unsupported Media Type",
                        problem + "; send JSON: add -H 'content-type: application/json' (allowed: " + ALLOWED + ")",
                        request.getRequestURI());
                response.setHeader("Accept", MediaType.APPLICATION_JSON_VALUE + ", " + MediaType.TEXT_PLAIN_VALUE);
                return;
            }
        }
        chain.doFilter(request, response);
    }
}
