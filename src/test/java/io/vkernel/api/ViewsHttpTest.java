package io.vkernel.api;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.test.web.servlet.MockMvc;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The familiar renderings and the views a learner reads: ss -tanp, lsof -nP -p, /proc/net/tcp, memory side by
 * side with the seed's model, the demux distribution and the hash demonstration.
 * The text layouts were checked against iproute2's ss, lsof 4.95 and Linux 6.18's /proc/net/tcp.
 */
@SpringBootTest
@AutoConfigureMockMvc
class ViewsHttpTest {

    private static final AtomicInteger KERNELS = new AtomicInteger();

    @Autowired
    MockMvc mvc;

    private Http http;
    private String base;
    private final int pid = 12345;

    @BeforeEach
    void serverListening() {
        http = new Http(mvc);
        String id = "views-" + KERNELS.incrementAndGet();
        assertThat(http.post("/api/v1/kernels", "{\"id\":\"" + id + "\",\"seed\":7}").status()).isEqualTo(201);
        base = "/api/v1/kernels/" + id;
        assertThat(http.post(base + "/processes", "{\"name\":\"server\"}").<Integer>at("$.pid")).isEqualTo(pid);
        syscall("socket", "{}");
        syscall("bind", "{\"fd\":3,\"addr\":\"0.0.0.0:8080\"}");
        syscall("listen", "{\"fd\":3,\"backlog\":128}");
    }

    /**
     * Client A accepted on fd 4 with 11 unread bytes, client B waiting in the accept queue, client C half-open. With
     * seed 7 the jhash buckets order them B, A, C in the established table, which is the order ss and /proc list them.
     */
    private void threeClients() {
        connect("192.168.1.100", 54321);
        assertThat(syscall("accept", "{\"fd\":3}").<Integer>at("$.ret")).isEqualTo(4);
        inject("192.168.1.100", 54321, "P.", 1001, ack("192.168.1.100", 54321), "hello world");
        connect("192.168.1.200", 48000);
        inject("192.168.1.150", 55555, "S", 7000, 0, null);
    }

    private Http.Reply syscall(String call, String body) {
        return http.post(base + "/processes/" + pid + "/" + call, body);
    }

    private void connect(String ip, int port) {
        inject(ip, port, "S", 1000, 0, null);
        inject(ip, port, ".", 1001, ack(ip, port), null);
    }

    private long ack(String ip, int port) {
        List<Map<String, Object>> wire = http.get(base + "/packets?limit=10000").at("$");
        for (int i = wire.size() - 1; i >= 0; i--) {
            Map<String, Object> p = wire.get(i);
            if (p.get("dst").equals(ip + ":" + port) && "S.".equals(p.get("flags"))) {
                return ((Number) p.get("seq")).longValue() + 1;
            }
        }
        throw new AssertionError("no SYN-ACK to " + ip + ":" + port);
    }

    private void inject(String ip, int port, String flags, long seq, long ack, String payload) {
        Http.Reply reply = http.post(base + "/packets", "{\"src\":\"" + ip + ":" + port + "\",\"dst\":\"10.0.0.50:8080\",\"flags\":\""
                + flags + "\",\"seq\":" + seq + ",\"ack\":" + ack + (payload == null ? "" : ",\"payload\":\"" + payload + "\"") + "}");
        assertThat(reply.status()).isEqualTo(200);
    }
}
