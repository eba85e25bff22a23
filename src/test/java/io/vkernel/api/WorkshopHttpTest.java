package io.vkernel.api;

import io.vkernel.sandbox.KernelRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.bean.override.convention.TestBean;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Workshop mode over real HTTP, as attendees with curl and an instructor would meet it: tokens handed out and
 * enforced (401 without, 404 for someone else's kernel, 403 for instructor-only routes), lists that show only your
 * own kernels, the instructor's powers and summary, the quotas, the actuator rules, idle eviction told to live
 * streams, and tokens that never reach the log. The wall clock for idleness is a test clock moved by hand.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "vkernel.workshop.enabled=true", "vkernel.workshop.instructor-token=" + WorkshopHttpTest.INSTRUCTOR,
        "vkernel.workshop.kernels-per-attendee=2", "vkernel.workshop.burst=100000",
        "vkernel.workshop.idle-timeout=10m", "vkernel.workshop.eviction-check=1h",
        "vkernel.limits.processes-per-kernel=3", "vkernel.limits.connections-per-kernel=2",
        "logging.level.org.springframework.security=TRACE", "logging.level.io.vkernel=DEBUG"})
@ExtendWith(OutputCaptureExtension.class)
class WorkshopHttpTest {

    static final String INSTRUCTOR = "instructor-secret-for-tests-0123";
    static final WorkshopClient.MovableClock CLOCK = new WorkshopClient.MovableClock();

    @TestBean(name = "workshopClock", methodName = "clock")
    Clock workshopClock;

    static Clock clock() {
        return CLOCK;
    }

    @LocalServerPort
    int port;

    @Autowired
    WorkshopEvictor evictor;

    @Autowired
    KernelRegistry registry;

    private WorkshopClient http() {
        return new WorkshopClient(port);
    }

    /** A new attendee: POST /kernels without credentials; returns {kernel id, token}. */
    private String[] attendee() {
        WorkshopClient.Reply created = http().post("/api/v1/kernels", null, null);
        assertThat(created.status()).isEqualTo(201);
        return new String[] {created.at("$.id"), created.at("$.token")};
    }

    @Test
    void anonymousCreate_answers201WithAKernelAndAToken_thatTheKernelsRoutesThenRequire() {
        WorkshopClient.Reply created = http().post("/api/v1/kernels", "{\"address\":\"10.0.0.1\"}", null);
        assertThat(created.status()).isEqualTo(201);
        String id = created.at("$.id");
        String token = created.at("$.token");
        assertThat(created.<String>at("$.address")).isEqualTo("10.0.0.1");
        assertThat(token).matches("[A-Za-z0-9_.-]+");
        String secret = token.substring(token.indexOf('.') + 1);
        assertThat(secret.length() * 6).as("bits of base64url secret").isGreaterThanOrEqualTo(128);
        assertThat(http().get("/api/v1/kernels/" + id, token).body()).as("shown only at creation").doesNotContain("token");

        assertThat(http().get("/api/v1/kernels/" + id, token).status()).isEqualTo(200);
        assertThat(http().post("/api/v1/kernels/" + id + "/processes", "{}", token).status()).isEqualTo(201);

        WorkshopClient.Reply none = http().get("/api/v1/kernels/" + id + "/connections", null);
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.header("WWW-Authenticate")).startsWith("Bearer");
        assertThat(none.contentType()).startsWith("application/problem+json");
        assertThat(none.<String>at("$.type")).isEqualTo("https://vkernel.dev/problems/unauthorized");
        assertThat(none.<String>at("$.detail")).contains("Authorization: Bearer");

        WorkshopClient.Reply forged = http().get("/api/v1/kernels/" + id, id + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        assertThat(forged.status()).isEqualTo(401);
        assertThat(forged.header("WWW-Authenticate")).contains("invalid_token");
        assertThat(forged.<String>at("$.type")).isEqualTo("https://vkernel.dev/problems/invalid-token");
    }

