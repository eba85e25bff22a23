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
        String p = process("ready-one");
        MvcResult socket = mvc.perform(Http.MockMvcRequestJson.post(p + "/socket", null)).andReturn();
        assertThat(socket.getRequest().isAsyncStarted()).isFalse();
        assertThat(socket.getResponse().getStatus()).isEqualTo(200);
        assertThat(socket.getResponse().getContentType()).startsWith("application/json");
        assertThat(socket.getResponse().getContentAsString(StandardCharsets.UTF_8)).contains("\"ret\" : 3");

        MvcResult text = mvc.perform(Http.MockMvcRequestJson.post(p + "/fcntl?format=text", "{\"fd\":3,\"cmd\":\"F_GETFL\"}")).andReturn();
        assertThat(text.getRequest().isAsyncStarted()).isFalse();
        assertThat(text.getResponse().getContentAsString(StandardCharsets.UTF_8)).startsWith("fcntl(3, F_GETFL) = 0x2 (flags O_RDWR)");
        new Http(mvc).send(org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete(p));
    }

    @Test
    void aCallThatBlocksStillWaitsAsynchronouslyAndOneThatMayNotWaitAnswers202AtOnce() throws Exception {
        String p = process("ready-two");
        Http http = new Http(mvc);
        http.post(p + "/socket", null);
        http.post(p + "/bind", "{\"fd\":3,\"addr\":\"0.0.0.0:47123\"}");
        http.post(p + "/listen", "{\"fd\":3,\"backlog\":8}");
        MvcResult waiting = mvc.perform(Http.MockMvcRequestJson.post(p + "/accept?wait=1", "{\"fd\":3}")).andReturn();
        assertThat(waiting.getRequest().isAsyncStarted()).isTrue();

        MvcResult atOnce = mvc.perform(Http.MockMvcRequestJson.post(p + "/accept?wait=0", "{\"fd\":3}")).andReturn();
        assertThat(atOnce.getRequest().isAsyncStarted()).isFalse();
        assertThat(atOnce.getResponse().getStatus()).isEqualTo(202);
        assertThat(atOnce.getResponse().getHeader("Location")).startsWith(p + "/calls/");
        new Http(mvc).send(org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete(p));
    }

    /** A new process in the default kernel (the shared test context may already hold as many kernels as allowed). */
    private String process(String name) {
        Http.Reply created = new Http(mvc).post("/api/v1/kernels/default/processes", "{\"name\":\"" + name + "\"}");
        assertThat(created.status()).isEqualTo(201);
        return "/api/v1/kernels/default/processes/" + created.<Integer>at("$.pid");
    }
}
