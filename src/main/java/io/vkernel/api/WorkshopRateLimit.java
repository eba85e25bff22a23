package io.vkernel.api;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpStatus;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Fairness between attendees: each token gets a Bucket4j token bucket of {@code burst} requests refilled at
 * {@code requests-per-second}; a request past it is answered 429 with {@code Retry-After} (whole seconds, at least
 * 1) and never reaches a kernel. The instructor is not limited. A bucket lives as long as its attendee.
 */
final class WorkshopRateLimit {

    private final int perSecond;
    private final int burst;
    private final TimeMeter time;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    WorkshopRateLimit(int perSecond, int burst, TimeMeter time) {
        this.perSecond = perSecond;
        this.burst = burst;
        this.time = time;
    }

    /** Runs in the security filter chain after the bearer token is read. */
    Filter filter() {
        return new OncePerRequestFilter() {
            @Override
            protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                    throws ServletException, IOException {
                var auth = org.springframework.security.core.context.SecurityContextHolder.getContext().getAuthentication();
                boolean attendee = auth != null && auth.getAuthorities().stream()
                        .anyMatch(a -> Workshop.ROLE_ATTENDEE.equals(a.getAuthority()));
                if (attendee) {
                    ConsumptionProbe probe = bucket(auth.getName()).tryConsumeAndReturnRemaining(1);
                    if (!probe.isConsumed()) {
                        long seconds = Math.max(1, (probe.getNanosToWaitForRefill() + 999_999_999L) / 1_000_000_000L);
                        response.setHeader("Retry-After", Long.toString(seconds));
                        ProblemWriter.write(response, HttpStatus.TOO_MANY_REQUESTS, "rate-limited", "Too many requests",
                                "your token has used its " + burst + " requests and refills at " + perSecond + " per second "
                                        + "(vkernel.workshop.burst, requests-per-second); retry after " + seconds + " s",
                                request.getRequestURI());
                        return;
                    }
                    response.setHeader("X-RateLimit-Remaining", Long.toString(probe.getRemainingTokens()));
                }
                chain.doFilter(request, response);
            }
        };
    }

    private Bucket bucket(String attendee) {
        return buckets.computeIfAbsent(attendee, a -> Bucket.builder()
                .addLimit(limit -> limit.capacity(burst).refillGreedy(perSecond, Duration.ofSeconds(1)))
                .withCustomTimePrecision(time)
                .build());
    }

    /** Forgets the buckets of attendees that are gone. */
    void retain(Predicate<String> attendeeKnown) {
        buckets.keySet().removeIf(attendeeKnown.negate());
    }

    int buckets() {
        return buckets.size();
    }
}