    @Test
    void anotherAttendeesKernel_isNotFound_exactlyLikeAKernelThatDoesNotExist_andStaysUntouched() {
        String[] alice = attendee();
        String[] bob = attendee();
        String aliceKernel = "/api/v1/kernels/" + alice[0];

        WorkshopClient.Reply peek = http().get(aliceKernel, bob[1]);
        WorkshopClient.Reply unknown = http().get("/api/v1/kernels/no-such-kernel", bob[1]);
        assertThat(peek.status()).isEqualTo(404);
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(peek.<String>at("$.detail").replace(alice[0], "X"))
                .as("the same answer as for a kernel that does not exist").isEqualTo(unknown.<String>at("$.detail").replace("no-such-kernel", "X"));
        assertThat(peek.<String>at("$.type")).isEqualTo(unknown.<String>at("$.type"));

        assertThat(http().post(aliceKernel + "/processes", "{}", bob[1]).status()).isEqualTo(404);
        assertThat(http().post(aliceKernel + "/packets", "{\"src\":\"192.168.1.1:1\",\"dst\":\"10.0.0.50:80\",\"flags\":\"S\"}",
                bob[1]).status()).isEqualTo(404);
        assertThat(http().get(aliceKernel + "/events/stream", bob[1]).status()).isEqualTo(404);
        assertThat(http().delete(aliceKernel, bob[1]).status()).isEqualTo(404);
        assertThat(http().get(aliceKernel, alice[1]).status()).as("alice's kernel survived bob").isEqualTo(200);

        List<String> alices = http().get("/api/v1/kernels", alice[1]).at("$[*].id");
        assertThat(alices).containsExactly(alice[0]);
        assertThat(http().get("/api/v1/kernels", null).status()).isEqualTo(401);
    }

    @Test
    void theDefaultKernel_isTheInstructorsOnly() {
        String[] alice = attendee();
        WorkshopClient.Reply attendee = http().get("/api/v1/kernels/default", alice[1]);
        assertThat(attendee.status()).isEqualTo(403);
        assertThat(attendee.<String>at("$.detail")).contains("only the instructor");
        assertThat(http().post("/api/v1/kernels/default/processes", "{}", alice[1]).status()).isEqualTo(403);
        assertThat(http().get("/api/v1/kernels/default", null).status()).isEqualTo(401);
        assertThat(http().get("/api/v1/kernels/default", INSTRUCTOR).status()).isEqualTo(200);
    }

    @Test
    void theInstructor_seesDrivesResetsAndDeletesEveryKernel_andReadsASummary() {
        String[] alice = attendee();
        String[] bob = attendee();
        List<String> all = http().get("/api/v1/kernels", INSTRUCTOR).at("$[*].id");
        assertThat(all).contains("default", alice[0], bob[0]);

        String k = "/api/v1/kernels/" + alice[0];
        int pid = http().post(k + "/processes", "{}", INSTRUCTOR).at("$.pid");
        http().post(k + "/processes/" + pid + "/socket", "{}", INSTRUCTOR);
        http().post(k + "/processes/" + pid + "/bind", "{\"fd\":3,\"addr\":\"0.0.0.0:80\"}", INSTRUCTOR);
        assertThat(http().post(k + "/processes/" + pid + "/listen", "{\"fd\":3,\"backlog\":8}", INSTRUCTOR).<Integer>at("$.ret"))
                .isZero();
        http().post(k + "/packets", "{\"src\":\"192.168.1.9:5000\",\"dst\":\"10.0.0.50:80\",\"flags\":\"S\"}", INSTRUCTOR);
        assertThat(http().post(k + "/clock/advance", "{\"ms\":1000}", INSTRUCTOR).status()).isEqualTo(200);

        WorkshopClient.Reply summary = http().get("/api/v1/workshop/summary", INSTRUCTOR);
        assertThat(summary.status()).isEqualTo(200);
        assertThat(summary.<Boolean>at("$.workshopMode")).isTrue();
        String row = "$.summary[?(@.id == '" + alice[0] + "')]";
        assertThat(summary.<List<String>>at(row + ".owner")).containsExactly(ownerOf(alice[1]));
        assertThat(summary.<List<Integer>>at(row + ".connectionsByState.LISTEN")).containsExactly(1);
        assertThat(summary.<List<Integer>>at(row + ".connectionsByState.SYN_RECV")).containsExactly(1);
        assertThat(summary.<List<String>>at(row + ".lastActivity")).containsExactly(CLOCK.instant().toString());
        assertThat(http().get("/api/v1/workshop/summary", alice[1]).status()).isEqualTo(403);
        assertThat(http().get("/api/v1/workshop/summary", null).status()).isEqualTo(401);

        assertThat(http().delete("/api/v1/kernels/default", INSTRUCTOR).status()).as("reset the default kernel").isEqualTo(204);
        assertThat(http().delete("/api/v1/kernels/" + bob[0], INSTRUCTOR).status()).isEqualTo(204);
        WorkshopClient.Reply gone = http().get("/api/v1/kernels", bob[1]);
        assertThat(gone.status()).as("an attendee whose last kernel is gone is forgotten").isEqualTo(401);
        assertThat(gone.header("WWW-Authenticate")).contains("invalid_token");
    }

