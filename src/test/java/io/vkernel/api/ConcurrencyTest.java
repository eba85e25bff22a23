package io.vkernel.api;

import com.jayway.jsonpath.JsonPath;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Over a real server on a random port: several clients complete real handshakes and send data on many connections
 * at once while the server process accepts and reads them, and each connection must deliver exactly the bytes its
 * peer sent. Also the servlet container's own async timeout: a call still blocked when {@code ?wait=N} runs out.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ConcurrencyTest {

    private static final int CLIENTS = 6;
    private static final int CONNECTIONS_EACH = 8;
    private static final int SEGMENTS_EACH = 3;

    @LocalServerPort
    int port;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void sixClients_handshakeAndSendOnEightConnectionsEach_whileTheServerAccepts_everyConnectionReadsExactlyItsBytes() throws Exception {
        String base = "http://localhost:" + port + "/api/v1/kernels/hammered";
        send("POST", "http://localhost:" + port + "/api/v1/kernels", "{\"id\":\"hammered\",\"seed\":3}");
        int pid = JsonPath.read(send("POST", base + "/processes", "{\"name\":\"server\"}").body(), "$.pid");
        send("POST", base + "/processes/" + pid + "/socket", "{}");
        send("POST", base + "/processes/" + pid + "/bind", "{\"fd\":3,\"addr\":\"0.0.0.0:8080\"}");
        send("POST", base + "/processes/" + pid + "/listen", "{\"fd\":3,\"backlog\":4096}");
        // the server is an event loop over non-blocking sockets: accept and read answer EAGAIN when nothing is there
        send("POST", base + "/processes/" + pid + "/fcntl", "{\"fd\":3,\"cmd\":\"F_SETFL\",\"flags\":[\"O_NONBLOCK\"]}");

        Map<String, String> sentBy = new ConcurrentHashMap<>();
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        AtomicBoolean clientsDone = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS + 1);
        List<Future<?>> clients = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            int clientNo = c;
            clients.add(pool.submit(() -> {
                for (int k = 0; k < CONNECTIONS_EACH; k++) {
                    String peer = "192.168.7." + (10 + clientNo) + ":" + (40000 + k);
                    HttpResponse<String> synAck = send("POST", base + "/packets", packet(peer, "S", 1000, 0, null));
                    List<String> flags = JsonPath.read(synAck.body(), "$.results[0].sent[*].flags");
                    if (!flags.equals(List.of("S."))) {
                        problems.add(peer + ": SYN answered with " + synAck.body());
                        continue;
                    }
                    long isn = ((Number) JsonPath.read(synAck.body(), "$.results[0].sent[0].seq")).longValue();
                    HttpResponse<String> ack = send("POST", base + "/packets", packet(peer, ".", 1001, isn + 1, null));
                    if (!"ESTABLISHED".equals(JsonPath.read(ack.body(), "$.results[0].state"))) {
                        problems.add(peer + ": final ACK left " + ack.body());
                    }
                    StringBuilder stream = new StringBuilder();
                    long seq = 1001;
                    for (int s = 0; s < SEGMENTS_EACH; s++) {
                        String text = "client " + clientNo + " connection " + k + " segment " + s + ";";
                        HttpResponse<String> data = send("POST", base + "/packets", packet(peer, "P.", seq, isn + 1, text));
                        if (data.statusCode() != 200) {
                            problems.add(peer + ": data answered " + data.statusCode() + " " + data.body());
                        }
                        seq += text.length();
                        stream.append(text);
                    }
                    sentBy.put(peer, stream.toString());
                }
                return null;
            }));
        }
        Map<Integer, String> peerOfFd = new ConcurrentHashMap<>();
        Map<String, StringBuilder> readFrom = new ConcurrentHashMap<>();
        Future<?> server = pool.submit(() -> {
            boolean lastRound = false;
            while (true) {
                boolean finished = clientsDone.get();
                while (true) {
                    HttpResponse<String> accepted = send("POST", base + "/processes/" + pid + "/accept?wait=0", "{\"fd\":3}");
                    int fd = ((Number) JsonPath.read(accepted.body(), "$.ret")).intValue();
                    if (fd < 0) {
                        break;
                    }
                    String peer = JsonPath.read(accepted.body(), "$.peer");
                    send("POST", base + "/processes/" + pid + "/fcntl", "{\"fd\":" + fd + ",\"cmd\":\"F_SETFL\",\"flags\":[\"O_NONBLOCK\"]}");
                    peerOfFd.put(fd, peer);
                    readFrom.put(peer, new StringBuilder());
                }
                for (var entry : peerOfFd.entrySet()) {
                    while (true) {
                        HttpResponse<String> read = send("POST", base + "/processes/" + pid + "/read?wait=0",
                                "{\"fd\":" + entry.getKey() + ",\"count\":40}");
                        int n = ((Number) JsonPath.read(read.body(), "$.ret")).intValue();
                        if (n <= 0) {
                            if (n < 0 && !"EAGAIN".equals(JsonPath.read(read.body(), "$.errno"))) {
                                problems.add("read on fd " + entry.getKey() + ": " + read.body());
                            }
                            break;
                        }
                        readFrom.get(entry.getValue()).append((String) JsonPath.read(read.body(), "$.data"));
                    }
                }
                if (lastRound) {
                    return null;
                }
                lastRound = finished; // one more full pass after the clients stopped sending
            }
        });
        for (Future<?> future : clients) {
            future.get(3, TimeUnit.MINUTES);
        }
        clientsDone.set(true);
        server.get(3, TimeUnit.MINUTES);
        pool.shutdown();

        assertThat(problems).isEmpty();
        assertThat(sentBy).hasSize(CLIENTS * CONNECTIONS_EACH);
        assertThat(peerOfFd).as("every connection was accepted once, each on its own FD").hasSize(CLIENTS * CONNECTIONS_EACH);
        for (var sent : sentBy.entrySet()) {
            assertThat(readFrom.get(sent.getKey())).as("bytes read from " + sent.getKey()).isNotNull();
            assertThat(readFrom.get(sent.getKey()).toString()).as("bytes read from " + sent.getKey()).isEqualTo(sent.getValue());
        }
        String check = send("GET", base + "/check", null).body();
        assertThat(JsonPath.<Boolean>read(check, "$.ok")).as(check).isTrue();
        String connections = send("GET", base + "/connections?format=text", null).body();
        assertThat(connections.lines().filter(l -> l.startsWith("ESTAB")).count()).isEqualTo(CLIENTS * CONNECTIONS_EACH);
    }

    @Test
    void blockedCall_withWaitN_answers202WithTheLinkToTheStillPendingCall_whenNAsyncMsPass() {
        String base = "http://localhost:" + port + "/api/v1/kernels/waiting";
        send("POST", "http://localhost:" + port + "/api/v1/kernels", "{\"id\":\"waiting\",\"seed\":5}");
        int pid = JsonPath.read(send("POST", base + "/processes", "{\"name\":\"server\"}").body(), "$.pid");
        send("POST", base + "/processes/" + pid + "/socket", "{}");
        send("POST", base + "/processes/" + pid + "/bind", "{\"fd\":3,\"addr\":\"0.0.0.0:8080\"}");
        send("POST", base + "/processes/" + pid + "/listen", "{\"fd\":3,\"backlog\":16}");

        HttpResponse<String> blocked = send("POST", base + "/processes/" + pid + "/accept?wait=300", "{\"fd\":3}");
        assertThat(blocked.statusCode()).as(blocked.body()).isEqualTo(202);
        String href = JsonPath.read(blocked.body(), "$.pending.href");
        assertThat(blocked.headers().firstValue("location")).hasValueSatisfying(l -> assertThat(l).endsWith(href));
        assertThat(JsonPath.<String>read(blocked.body(), "$.status")).isEqualTo("pending");

        String peer = "192.168.9.9:5555";
        long isn = ((Number) JsonPath.read(send("POST", base + "/packets", packet(peer, "S", 7000, 0, null)).body(), "$.results[0].sent[0].seq")).longValue();
        send("POST", base + "/packets", packet(peer, ".", 7001, isn + 1, null));
        HttpResponse<String> finished = send("GET", "http://localhost:" + port + href + "?wait=300", null);
        assertThat(finished.statusCode()).as(finished.body()).isEqualTo(200);
        assertThat(JsonPath.<Integer>read(finished.body(), "$.ret")).isEqualTo(4);
        assertThat(JsonPath.<String>read(finished.body(), "$.peer")).isEqualTo(peer);
    }

    private HttpResponse<String> send(String method, String url, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("content-type", "application/json");
        request.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        try {
            return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(method + " " + url, e);
        }
    }

    private static String packet(String src, String flags, long seq, long ack, String payload) {
        return "{\"src\":\"" + src + "\",\"dst\":\"10.0.0.50:8080\",\"flags\":\"" + flags + "\",\"seq\":" + seq + ",\"ack\":"
                + (ack & 0xffffffffL) + (payload == null ? "" : ",\"payload\":\"" + payload + "\"") + "}";
    }
}
