package io.vkernel.api;

import com.jayway.jsonpath.JsonPath;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.request;

/**
 * Generated malformed requests for every endpoint with a body (from the running OpenAPI document): broken JSON,
 * wrong types in every field, numbers beyond their type, unknown enum values, unknown fields, oversized bodies.
 * Each must answer a 400 problem, and the kernels must look exactly as they did before. Scripts are fuzzed as the
 * text/plain they are sent as.
 */
class HostileInputTest extends HttpKernelTest {

    @Test
    void everyMalformedBody_isA400Problem_andChangesNothing() {
        connect("192.168.1.100", 54321);
        syscall("accept", "{\"fd\":3}");
        Object doc = JsonPath.parse(http.get("/v3/api-docs").body()).json();
        Map<String, Map<String, Object>> paths = JsonPath.read(doc, "$.paths");
        String before = snapshot();
        int generic = 0;
        int derived = 0;
        for (var path : paths.entrySet()) {
            for (String method : List.of("post", "put")) {
                Object operation = path.getValue().get(method);
                if (operation == null || !path.getKey().startsWith("/api/") || path.getKey().equals(SCRIPT_RUNS)) {
                    continue; // the script endpoint takes text/plain: fuzzed on its own below
                }
                String url = path.getKey().replace("{k}", base.substring("/api/v1/kernels/".length()))
                        .replace("{pid}", String.valueOf(pid)).replace("{name}", "net.core.somaxconn").replace("{call}", "socket")
                        .replace("{id}", "big-picture");
                for (String body : GENERIC_BAD_BODIES) {
                    expect400(method, url, body);
                    generic++;
                }
                for (String body : schemaDerivedBodies(doc, operation)) {
                    expect400(method, url, body);
                    derived++;
                }
            }
        }
        assertThat(generic).as("generic bad bodies sent").isGreaterThan(150);
        assertThat(derived).as("bad bodies derived from the request schemas").isGreaterThan(DERIVED_FLOOR);
        assertThat(snapshot()).as("the kernel is unchanged by rejected requests").isEqualTo(before);
        assertThat(http.get(base + "/check").<Boolean>at("$.ok")).isTrue();
    }

    @Test
    void mangledScripts_sentAsTextPlain_areA400ProblemNamingTheLine_andChangeNothing() {
        connect("192.168.1.100", 54321);
        String before = snapshot();
        Random random = new Random(18);
        String valid = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n"
                + "+0 < S 0:0(0) win 32792 <mss 1000>\n+0 > S. 0:0(0) ack 1 <...>\n+.1 < . 1:1(0) ack 1 win 257\n"
                + "+0 accept(3, ..., ...) = 4\n";
        int refused = 0;
        for (String script : List.of("`rm -rf /`\n", "%{ print(1) }%\n", "+0 frobnicate(3) = 0\n", "+x < S 0:0(0) win 1\n",
                "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = \n", "+0 < Q 0:0(0) win 1\n", "\u0000\u0001\u0002\n")) {
            refused += expectScriptRefused(script);
        }
        for (int i = 0; i < 40; i++) {
            StringBuilder text = new StringBuilder(valid);
            int at = random.nextInt(text.length());
            text.insert(at, "<>{}()[]@#$".charAt(random.nextInt(11)));
            text.insert(0, "+0 bogus_call(" + i + ")\n");
            refused += expectScriptRefused(text.toString());
        }
        assertThat(refused).isEqualTo(47);
        Http.Reply asJson = http.send(request(org.springframework.http.HttpMethod.POST, SCRIPT_RUNS)
                .contentType(MediaType.APPLICATION_JSON).content("{\"script\":\"0 socket() = 3\"}"));
        assertThat(asJson.status()).as("a script is sent as text/plain: " + asJson.body()).isEqualTo(415);
        Http.Reply ok = http.send(request(org.springframework.http.HttpMethod.POST, SCRIPT_RUNS)
                .contentType(MediaType.TEXT_PLAIN).content(valid));
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);
        assertThat(snapshot()).as("script runs use their own kernel").isEqualTo(before);
    }

    private int expectScriptRefused(String script) {
        Http.Reply reply = http.send(request(org.springframework.http.HttpMethod.POST, SCRIPT_RUNS)
                .contentType(MediaType.TEXT_PLAIN).content(script));
        String what = "script " + shorten(script) + " -> " + reply.status() + " " + shorten(reply.body());
        assertThat(reply.status()).as(what).isEqualTo(400);
        assertThat(reply.contentType()).as(what).isEqualTo("application/problem+json");
        assertThat(reply.body()).as(what).containsIgnoringCase("line").doesNotContain("Exception");
        return 1;
    }

    private void expect400(String method, String url, String body) {
        Http.Reply reply = http.send(request(method.equals("post") ? org.springframework.http.HttpMethod.POST
                : org.springframework.http.HttpMethod.PUT, url).contentType(MediaType.APPLICATION_JSON).content(body));
        String what = method.toUpperCase() + " " + url + " with " + shorten(body) + " -> " + reply.status() + " " + shorten(reply.body());
        assertThat(reply.status()).as(what).isEqualTo(400);
        assertThat(reply.contentType()).as(what).isEqualTo("application/problem+json");
        assertThat(reply.body()).as(what).doesNotContain("Exception").doesNotContain("io.vkernel.");
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

    private static final String SCRIPT_RUNS = "/api/v1/scripts/runs";
    /** Fewer than this many schema-derived bodies means the schemas were not read (the derivation broke). */
    private static final int DERIVED_FLOOR = 100;

    /** Wrong for any JSON endpoint: broken syntax, the wrong JSON type, numbers beyond any type. */
    private static final List<String> GENERIC_BAD_BODIES = List.of("{", "{\"a\":", "[1,2", "\"text\"", "12", "true",
            "{\"fd\":99999999999999999999999}", "{\"fd\":1e400}", "{\"fd\":{\"nested\":[[[[]]]]}}");

    /** For each field of the operation's request schema: a value of the wrong type or out of any range. */
    private static List<String> schemaDerivedBodies(Object doc, Object operation) {
        List<String> bodies = new ArrayList<>();
        if (!((Map<?, ?>) operation).containsKey("requestBody")) {
            return bodies;
        }
        List<String> refs = JsonPath.read(operation, "$.requestBody.content.*.schema..$ref");
        for (String ref : refs) {
            String name = ref.substring(ref.lastIndexOf('/') + 1);
            Map<String, Object> schema = JsonPath.read(doc, "$.components.schemas." + name);
            @SuppressWarnings("unchecked")
            Map<String, Map<String, Object>> properties = (Map<String, Map<String, Object>>) schema.get("properties");
            if (properties == null) {
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
        // which kernels exist (other test classes share this context, and a realtime kernel's clock moves on its own)
        return http.get("/api/v1/kernels").at("$[*].id").toString() + http.get(base).body() + http.get(base + "/processes").body() + http.get(base + "/connections").body()
                + http.get(base + "/packets?limit=10000").body() + http.get(base + "/listeners").body()
                + http.get(base + "/events?limit=10000").body() + http.get(base + "/sysctl").body();
    }

    private static String shorten(String s) {
        return s.length() > 160 ? s.substring(0, 160) + "..." : s;
    }
}
