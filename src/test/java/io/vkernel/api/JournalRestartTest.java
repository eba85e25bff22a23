package io.vkernel.api;

import com.jayway.jsonpath.JsonPath;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * kill -9 loses nothing that was answered: the service runs in a second JVM on a fresh data directory, is killed
 * with SIGKILL while a load of requests is in flight, and comes back on the same directory with every answered
 * request's effect, and the kernel with an accepted connection and 5 unread bytes exactly as it was.
 */
class JournalRestartTest {

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Path dataDir = Path.of("target", "test-data", "restart-" + UUID.randomUUID()).toAbsolutePath();
    private Process service;
    private String base;

    @AfterEach
    void stop() {
        if (service != null) {
            service.destroyForcibly();
        }
    }

    @Test
    void killMinus9DuringALoad_losesNoAnsweredRequest_andTheConnectionComesBackWithItsUnreadBytes() throws Exception {
        start();
        String k = base + "/api/v1/kernels/durable";
        assertThat(post(base + "/api/v1/kernels", "{\"id\":\"durable\",\"seed\":7}").statusCode()).isEqualTo(201);
        int pid = JsonPath.read(post(k + "/processes", "{\"name\":\"server\"}").body(), "$.pid");
        post(k + "/processes/" + pid + "/socket", "{}");
        post(k + "/processes/" + pid + "/bind", "{\"fd\":3,\"addr\":\"0.0.0.0:8080\"}");
        post(k + "/processes/" + pid + "/listen", "{\"fd\":3,\"backlog\":16}");
        String synAck = post(k + "/packets", HttpKernelTest.packet("192.168.1.100", 54321, "S", 1000, 0, null)).body();
        long isn = ((Number) JsonPath.read(synAck, "$.results[0].sent[0].seq")).longValue();
        post(k + "/packets", HttpKernelTest.packet("192.168.1.100", 54321, ".", 1001, isn + 1, null));
        assertThat(JsonPath.<Integer>read(post(k + "/processes/" + pid + "/accept", "{\"fd\":3}").body(), "$.ret")).isEqualTo(4);
        post(k + "/packets", HttpKernelTest.packet("192.168.1.100", 54321, "P.", 1001, isn + 1, "hello"));
        post(k + "/clock/advance", "{\"ms\":250}");
        String ssBefore = get(k + "/connections?format=text");
        String wireBefore = get(k + "/packets?limit=10000");

        // the load: processes started one after another in another kernel; each answered pid must survive
        assertThat(post(base + "/api/v1/kernels", "{\"id\":\"load\",\"seed\":3}").statusCode()).isEqualTo(201);
        List<Integer> answered = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean stop = new AtomicBoolean();
        Thread load = new Thread(() -> {
            for (int i = 0; i < 250 && !stop.get(); i++) {
                try {
                    HttpResponse<String> reply = post(base + "/api/v1/kernels/load/processes", "{\"name\":\"p" + i + "\"}");
                    if (reply.statusCode() == 201) {
                        answered.add(JsonPath.read(reply.body(), "$.pid"));
                    }
                } catch (Exception killed) {
                    return;
                }
            }
        });
        load.start();
        long waitUntil = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (answered.size() < 40 && load.isAlive() && System.nanoTime() < waitUntil) {
            load.join(20);
        }
        service.destroyForcibly().waitFor(); // SIGKILL: no shutdown hook, no flush
        stop.set(true);
        load.join();
        assertThat(answered).as("requests answered before the kill").hasSizeGreaterThanOrEqualTo(40);

        start();
        k = base + "/api/v1/kernels/durable";
        List<Integer> pids = JsonPath.read(get(base + "/api/v1/kernels/load/processes"), "$[*].pid");
        assertThat(pids).as("every answered process start survived the kill").containsAll(answered);
        assertThat(get(k + "/connections?format=text")).isEqualTo(ssBefore);
        assertThat(get(k + "/packets?limit=10000")).isEqualTo(wireBefore);
        Map<String, Object> check = JsonPath.read(get(k + "/check"), "$");
        assertThat(check.get("ok")).isEqualTo(true);
        assertThat(JsonPath.<String>read(post(k + "/processes/" + pid + "/read", "{\"fd\":4,\"count\":100}").body(), "$.data"))
                .isEqualTo("hello");
        assertThat(get(k + "/journal").lines().count()).as("header + 9 steps + the read").isEqualTo(11);
        assertThat(post(k + "/fork?at=5", "").statusCode()).isEqualTo(201);
    }

    private void start() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        base = "http://127.0.0.1:" + port;
        Files.createDirectories(dataDir);
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), "io.vkernel.VkernelApplication",
                "--server.port=" + port, "--vkernel.data-dir=" + dataDir, "--spring.main.banner-mode=off"));
        if (System.getProperty("spring.datasource.url") != null) {
            command.add("--spring.datasource.url=" + System.getProperty("spring.datasource.url"));
            for (String setting : List.of("spring.datasource.username", "spring.datasource.password")) {
                if (System.getProperty(setting) != null) {
                    command.add("--" + setting + "=" + System.getProperty(setting));
                }
            }
        }
        service = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dataDir.resolve("service.log").toFile())).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(240).toNanos();
        while (System.nanoTime() < deadline) {
            if (!service.isAlive()) {
                throw new AssertionError("the service exited: " + Files.readString(dataDir.resolve("service.log")));
            }
            try {
                if (client.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/ping")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                try {
                    service.onExit().get(200, java.util.concurrent.TimeUnit.MILLISECONDS); // returns early if it died
                } catch (java.util.concurrent.TimeoutException stillStarting) {
                    // try again
                }
            }
        }
        throw new AssertionError("the service did not start in 240 s: " + Files.readString(dataDir.resolve("service.log")));
    }

    private HttpResponse<String> post(String uri, String json) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(uri)).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private String get(String uri) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(uri)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }
}
