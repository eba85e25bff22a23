package io.vkernel.api;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.request.MockMvcRequestBuilders;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A scenario run needs a fresh kernel: with the sandbox full it is refused with 429, and no kernel is left half-made. */
@SpringBootTest(properties = "vkernel.limits.max-kernels=2")
@AutoConfigureMockMvc
class ScenarioLimitHttpTest {

    @Autowired
    MockMvc mvc;

    @Test
    void runWithTheSandboxFull_is429_andLeavesTheKernelsAsTheyWere() {
        Http http = new Http(mvc);
        Http.Reply first = http.post("/api/v1/scenarios/scenario-3-packet-after-close/runs", null);
        assertThat(first.status()).as("default + this run = 2 kernels, the limit").isEqualTo(201);

        Http.Reply refused = http.post("/api/v1/scenarios/scenario-3-packet-after-close/runs", null);
        assertThat(refused.status()).isEqualTo(429);
        assertThat(refused.contentType()).isEqualTo("application/problem+json");
        assertThat(refused.<String>at("$.type")).isEqualTo("https://vkernel.dev/problems/limit-reached");
        assertThat(refused.<String>at("$.detail")).contains("limit 2").contains("DELETE /api/v1/kernels/{id}");
        assertThat(http.get("/api/v1/kernels").<List<String>>at("$[*].id")).containsExactly("default", first.<String>at("$.kernel"));

        http.send(MockMvcRequestBuilders.delete("/api/v1/kernels/" + first.<String>at("$.kernel")));
        assertThat(http.post("/api/v1/scenarios/scenario-3-packet-after-close/runs", null).status()).as("room again").isEqualTo(201);
    }
}
