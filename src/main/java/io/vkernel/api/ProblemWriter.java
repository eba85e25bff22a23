package io.vkernel.api;

import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes a problem where Spring MVC is not running (a servlet filter, Tomcat's error report): the same fields
 * and type URIs as {@link ProblemHandler}, written with a plain Jackson mapper because no message converter is at hand there.
 */
final class ProblemWriter {

    private ProblemWriter() {
    }

    static void write(HttpServletResponse response, HttpStatus status, String type, String title, String detail, String instance)
            throws IOException {
        write(response, status, type, title, detail, instance, null);
    }

    /** As above, naming the {@code field} (a parameter or header) the client should fix. */
    static void write(HttpServletResponse response, HttpStatus status, String type, String title, String detail, String instance,
                      String field) throws IOException {
        response.setStatus(status.value());
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        response.setCharacterEncoding(StandardCharsets.UTF_8.name());
        Writer out = response.getWriter();
        out.write(json(status, type, title, detail, instance, field));
        out.flush();
    }

    private static final JsonMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    static String json(HttpStatus status, String type, String title, String detail, String instance) {
        return json(status, type, title, detail, instance, null);
    }

    static String json(HttpStatus status, String type, String title, String detail, String instance, String field) {
        Map<String, Object> problem = new LinkedHashMap<>();
        problem.put("detail", detail);
        if (field != null) {
            problem.put("field", field);
        }
        if (instance != null) {
            problem.put("instance", instance);
        }
        problem.put("status", status.value());
        problem.put("title", title);
        problem.put("type", ProblemHandler.TYPE_BASE + type);
        return JSON.writeValueAsString(problem) + "\n";
    }
}
