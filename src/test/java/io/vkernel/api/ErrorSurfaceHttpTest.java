package io.vkernel.api;

import com.jayway.jsonpath.JsonPath;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The errors a user meets first, through a real Tomcat on a random port (MockMvc never reaches /error or Tomcat's
 * own error report, which is where these used to go wrong): each is an RFC 9457 problem whose detail says what to
 * do, none is a 5xx, and none logs a stack trace.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ExtendWith(OutputCaptureExtension.class)
class ErrorSurfaceHttpTest {

    private static final AtomicInteger KERNELS = new AtomicInteger();

    @LocalServerPort
    int port;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private String base;

    @BeforeEach
    void freshKernel() {
        String id = "surface-" + KERNELS.incrementAndGet();
        assertThat(send("POST", "/api/v1/kernels", "application/json", null, "{\"id\":\"" + id + "\"}").statusCode()).isEqualTo(201);
        base = "/api/v1/kernels/" + id;
        assertThat(send("POST", base + "/processes", "application/json", null, "{\"name\":\"server\"}").statusCode()).isEqualTo(201);
    }

    @Test
    void curlsDefaultFormContentType_is415_tellingHowToSendJson(CapturedOutput output) {
        var reply = send("POST", base + "/processes", "application/x-www-form-urlencoded", null, "{\"name\":\"x\"}");
        assertProblem(reply, 415, "unsupported-media-type");
        assertThat(detail(reply)).contains("send JSON: add -H 'content-type: application/json'");
        assertThat(reply.headers().firstValue("Accept")).hasValueSatisfying(v -> assertThat(v).contains("application/json"));
        assertNoStackTrace(output);
    }

    @Test
    void wildcardContentType_is415_listingTheAllowedTypes(CapturedOutput output) {
        var reply = send("POST", base + "/processes", "*/*", null, "{\"name\":\"x\"}");
        assertProblem(reply, 415, "unsupported-media-type");
        assertThat(detail(reply)).contains("wildcard").contains("application/json");
        assertThat(send("POST", base + "/processes", "application/*", null, "{}").statusCode()).isEqualTo(415);
        for (String type : new String[] {"*/*", "application/*", "not a type"}) {
            assertThat(send("GET", base + "/connections", type, null, null).statusCode())
                    .as("a GET reads no body, so its Content-Type (" + type + ") changes nothing").isEqualTo(200);
        }
        assertNoStackTrace(output);
    }

    @Test
    void formBodyWithBrokenEscape_is400_notA500(CapturedOutput output) {
        var reply = send("POST", base + "/processes", "application/x-www-form-urlencoded", null, "%zz");
        assertProblem(reply, 400, "malformed-body");
        assertThat(detail(reply)).contains("content-type: application/json");
        assertNoStackTrace(output);
    }

    @Test
    void wrongMethod_is405_withAllow(CapturedOutput output) {
        var put = send("PUT", base + "/packets", "application/json", null, "{}");
        assertProblem(put, 405, "method-not-allowed");
        assertThat(put.headers().firstValue("Allow").orElse("")).contains("GET").contains("POST");
        assertThat(detail(put)).contains("allowed: GET, POST");

        var get = send("GET", base + "/processes/12345/socket", null, null, null);
        assertProblem(get, 405, "method-not-allowed");
        assertThat(get.headers().firstValue("Allow")).hasValue("POST");
        assertNoStackTrace(output);
    }

