package io.vkernel.api;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.MvcResult;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A system call that completes at once is answered on the request's thread, with no asynchronous dispatch (which
 * cost a non-blocking call most of its time, BENCHMARKS.md); one that blocks still waits asynchronously; both answer
 * what they always did.
 */
@SpringBootTest
@AutoConfigureMockMvc
class ReadyResultsTest {

    @Autowired
    MockMvc mvc;

    @Test
    void aCallThatCompletesAnswersWithoutGoingAsynchronous() throws Exception {
        String k = kernel("ready-1");
        MvcResult socket = mvc.perform(Http.MockMvcRequestJson.post(k + "/processes/12345/socket", null)).andReturn();
        assertThat(socket.getRequest().isAsyncStarted()).isFalse();
        assertThat(socket.getResponse().getStatus()).isEqualTo(200);
        assertThat(socket.getResponse().getContentType()).startsWith("application/json");
        assertThat(socket.getResponse().getContentAsString(StandardCharsets.UTF_8)).contains("\"ret\" : 3");

        MvcResult text = mvc.perform(Http.MockMvcRequestJson.post(k + "/processes/12345/fcntl?format=text",
                "{\"fd\":3,\"cmd\":\"F_GETFL\"}")).andReturn();
        assertThat(text.getRequest().isAsyncStarted()).isFalse();
        assertThat(text.getResponse().getContentAsString(StandardCharsets.UTF_8)).startsWith("fcntl(3, F_GETFL) = 0x2 (flags O_RDWR)");
    }

    @Test
    void aCallThatBlocksStillWaitsAsynchronouslyAndOneThatMayNotWaitAnswers202AtOnce() throws Exception {
        String k = kernel("ready-2");
        listen(k);
        MvcResult waiting = mvc.perform(Http.MockMvcRequestJson.post(k + "/processes/12345/accept?wait=1", "{\"fd\":3}")).andReturn();
        assertThat(waiting.getRequest().isAsyncStarted()).isTrue();

        MvcResult atOnce = mvc.perform(Http.MockMvcRequestJson.post(k + "/processes/12345/accept?wait=0", "{\"fd\":3}")).andReturn();
        assertThat(atOnce.getRequest().isAsyncStarted()).isFalse();
        assertThat(atOnce.getResponse().getStatus()).isEqualTo(202);
        assertThat(atOnce.getResponse().getHeader("Location")).startsWith("/api/v1/kernels/ready-2/processes/12345/calls/");
    }

    private String kernel(String id) throws Exception {
        Http http = new Http(mvc);
        assertThat(http.post("/api/v1/kernels", "{\"id\":\"" + id + "\",\"seed\":1}").status()).isEqualTo(201);
        String k = "/api/v1/kernels/" + id;
        assertThat(http.post(k + "/processes", "{\"name\":\"server\"}").status()).isEqualTo(201);
        return k;
    }

    private void listen(String k) {
        Http http = new Http(mvc);
        http.post(k + "/processes/12345/socket", null);
        http.post(k + "/processes/12345/bind", "{\"fd\":3,\"addr\":\"0.0.0.0:8080\"}");
        http.post(k + "/processes/12345/listen", "{\"fd\":3,\"backlog\":8}");
    }
}
