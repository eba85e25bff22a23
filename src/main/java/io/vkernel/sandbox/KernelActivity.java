package io.vkernel.sandbox;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When each kernel was last used over the API (created, read or driven), on a wall {@link Clock} that tests may
 * replace. The instructor's summary shows it, and workshop mode evicts kernels idle for longer than its timeout.
 * Virtual time has nothing to do with it: a kernel whose clock stands still can be busy, and the reverse.
 */
public final class KernelActivity {

    private final Clock clock;
    private final Map<String, Instant> last = new ConcurrentHashMap<>();

    public KernelActivity(Clock clock, KernelRegistry registry) {
        this.clock = clock;
        registry.onCreated(kernel -> touch(kernel.id()));
        registry.onRemoved(kernel -> last.remove(kernel.id()));
    }

    public Clock clock() {
        return clock;
    }

    public void touch(String kernelId) {
        last.put(kernelId, clock.instant());
    }

    public Optional<Instant> lastActivity(String kernelId) {
        return Optional.ofNullable(last.get(kernelId));
    }

    /** Kernels last used longer than {@code timeout} ago, oldest first. */
    public List<String> idleFor(Duration timeout) {
        Instant cutoff = clock.instant().minus(timeout);
        return last.entrySet().stream().filter(e -> e.getValue().isBefore(cutoff))
                .sorted(Map.Entry.comparingByValue()).map(Map.Entry::getKey).toList();
    }
}
