package io.vkernel.api;

import io.vkernel.kernel.Kernel;
import io.vkernel.sandbox.KernelRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The live event stream over a real HTTP connection, read line by line as curl -N or a browser's EventSource
 * would: events as they happen, replay after a reconnect, the per-kernel bound and its clean-up, and the end of
 * the stream when its kernel goes away. Waits are on conditions with timeouts.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"vkernel.streams.per-kernel=2", "vkernel.streams.heartbeat-ms=100", "vkernel.streams.stall-ms=1000"})
class EventStreamHttpTest {

    private static final AtomicInteger KERNELS = new AtomicInteger();
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String END = "<end of stream>";

    @LocalServerPort
    int port;

    @Autowired
    EventStreams streams;

    @Autowired
    KernelRegistry registry;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(WAIT).build();
    private final List<Stream<String>> open = new ArrayList<>();
    private String id;
    private String base;

    /** A stream being read on its own thread: every line goes into a queue, then {@link #END}. */
    private final class Reader {
        final int status;
        final String contentType;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final Stream<String> body;

        Reader(HttpResponse<Stream<String>> response) {
            status = response.statusCode();
            contentType = response.headers().firstValue("content-type").orElse("");
            body = response.body();
            open.add(body);
            Thread thread = new Thread(() -> {
                try {
                    body.forEach(lines::add);
                } catch (RuntimeException closed) {
                    // the test closed the stream
                } finally {
                    lines.add(END);
                }
            }, "sse-reader");
            thread.setDaemon(true);
            thread.start();
        }

        /** The next event (its id, event and data fields), skipping comments; fails after the wait. */
        Map<String, String> nextEvent() throws InterruptedException {
            Map<String, String> fields = new LinkedHashMap<>();
            while (true) {
                String line = lines.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
                assertThat(line).as("an event within " + WAIT).isNotNull().isNotEqualTo(END);
                if (line.isEmpty()) {
                    if (!fields.isEmpty()) {
                        return fields;
                    }
                    continue;
                }
                if (line.startsWith(":")) {
                    continue;
                }
                int colon = line.indexOf(':');
                fields.put(line.substring(0, colon), line.substring(colon + 1));
            }
        }

        /** Lines up to the end of the stream; fails if it does not end within the wait. */
        List<String> untilEnd() throws InterruptedException {
            List<String> seen = new ArrayList<>();
            while (true) {
                String line = lines.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
                assertThat(line).as("the stream ends within " + WAIT).isNotNull();
                if (line.equals(END)) {
                    return seen;
                }
                seen.add(line);
            }
        }

        void close() {
            body.close();
        }
    }

    @BeforeEach
    void freshKernel() throws Exception {
        id = "sse-" + KERNELS.incrementAndGet();
        assertThat(post("/api/v1/kernels", "{\"id\":\"" + id + "\",\"seed\":3}").statusCode()).isEqualTo(201);
        base = "/api/v1/kernels/" + id;
    }

    @AfterEach
    void closeStreams() {
        open.forEach(Stream::close);
        registry.delete(id);
    }

    @Test
    void liveStream_sendsEachNewEvent_withItsSeqAsId_itsTypeAsEventName_andItsJsonAsData() throws Exception {
        Reader stream = stream(base + "/events/stream", null);
        assertThat(stream.status).isEqualTo(200);
        assertThat(stream.contentType).startsWith("text/event-stream");

        post(base + "/processes", "{\"name\":\"server\"}");
        Map<String, String> event = stream.nextEvent();
        assertThat(event.get("event")).isEqualTo("PROCESS");
        assertThat(event.get("id")).isEqualTo("1");
        assertThat(event.get("data")).isEqualTo("{\"seq\":1,\"timeMs\":0,\"type\":\"PROCESS\",\"subject\":\"pid 12345\","
                + "\"detail\":\"process 'server' started with fds 0, 1, 2 on the terminal\"}");

        post(base + "/processes/12345/socket", null);
        Map<String, String> next = stream.nextEvent();
        assertThat(next.get("id")).isEqualTo("2");
    }

    @Test
    void reconnectWithLastEventId_replaysWhatWasMissedInOrder_thenGoesLive() throws Exception {
        post(base + "/processes", "{\"name\":\"server\"}");
        post(base + "/processes/12345/socket", null);
        post(base + "/processes/12345/bind", "{\"fd\":3,\"addr\":\"0.0.0.0:8080\"}");
        long last = kernel().events().lastSeq();
        assertThat(last).isGreaterThanOrEqualTo(3);

        Reader stream = stream(base + "/events/stream?after=0", "1");
        for (long seq = 2; seq <= last; seq++) {
            assertThat(stream.nextEvent().get("id")).as("Last-Event-ID 1 wins over after=0").isEqualTo(Long.toString(seq));
        }
        post(base + "/processes/12345/listen", "{\"fd\":3,\"backlog\":5}");
        assertThat(stream.nextEvent().get("id")).isEqualTo(Long.toString(last + 1));
    }

