package io.vkernel.api;

import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;

/** The {@code ?format=} switch: {@code json} (the default) or {@code text}, as the familiar tool prints it. */
final class Formats {

    private Formats() {
    }

    static boolean text(String format) {
        if (format == null || format.equals("json")) {
            return false;
        }
        if (format.equals("text")) {
            return true;
        }
        throw ApiException.badField("format", "format must be 'json' or 'text', got '" + format + "'");
    }

    static ResponseEntity<String> plain(String body) {
        return ResponseEntity.ok().contentType(MediaType.TEXT_PLAIN).body(body);
    }
}
