package io.vkernel.api;

import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.HttpStatus;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

import java.util.List;

/**
 * The {@code ?format=} switch: {@code json} (the default) or {@code text}, as the familiar tool prints it.
 * Without {@code ?format=}, an {@code Accept} header that prefers {@code text/plain} to JSON means the same as
 * {@code ?format=text}, so {@code curl -H 'accept: text/plain'} works too ({@link FormatParameterFilter} makes an
 * explicit {@code ?format=} override the Accept header).
 */
final class Formats {

    private Formats() {
    }

    static boolean text(String format) {
        if (format == null) {
            return prefersText(accept());
        }
        if (format.equals("text")) {
            return true;
        }
        if (!format.equals("json")) {
            throw ApiException.badField("format", "format must be 'json' or 'text', got '" + format + "'");
        }
        return false;
    }

    static ResponseEntity<String> plain(String body) {
        return ResponseEntity.ok().contentType(MediaType.TEXT_PLAIN).body(body);
    }

    /** True when text/plain ranks above every JSON type in the Accept header (quality first, then order). */
    static boolean prefersText(String accept) {
        List<MediaType> types = parse(accept);
        double best = -1;
        boolean text = false;
        for (MediaType type : types) {
            double q = type.getQualityValue();
            if (q <= best || q == 0) {
                continue;
            }
            if (type.includes(MediaType.TEXT_PLAIN) && !type.isWildcardType()) {
                best = q;
                text = true;
            } else if (type.isCompatibleWith(MediaType.APPLICATION_JSON)) {
                best = q;
                text = false;
            }
        }
        return text;
    }

    private static List<MediaType> parse(String accept) {
        if (accept == null || accept.isBlank()) {
            return List.of(MediaType.ALL);
        }
        try {
            return MediaType.parseMediaTypes(accept);
        } catch (InvalidMediaTypeException e) {
            throw new ApiException(HttpStatus.NOT_ACCEPTABLE, "not-acceptable", "Not Acceptable",
                    "the Accept header '" + accept + "' is not a list of media types; try application/json or text/plain", null);
        }
    }

    private static String accept() {
        if (RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes attributes) {
            HttpServletRequest request = attributes.getRequest();
            return request.getHeader("Accept");
        }
        return null;
    }
}
