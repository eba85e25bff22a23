package io.vkernel.api;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.test.web.servlet.MockMvc;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 10's memory attacks, bounded, against small budgets: a wire log flooded with large packets that draw no reply,
 * receive buffers filled on many connections, thousands of parked calls, kernels with huge hash tables. Each ends in a
 * 507 problem naming the budget (or in a log that forgets its oldest entries), nothing already in a kernel is lost,
 * and the service keeps answering.
 */
@SpringBootTest(properties = {"vkernel.budget.service-bytes=9000000", "vkernel.budget.kernel-bytes=1500000",
        "vkernel.limits.default-buckets=1024", "vkernel.limits.parked-calls-per-process=100000",
        "vkernel.limits.parked-calls-per-kernel=100000", "vkernel.limits.waiting-requests=2"})
@AutoConfigureMockMvc
class MemoryBudgetHttpTest {

    private static final String BIG = "x".repeat(60_000);

    @Autowired
    MockMvc mvc;

    @Test
    void wireLogFlood_isBoundedByBytes_andTheKernelKeepsAnswering() {
        Http http = new Http(mvc);
        String k = kernel(http, "flood");
        for (int i = 0; i < 25; i++) {
            Http.Reply reply = http.post(k + "/packets", "{\"src\":\"192.168.1.1:" + (1000 + i)
                    + "\",\"dst\":\"10.0.0.50:80\",\"flags\":\"R\",\"payload\":\"" + BIG + "\"}");
            assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        }
        Http.Reply memory = http.get(k + "/memory");
        long wireLog = memory.<Number>at("$.budget.retained.wireLog").longValue();
        long wireLimit = memory.<Number>at("$.budget.wireLogLimitBytes").longValue();
        assertThat(wireLimit).isEqualTo(375_000);
        assertThat(wireLog).isPositive().isLessThanOrEqualTo(wireLimit);
        assertThat(memory.<Number>at("$.budget.kernel.usedBytes").longValue()).isLessThanOrEqualTo(1_500_000);
        List<Integer> kept = http.get(k + "/packets?limit=1000").at("$[*].no");
        assertThat(kept).as("1.5 MB of packets do not fit 375 KB: the oldest are forgotten").hasSizeLessThan(8).contains(25);
        assertThat(http.get(k + "/capture.pcap").status()).isEqualTo(200);
        assertHealthy(http, k);
    }

    @Test
    void fullReceiveBuffers_areRefusedWith507_andQueuedDataIsKept() {
        Http http = new Http(mvc);
        String k = kernel(http, "bufs");
        int pid = http.post(k + "/processes", "{}").at("$.pid");
        String p = k + "/processes/" + pid;
        http.post(p + "/socket", "{}");
        http.post(p + "/bind", "{\"fd\":3,\"addr\":\"0.0.0.0:80\"}");
        http.post(p + "/listen", "{\"fd\":3,\"backlog\":1000}");
        Http.Reply refused = null;
        int filled = 0;
        for (int port = 2000; port < 2200 && refused == null; port++) {
            long isn = http.post(k + "/packets", packet(port, "S", 1000, 0, null)).<Number>at("$.results[0].sent[0].seq").longValue();
            Http.Reply ack = http.post(k + "/packets", packet(port, ".", 1001, isn + 1, null));
            if (ack.status() != 200) {
                refused = ack;
                break;
            }
            Http.Reply data = http.post(k + "/packets", packet(port, "P.", 1001, isn + 1, BIG));
            if (data.status() != 200) {
                refused = data;
            } else {
                filled++;
            }
        }
        assertThat(refused).as("1.5 MB cannot hold 200 connections with 60 KB queued each").isNotNull();
        assertBudgetProblem(refused, "kernel");
        assertThat(filled).isGreaterThan(5);
        Http.Reply accepted = http.post(p + "/accept", "{\"fd\":3}");
        int fd = accepted.at("$.ret");
        Http.Reply read = http.post(p + "/read", "{\"fd\":" + fd + ",\"count\":100000}");
        assertThat(read.<Integer>at("$.ret")).as("the first connection's bytes are all still queued").isEqualTo(60_000);
        assertHealthy(http, k);
    }

    @Test
    void parkedCalls_areRefusedWith507_beforeTheyExhaustTheBudget() {
        Http http = new Http(mvc);
        String k = kernel(http, "parks");
        int pid = http.post(k + "/processes", "{}").at("$.pid");
        String p = k + "/processes/" + pid;
        http.post(p + "/socket", "{}");
        http.post(p + "/bind", "{\"fd\":3,\"addr\":\"0.0.0.0:80\"}");
        http.post(p + "/listen", "{\"fd\":3,\"backlog\":10}");
        Http.Reply last = null;
        int parked = 0;
        for (int i = 0; i < 3000; i++) {
            last = http.post(p + "/accept?wait=0", "{\"fd\":3}");
            if (last.status() != 202) {
                break;
            }
            parked++;
        }
        assertBudgetProblem(last, "kernel");
        assertThat(parked).as("1.5 MB at 832 B a parked call, less the events").isBetween(500, 2000);
        assertThat(http.get(k + "/processes/" + pid).<List<?>>at("$.threads")).hasSize(parked);
        assertHealthy(http, k);
        // the process exits: its sleepers end, their memory goes back, and the kernel takes new work again
        http.send(org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete(p));
        assertThat(http.post(k + "/packets", packet(3000, "S", 1, 0, null)).<String>at("$.results[0].sent[0].flags")).isEqualTo("R.");
        assertHealthy(http, k);
    }

