package io.vkernel.api;

import io.vkernel.tun.NetNs;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.servlet.MockMvc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The service started with {@code vkernel.tun.device}: the host's curl, inside a network namespace this test creates,
 * talks to a vkernel process driven entirely over the REST API. Skipped (with the reason) without root or
 * /dev/net/tun; CI runs as root and runs it.
 */
@SpringBootTest
@AutoConfigureMockMvc
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TunHttpTest {

    static final String KERNEL = "10.200.1.2";
    static final String DEVICE = "vkh" + (ProcessHandle.current().pid() % 100_000);
    static final String BASE = "/api/v1/kernels/tunhttp";
    static NetNs ns;

    @DynamicPropertySource
    static void tun(DynamicPropertyRegistry properties) {
        properties.add("vkernel.tun.device", () -> DEVICE);
        properties.add("vkernel.tun.kernel", () -> "tunhttp");
        properties.add("vkernel.tun.address", () -> KERNEL);
    }

    @BeforeAll
    static void canRun() {
        Assumptions.assumeTrue(NetNs.unavailable().isEmpty(), () -> "TUN interop skipped: " + NetNs.unavailable().orElse(""));
    }

    @AfterAll
    static void removeNamespace() throws IOException {
        if (ns != null) {
            ns.close();
        }
    }

    @Autowired
    MockMvc mvc;
    Http http;

    /** The service created the device at start-up in this namespace; the first test moves it where curl lives. */
    @BeforeEach
    void deviceInItsNamespace() throws IOException {
        http = new Http(mvc);
        if (ns == null) {
            ns = NetNs.create();
            ns.adopt(DEVICE, "10.200.1.1/24");
        }
    }

    @Test
    void vkernelClosesFirst_soItsConnectionGoesThroughFinWaitToTimeWait() throws Exception {
        // no Content-Length: the body ends when the server closes, so vkernel's FIN comes first (the active close)
        Exchange exchange = curlExchange(8080, false);
        waitFor(() -> http.get(BASE + "/connections").body().contains("TIME_WAIT"), () -> "TIME_WAIT in vkernel's connections: "
                + http.get(BASE + "/connections?format=text").body());
        assertThat(exchange.stateChanges()).containsExactly("LISTEN -> SYN_RECV", "SYN_RECV -> ESTABLISHED", "ESTABLISHED -> FIN_WAIT1",
                "FIN_WAIT1 -> FIN_WAIT2", "FIN_WAIT2 -> TIME_WAIT");

        Http.Reply tun = http.get(BASE + "/tun");
        assertThat(tun.status()).isEqualTo(200);
        assertThat(tun.<String>at("$.device")).isEqualTo(DEVICE);
        assertThat(tun.<String>at("$.state")).isEqualTo("up");
        assertThat(tun.<String>at("$.clock")).isEqualTo("realtime");
        assertThat(tun.<String>at("$.address")).isEqualTo(KERNEL);
        assertThat(tun.<Integer>at("$.in.packets")).isGreaterThanOrEqualTo(5); // SYN, ACK, request, ACK of the response, FIN
        assertThat(tun.<Integer>at("$.out.packets")).isGreaterThanOrEqualTo(4); // SYN-ACK, ACK, response, FIN
        // the wire log holds the real packets: curl's SYN as Linux wrote it, with its options
        assertThat(http.get(BASE + "/packets?format=text").body()).contains(" > " + KERNEL + ".8080: Flags [S]")
                .contains("mss 1460,sackOK,TS val");
    }

    @Test
    void curlClosesFirst_soVkernelGoesThroughCloseWaitAndTheHostHoldsTimeWait() throws Exception {
        // Content-Length: curl has the whole body before vkernel closes, and Linux closes first
        Exchange exchange = curlExchange(8082, true);
        assertThat(exchange.stateChanges()).containsExactly("LISTEN -> SYN_RECV", "SYN_RECV -> ESTABLISHED", "ESTABLISHED -> CLOSE_WAIT",
                "CLOSE_WAIT -> LAST_ACK", "LAST_ACK -> CLOSED");
        assertThat(ns.exec(10, "ss", "-tanH", "state", "time-wait").out()).contains(KERNEL + ":8082");
    }

    record Exchange(String subject, List<String> stateChanges) {
    }

    /** curl GETs a page; a vkernel process accepts, reads the request, writes the response and closes, all over REST. */
    private Exchange curlExchange(int port, boolean contentLength) throws Exception {
        int pid = server(port);
        Process curl = ns.start(List.of("curl", "-sS", "--max-time", "20", "http://" + KERNEL + ":" + port + "/hello"), true);
        Http.Reply accepted = http.post(BASE + "/processes/" + pid + "/accept?wait=20000", "{\"fd\":3}");
        assertThat(accepted.<Integer>at("$.ret")).as(accepted.body()).isEqualTo(4);
        String remote = accepted.at("$.peer");
        String request = http.post(BASE + "/processes/" + pid + "/read?wait=20000", "{\"fd\":4}").at("$.data");
        assertThat(request).startsWith("GET /hello HTTP/1.1\r\n").contains("User-Agent: curl/");
        String body = "written by pid " + pid + " in vkernel\n";
        String response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                + (contentLength ? "Content-Length: " + body.length() + "\r\n" : "") + "Connection: close\r\n\r\n" + body;
        assertThat(http.post(BASE + "/processes/" + pid + "/write", json(Map.of("fd", 4, "data", response))).<Integer>at("$.ret"))
                .isEqualTo(response.length());
        if (contentLength) {
            assertThat(curl.waitFor(20, TimeUnit.SECONDS)).isTrue();
            waitFor(() -> http.get(BASE + "/connections").body().contains("CLOSE_WAIT"), () -> "curl's FIN");
        }
        assertThat(http.post(BASE + "/processes/" + pid + "/close", "{\"fd\":4}").<Integer>at("$.ret")).isZero();
        assertThat(curl.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(body);
        assertThat(curl.exitValue()).isZero();
        String subject = remote + "-" + KERNEL + ":" + port;
        waitFor(() -> !http.get(BASE + "/connections").body().contains("LAST_ACK")
                && !http.get(BASE + "/connections").body().contains("FIN_WAIT"), () -> "the close to finish");
        List<String> changes = http.get(BASE + "/events?limit=10000").<List<Map<String, Object>>>at("$").stream()
                .filter(e -> "STATE_CHANGE".equals(e.get("type")) && subject.equals(e.get("subject")))
                .map(e -> ((String) e.get("detail")).split(":")[0]).toList();
        return new Exchange(subject, changes);
    }

    @Test
    void closeWithUnreadDataMakesCurlReportAReset() throws Exception {
        int pid = server(8081);
        Process curl = ns.start(List.of("curl", "-sS", "--max-time", "20", "http://" + KERNEL + ":8081/"), true);
        assertThat(http.post(BASE + "/processes/" + pid + "/accept?wait=20000", "{\"fd\":3}").<Integer>at("$.ret")).isEqualTo(4);
        waitFor(() -> http.get(BASE + "/connections").<List<Integer>>at("$[?(@.local =~ /.*:8081/ && @.state == 'ESTABLISHED')].recvQ")
                .stream().anyMatch(q -> q > 0), () -> "curl's request in the receive queue");
        assertThat(http.post(BASE + "/processes/" + pid + "/close", "{\"fd\":4}").<Integer>at("$.ret")).isZero();
        assertThat(curl.waitFor(20, TimeUnit.SECONDS)).isTrue();
        String err = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        // RFC 2525 §2.17: close() with unread data sends a RST, so curl's recv() fails with ECONNRESET
        assertThat(curl.exitValue()).as(err).isEqualTo(56);
        assertThat(err).contains("reset");
        assertThat(http.get(BASE + "/nstat").<Integer>at("$.kernel.TcpExtTCPAbortOnClose")).isGreaterThanOrEqualTo(1);
    }

    @Test
    void otherKernelsHaveNoDevice() {
        Http.Reply reply = http.get("/api/v1/kernels/default/tun");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.<String>at("$.state")).isEqualTo("off");
        assertThat(reply.<String>at("$.attach")).contains("--vkernel.tun.device=");
        assertThat(http.get("/api/v1/kernels/nosuch/tun").status()).isEqualTo(404);
    }

    private int server(int port) {
        int pid = http.post(BASE + "/processes", "{\"name\":\"web\"}").at("$.pid");
        http.post(BASE + "/processes/" + pid + "/socket", "{}");
        assertThat(http.post(BASE + "/processes/" + pid + "/bind", "{\"fd\":3,\"addr\":\"0.0.0.0:" + port + "\"}").<Integer>at("$.ret")).isZero();
        assertThat(http.post(BASE + "/processes/" + pid + "/listen", "{\"fd\":3,\"backlog\":16}").<Integer>at("$.ret")).isZero();
        return pid;
    }

    /** A JSON object of the write call: the fd and the data, with the HTTP line ends escaped. */
    private static String json(Map<String, Object> fields) {
        String data = ((String) fields.get("data")).replace("\\", "\\\\").replace("\"", "\\\"")
                .replace("\r", "\\r").replace("\n", "\\n");
        return "{\"fd\":" + fields.get("fd") + ",\"data\":\"" + data + "\"}";
    }

    private static void waitFor(Supplier<Boolean> condition, Supplier<String> what) {
        try {
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(condition::get);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("no " + what.get() + " within 20 s", e);
        }
    }
}
