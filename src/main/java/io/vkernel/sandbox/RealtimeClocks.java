package io.vkernel.sandbox;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.link.Network;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Drives the clocks of kernels switched to {@code realtime}: every tick, each such kernel's virtual clock advances
 * by the wall time that passed, so its timers (TIME_WAIT, retransmissions, SO_RCVTIMEO) fire on their own. The
 * kernel core has no threads; this is the only place that moves a clock without a request. Manual is the default.
 */
public final class RealtimeClocks implements AutoCloseable {

    private static final long TICK_MS = 10;

    private final Map<Kernel, Long> lastTick = new ConcurrentHashMap<>();
    /** Networks in realtime: the network moves all its members' clocks together. */
    private final Map<Network, Long> networkTicks = new ConcurrentHashMap<>();
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "vkernel-realtime-clocks");
        thread.setDaemon(true);
        return thread;
    });

    public RealtimeClocks(KernelRegistry registry) {
        registry.onRemoved(lastTick::remove);
        ticker.scheduleAtFixedRate(this::tick, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
    }

    public void setRealtime(Kernel kernel, boolean realtime) {
        if (kernel.realtimeClock() != realtime) {
            kernel.clockMode(realtime);
        }
        follow(kernel, realtime);
    }

    /** Drives (or stops driving) the clock of a kernel restored with its mode already set. */
    public void follow(Kernel kernel, boolean realtime) {
        if (realtime) {
            lastTick.putIfAbsent(kernel, System.nanoTime());
        } else {
            lastTick.remove(kernel);
        }
    }

    public boolean isRealtime(Kernel kernel) {
        return lastTick.containsKey(kernel);
    }

    /** Realtime for a whole network; its members' own realtime mode is switched off, since the network owns their time. */
    public void setRealtime(Network network, boolean realtime) {
        if (realtime) {
            network.members().forEach(lastTick::remove);
            networkTicks.putIfAbsent(network, System.nanoTime());
        } else {
            networkTicks.remove(network);
        }
    }

    public boolean isRealtime(Network network) {
        return networkTicks.containsKey(network);
    }

    private void tick() {
        long now = System.nanoTime();
        lastTick.forEach((kernel, last) -> {
            long elapsedMs = (now - last) / 1_000_000;
            if (elapsedMs > 0) {
                // keep the sub-millisecond remainder so realtime never drifts behind the wall clock
                lastTick.replace(kernel, last, last + elapsedMs * 1_000_000);
                try {
                    kernel.advance(elapsedMs);
                } catch (RuntimeException e) {
                    // one kernel's failure must not stop every other kernel's clock
                }
            }
        });
        networkTicks.forEach((network, last) -> {
            if (network.isDissolved()) {
                networkTicks.remove(network);
                return;
            }
            long elapsedMs = (now - last) / 1_000_000;
            if (elapsedMs > 0) {
                networkTicks.replace(network, last, last + elapsedMs * 1_000_000);
                try {
                    network.advance(elapsedMs);
                } catch (RuntimeException e) {
                    // as for kernels: the other clocks keep going
                }
            }
        });
    }

    @Override
    public void close() {
        ticker.shutdownNow();
    }
}
