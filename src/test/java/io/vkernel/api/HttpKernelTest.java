package io.vkernel.api;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.request.MockMvcRequestBuilders;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Base for HTTP tests: a fresh kernel per test with a server process listening on 0.0.0.0:8080 (FD 3). */
@SpringBootTest
@AutoConfigureMockMvc
abstract class HttpKernelTest {

    private static final AtomicInteger KERNELS = new AtomicInteger();

    @Autowired
    MockMvc mvc;

    Http http;
    String base;
    int pid;

    @BeforeEach
    void serverListening() {
        http = new Http(mvc);
        String id = "k" + KERNELS.incrementAndGet() + "-" + getClass().getSimpleName().toLowerCase().replace("test", "");
        assertThat(http.post("/api/v1/kernels", "{\"id\":\"" + id + "\",\"seed\":7}").status()).isEqualTo(201);
        base = "/api/v1/kernels/" + id;
        pid = http.post(base + "/processes", "{\"name\":\"server\"}").at("$.pid");
        assertThat(syscall("socket", "{}").<Integer>at("$.ret")).isEqualTo(3);
        assertThat(syscall("bind", "{\"fd\":3,\"addr\":\"0.0.0.0:8080\"}").<Integer>at("$.ret")).isZero();
        assertThat(syscall("listen", "{\"fd\":3,\"backlog\":128}").<String>at("$.strace")).isEqualTo("listen(3, 128) = 0");
    }

    /** The Spring context is shared and holds at most 64 kernels: each test gives its kernel back (404 if it did). */
    @AfterEach
    void deleteKernel() {
        if (base != null) {
            http.send(MockMvcRequestBuilders.delete(base));
        }
    }

    Http.Reply syscall(String call, String body) {
        return http.post(base + "/processes/" + pid + "/" + call, body);
    }

    void connect(String ip, int port) {
        inject(ip, port, "S", 1000, 0, null);
        inject(ip, port, ".", 1001, ack(ip, port), null);
    }

    /** The ACK a client must send: the server's ISN + 1, read from the last SYN-ACK to it on the wire. */
    long ack(String ip, int port) {
        List<Map<String, Object>> wire = http.get(base + "/packets?limit=10000").at("$");
        for (int i = wire.size() - 1; i >= 0; i--) {
            Map<String, Object> p = wire.get(i);
            if (p.get("dst").equals(ip + ":" + port) && "S.".equals(p.get("flags"))) {
                return ((Number) p.get("seq")).longValue() + 1;
            }
        }
        throw new AssertionError("no SYN-ACK to " + ip + ":" + port);
    }

    Http.Reply inject(String ip, int port, String flags, long seq, long ack, String payload) {
        Http.Reply reply = http.post(base + "/packets", packet(ip, port, flags, seq, ack, payload));
        assertThat(reply.status()).isEqualTo(200);
        return reply;
    }

    void advance(long ms) {
        assertThat(http.post(base + "/clock/advance", "{\"ms\":" + ms + "}").status()).isEqualTo(200);
    }

    List<String> connectionStates() {
        return http.get(base + "/connections").at("$[*].state");
    }

    static String packet(String ip, int port, String flags, long seq, long ack, String payload) {
        return "{\"src\":\"" + ip + ":" + port + "\",\"dst\":\"10.0.0.50:8080\",\"flags\":\"" + flags + "\",\"seq\":" + seq
                + ",\"ack\":" + ack + (payload == null ? "" : ",\"payload\":\"" + payload + "\"") + "}";
    }
}
