package io.vkernel.api;

import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.info.License;
import io.swagger.v3.oas.models.servers.Server;
import io.vkernel.sandbox.BudgetKeeper;
import io.vkernel.sandbox.BudgetSettings;
import io.vkernel.sandbox.KernelRegistry;
import io.vkernel.sandbox.SandboxLimits;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.util.List;

/** Wires the sandbox registry from {@code vkernel.limits.*} settings and describes the API for springdoc. */
@Configuration
@EnableConfigurationProperties({ApiConfig.LimitsProperties.class, ApiConfig.BudgetProperties.class})
class ApiConfig {

    /**
     * {@code vkernel.budget.*}: the heap kernels may retain. Unset or 0 sizes come from {@code Runtime.maxMemory()}
     * (see {@link BudgetSettings}).
     */
    @ConfigurationProperties("vkernel.budget")
    record BudgetProperties(Long serviceBytes, Long kernelBytes, Long wireLogBytes, Long eventLogBytes, Double serviceFraction,
                            Double healthDownAt) {

        BudgetSettings toSettings() {
            return new BudgetSettings(or(serviceBytes, 0L), or(kernelBytes, 0L), or(wireLogBytes, 0L), or(eventLogBytes, 0L),
                    or(serviceFraction, BudgetSettings.DEFAULT_SERVICE_FRACTION));
        }

        /** The share of the service budget in use past which health reports DOWN. */
        double downAt() {
            return healthDownAt != null && healthDownAt > 0 && healthDownAt <= 1 ? healthDownAt : 0.9;
        }

        private static <T> T or(T value, T fallback) {
            return value != null ? value : fallback;
        }
    }

    /** {@code vkernel.limits.*} in application.yaml; unset values keep {@link SandboxLimits#defaults()}. */
    @ConfigurationProperties("vkernel.limits")
    record LimitsProperties(Integer maxKernels, Integer processesPerKernel, Integer connectionsPerKernel,
                            Integer eventsPerKernel, Integer packetsLoggedPerKernel, Integer defaultBuckets,
                            Integer maxPayloadBytes, Integer maxBatch, Long maxWaitMs, Long defaultWaitMs, Long maxBodyBytes,
                            Integer parkedCallsPerProcess, Integer parkedCallsPerKernel) {

        SandboxLimits toLimits() {
            SandboxLimits d = SandboxLimits.defaults();
            return new SandboxLimits(or(maxKernels, d.maxKernels()), or(processesPerKernel, d.processesPerKernel()),
                    or(connectionsPerKernel, d.connectionsPerKernel()), or(eventsPerKernel, d.eventsPerKernel()),
                    or(packetsLoggedPerKernel, d.packetsLoggedPerKernel()), or(defaultBuckets, d.defaultBuckets()),
                    or(maxPayloadBytes, d.maxPayloadBytes()), or(maxBatch, d.maxBatch()),
                    or(maxWaitMs, d.maxWaitMs()), or(defaultWaitMs, d.defaultWaitMs()),
                    or(parkedCallsPerProcess, d.parkedCallsPerProcess()), or(parkedCallsPerKernel, d.parkedCallsPerKernel()));
        }

        private static <T> T or(T value, T fallback) {
            return value != null ? value : fallback;
        }
    }

    @Bean
    org.springframework.boot.web.servlet.FilterRegistrationBean<BodyLimitFilter> bodyLimitFilter(LimitsProperties properties) {
        long limit = properties.maxBodyBytes() != null ? properties.maxBodyBytes() : 2L * 1024 * 1024;
        var registration = new org.springframework.boot.web.servlet.FilterRegistrationBean<>(new BodyLimitFilter(limit));
        registration.setOrder(org.springframework.core.Ordered.HIGHEST_PRECEDENCE);
        return registration;
    }

    @Bean
    KernelRegistry kernelRegistry(LimitsProperties properties, BudgetProperties budget) {
        return new KernelRegistry(properties.toLimits(), budget.toSettings().resolve(Runtime.getRuntime().maxMemory()));
    }

    @Bean(destroyMethod = "close")
    BudgetKeeper budgetKeeper(KernelRegistry registry) {
        return new BudgetKeeper(registry, 1000);
    }

    @Bean(destroyMethod = "close")
    io.vkernel.sandbox.RealtimeClocks realtimeClocks(KernelRegistry registry) {
        return new io.vkernel.sandbox.RealtimeClocks(registry);
    }

    @Bean
    OpenAPI vkernelOpenApi() {
        return new OpenAPI()
                .info(new Info().title("vkernel").version("v1")
                        .description("A virtual kernel driven over HTTP: inject TCP/IP packets, make system calls, and look "
                                + "inside the NIC, the 4-tuple hash table, FD tables and the TCP engine.")
                        .license(new License().name("MIT")))
                .servers(List.of(new Server().url("/").description("this service")));
    }
}
