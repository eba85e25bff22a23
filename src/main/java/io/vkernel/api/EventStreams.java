package io.vkernel.api;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.trace.EventLog;
import io.vkernel.kernel.trace.KernelEvent;
import io.vkernel.sandbox.KernelRegistry;
import jakarta.annotation.PreDestroy;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;
import tools.jackson.databind.ObjectWriter;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Live event streams (Server-Sent Events). Each subscriber is an {@link EventLog.Listener} that only queues the
 * event, so the kernel never waits for a client; two sender threads write the queued events to the clients.
 * A reconnecting client names the last event it saw ({@code Last-Event-ID} or {@code ?after=}) and gets what it
 * missed first. Subscribers per kernel are bounded; a stream ends on timeout, on a write error, when its client is
 * too slow (more than {@code max-queued} events behind) or when its kernel is deleted.
 */
@Component
@EnableConfigurationProperties(EventStreams.Settings.class)
class EventStreams {

    /** {@code vkernel.streams.*}: unset values take the defaults below. */
    @ConfigurationProperties("vkernel.streams")
    record Settings(Integer perKernel, Long timeoutMs, Long heartbeatMs, Integer maxQueued) {
        int subscribers() {
            return perKernel != null ? perKernel : 8;
        }

        long timeout() {
            return timeoutMs != null ? timeoutMs : 30 * 60_000L;
        }

        long heartbeat() {
            return heartbeatMs != null ? heartbeatMs : 10_000L;
        }

        int queued() {
            return maxQueued != null ? maxQueued : 10_000;
        }
    }

    private final Settings settings;
    private final ObjectWriter json;
    private final Map<Kernel, Set<Subscriber>> byKernel = new ConcurrentHashMap<>();
    private final AtomicInteger threads = new AtomicInteger();
    private final ExecutorService senders = Executors.newFixedThreadPool(2, this::daemon);
    private final ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor(this::daemon);

    EventStreams(Settings settings, JsonMapper mapper, KernelRegistry registry) {
        this.settings = settings;
        this.json = mapper.writer().without(SerializationFeature.INDENT_OUTPUT);
        registry.onRemoved(this::kernelRemoved);
        long every = Math.max(100, settings.heartbeat());
        heartbeats.scheduleWithFixedDelay(this::heartbeat, every, every, TimeUnit.MILLISECONDS);
    }

    /**
     * Opens a stream of {@code kernel}'s events after sequence number {@code after}; answers 429 when the kernel
     * already has its maximum of subscribers.
     */
    SseEmitter open(Kernel kernel, long after) {
        Set<Subscriber> subscribers = byKernel.computeIfAbsent(kernel, k -> ConcurrentHashMap.newKeySet());
        SseEmitter emitter = new SseEmitter(settings.timeout());
        Subscriber subscriber = new Subscriber(kernel, emitter);
        synchronized (subscribers) {
            if (subscribers.size() >= settings.subscribers()) {
                throw new ApiException(HttpStatus.TOO_MANY_REQUESTS, "limit-reached", "Sandbox limit reached",
                        "kernel '" + kernel.id() + "' already has " + subscribers.size() + " live event streams (limit "
                                + settings.subscribers() + "); close one, or poll GET .../events?after=N instead", null);
            }
            subscribers.add(subscriber);
        }
        emitter.onCompletion(() -> subscriber.close(false));
        emitter.onTimeout(() -> subscriber.close(true));
        emitter.onError(error -> subscriber.close(false));
        subscriber.enqueue(SseEmitter.event().comment("events of kernel '" + kernel.id() + "' after #" + after
                + ": id = sequence number, event = type, data = JSON"));
        kernel.events().subscribe(after, subscriber);
        if (byKernel.get(kernel) != subscribers) {
            subscriber.closeAfterQueued(); // the kernel was deleted while the stream opened
        }
        return emitter;
    }

    /** Live streams of one kernel, for tests and metrics. */
    int subscribers(Kernel kernel) {
        Set<Subscriber> subscribers = byKernel.get(kernel);
        return subscribers == null ? 0 : subscribers.size();
    }

