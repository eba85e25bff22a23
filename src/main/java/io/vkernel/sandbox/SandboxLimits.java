package io.vkernel.sandbox;

/**
 * The bounds every sandbox lives within. Each is a setting (see application.yaml, prefix {@code vkernel.limits})
 * and each refusal names the bound that was hit.
 */
public record SandboxLimits(int maxKernels, int processesPerKernel, int connectionsPerKernel, int eventsPerKernel,
                            int packetsLoggedPerKernel, int defaultBuckets, int maxPayloadBytes, int maxBatch,
                            long maxWaitMs, long defaultWaitMs, int parkedCallsPerProcess, int parkedCallsPerKernel) {

    public static final int DEFAULT_PARKED_PER_PROCESS = 1024;
    public static final int DEFAULT_PARKED_PER_KERNEL = 4096;

    public SandboxLimits(int maxKernels, int processesPerKernel, int connectionsPerKernel, int eventsPerKernel,
                         int packetsLoggedPerKernel, int defaultBuckets, int maxPayloadBytes, int maxBatch,
                         long maxWaitMs, long defaultWaitMs) {
        this(maxKernels, processesPerKernel, connectionsPerKernel, eventsPerKernel, packetsLoggedPerKernel, defaultBuckets,
                maxPayloadBytes, maxBatch, maxWaitMs, defaultWaitMs, DEFAULT_PARKED_PER_PROCESS, DEFAULT_PARKED_PER_KERNEL);
    }

    public static SandboxLimits defaults() {
        return new SandboxLimits(64, 256, 100_000, 10_000, 10_000, 65536, 65495, 1000, 120_000, 25_000);
    }
}
