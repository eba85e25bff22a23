package io.vkernel.sandbox;

/**
 * The bounds every sandbox lives within. Each is a setting (see application.yaml, prefix {@code vkernel.limits})
 * and each refusal names the bound that was hit.
 */
public record SandboxLimits(int maxKernels, int processesPerKernel, int connectionsPerKernel, int eventsPerKernel,
                            int packetsLoggedPerKernel, int defaultBuckets, int maxPayloadBytes, int maxBatch,
                            long maxWaitMs, long defaultWaitMs) {

    public static SandboxLimits defaults() {
        return new SandboxLimits(64, 256, 100_000, 10_000, 10_000, 65536, 65495, 1000, 120_000, 25_000);
    }
}
