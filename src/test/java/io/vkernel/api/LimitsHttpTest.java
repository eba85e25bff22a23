package io.vkernel.api;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.test.web.servlet.MockMvc;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every sandbox bound is a setting, and hitting one gives a clear 4xx (413, 429, 400), never a crash. */
@SpringBootTest(properties = {"vkernel.limits.max-kernels=3", "vkernel.limits.processes-per-kernel=2",
        "vkernel.limits.connections-per-kernel=2", "vkernel.limits.events-per-kernel=20", "vkernel.limits.max-batch=3",
        "vkernel.limits.max-payload-bytes=10", "vkernel.limits.max-wait-ms=1000", "vkernel.limits.packets-logged-per-kernel=5"})
@AutoConfigureMockMvc
class LimitsHttpTest {

    @Autowired
    MockMvc mvc;

    @Test
    void limits_areEnforcedWithClearProblems() {
        Http http = new Http(mvc);
        assertThat(http.post("/api/v1/kernels", "{\"id\":\"lim-a\"}").status()).isEqualTo(201);
        assertThat(http.post("/api/v1/kernels", "{\"id\":\"lim-b\"}").status()).isEqualTo(201);
        Http.Reply fourth = http.post("/api/v1/kernels", "{\"id\":\"lim-c\"}");
        assertThat(fourth.status()).as("default + 2 = the limit of 3").isEqualTo(429);
        assertThat(fourth.<String>at("$.detail")).contains("limit 3");

        String k = "/api/v1/kernels/lim-a";
        int pid = http.post(k + "/processes", "{}").at("$.pid");
        http.post(k + "/processes", "{}");
        Http.Reply third = http.post(k + "/processes", "{}");
        assertThat(third.status()).isEqualTo(429);
        assertThat(third.<String>at("$.detail")).contains("limit 2");

        Http.Reply bigPayload = http.post(k + "/packets", "{\"src\":\"192.168.1.1:1\",\"dst\":\"10.0.0.50:80\",\"flags\":\"P.\",\"payload\":\"0123456789A\"}");
        assertThat(bigPayload.status()).isEqualTo(413);
        assertThat(bigPayload.<String>at("$.field")).isEqualTo("payload");

        String p = "{\"src\":\"192.168.1.1:1\",\"dst\":\"10.0.0.50:80\",\"flags\":\"S\"}";
        Http.Reply bigBatch = http.post(k + "/packets", "[" + p + "," + p + "," + p + "," + p + "]");
        assertThat(bigBatch.status()).isEqualTo(413);
        assertThat(bigBatch.<String>at("$.detail")).contains("at most 3");

        http.post(k + "/processes/" + pid + "/socket", "{}");
        Http.Reply longWait = http.post(k + "/processes/" + pid + "/accept?wait=5000", "{\"fd\":3}");
        assertThat(longWait.status()).isEqualTo(400);
        assertThat(longWait.<String>at("$.field")).isEqualTo("wait");

        http.post(k + "/processes/" + pid + "/bind", "{\"fd\":3,\"addr\":\"0.0.0.0:80\"}");
        http.post(k + "/processes/" + pid + "/listen", "{\"fd\":3,\"backlog\":10}");
        for (int port = 1; port <= 3; port++) {
            http.post(k + "/packets", "{\"src\":\"192.168.1.1:" + port + "\",\"dst\":\"10.0.0.50:80\",\"flags\":\"S\"}");
        }
        assertThat(http.get(k + "/connections").<List<?>>at("$")).as("connections-per-kernel = 2").hasSize(2);
        Http.Reply refused = http.post(k + "/packets", "{\"src\":\"192.168.1.1:9\",\"dst\":\"10.0.0.50:80\",\"flags\":\"S\"}");
        assertThat(refused.<String>at("$.results[0].drop")).isEqualTo("CONNECTION_LIMIT");

        for (int i = 0; i < 10; i++) {
            http.post(k + "/processes/" + pid + "/fcntl", "{\"fd\":3,\"cmd\":\"F_GETFL\"}"); // one event each
        }
        List<Integer> seqs = http.get(k + "/events?limit=1000").at("$[*].seq");
        assertThat(seqs).as("the event log keeps the newest 20").hasSize(20);
        assertThat(seqs.get(19) - seqs.get(0)).isEqualTo(19);
        assertThat(http.get(k + "/packets").<List<?>>at("$")).as("the wire log keeps the newest 5").hasSize(5);
    }
}