    private static String ownerOf(String token) {
        return token.substring(0, token.indexOf('.'));
    }

    @Test
    void quotas_kernelsPerAttendee_processesAndConnectionsPerKernel_areEnforcedWithProblems() {
        String[] alice = attendee();
        WorkshopClient.Reply second = http().post("/api/v1/kernels", null, alice[1]);
        assertThat(second.status()).isEqualTo(201);
        assertThat(second.body()).as("the same attendee: no new token").doesNotContain("token");
        WorkshopClient.Reply third = http().post("/api/v1/kernels", null, alice[1]);
        assertThat(third.status()).isEqualTo(429);
        assertThat(third.<String>at("$.detail")).contains("limit 2 per attendee");
        List<String> mine = http().get("/api/v1/kernels", alice[1]).at("$[*].id");
        assertThat(mine).containsExactlyInAnyOrder(alice[0], second.at("$.id"));

        String k = "/api/v1/kernels/" + alice[0];
        int pid = http().post(k + "/processes", "{}", alice[1]).at("$.pid");
        http().post(k + "/processes", "{}", alice[1]);
        http().post(k + "/processes", "{}", alice[1]);
        WorkshopClient.Reply fourth = http().post(k + "/processes", "{}", alice[1]);
        assertThat(fourth.status()).isEqualTo(429);
        assertThat(fourth.<String>at("$.detail")).contains("limit 3");

        http().post(k + "/processes/" + pid + "/socket", "{}", alice[1]);
        http().post(k + "/processes/" + pid + "/bind", "{\"fd\":3,\"addr\":\"0.0.0.0:80\"}", alice[1]);
        http().post(k + "/processes/" + pid + "/listen", "{\"fd\":3,\"backlog\":10}", alice[1]);
        for (int port = 1; port <= 3; port++) {
            http().post(k + "/packets", "{\"src\":\"192.168.1.1:" + port + "\",\"dst\":\"10.0.0.50:80\",\"flags\":\"S\"}", alice[1]);
        }
        assertThat(http().get(k + "/connections", alice[1]).<List<?>>at("$")).hasSize(2);
        WorkshopClient.Reply refused = http().post(k + "/packets",
                "{\"src\":\"192.168.1.1:9\",\"dst\":\"10.0.0.50:80\",\"flags\":\"S\"}", alice[1]);
        assertThat(refused.<String>at("$.results[0].drop")).isEqualTo("CONNECTION_LIMIT");
    }

    @Test
    void actuator_healthAndInfoAreOpen_metricsAndPrometheusNeedTheInstructor() {
        String[] alice = attendee();
        assertThat(http().get("/actuator/health", null).status()).isEqualTo(200);
        assertThat(http().get("/actuator/info", null).status()).isEqualTo(200);
        for (String path : List.of("/actuator/metrics", "/actuator/prometheus", "/actuator")) {
            assertThat(http().get(path, null).status()).as(path + " without a token").isEqualTo(401);
            WorkshopClient.Reply attendee = http().get(path, alice[1]);
            assertThat(attendee.status()).as(path + " as an attendee").isEqualTo(403);
            assertThat(attendee.contentType()).startsWith("application/problem+json");
            assertThat(http().get(path, INSTRUCTOR).status()).as(path + " as the instructor").isEqualTo(200);
        }
    }

