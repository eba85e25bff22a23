package io.vkernel.api;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.test.web.servlet.MockMvc;

import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Bad input answers an RFC 9457 problem naming the field, never a 500, and leaves the kernel as it was. */
@SpringBootTest
@AutoConfigureMockMvc
class ProblemHttpTest {

    private static final AtomicInteger KERNELS = new AtomicInteger();

    @Autowired
    MockMvc mvc;

    private Http http;
    private String base;

    @BeforeEach
    void freshKernel() {
        http = new Http(mvc);
        String id = "bad-" + KERNELS.incrementAndGet();
        http.post("/api/v1/kernels", "{\"id\":\"" + id + "\"}");
        base = "/api/v1/kernels/" + id;
    }

    @Test
    void impossibleAddress_namesTheField() {
        Http.Reply reply = packet("{\"src\":\"999.1.1.1:5000\",\"dst\":\"10.0.0.50:8080\",\"flags\":\"S\"}");
        assertProblem(reply, 400, "src");
        assertThat(reply.<String>at("$.detail")).contains("999").contains("0-255");
    }

    @Test
    void portOutOfRange_namesTheField() {
        Http.Reply reply = packet("{\"src\":\"192.168.1.100:5000\",\"dst\":\"10.0.0.50:70000\",\"flags\":\"S\"}");
        assertProblem(reply, 400, "dst");
        assertThat(reply.<String>at("$.detail")).contains("70000").contains("0-65535");
    }

    @Test
    void unknownFlag_listsWhatIsAllowed() {
        Http.Reply reply = packet("{\"src\":\"192.168.1.100:5000\",\"dst\":\"10.0.0.50:8080\",\"flags\":\"SX\"}");
        assertProblem(reply, 400, "flags");
        assertThat(reply.<String>at("$.detail")).contains("'X'").contains("SYN");
    }

    @Test
    void unknownTcpOption_namesTheOptionsField() {
        Http.Reply reply = packet("{\"src\":\"192.168.1.100:5000\",\"dst\":\"10.0.0.50:8080\",\"flags\":\"S\",\"options\":\"mss 1460,fastopen\"}");
        assertProblem(reply, 400, "options");
        assertThat(reply.<String>at("$.detail")).contains("fastopen").contains("wscale");
    }

    @Test
    void sequenceNumberBeyond32Bits_isRefused() {
        Http.Reply reply = packet("{\"src\":\"192.168.1.100:5000\",\"dst\":\"10.0.0.50:8080\",\"flags\":\"S\",\"seq\":4294967296}");
        assertProblem(reply, 400, "seq");
    }

    @Test
    void badItemInABatch_rejectsTheWholeBatch_andTheKernelSeesNothing() {
        Http.Reply reply = packet("[{\"src\":\"192.168.1.100:5000\",\"dst\":\"10.0.0.50:8080\",\"flags\":\"S\"},"
                + "{\"src\":\"192.168.1.100:5001\",\"dst\":\"10.0.0.50:8080\",\"flags\":\"Q\"}]");
        assertProblem(reply, 400, "[1].flags");
        assertThat(http.get(base + "/packets").<java.util.List<?>>at("$")).isEmpty();
    }

    @Test
    void wrongJsonType_namesTheField_withoutJavaClassNames() {
        Http.Reply reply = http.post(base + "/processes/12345/read", "{\"fd\":\"seven\"}");
        assertProblem(reply, 400, "fd");
        assertThat(reply.body()).doesNotContain("java.").doesNotContain("io.vkernel");
    }

    @Test
    void brokenJson_isA400() {
        assertProblem(http.post(base + "/packets", "{\"src\":"), 400, null);
    }

    @Test
    void unknownProcess_isA404() {
        Http.Reply reply = http.post(base + "/processes/999/socket", "{}");
        assertProblem(reply, 404, "pid");
    }

    @Test
    void unknownKernel_isA404() {
        assertProblem(http.get("/api/v1/kernels/nope/connections"), 404, null);
    }

    @Test
    void unknownSyscall_isA404ListingTheCalls() {
        int pid = http.post(base + "/processes", "{}").at("$.pid");
        Http.Reply reply = http.post(base + "/processes/" + pid + "/frobnicate", "{}");
        assertProblem(reply, 404, null);
        assertThat(reply.<String>at("$.detail")).contains("accept").contains("read");
    }

    @Test
    void unmappedPath_isAProblemToo() {
        Http.Reply reply = http.get("/api/v1/nothing-here");
        assertThat(reply.status()).isEqualTo(404);
        assertThat(reply.contentType()).isEqualTo("application/problem+json");
    }

    @Test
    void readOnAnFdThatIsNotOpen_isLinuxsEbadf_notAProblem() {
        int pid = http.post(base + "/processes", "{}").at("$.pid");
        Http.Reply reply = http.post(base + "/processes/" + pid + "/read", "{\"fd\":9}");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.<String>at("$.errno")).isEqualTo("EBADF");
        assertThat(reply.<String>at("$.strace")).isEqualTo("read(9, ..., 4096) = -1 EBADF (Bad file descriptor)");
    }

    @Test
    void unknownBodyField_isRefused_soTyposDoNotPassSilently() {
        int pid = http.post(base + "/processes", "{}").at("$.pid");
        assertProblem(http.post(base + "/processes/" + pid + "/listen", "{\"fd\":3,\"backlg\":5}"), 400, "backlg");
    }

    private Http.Reply packet(String json) {
        return http.post(base + "/packets", json);
    }

    private static void assertProblem(Http.Reply reply, int status, String field) {
        assertThat(reply.status()).as(reply.body()).isEqualTo(status);
        assertThat(reply.contentType()).isEqualTo("application/problem+json");
        assertThat(reply.<String>at("$.type")).startsWith("https://vkernel.dev/problems/");
        assertThat(reply.<String>at("$.detail")).isNotBlank();
        if (field != null) {
            assertThat(reply.<String>at("$.field")).isEqualTo(field);
        }
    }
}
