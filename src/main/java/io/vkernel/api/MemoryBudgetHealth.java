package io.vkernel.api;

import io.vkernel.kernel.MemoryBudget;
import io.vkernel.sandbox.KernelRegistry;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * {@code /actuator/health} tells the truth about memory: DOWN (HTTP 503) once the kernels together retain more than
 * {@code vkernel.budget.health-down-at} (90 % by default) of the service budget, so a load balancer or a container's
 * health check stops sending new work before requests start being refused. Details name the numbers.
 */
@Component("memoryBudget")
class MemoryBudgetHealth implements HealthIndicator {

    private final KernelRegistry registry;
    private final double downAt;

    MemoryBudgetHealth(KernelRegistry registry, ApiConfig.BudgetProperties properties) {
        this.registry = registry;
        this.downAt = properties.downAt();
    }

    @Override
    public Health health() {
        MemoryBudget service = registry.budget().service();
        double used = service.usedFraction();
        Health.Builder health = used > downAt ? Health.down() : Health.up();
        return health.withDetail("usedBytes", service.usedBytes())
                .withDetail("limitBytes", service.limitBytes())
                .withDetail("usedPercent", Math.round(used * 1000) / 10.0)
                .withDetail("downAtPercent", Math.round(downAt * 1000) / 10.0)
                .withDetail("kernels", registry.all().size())
                .withDetail("heapMaxBytes", Runtime.getRuntime().maxMemory())
                .build();
    }
}
