package io.vkernel.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.vkernel.kernel.wire.Ipv4;
import io.vkernel.sandbox.KernelActivity;
import io.vkernel.sandbox.KernelRegistry;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The instructor's view of a workshop: every kernel with its owner, its connections by state and when it was last
 * used. Workshop mode lets only the instructor's token read it; in open mode it is everyone's.
 */
@RestController
@Tag(name = "workshop", description = "The instructor's view: every kernel, whose it is, and what it is doing")
class WorkshopController {

    /** One kernel in the summary. */
    record KernelSummary(String id, String owner, String address, int processes, Map<String, Integer> connectionsByState,
                         long clockMs, long packetsIn, long packetsOut, String lastActivity, Long idleSeconds) {
    }

    /** The whole workshop. */
    record Summary(boolean workshopMode, int attendees, int kernels, List<KernelSummary> summary) {
    }

    private final KernelRegistry registry;
    private final KernelActivity activity;
    private final Workshop workshop;

    WorkshopController(KernelRegistry registry, KernelActivity activity, Workshop workshop) {
        this.registry = registry;
        this.activity = activity;
        this.workshop = workshop;
    }

    @GetMapping("/api/v1/workshop/summary")
    @Operation(summary = "Every kernel at a glance", description = "owner (the attendee, absent for the instructor's and "
            + "'default'), connections by TCP state, and the last time the kernel was used over the API; in workshop mode "
            + "only with the instructor's token")
    Summary workshopSummary() {
        Instant now = activity.clock().instant();
        List<KernelSummary> kernels = registry.all().stream().map(kernel -> {
            Instant last = activity.lastActivity(kernel.id()).orElse(null);
            return kernel.inspect(k -> new KernelSummary(k.id(), workshop.attendees().owner(k.id()).orElse(null),
                    Ipv4.format(k.address()), k.processes().size(), k.connectionsByState(), k.clock().now(),
                    k.nic().packetsIn(), k.nic().packetsOut(), last == null ? null : last.toString(),
                    last == null ? null : Math.max(0, Duration.between(last, now).toSeconds())));
        }).toList();
        return new Summary(workshop.enabled(), workshop.attendees().count(), kernels.size(), kernels);
    }
}
