package io.vkernel.api;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.bean.override.convention.TestBean;

import java.time.Clock;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The per-token request rate in workshop mode: a bucket of {@code burst} requests refilled at
 * {@code requests-per-second}, kept per attendee by Bucket4j on the service's wall clock (here a test clock, so the
 * refill is shown without waiting).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "vkernel.workshop.enabled=true", "vkernel.workshop.instructor-token=" + WorkshopRateLimitHttpTest.INSTRUCTOR,
        "vkernel.workshop.burst=3", "vkernel.workshop.requests-per-second=1", "vkernel.workshop.eviction-check=1h"})
class WorkshopRateLimitHttpTest {

    static final String INSTRUCTOR = "rate-limit-instructor-token-42";
    static final WorkshopClient.MovableClock CLOCK = new WorkshopClient.MovableClock();

    @TestBean(name = "workshopClock", methodName = "clock")
    Clock workshopClock;

    static Clock clock() {
        return CLOCK;
    }

    @LocalServerPort
    int port;

    @Test
    void aTokenPastItsBurst_gets429WithRetryAfter_othersAndTheInstructorDoNot_andTheBucketRefills() {
        WorkshopClient http = new WorkshopClient(port);
        WorkshopClient.Reply alice = http.post("/api/v1/kernels", null, null);
        WorkshopClient.Reply bob = http.post("/api/v1/kernels", null, null);
        String aliceToken = alice.at("$.token");
        String kernel = "/api/v1/kernels/" + alice.<String>at("$.id");

        for (int i = 0; i < 3; i++) {
            assertThat(http.get(kernel, aliceToken).status()).as("request " + (i + 1) + " of the burst").isEqualTo(200);
        }
        WorkshopClient.Reply limited = http.get(kernel, aliceToken);
        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.header("Retry-After")).isEqualTo("1");
        assertThat(limited.contentType()).startsWith("application/problem+json");
        assertThat(limited.<String>at("$.type")).isEqualTo("https://vkernel.dev/problems/rate-limited");
        assertThat(limited.<String>at("$.detail")).contains("3 requests").contains("1 per second");

        assertThat(http.get("/api/v1/kernels/" + bob.<String>at("$.id"), bob.at("$.token")).status())
                .as("bob has his own bucket").isEqualTo(200);
        for (int i = 0; i < 5; i++) {
            assertThat(http.get(kernel, INSTRUCTOR).status()).as("the instructor is not limited").isEqualTo(200);
        }

        CLOCK.advance(Duration.ofSeconds(1));
        assertThat(http.get(kernel, aliceToken).status()).as("one second refills one request").isEqualTo(200);
        assertThat(http.get(kernel, aliceToken).status()).isEqualTo(429);
    }
}