    @Test
    void httpRequestsWaitingOnBlockedCalls_areBounded_theRestAnswer202AtOnce() throws Exception {
        Http http = new Http(mvc);
        String k = kernel(http, "waits");
        int pid = http.post(k + "/processes", "{}").at("$.pid");
        String p = k + "/processes/" + pid;
        http.post(p + "/socket", "{}");
        http.post(p + "/bind", "{\"fd\":3,\"addr\":\"0.0.0.0:80\"}");
        http.post(p + "/listen", "{\"fd\":3,\"backlog\":10}");
        var first = http.start(p + "/accept?wait=100000", "{\"fd\":3}");
        var second = http.start(p + "/accept?wait=100000", "{\"fd\":3}");
        var third = http.start(p + "/accept?wait=100000", "{\"fd\":3}");
        assertThat(first.getRequest().isAsyncStarted()).isTrue();
        assertThatThrownBy(() -> first.getAsyncResult(0)).as("the first two wait").isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> second.getAsyncResult(0)).isInstanceOf(IllegalStateException.class);
        Http.Reply answered = http.finish(third);
        assertThat(answered.status()).as("the third does not hold its connection: 202 with the pending call").isEqualTo(202);
        assertThat(answered.<String>at("$.pending.href")).contains("/calls/");
        assertThat(http.get(k + "/processes/" + pid).<List<?>>at("$.threads")).as("all three calls sleep in the kernel").hasSize(3);
        http.send(org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete(p));
    }

    @Test
    void hugeHashTables_areRefused_perKernelAndServiceWide() {
        Http http = new Http(mvc);
        Http.Reply huge = http.post("/api/v1/kernels", "{\"id\":\"huge\",\"buckets\":4194304}");
        assertBudgetProblem(huge, "kernel");
        assertThat(huge.<String>at("$.detail")).contains("4194304 buckets").contains("at most 131072 buckets");
        Http.Reply last = null;
        for (int i = 0; i < 40; i++) {
            last = http.post("/api/v1/kernels", "{\"id\":\"wide-" + i + "\",\"buckets\":65536}");
            if (last.status() != 201) {
                break;
            }
        }
        assertBudgetProblem(last, "service");
        assertThat(http.get("/api/v1/kernels").status()).isEqualTo(200);
        Http.Reply full = http.get("/actuator/health");
        assertThat(full.status()).as("past 90 % of the service budget health says so: " + full.body()).isEqualTo(503);
        assertThat(full.<String>at("$.components.memoryBudget.status")).isEqualTo("DOWN");
        assertThat(full.<Number>at("$.components.memoryBudget.details.usedPercent").doubleValue()).isGreaterThan(90);
        for (int i = 0; i < 40; i++) {
            http.send(org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete("/api/v1/kernels/wide-" + i));
        }
        assertThat(http.post("/api/v1/kernels", "{\"id\":\"wide-again\",\"buckets\":65536}").status())
                .as("deleting kernels gives their memory back").isEqualTo(201);
        http.send(org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete("/api/v1/kernels/wide-again"));
        Http.Reply healthy = http.get("/actuator/health");
        assertThat(healthy.status()).as(healthy.body()).isEqualTo(200);
        assertThat(healthy.<String>at("$.components.memoryBudget.status")).isEqualTo("UP");
    }

    private static String kernel(Http http, String id) {
        assertThat(http.post("/api/v1/kernels", "{\"id\":\"" + id + "\"}").status()).isEqualTo(201);
        return "/api/v1/kernels/" + id;
    }

    private static void assertBudgetProblem(Http.Reply reply, String budget) {
        assertThat(reply.status()).as(reply.body()).isEqualTo(507);
        assertThat(reply.contentType()).isEqualTo("application/problem+json");
        assertThat(reply.<String>at("$.type")).isEqualTo("https://vkernel.dev/problems/memory-budget");
        assertThat(reply.<String>at("$.budget")).isEqualTo(budget);
        assertThat(reply.<String>at("$.setting")).isEqualTo("vkernel.budget." + budget + "-bytes");
        assertThat(reply.<String>at("$.detail")).contains("budget");
    }

    private static void assertHealthy(Http http, String k) {
        Http.Reply check = http.get(k + "/check");
        assertThat(check.status()).isEqualTo(200);
        assertThat(check.<Boolean>at("$.ok")).as(check.body()).isTrue();
        assertThat(http.get("/api/v1/kernels").status()).isEqualTo(200);
        assertThat(http.get(k + "/connections").status()).isEqualTo(200);
    }

    private static String packet(int port, String flags, long seq, long ack, String payload) {
        return "{\"src\":\"192.168.1.100:" + port + "\",\"dst\":\"10.0.0.50:80\",\"flags\":\"" + flags + "\",\"seq\":" + seq
                + ",\"ack\":" + ack + (payload == null ? "" : ",\"payload\":\"" + payload + "\"") + "}";
    }
}
