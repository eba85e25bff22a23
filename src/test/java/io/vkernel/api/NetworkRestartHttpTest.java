package io.vkernel.api;

import com.jayway.jsonpath.JsonPath;
import io.vkernel.VkernelApplication;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A network survives a restart: alice and bob joined by a delayed link, a connection across it with 5 bytes read
 * and 5 more still on the link; the service is stopped and started again on the same data directory, and the network
 * is back with its members, counters, clock and capture, both members' {@code ss} text is as it was, the 5 bytes in
 * flight arrive when the network's clock moves, and new traffic crosses the link as before.
 */
class NetworkRestartHttpTest {

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Path dataDir = Path.of("target", "test-data", "network-restart-" + UUID.randomUUID()).toAbsolutePath();
    private ConfigurableApplicationContext service;
    private String api;

    @AfterEach
    void stop() {
        if (service != null) {
            service.close();
        }
    }

    private void start() {
        service = new SpringApplicationBuilder(VkernelApplication.class)
                .run("--server.port=0", "--spring.main.banner-mode=off", "--vkernel.data-dir=" + dataDir);
        int port = ((WebServerApplicationContext) service).getWebServer().getPort();
        api = "http://127.0.0.1:" + port + "/api/v1";
    }

    @Test
    void aNetworkItsMembersAndAConnectionAcrossTheLink_comeBackAfterARestart_andKeepWorking() throws Exception {
        start();
        assertThat(post("/kernels", "{\"id\":\"alice\",\"address\":\"10.0.0.1\",\"seed\":1}").statusCode()).isEqualTo(201);
        assertThat(post("/kernels", "{\"id\":\"bob\",\"address\":\"10.0.0.2\",\"seed\":2}").statusCode()).isEqualTo(201);
        assertThat(post("/networks", "{\"id\":\"lab\",\"kernels\":[\"alice\",\"bob\"],"
                + "\"link\":{\"delayMs\":20,\"jitterMs\":5,\"duplicatePercent\":10,\"seed\":7}}").statusCode()).isEqualTo(201);
        int server = JsonPath.read(post("/kernels/bob/processes", "{\"name\":\"server\"}").body(), "$.pid");
        post("/kernels/bob/processes/" + server + "/socket", "{}");
        post("/kernels/bob/processes/" + server + "/bind", "{\"fd\":3,\"addr\":\"0.0.0.0:80\"}");
        post("/kernels/bob/processes/" + server + "/listen", "{\"fd\":3,\"backlog\":8}");
        int pid = JsonPath.read(post("/kernels/alice/processes", "{\"name\":\"client\"}").body(), "$.pid");
        post("/kernels/alice/processes/" + pid + "/socket", "{\"type\":\"SOCK_STREAM|SOCK_NONBLOCK\"}");
        assertThat(JsonPath.<String>read(post("/kernels/alice/processes/" + pid + "/connect", "{\"fd\":3,\"addr\":\"10.0.0.2:80\"}").body(),
                "$.errno")).isEqualTo("EINPROGRESS");
        post("/networks/lab/clock/advance", "{\"ms\":100}");
        assertThat(JsonPath.<Integer>read(post("/kernels/bob/processes/" + server + "/accept", "{\"fd\":3}").body(), "$.ret")).isEqualTo(4);
        post("/kernels/alice/processes/" + pid + "/write", "{\"fd\":3,\"data\":\"hello\"}");
        post("/networks/lab/clock/advance", "{\"ms\":100}");
        assertThat(JsonPath.<String>read(post("/kernels/bob/processes/" + server + "/read", "{\"fd\":4,\"count\":100}").body(), "$.data"))
                .isEqualTo("hello");
        post("/kernels/alice/processes/" + pid + "/write", "{\"fd\":3,\"data\":\"world\"}"); // on the link at the restart

        String network = get("/networks/lab");
        assertThat(JsonPath.<Integer>read(network, "$.counters.inFlight")).as("'world' is on the link").isGreaterThan(0);
        String aliceSs = get("/kernels/alice/connections?format=text");
        String bobSs = get("/kernels/bob/connections?format=text");
        String aliceWire = get("/kernels/alice/packets?limit=10000");
        byte[] pcap = bytes("/networks/lab/capture.pcap");
        String journal = get("/networks/lab/journal");
        assertThat(journal.lines().findFirst().orElseThrow()).contains("\"journal\":\"vkernel-network\"").contains("\"members\":[\"alice\",\"bob\"]");
        assertThat(journal.lines().skip(1)).allMatch(line -> line.contains("\"op\":\"send\"") || line.contains("\"op\":\"take\""));

        service.close();
        service = null;
        start();

        assertThat(get("/networks/lab")).as("members, link settings, counters, clock, memory").isEqualTo(network);
        assertThat(get("/kernels/alice/connections?format=text")).isEqualTo(aliceSs);
        assertThat(get("/kernels/bob/connections?format=text")).isEqualTo(bobSs);
        assertThat(get("/kernels/alice/packets?limit=10000")).isEqualTo(aliceWire);
        assertThat(Arrays.equals(bytes("/networks/lab/capture.pcap"), pcap)).as("the link's capture, byte for byte").isTrue();
        assertThat(get("/networks/lab/journal")).isEqualTo(journal);
        assertThat(JsonPath.<Boolean>read(get("/kernels/bob/check"), "$.ok")).isTrue();

        post("/networks/lab/clock/advance", "{\"ms\":100}");
        assertThat(JsonPath.<String>read(post("/kernels/bob/processes/" + server + "/read", "{\"fd\":4,\"count\":100}").body(), "$.data"))
                .as("what was in flight arrives").isEqualTo("world");
        post("/kernels/bob/processes/" + server + "/write", "{\"fd\":4,\"data\":\"again\"}");
        post("/networks/lab/clock/advance", "{\"ms\":100}");
        assertThat(JsonPath.<String>read(post("/kernels/alice/processes/" + pid + "/read", "{\"fd\":3,\"count\":100}").body(), "$.data"))
                .as("new traffic crosses the link").isEqualTo("again");
        assertThat(JsonPath.<Integer>read(get("/networks/lab"), "$.counters.sent"))
                .isGreaterThan(JsonPath.<Integer>read(network, "$.counters.sent"));
    }

    private HttpResponse<String> post(String path, String json) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(api + path)).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private String get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(api + path)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private byte[] bytes(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(api + path)).build(), HttpResponse.BodyHandlers.ofByteArray()).body();
    }
}