    @Test
    void runsNeedAToken_listsAndTheDashboardDoNot_networksAreTheInstructorsToChange() {
        String[] alice = attendee();
        assertThat(http().get("/api/v1/scenarios", null).status()).isEqualTo(200);
        assertThat(http().get("/api/v1", null).status()).isEqualTo(200);
        assertThat(http().get("/", null).status()).isEqualTo(200);
        assertThat(http().get("/v3/api-docs", null).status()).isEqualTo(200);
        String run = "/api/v1/scenarios/scenario-3-packet-after-close/runs";
        assertThat(http().post(run, null, null).status()).isEqualTo(401);
        WorkshopClient.Reply played = http().post(run, null, alice[1]);
        assertThat(played.status()).isEqualTo(201);
        assertThat(http().get("/api/v1/kernels/" + played.<String>at("$.kernel") + "/connections", alice[1]).status())
                .as("the run's kernel is alice's to explore").isEqualTo(200);
        String script = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n";
        for (String token : new String[] {null, alice[1]}) {
            WorkshopClient.Reply ran = http().send(http().request("/api/v1/scripts/runs", token)
                    .header("content-type", "text/plain").POST(java.net.http.HttpRequest.BodyPublishers.ofString(script)));
            assertThat(ran.status()).as("a script run with token " + token).isEqualTo(token == null ? 401 : 200);
        }

        assertThat(http().get("/api/v1/networks", null).status()).isEqualTo(401);
        WorkshopClient.Reply create = http().post("/api/v1/networks", "{\"id\":\"lab\"}", alice[1]);
        assertThat(create.status()).isEqualTo(403);
        assertThat(create.<String>at("$.detail")).contains("instructor");
        assertThat(http().delete("/api/v1/networks/lab", alice[1]).status()).isEqualTo(403);
    }

    @Test
    void idleKernels_areEvicted_andTheirLiveStreamsAreToldWhyBeforeTheyEnd() throws Exception {
        String[] idle = attendee();
        String[] busy = attendee();
        HttpResponse<java.io.InputStream> stream = http().client().send(
                http().request("/api/v1/kernels/" + idle[0] + "/events/stream", idle[1]).GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(stream.statusCode()).isEqualTo(200);
        CompletableFuture<List<String>> lines = CompletableFuture.supplyAsync(() -> {
            List<String> read = new ArrayList<>();
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
                for (String line; (line = reader.readLine()) != null; ) {
                    read.add(line);
                }
            } catch (java.io.IOException closed) {
                // the stream ended
            }
            return read;
        });

        CLOCK.advance(Duration.ofMinutes(6));
        assertThat(http().get("/api/v1/kernels/" + busy[0], busy[1]).status()).isEqualTo(200);
        CLOCK.advance(Duration.ofMinutes(5));
        assertThat(evictor.evictIdle()).contains(idle[0]).doesNotContain(busy[0], "default");

        List<String> read = lines.get(20, TimeUnit.SECONDS);
        int event = read.indexOf("event:" + WorkshopEvictor.EVENT);
        assertThat(event).as("the eviction is announced: " + read).isPositive();
        assertThat(read.get(event + 1)).startsWith("data:").contains("\"reason\":\"idle\"").contains("idle-timeout");
        assertThat(registry.find(idle[0])).isEmpty();
        assertThat(registry.find(busy[0])).isPresent();
        assertThat(http().get("/api/v1/kernels/" + idle[0], idle[1]).status())
                .as("the evicted attendee's token went with their only kernel").isEqualTo(401);
    }

    @Test
    void tokens_neverReachTheLog(CapturedOutput output) {
        String[] alice = attendee();
        http().get("/api/v1/kernels/" + alice[0], alice[1]);
        http().get("/api/v1/kernels/" + alice[0], alice[1] + "x");
        http().get("/api/v1/workshop/summary", INSTRUCTOR);
        http().get("/api/v1/kernels/default", INSTRUCTOR + "x");
        String secret = alice[1].substring(alice[1].indexOf('.') + 1);
        assertThat(output.getAll()).as("security logging is at TRACE here, so it had every chance")
                .contains("BearerTokenAuthenticationFilter")
                .doesNotContain(secret).doesNotContain(INSTRUCTOR);
    }
}