    @Test
    void streamsBeyondTheKernelsBound_get429Problem_andAClosedStreamFreesItsPlace() throws Exception {
        Reader first = stream(base + "/events/stream", null);
        Reader second = stream(base + "/events/stream", null);
        assertThat(first.status).isEqualTo(200);
        assertThat(second.status).isEqualTo(200);
        await().atMost(WAIT).until(() -> streams.subscribers(kernel()) == 2);

        HttpResponse<String> refused = client.send(request(base + "/events/stream", null), HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.headers().firstValue("content-type")).hasValue("application/problem+json");
        assertThat(refused.body()).contains("\"type\" : \"https://vkernel.dev/problems/limit-reached\"")
                .contains("already has 2 live event streams (limit 2)");

        first.close();
        await().atMost(WAIT).until(() -> streams.subscribers(kernel()) == 1);
        Reader third = stream(base + "/events/stream", null);
        assertThat(third.status).isEqualTo(200);
    }

    @Test
    void deletingTheKernel_endsItsStreams() throws Exception {
        Reader stream = stream(base + "/events/stream", null);
        Kernel kernel = kernel();
        await().atMost(WAIT).until(() -> streams.subscribers(kernel) == 1);
        assertThat(client.send(HttpRequest.newBuilder(uri(base)).DELETE().build(), HttpResponse.BodyHandlers.discarding())
                .statusCode()).isEqualTo(204);
        assertThat(stream.untilEnd()).anyMatch(line -> line.contains("kernel '" + id + "' was deleted"));
        assertThat(kernel.events().listenerCount()).isZero();
    }

    @Test
    void clientsThatNeverRead_areDropped_withoutDelayingAnotherKernelsStream_andAreToldWhyWhenTheyComeBack() throws Exception {
        String other = "sse-other-" + KERNELS.incrementAndGet();
        assertThat(post("/api/v1/kernels", "{\"id\":\"" + other + "\"}").statusCode()).isEqualTo(201);
        try (java.net.Socket slow1 = neverReading(base + "/events/stream"); java.net.Socket slow2 = neverReading(base + "/events/stream")) {
            await().atMost(WAIT).until(() -> streams.subscribers(kernel()) == 2);
            Reader reader = stream("/api/v1/kernels/" + other + "/events/stream", null);
            StringBuilder batch = new StringBuilder("[");
            for (int i = 0; i < 1000; i++) {
                batch.append(i == 0 ? "" : ",").append("{\"src\":\"192.168.7.7:").append(1000 + i)
                        .append("\",\"dst\":\"10.0.0.50:9\",\"flags\":\"S\"}");
            }
            for (int round = 0; round < 20 && streams.subscribers(kernel()) > 0; round++) {
                assertThat(post(base + "/packets", batch.append(']').toString()).statusCode()).isEqualTo(200);
                batch.setLength(batch.length() - 1);
            }
            post("/api/v1/kernels/" + other + "/processes", "{\"name\":\"meanwhile\"}");
            assertThat(reader.nextEvent().get("event")).as("another kernel's stream is not held up").isEqualTo("PROCESS");
            await().atMost(WAIT).until(() -> streams.subscribers(kernel()) == 0);
            assertThat(kernel().events().listenerCount()).isZero();

            Reader back = stream(base + "/events/stream", "1");
            Map<String, String> first = back.nextEvent();
            assertThat(first.get("event")).isEqualTo("STREAM_DROPPED");
            assertThat(first.get("data")).contains("\"resumesAfter\":1").containsPattern("read nothing for 1000 ms|events or \\d+ bytes behind");
            assertThat(back.nextEvent().get("id")).as("then the replay from the log").isNotNull();
        } finally {
            registry.delete(other);
        }
    }

    /** A client that asks for a stream and never reads a byte of the answer, with the smallest receive buffer. */
    private java.net.Socket neverReading(String path) throws Exception {
        java.net.Socket socket = new java.net.Socket();
        socket.setReceiveBufferSize(1024);
        socket.connect(new java.net.InetSocketAddress("localhost", port));
        socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n")
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        return socket;
    }

    @Test
    void badLastEventId_isA400NamingTheHeader() throws Exception {
        HttpResponse<String> reply = client.send(request(base + "/events/stream", "yesterday"), HttpResponse.BodyHandlers.ofString());
        assertThat(reply.statusCode()).isEqualTo(400);
        assertThat(reply.body()).contains("\"field\" : \"Last-Event-ID\"");
    }

    private Kernel kernel() {
        return registry.find(id).orElseThrow();
    }

    private Reader stream(String path, String lastEventId) throws Exception {
        HttpResponse<Stream<String>> response = client.sendAsync(request(path, lastEventId), HttpResponse.BodyHandlers.ofLines())
                .get(WAIT.toSeconds(), TimeUnit.SECONDS);
        return new Reader(response);
    }

    private HttpRequest request(String path, String lastEventId) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri(path)).header("Accept", "text/event-stream");
        if (lastEventId != null) {
            builder.header("Last-Event-ID", lastEventId);
        }
        return builder.GET().build();
    }

    private HttpResponse<String> post(String path, String json) throws Exception {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json");
        builder.POST(json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        return client.send(builder.build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://localhost:" + port + path);
    }
}
