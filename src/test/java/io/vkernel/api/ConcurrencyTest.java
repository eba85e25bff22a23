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
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Eight clients hammer one kernel over real HTTP with mixed packets and syscalls: no 5xx, and the invariants hold. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ConcurrencyTest {

    private static final int CLIENTS = 8;
    private static final int REQUESTS_EACH = 120;

    @LocalServerPort
    int port;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void eightClients_mixedPacketsAndSyscalls_noServerErrors_andTheKernelStaysSound() throws Exception {
        String base = "http://localhost:" + port + "/api/v1/kernels/hammered";
        send("POST", "http://localhost:" + port + "/api/v1/kernels", "{\"id\":\"hammered\",\"seed\":3}");
        int pid = JsonPath.read(send("POST", base + "/processes", "{\"name\":\"server\"}").body(), "$.pid");
        send("POST", base + "/processes/" + pid + "/socket", "{}");
        send("POST", base + "/processes/" + pid + "/bind", "{\"fd\":3,\"addr\":\"0.0.0.0:8080\"}");
        send("POST", base + "/processes/" + pid + "/listen", "{\"fd\":3,\"backlog\":4096}");

        ConcurrentLinkedQueue<String> serverErrors = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        List<Future<?>> done = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            int clientNo = c;
            done.add(pool.submit(() -> {
                Random random = new Random(clientNo);
                for (int i = 0; i < REQUESTS_EACH; i++) {
                    int srcPort = 20000 + clientNo * 1000 + random.nextInt(50);
                    String src = "192.168.1." + (10 + clientNo) + ":" + srcPort;
                    HttpResponse<String> response = switch (random.nextInt(8)) {
                        case 0 -> send("POST", base + "/packets", packet(src, "S", 1000, 0, null));
                        case 1 -> send("POST", base + "/packets", packet(src, ".", 1001, random.nextInt(), null));
                        case 2 -> send("POST", base + "/packets", packet(src, "P.", 1001, random.nextInt(), "data" + i));
                        case 3 -> send("POST", base + "/processes/" + pid + "/accept?wait=0", "{\"fd\":3}");
                        case 4 -> send("POST", base + "/processes/" + pid + "/read?wait=0", "{\"fd\":" + (4 + random.nextInt(20)) + "}");
                        case 5 -> send("POST", base + "/processes/" + pid + "/close", "{\"fd\":" + (4 + random.nextInt(20)) + "}");
                        case 6 -> send("POST", base + "/clock/advance", "{\"ms\":" + random.nextInt(5000) + "}");
                        default -> send("GET", base + "/connections?format=text", null);
                    };
                    if (response.statusCode() >= 500) {
                        serverErrors.add(response.statusCode() + " " + response.body());
                    }
                }
                return null;
            }));
        }
        for (Future<?> future : done) {
            future.get(3, TimeUnit.MINUTES);
        }
        pool.shutdown();
        assertThat(serverErrors).isEmpty();
        String check = send("GET", base + "/check", null).body();
        assertThat(JsonPath.<Boolean>read(check, "$.ok")).as(check).isTrue();
        assertThat(JsonPath.<Integer>read(send("GET", base, null).body(), "$.packetsIn")).isPositive();
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
