package io.vkernel.api;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleRequest;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.ValidationReport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import tools.jackson.databind.json.JsonMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs the published contract the way a workshop does in Swagger UI: every operation, in the order Swagger UI shows
 * them (tags in order, then paths, then methods), with only the examples the spec gives, against a real server on a
 * random port. Each request and answer is checked against openapi/openapi.yaml by swagger-request-validator: the
 * status must be a documented 2xx, the headers it documents present, the body valid for its schema. Then one of each
 * operation's documented 4xx is provoked and checked the same way (an RFC 9457 problem of the shared schema).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenApiExamplesTest {

    private static final Path CONTRACT = Path.of("openapi", "openapi.yaml");
    private static final List<String> METHODS = List.of("get", "put", "post", "delete", "options", "head", "patch", "trace");

    @LocalServerPort
    int port;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final JsonMapper json = JsonMapper.builder().build();
    private OpenApiInteractionValidator validator;
    private Map<String, Object> spec;

    /** One operation as Swagger UI would send it with its defaults. */
    record Call(String id, String method, String template, Map<String, Object> operation) {
    }

    @BeforeAll
    void loadContract() throws IOException {
        String text = Files.readString(CONTRACT, StandardCharsets.UTF_8);
        validator = OpenApiInteractionValidator.createForInlineApiSpecification(text).build();
        spec = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
    }

    /** Leaves the shared service as a fresh one: other test classes may run in this Spring context after this one. */
    @AfterAll
    void removeTheKernelsTheWalkMade() throws Exception {
        Exchange list = send("GET", "/api/v1/kernels", null, null, "application/json", Map.of());
        for (Object kernel : json.readValue(list.body(), List.class)) {
            send("DELETE", "/api/v1/kernels/" + map(kernel).get("id"), null, null, "*/*", Map.of());
        }
    }

    @Test
    void everyOperation_hasAnExampleForEachInputAndADocumented4xx() {
        List<String> missing = new ArrayList<>();
        List<Call> walk = walk();
        map(spec.get("paths")).forEach((template, item) -> {
            for (String method : METHODS) {
                Map<String, Object> operation = map(map(item).get(method));
                if (!operation.isEmpty() && walk.stream().noneMatch(c -> c.operation() == operation)) {
                    missing.add(operation.get("operationId") + ": not under any tag of the walk-through, so never run");
                }
            }
        });
        for (Call call : walk) {
            for (Map<String, Object> parameter : parameters(call)) {
                if (parameter.get("example") == null) {
                    missing.add(call.id() + ": parameter '" + parameter.get("name") + "' has no example");
                }
            }
            Map<String, Object> body = map(call.operation().get("requestBody"));
            for (Map.Entry<String, Object> media : map(body.get("content")).entrySet()) {
                if (map(media.getValue()).get("example") == null) {
                    missing.add(call.id() + ": request body (" + media.getKey() + ") has no example");
                }
            }
            if (map(call.operation().get("responses")).keySet().stream().noneMatch(code -> code.startsWith("4"))) {
                missing.add(call.id() + ": no 4xx response is documented");
            }
            if (call.operation().get("description") == null) {
                missing.add(call.id() + ": no description");
            }
        }
        assertThat(missing).as("every operation needs examples, a description and its 4xx in openapi/openapi.yaml").isEmpty();
        assertThat(walk()).hasSizeGreaterThan(40);
    }

    @Test
    void everyExample_runInWalkThroughOrder_answersAsTheContractSays() throws Exception {
        // Another test in this Spring context may have made the kernel the createKernel example names.
        send("DELETE", "/api/v1/kernels/lab", null, null, "application/problem+json", Map.of());
        List<String> failures = new ArrayList<>();
        List<String> ran = new ArrayList<>();
        for (Call call : walk()) {
            Exchange exchange = run(call, Map.of(), null, null);
            ran.add(call.id() + " " + exchange.status());
            if (exchange.status() < 200 || exchange.status() > 299) {
                failures.add(call.id() + ": " + call.method().toUpperCase() + " " + exchange.path() + " answered "
                        + exchange.status() + " " + exchange.body());
                continue;
            }
            failures.addAll(validate(call, exchange, true));
        }
        assertThat(failures).as("walk: " + ran).isEmpty();
    }

    @Test
    void everyOperation_answersADocumented4xxAsTheSharedProblem() throws Exception {
        List<String> failures = new ArrayList<>();
        for (Call call : walk()) {
            Map<String, Object> responses = map(call.operation().get("responses"));
            boolean hasKernel = call.template().contains("{k}");
            Map<String, Object> bodyTypes = map(map(call.operation().get("requestBody")).get("content"));
            Exchange exchange;
            String expected;
            if (hasKernel && responses.containsKey("404")) {
                expected = "404";
                exchange = run(call, Map.of("k", "no-such-kernel"), null, null);
            } else if (!bodyTypes.isEmpty() && responses.containsKey("400")) {
                expected = "400";
                exchange = run(call, Map.of(), bodyTypes.containsKey("application/json") ? "{\"unclosed\": " : "", null);
            } else if (call.template().contains("{id}") && responses.containsKey("404")) {
                expected = "404";
                exchange = run(call, Map.of("id", "no-such-scenario"), null, null);
            } else if (responses.containsKey("406")) {
                expected = "406";
                exchange = run(call, Map.of(), null, "image/png");
            } else {
                failures.add(call.id() + ": no 4xx this test knows how to provoke: " + responses.keySet());
                continue;
            }
            failures.addAll(checkProblem(call, exchange, expected));
            if (bodyTypes.containsKey("application/json")) {
                // The most common curl slip: a JSON body sent without -H 'content-type: application/json'.
                Exchange form = run(call, Map.of(), null, null, "application/x-www-form-urlencoded");
                failures.addAll(checkProblem(call, form, "415"));
            }
        }
        assertThat(failures).isEmpty();
    }

    private List<String> checkProblem(Call call, Exchange exchange, String expected) {
        if (!String.valueOf(exchange.status()).equals(expected)) {
            return List.of(call.id() + ": expected " + expected + ", got " + exchange.status() + " " + exchange.body());
        }
        if (!map(call.operation().get("responses")).containsKey(expected)) {
            return List.of(call.id() + ": answers " + expected + " but the contract does not document it");
        }
        assertThat(exchange.contentType()).as(call.id()).startsWith("application/problem+json");
        // The request is wrong on purpose: only the answer is checked against the contract.
        return validate(call, exchange, false);
    }

    // ---------------------------------------------------------------- the walk

    /** Operations in Swagger UI's order: by tag in the order of the spec's tags, then by path, then by method. */
    private List<Call> walk() {
        List<Call> calls = new ArrayList<>();
        List<String> tags = list(spec.get("tags")).stream().map(t -> String.valueOf(map(t).get("name"))).toList();
        Map<String, Object> paths = map(spec.get("paths"));
        for (String tag : tags) {
            paths.forEach((template, item) -> {
                for (String method : METHODS) {
                    Map<String, Object> operation = map(map(item).get(method));
                    if (!operation.isEmpty() && list(operation.get("tags")).contains(tag)) {
                        calls.add(new Call(String.valueOf(operation.get("operationId")), method, template, operation));
                    }
                }
            });
        }
        return calls;
    }

    record Exchange(int status, String path, String contentType, String body, Map<String, List<String>> headers,
                    SimpleRequest request) {
    }

    /**
     * Sends the operation with its examples; {@code overrides} replaces path parameters, {@code rawBody} the body
     * and {@code accept} the Accept header.
     */
    private Exchange run(Call call, Map<String, String> overrides, String rawBody, String accept) throws Exception {
        return run(call, overrides, rawBody, accept, null);
    }

    private Exchange run(Call call, Map<String, String> overrides, String rawBody, String accept, String sendAs) throws Exception {
        String path = call.template();
        Map<String, String> query = new LinkedHashMap<>();
        Map<String, String> headers = new LinkedHashMap<>();
        for (Map<String, Object> parameter : parameters(call)) {
            String name = String.valueOf(parameter.get("name"));
            Object example = parameter.get("example");
            // an array parameter's example is sent as form style (explode off): its items joined by commas
            String value = overrides.getOrDefault(name, example instanceof List<?> items
                    ? items.stream().map(String::valueOf).collect(Collectors.joining(",")) : String.valueOf(example));
            switch (String.valueOf(parameter.get("in"))) {
                case "path" -> path = path.replace("{" + name + "}", URLEncoder.encode(value, StandardCharsets.UTF_8));
                case "query" -> query.put(name, value);
                case "header" -> headers.put(name, value);
                default -> throw new IllegalStateException(call.id() + ": parameter in " + parameter.get("in"));
            }
        }
        String contentType = null;
        String body = rawBody;
        for (Map.Entry<String, Object> media : map(map(call.operation().get("requestBody")).get("content")).entrySet()) {
            contentType = media.getKey();
            if (body == null) {
                Object example = map(media.getValue()).get("example");
                body = example instanceof String s && !(contentType.equals("application/json") || contentType.endsWith("+json")) ? s : json.writeValueAsString(example);
            }
            break;
        }
        String produces = accept;
        if (produces == null) {
            produces = successMediaType(call);
        }
        String uri = path + (query.isEmpty() ? "" : "?" + query.entrySet().stream()
                .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&")));
        SimpleRequest.Builder request = new SimpleRequest.Builder(Request.Method.valueOf(call.method().toUpperCase()), path);
        query.forEach(request::withQueryParam);
        headers.forEach(request::withHeader);
        if (contentType != null) {
            request.withContentType(contentType).withBody(body);
        }
        request.withAccept(produces);
        Exchange sent = send(call.method().toUpperCase(), uri, sendAs != null ? sendAs : contentType, body, produces, headers);
        return new Exchange(sent.status(), path, sent.contentType(), sent.body(), sent.headers(), request.build());
    }

    private static String successMediaType(Call call) {
        for (Map.Entry<String, Object> response : map(call.operation().get("responses")).entrySet()) {
            if (response.getKey().startsWith("2")) {
                Map<String, Object> content = map(map(response.getValue()).get("content"));
                if (!content.isEmpty()) {
                    return content.keySet().iterator().next();
                }
            }
        }
        return "*/*";
    }

    private Exchange send(String method, String uri, String contentType, String body, String accept,
                          Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + uri))
                .timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        request.header("Accept", accept);
        headers.forEach(request::header);
        HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        String type = response.headers().firstValue("Content-Type").orElse(null);
        String text;
        try (InputStream in = response.body()) {
            if (type != null && type.startsWith("text/event-stream")) {
                text = firstEvent(in);
            } else if (type != null && type.startsWith("application/vnd.tcpdump.pcap")) {
                byte[] pcap = in.readAllBytes();
                assertThat(pcap.length).as("a pcap file starts with its 24-byte header").isGreaterThanOrEqualTo(24);
                text = new String(pcap, StandardCharsets.ISO_8859_1);
            } else {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        }
        return new Exchange(response.statusCode(), uri, type, text, response.headers().map(), null);
    }

    /** A stream does not end: read up to the first event's data line, then hang up. */
    private static String firstEvent(InputStream in) throws IOException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
            seen.append(line).append('\n');
            if (line.startsWith("data:")) {
                break;
            }
        }
        assertThat(seen.toString()).as("the stream replays kept events after=0").contains("id:").contains("data:");
        return seen.toString();
    }

    private List<String> validate(Call call, Exchange exchange, boolean request) {
        SimpleResponse.Builder response = SimpleResponse.Builder.status(exchange.status());
        exchange.headers().forEach((name, values) -> {
            if (!name.equals(":status")) {
                response.withHeader(name, values);
            }
        });
        if (exchange.body() != null) {
            response.withBody(exchange.body());
        }
        ValidationReport report = request ? validator.validate(exchange.request(), response.build())
                : validator.validateResponse(exchange.request().getPath(), exchange.request().getMethod(), response.build());
        return report.getMessages().stream()
                .filter(m -> m.getLevel() == ValidationReport.Level.ERROR)
                .map(m -> call.id() + " " + exchange.status() + ": " + m.getKey() + ": " + m.getMessage())
                .toList();
    }

    // ---------------------------------------------------------------- YAML helpers

    private static List<Map<String, Object>> parameters(Call call) {
        return list(call.operation().get("parameters")).stream().map(OpenApiExamplesTest::map).toList();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        return o instanceof List<?> l ? (List<Object>) l : List.of();
    }
}
