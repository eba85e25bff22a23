package io.vkernel.api;

import org.springframework.boot.context.properties.ConfigurationProperties;

import java.time.Duration;

/**
 * {@code vkernel.workshop.*}: workshop mode and its quotas (see application.yaml). Off by default: one person on a
 * laptop needs no tokens. Environment variables bind too ({@code VKERNEL_WORKSHOP_ENABLED},
 * {@code VKERNEL_WORKSHOP_INSTRUCTOR_TOKEN}, ...).
 */
@ConfigurationProperties("vkernel.workshop")
record WorkshopProperties(boolean enabled, String instructorToken, Integer kernelsPerAttendee, Integer requestsPerSecond,
                          Integer burst, Duration idleTimeout, Duration evictionCheck) {

    /** The shortest instructor token accepted: 16 characters, as a 96-bit random token in base64. */
    static final int MIN_INSTRUCTOR_TOKEN = 16;

    WorkshopProperties {
        kernelsPerAttendee = kernelsPerAttendee != null ? kernelsPerAttendee : 3;
        requestsPerSecond = requestsPerSecond != null ? requestsPerSecond : 20;
        burst = burst != null ? burst : 200;
        idleTimeout = idleTimeout != null ? idleTimeout : Duration.ofMinutes(60);
        evictionCheck = evictionCheck != null ? evictionCheck : Duration.ofSeconds(30);
    }

    /** Refuses to start workshop mode that could not keep anyone out; the message is one line saying what to set. */
    void check() {
        if (!enabled) {
            return;
        }
        if (instructorToken == null || instructorToken.isBlank()) {
            throw new WorkshopMisconfigured("workshop mode (vkernel.workshop.enabled=true) needs an instructor token: set "
                    + "vkernel.workshop.instructor-token (or VKERNEL_WORKSHOP_INSTRUCTOR_TOKEN) to a secret of at least "
                    + MIN_INSTRUCTOR_TOKEN + " characters, e.g. the output of: openssl rand -base64 24");
        }
        if (instructorToken.strip().length() < MIN_INSTRUCTOR_TOKEN) {
            throw new WorkshopMisconfigured("vkernel.workshop.instructor-token is " + instructorToken.strip().length()
                    + " characters long; use at least " + MIN_INSTRUCTOR_TOKEN + ", e.g. the output of: openssl rand -base64 24");
        }
        positive("kernels-per-attendee", kernelsPerAttendee);
        positive("requests-per-second", requestsPerSecond);
        positive("burst", burst);
        if (idleTimeout.isNegative() || idleTimeout.isZero() || evictionCheck.isNegative() || evictionCheck.isZero()) {
            throw new WorkshopMisconfigured("vkernel.workshop.idle-timeout and eviction-check must be positive durations "
                    + "(e.g. 60m, 30s); got " + idleTimeout + " and " + evictionCheck);
        }
    }

    private static void positive(String name, int value) {
        if (value < 1) {
            throw new WorkshopMisconfigured("vkernel.workshop." + name + " must be at least 1, got " + value);
        }
    }

    /** Workshop mode set up so that it would not protect anything: the service does not start. */
    static final class WorkshopMisconfigured extends RuntimeException {
        WorkshopMisconfigured(String message) {
            super(message, null, false, false);
        }
    }
}
