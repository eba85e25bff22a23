package io.vkernel.api;

import com.jayway.jsonpath.JsonPath;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.request;

/**
 * Generated malformed requests for every endpoint with a body (from the running OpenAPI document): broken JSON,
 * wrong types in every field, numbers beyond their type, unknown enum values, unknown fields, oversized bodies.
 * Each must answer a 4xx problem, and the kernel must look exactly as it did before.
 */
class HostileInputTest extends HttpKernelTest {

    @Test
    void everyMalformedBody_isA4xxProblem_andChangesNothing() {
        connect("192.168.1.100", 54321);
        syscall("accept", "{\"fd\":3}");
        Object doc = JsonPath.parse(http.get("/v3/api-docs").body()).json();
        Map<String, Map<String, Object>> paths = JsonPath.read(doc, "$.paths");
        String before = snapshot();
        int sent = 0;
        for (var path : paths.entrySet()) {
            for (String method : List.of("post", "put")) {
                Object operation = path.getValue().get(method);
                if (operation == null || !path.getKey().startsWith("/api/")) {
                    continue;
                }
                String url = path.getKey().replace("{k}", base.substring("/api/v1/kernels/".length()))
                        .replace("{pid}", String.valueOf(pid)).replace("{name}", "net.core.somaxconn").replace("{call}", "socket")
                        .replace("{id}", "big-picture");
                for (String body : badBodies(doc, operation)) {
                    Http.Reply reply = http.send(request(method.equals("post") ? org.springframework.http.HttpMethod.POST
                            : org.springframework.http.HttpMethod.PUT, url).contentType(MediaType.APPLICATION_JSON).content(body));
                    String what = method.toUpperCase() + " " + url + " with " + shorten(body) + " -> " + reply.status() + " " + shorten(reply.body());
                    assertThat(reply.status()).as(what).isBetween(400, 499);
                    assertThat(reply.contentType()).as(what).isEqualTo("application/problem+json");
                    assertThat(reply.body()).as(what).doesNotContain("Exception").doesNotContain("io.vkernel.");
                    sent++;
                }
            }
        }
        assertThat(sent).as("requests generated").isGreaterThan(200);
        assertThat(snapshot()).as("the kernel is unchanged by rejected requests").isEqualTo(before);
        assertThat(http.get(base + "/check").<Boolean>at("$.ok")).isTrue();
    }

    @Test
    void badPathValues_areProblemsToo() {
        for (String url : List.of(base + "/processes/abc", base + "/processes/99999999999", base + "/connections/not-a-tuple",
                base + "/connections/1.2.3.4:5-6.7.8.9:70000", base + "/demux/buckets/-1", base + "/demux/buckets/99999999",
                base + "/packets?limit=0", base + "/events?limit=abc", base + "/connections?format=xml")) {
            Http.Reply reply = http.get(url);
            assertThat(reply.status()).as(url + " -> " + reply.body()).isBetween(400, 404);
            assertThat(reply.contentType()).as(url).isEqualTo("application/problem+json");
        }
    }

    @Test
    void anOversizedBody_is413() {
        String huge = "[" + ("{\"src\":\"192.168.1.100:1\",\"dst\":\"10.0.0.50:8080\",\"flags\":\"S\"},").repeat(40_000) + "{}]";
        Http.Reply reply = http.post(base + "/packets", huge);
        assertThat(reply.status()).isEqualTo(413);
        assertThat(reply.contentType()).isEqualTo("application/problem+json");
    }

    /** Bodies that are wrong for this operation: syntax, every field with a wrong type, out-of-range, unknown values. */
    private static List<String> badBodies(Object doc, Object operation) {
        List<String> bodies = new ArrayList<>(List.of("{", "{\"a\":", "[1,2", "\"text\"", "12", "true", "{\"unknownField\":1}",
                "{\"fd\":99999999999999999999999}", "{\"fd\":1e400}", "{\"fd\":{\"nested\":[[[[]]]]}}"));
        List<String> refs;
        try {
            refs = JsonPath.read(operation, "$.requestBody.content.*.schema..$ref");
        } catch (RuntimeException e) {
            refs = List.of();
        }
        for (String ref : refs) {
            String name = ref.substring(ref.lastIndexOf('/') + 1);
            Map<String, Map<String, Object>> properties;
            try {
                properties = JsonPath.read(doc, "$.components.schemas." + name + ".properties");
            } catch (RuntimeException e) {
                continue;
            }
            for (var property : properties.entrySet()) {
                String field = property.getKey();
                Object type = property.getValue().get("type");
                if ("integer".equals(type) || "number".equals(type)) {
                    bodies.add("{\"" + field + "\":\"not a number\"}");
                    bodies.add("{\"" + field + "\":123456789012345678901234567890}");
                    bodies.add("{\"" + field + "\":[1]}");
                } else if ("string".equals(type)) {
                    bodies.add("{\"" + field + "\":{\"x\":1}}");
                    bodies.add("{\"" + field + "\":[\"a\"]}");
                } else if ("array".equals(type)) {
                    bodies.add("{\"" + field + "\":7}");
                }
            }
        }
        return bodies;
    }

    private String snapshot() {
        return http.get(base).body() + http.get(base + "/processes").body() + http.get(base + "/connections").body()
                + http.get(base + "/packets?limit=10000").body() + http.get(base + "/listeners").body()
                + http.get(base + "/events?limit=10000").body() + http.get(base + "/sysctl").body();
    }

    private static String shorten(String s) {
        return s.length() > 160 ? s.substring(0, 160) + "..." : s;
    }
}