    @Test
    void acceptTextPlain_meansFormatText_whereATextRenderingExists() {
        for (String view : new String[]{"/memory", "/connections", "/events", "/listeners", "/packets", "/processes/12345/fds"}) {
            var reply = send("GET", base + view, null, "text/plain", null);
            assertThat(reply.statusCode()).as(view).isEqualTo(200);
            assertThat(reply.headers().firstValue("Content-Type").orElse("")).as(view).startsWith("text/plain");
            var explicit = send("GET", base + view + "?format=text", null, null, null);
            assertThat(reply.body()).as(view).isEqualTo(explicit.body());
        }
        // A browser's Accept (*/* at a lower quality) still gets JSON.
        var browser = send("GET", base + "/events", null, "text/html,application/xhtml+xml,*/*;q=0.8", null);
        assertThat(browser.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
    }

    @Test
    void acceptTextPlain_withoutATextRendering_is406_listingWhatIsOffered() {
        var reply = send("GET", base + "/clock", null, "text/plain", null);
        assertProblem(reply, 406, "not-acceptable");
        assertThat(detail(reply)).contains("application/json");

        var image = send("GET", base + "/memory", null, "image/png", null);
        assertProblem(image, 406, "not-acceptable");
        assertThat(detail(image)).contains("application/json").contains("text/plain");

        var explicitJson = send("GET", base + "/events?format=json", null, "text/plain", null);
        assertThat(explicitJson.statusCode()).as("?format= is the explicit choice and wins over Accept").isEqualTo(200);
        assertThat(explicitJson.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");

        var noTextHere = send("GET", base + "/clock?format=text", null, null, null);
        assertProblem(noTextHere, 406, "not-acceptable");
    }

    @Test
    void aChangeWhoseAnswerCannotBeWrittenInTheAcceptedType_is406_beforeItHappens() {
        String before = send("GET", base + "/processes", null, null, null).body();
        var reply = send("POST", base + "/processes", "application/json", "text/plain", "{\"name\":\"client\"}");
        assertProblem(reply, 406, "not-acceptable");
        assertThat(detail(reply)).contains("application/json");
        assertThat(reply.headers().firstValue("Location")).as("no process was created to point at").isEmpty();
        assertThat(send("GET", base + "/processes", null, null, null).body()).as("the process table").isEqualTo(before);
    }

    @Test
    void injectionsAndSyscalls_haveATextRendering_byAcceptOrFormat() {
        var socket = send("POST", base + "/processes/12345/socket", null, "text/plain", null);
        assertThat(socket.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
        assertThat(socket.body()).isEqualTo("socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 3\n");
        send("POST", base + "/processes/12345/bind", "application/json", null, "{\"fd\":3,\"addr\":\"0.0.0.0:8080\"}");
        send("POST", base + "/processes/12345/listen", "application/json", null, "{\"fd\":3,\"backlog\":8}");
        var syn = send("POST", base + "/packets?format=text", "application/json", null,
                "{\"src\":\"192.168.1.100:54321\",\"dst\":\"10.0.0.50:8080\",\"flags\":\"S\",\"seq\":1000,\"mss\":1460}");
        java.util.List<String> lines = syn.body().lines().toList();
        assertThat(lines.get(0)).isEqualTo("< IP 192.168.1.100.54321 > 10.0.0.50.8080: Flags [S], seq 1000, win 65535, options [mss 1460], length 0");
        assertThat(lines).filteredOn(l -> l.startsWith("    ") && !l.startsWith("    =")).extracting(l -> l.trim().split(" ")[0])
                .containsExactly("nic.receive", "ip.validate", "tcp.tuple", "demux.hash", "demux.chain", "demux.listener", "tcp.syn");
        assertThat(lines).anyMatch(l -> l.startsWith("> IP 10.0.0.50.8080 > 192.168.1.100.54321: Flags [S.], seq "));
        assertThat(lines.get(lines.size() - 1)).startsWith("    = accepted, 192.168.1.100:54321-10.0.0.50:8080 SYN_RECV");
        // The JSON answer is unchanged for a client that asks for nothing in particular.
        var json = send("POST", base + "/processes/12345/socket", null, null, null);
        assertThat(json.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
    }

    @Test
    void fdsZeroToTwo_areATerminal_readingGivesEof_writingSucceeds() {
        var read = send("POST", base + "/processes/12345/read", "application/json", null, "{\"fd\":1}");
        assertThat(JsonPath.<Integer>read(read.body(), "$.ret")).isZero();
        assertThat(JsonPath.<String>read(read.body(), "$.strace")).isEqualTo("read(1, \"\", 4096) = 0");
        var write = send("POST", base + "/processes/12345/write", "application/json", null, "{\"fd\":2,\"data\":\"hello\"}");
        assertThat(JsonPath.<Integer>read(write.body(), "$.ret")).isEqualTo(5);
        var listen = send("POST", base + "/processes/12345/listen", "application/json", null, "{\"fd\":0,\"backlog\":1}");
        assertThat(JsonPath.<String>read(listen.body(), "$.errno")).as("socket calls on a terminal").isEqualTo("ENOTSOCK");
    }

    @Test
    void discovery_rootIsTheDashboard_andApiV1ListsLinks() {
        var root = send("GET", "/", null, null, null);
        assertThat(root.statusCode()).isEqualTo(200);
        assertThat(root.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
        assertThat(root.body()).contains("vkernel");
        var index = send("GET", "/api/v1", null, null, null);
        assertThat(index.statusCode()).isEqualTo(200);
        assertThat(JsonPath.<String>read(index.body(), "$.links.kernels.href")).isEqualTo("/api/v1/kernels");
        assertThat(JsonPath.<String>read(index.body(), "$.links.swagger-ui.href")).isEqualTo("/swagger-ui.html");
        for (String link : JsonPath.<java.util.List<String>>read(index.body(), "$.links.*.href")) {
            if (!link.contains("scripts")) {
                assertThat(send("GET", link, null, null, null).statusCode()).as(link).isLessThan(400);
            }
        }
    }

    @Test
    void cors_isOffByDefault() {
        HttpRequest preflight = HttpRequest.newBuilder(URI.create("http://localhost:" + port + base + "/clock"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", "http://evil.example")
                .header("Access-Control-Request-Method", "POST").build();
        try {
            var reply = client.send(preflight, HttpResponse.BodyHandlers.ofString());
            assertThat(reply.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
            var get = client.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + base + "/clock"))
                    .header("Origin", "http://evil.example").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(get.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void noAcceptHeaderOfAnyKind_givesA5xx() {
        String[] accepts = {"text/plain", "image/png", "application/xml", "text/event-stream", "*/*;q=0", "nonsense",
                "application/problem+json", "text/*", "text/html"};
        String[] paths = {"/memory", "/connections", "/events", "/clock", "/demux", "/check", "/packets", "/proc/net/tcp",
                "/processes/12345", "/processes/12345/fds", "/processes/12345/fds/1", "/capture.pcap", "/sysctl"};
        for (String accept : accepts) {
            for (String path : paths) {
                var reply = send("GET", base + path, null, accept, null);
                assertThat(reply.statusCode()).as(accept + " " + path).isLessThan(500);
            }
        }
    }

    @Test
    void unreadableBody_unknownPath_badParameter_areProblems(CapturedOutput output) {
        var truncated = send("POST", base + "/processes", "application/json", null, "{\"name\":");
        assertProblem(truncated, 400, "malformed-body");
        assertThat(detail(truncated)).startsWith("the body is not valid JSON (line 1, column ").contains("single quotes");
        var unknown = send("GET", "/api/v1/nope", null, null, null);
        assertProblem(unknown, 404, "path-not-found");
        assertThat(detail(unknown)).contains("/api/v1").contains("swagger-ui");
        assertProblem(send("POST", "/api/v1/nope", "application/json", null, "{}"), 404, "path-not-found");
        var mismatch = send("GET", base + "/events?after=abc", null, null, null);
        assertProblem(mismatch, 400, "invalid-field");
        assertThat(JsonPath.<String>read(mismatch.body(), "$.field")).isEqualTo("after");
        assertNoStackTrace(output);
    }

    @Test
    void errorPathAskedForDirectly_isTheUnknownPath404_notA500(CapturedOutput output) {
        for (String method : new String[] {"GET", "POST", "DELETE"}) {
            var reply = send(method, "/error", "POST".equals(method) ? "application/json" : null, null, "POST".equals(method) ? "{}" : null);
            assertProblem(reply, 404, "path-not-found");
            assertThat(detail(reply)).as(method).startsWith("no endpoint " + method + " /error").contains("/api/v1");
        }
        assertNoStackTrace(output);
    }

    @Test
    void encodedNulOrSlashInThePath_is400Problem_notTomcatsHtmlPage() throws IOException {
        for (String path : new String[]{base + "%00x/memory", "/api/v1/kernels/a%2Fb/memory", "/api/v1/kernels/a%5Cb", "/api/v1/%zz"}) {
            String raw = rawGet(path);
            assertThat(raw).as(path).startsWith("HTTP/1.1 400");
            assertThat(raw).as(path).containsIgnoringCase("content-type: application/problem+json");
            assertThat(raw).as(path).contains("\"status\" : 400").contains("%00").doesNotContain("<html");
        }
    }

    @Test
    void aChunkedBodyPastMaxBodyBytes_is413_evenThoughItDeclaresNoLength(CapturedOutput output) throws Exception {
        String packet = "{\"src\":\"192.168.1.100:1\",\"dst\":\"10.0.0.50:8080\",\"flags\":\"S\"},";
        byte[] body = ("[" + packet.repeat(3 * 1024 * 1024 / packet.length()) + "{}]").getBytes(StandardCharsets.UTF_8);
        // a body from a stream has no Content-Length: HTTP/1.1 sends it chunked, so only counting can stop it
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + base + "/packets"))
                .version(HttpClient.Version.HTTP_1_1).timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body))).build();
        var reply = client.send(request, HttpResponse.BodyHandlers.ofString());
        assertProblem(reply, 413, "body-too-large");
        assertThat(detail(reply)).contains("2097152 bytes");
        assertNoStackTrace(output);
    }

    @Test
    void aPacketLargerThanAnIpv4TotalLength_isRefusedAtInjection_soThePcapStillWorks() {
        String payload = "a".repeat(65_495);
        String packet = "{\"src\":\"1.2.3.4:5\",\"dst\":\"10.0.0.50:9\",\"flags\":\"R\","
                + "\"options\":\"mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7\",\"payload\":\"" + payload + "\"}";
        var reply = send("POST", base + "/packets", "application/json", null, packet);
        assertProblem(reply, 413, "payload-too-large");
        assertThat(detail(reply)).contains("65535").contains("65475");
        assertThat(send("GET", base + "/capture.pcap", null, null, null).statusCode()).isEqualTo(200);
        // Without options the same payload fits exactly: 20 + 20 + 65495 = 65535.
        assertThat(send("POST", base + "/packets", "application/json", null, packet.replace(
                ",\"options\":\"mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7\"", "")).statusCode()).isEqualTo(200);
        assertThat(send("GET", base + "/capture.pcap", null, null, null).statusCode()).isEqualTo(200);
    }

    @Test
    void everyJsonAnswer_endsWithANewline() {
        assertThat(send("GET", base + "/clock", null, null, null).body()).endsWith("}\n");
        assertThat(send("GET", base + "/events", null, null, null).body()).endsWith("]\n");
        assertThat(send("GET", "/api/v1/nope", null, null, null).body()).endsWith("}\n");
        assertThat(send("POST", base + "/processes", "*/*", null, "{}").body()).endsWith("}\n");
    }

    @Test
    void aFloodOfClientErrors_logsAtMostOneLineEach(CapturedOutput output) throws IOException {
        long linesBefore = output.getAll().lines().count();
        int sent = 0;
        for (int i = 0; i < 20; i++) {
            assertThat(send("POST", base + "/processes", "*/*", null, "{}").statusCode()).isEqualTo(415);
            assertThat(send("POST", base + "/processes", "application/x-www-form-urlencoded", null, "%zz").statusCode()).isEqualTo(400);
            assertThat(send("POST", base + "/processes", "application/json", "text/plain", "{\"name\":1}").statusCode()).isEqualTo(406);
            assertThat(send("POST", base + "/processes", "application/json", null, "{\"name\":").statusCode()).isEqualTo(400);
            assertThat(send("GET", base + "/no-such-view", null, null, null).statusCode()).isEqualTo(404);
            assertThat(rawGet(base + "%00/memory")).startsWith("HTTP/1.1 400");
            sent += 6;
        }
        long added = output.getAll().lines().count() - linesBefore;
        assertThat(added).as("log lines for " + sent + " client errors:\n" + output.getAll()).isLessThanOrEqualTo(sent);
        assertNoStackTrace(output);
    }

    private static void assertNoStackTrace(CapturedOutput output) {
        assertThat(output.getAll()).doesNotContain("\tat org.").doesNotContain("Exception\n\tat").doesNotContain("ERROR");
    }

    private static void assertProblem(HttpResponse<String> reply, int status, String type) {
        assertThat(reply.statusCode()).as(reply.body()).isEqualTo(status);
        assertThat(reply.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
        assertThat(JsonPath.<String>read(reply.body(), "$.type")).isEqualTo(ProblemHandler.TYPE_BASE + type);
        assertThat(JsonPath.<Integer>read(reply.body(), "$.status")).isEqualTo(status);
    }

    private static String detail(HttpResponse<String> reply) {
        return JsonPath.read(reply.body(), "$.detail");
    }

    private HttpResponse<String> send(String method, String path, String contentType, String accept, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        if (accept != null) {
            request.header("Accept", accept);
        }
        try {
            return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(method + " " + path + " failed: " + e, e);
        }
    }

    /** A request line sent as written: HTTP clients re-encode or refuse paths like these. */
    private String rawGet(String path) throws IOException {
        try (Socket socket = new Socket("localhost", port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