    private void kernelRemoved(Kernel kernel) {
        Set<Subscriber> subscribers = byKernel.remove(kernel);
        if (subscribers != null) {
            for (Subscriber subscriber : subscribers) {
                subscriber.enqueue(SseEmitter.event().comment("kernel '" + kernel.id() + "' was deleted; the stream ends"));
                subscriber.closeAfterQueued();
            }
        }
    }

    private void heartbeat() {
        for (Set<Subscriber> subscribers : byKernel.values()) {
            for (Subscriber subscriber : subscribers) {
                subscriber.enqueue(SseEmitter.event().comment("keep-alive"));
            }
        }
    }

    private Thread daemon(Runnable task) {
        Thread thread = new Thread(task, "event-stream-" + threads.incrementAndGet());
        thread.setDaemon(true);
        return thread;
    }

    /** Ends every stream as the service begins to stop, so graceful shutdown does not wait on open streams. */
    @EventListener(ContextClosedEvent.class)
    void closing() {
        byKernel.values().forEach(set -> set.forEach(s -> s.close(true)));
    }

    @PreDestroy
    void shutdown() {
        heartbeats.shutdownNow();
        closing();
        senders.shutdownNow();
    }

    /** One client: a queue of events to send, drained by one sender task at a time. */
    private final class Subscriber implements EventLog.Listener {
        private final Kernel kernel;
        private final SseEmitter emitter;
        private final ConcurrentLinkedQueue<SseEmitter.SseEventBuilder> queue = new ConcurrentLinkedQueue<>();
        private final AtomicInteger queued = new AtomicInteger();
        private final AtomicBoolean draining = new AtomicBoolean();
        private final AtomicBoolean closed = new AtomicBoolean();
        private volatile boolean endWhenDrained;

        Subscriber(Kernel kernel, SseEmitter emitter) {
            this.kernel = kernel;
            this.emitter = emitter;
        }

        /** Called by the kernel with its lock held: only queues. */
        @Override
        public void onEvent(KernelEvent event) {
            String data = json.writeValueAsString(Views.event(event));
            enqueue(SseEmitter.event().id(Long.toString(event.seq())).name(event.type().name()).data(data));
        }

        @Override
        public void onForgotten(long count) {
            enqueue(SseEmitter.event().comment(count + " earlier events were forgotten: the log keeps the newest "
                    + kernel.events().capacity()));
        }

        void enqueue(SseEmitter.SseEventBuilder item) {
            if (closed.get()) {
                return;
            }
            if (queued.incrementAndGet() > settings.queued()) {
                // A client this far behind is cut off; it reconnects with Last-Event-ID and replays from the log.
                queue.clear();
                queue.add(SseEmitter.event().comment("more than " + settings.queued()
                        + " events behind: the stream ends; reconnect with Last-Event-ID to resume"));
                endWhenDrained = true;
                kernel.events().unsubscribe(this);
            } else {
                queue.add(item);
            }
            schedule();
        }

        void closeAfterQueued() {
            endWhenDrained = true;
            kernel.events().unsubscribe(this);
            schedule();
        }

        private void schedule() {
            if (draining.compareAndSet(false, true)) {
                try {
                    senders.execute(this::drain);
                } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
                    close(false);
                }
            }
        }

        private void drain() {
            do {
                SseEmitter.SseEventBuilder item;
                while ((item = queue.poll()) != null) {
                    queued.decrementAndGet();
                    if (!send(item)) {
                        return;
                    }
                }
                draining.set(false);
            } while (!queue.isEmpty() && draining.compareAndSet(false, true));
            if (endWhenDrained && queue.isEmpty()) {
                close(true);
            }
        }

        private boolean send(SseEmitter.SseEventBuilder item) {
            if (closed.get()) {
                return false;
            }
            try {
                emitter.send(item);
                return true;
            } catch (IOException | IllegalStateException gone) {
                close(false);
                return false;
            }
        }

        /** Leaves the kernel's listeners and this kernel's subscribers; completes the response when asked. */
        void close(boolean complete) {
            if (!closed.compareAndSet(false, true)) {
                return;
            }
            kernel.events().unsubscribe(this);
            queue.clear();
            Set<Subscriber> subscribers = byKernel.get(kernel);
            if (subscribers != null) {
                subscribers.remove(this);
            }
            if (complete) {
                try {
                    emitter.complete();
                } catch (IllegalStateException alreadyDone) {
                    // the response already ended
                }
            }
        }
    }
}
