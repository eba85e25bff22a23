package io.vkernel.api;

import io.vkernel.kernel.Kernel;
import io.vkernel.sandbox.Attendees;
import io.vkernel.sandbox.KernelActivity;
import io.vkernel.sandbox.KernelRegistry;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Workshop mode frees what attendees left behind: every {@code eviction-check} it deletes the kernels nobody has
 * used over the API for {@code idle-timeout} (never {@code default}). Their live event streams first receive a
 * {@code KERNEL_EVICTED} event saying why, then end.
 */
final class WorkshopEvictor implements AutoCloseable {

    static final String EVENT = "KERNEL_EVICTED";

    private final WorkshopProperties properties;
    private final KernelRegistry registry;
    private final KernelActivity activity;
    private final EventStreams streams;
    private final WorkshopRateLimit rateLimit;
    private final Attendees attendees;
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "vkernel-evictor");
        thread.setDaemon(true);
        return thread;
    });

    WorkshopEvictor(WorkshopProperties properties, KernelRegistry registry, KernelActivity activity, EventStreams streams,
                    WorkshopRateLimit rateLimit, Attendees attendees) {
        this.properties = properties;
        this.registry = registry;
        this.activity = activity;
        this.streams = streams;
        this.rateLimit = rateLimit;
        this.attendees = attendees;
        long every = properties.evictionCheck().toMillis();
        ticker.scheduleWithFixedDelay(() -> {
            try {
                evictIdle();
            } catch (RuntimeException e) {
                // the next round tries again
            }
        }, every, every, TimeUnit.MILLISECONDS);
    }

    /** Deletes every kernel idle past the timeout now; returns their ids. */
    synchronized List<String> evictIdle() {
        List<String> evicted = new ArrayList<>();
        for (String id : activity.idleFor(properties.idleTimeout())) {
            if (KernelRegistry.DEFAULT_ID.equals(id)) {
                continue;
            }
            Kernel kernel = registry.find(id).orElse(null);
            if (kernel == null) {
                continue;
            }
            Instant last = activity.lastActivity(id).orElse(null);
            if (last == null || last.isAfter(activity.clock().instant().minus(properties.idleTimeout()))) {
                continue; // used again meanwhile
            }
            Map<String, Object> why = new LinkedHashMap<>();
            why.put("kernel", id);
            why.put("reason", "idle");
            why.put("lastActivity", String.valueOf(last));
            why.put("idleTimeout", properties.idleTimeout().toString());
            why.put("detail", "kernel '" + id + "' was not used for " + human(properties.idleTimeout())
                    + " (vkernel.workshop.idle-timeout) and was deleted to make room; POST /api/v1/kernels makes a new one");
            streams.announce(kernel, EVENT, why);
            if (registry.delete(id)) {
                evicted.add(id);
            }
        }
        rateLimit.retain(attendees::known);
        return evicted;
    }

    private static String human(java.time.Duration d) {
        long s = d.toSeconds();
        return s % 3600 == 0 ? s / 3600 + " h" : s % 60 == 0 ? s / 60 + " min" : s + " s";
    }

    @Override
    public void close() {
        ticker.shutdownNow();
    }
}
