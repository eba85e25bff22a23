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
 * event, so the kernel never waits for a client. Each subscriber is drained by its own sender task, so a client that
 * does not read blocks only its own write, never another stream. Its queue is bounded (events and bytes); a client
 * too far behind, or whose write has been stuck for {@code stall-ms}, is dropped, and when it comes back with
 * {@code Last-Event-ID} its first event ({@code STREAM_DROPPED}) says why and where the stream resumes. A reconnecting
 * client names the last event it saw ({@code Last-Event-ID} or {@code ?after=}) and gets what it missed first.
 * Subscribers per kernel are bounded; a stream ends on timeout, on a write error, when dropped, or when its kernel is
 * deleted.
 */
@Component
@EnableConfigurationProperties(EventStreams.Settings.class)
class EventStreams {

    /** {@code vkernel.streams.*}: unset values take the defaults below. */
    @ConfigurationProperties("vkernel.streams")
    record Settings(Integer perKernel, Long timeoutMs, Long heartbeatMs, Integer maxQueued, Long maxQueuedBytes, Long stallMs) {
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

        long queuedBytes() {
            return maxQueuedBytes != null ? maxQueuedBytes : 1L << 20;
        }

        long stall() {
            return stallMs != null ? stallMs : 5_000L;
        }
    }

    /** Why and where a subscriber was dropped, kept a while so it can be told when it reconnects. */
    record Drop(long openedAfter, long lastSent, String reason, long atMs) {
    }

    private static final int DROPS_KEPT = 32;
    private static final long DROP_MEMORY_MS = 30 * 60_000L;

    private final Settings settings;
    private final ObjectWriter json;
    private final Map<Kernel, Set<Subscriber>> byKernel = new ConcurrentHashMap<>();
    private final AtomicInteger threads = new AtomicInteger();
    /** One task per subscriber with something to send; the subscriber bound per kernel bounds the threads. */
    private final ExecutorService senders = Executors.newCachedThreadPool(this::daemon);
    private final Map<Kernel, java.util.Deque<Drop>> drops = new ConcurrentHashMap<>();
    private final ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor(this::daemon);

    EventStreams(Settings settings, JsonMapper mapper, KernelRegistry registry) {
        this.settings = settings;
        this.json = mapper.writer().without(SerializationFeature.INDENT_OUTPUT);
        registry.onRemoved(this::kernelRemoved);
        long every = Math.max(100, Math.min(settings.heartbeat(), Math.max(100, settings.stall() / 2)));
        heartbeats.scheduleWithFixedDelay(this::heartbeat, every, every, TimeUnit.MILLISECONDS);
    }

    /**
     * Opens a stream of {@code kernel}'s events after sequence number {@code after}; answers 429 when the kernel
     * already has its maximum of subscribers.
     */
    SseEmitter open(Kernel kernel, long after) {
        return open(kernel, after, false);
    }

    /**
     * As {@link #open(Kernel, long)}; {@code reconnect} is true when the client sent {@code Last-Event-ID}: if it was
     * dropped from an earlier stream of this kernel that had sent event {@code after}, its first event says why.
     */
    SseEmitter open(Kernel kernel, long after, boolean reconnect) {
        Set<Subscriber> subscribers = byKernel.computeIfAbsent(kernel, k -> ConcurrentHashMap.newKeySet());
        SseEmitter emitter = new SseEmitter(settings.timeout());
        Subscriber subscriber = new Subscriber(kernel, emitter, after);
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
        Drop drop = reconnect ? dropFor(kernel, after) : null;
        if (drop != null) {
            subscriber.enqueue(SseEmitter.event().name("STREAM_DROPPED").data(json.writeValueAsString(Map.of(
                    "reason", drop.reason(), "resumesAfter", after, "lastSentBeforeDrop", drop.lastSent(),
                    "detail", "your earlier stream was dropped: " + drop.reason() + "; it resumes after event #" + after
                            + " from the kernel's log (events it no longer keeps are reported as forgotten)"))));
        }
        kernel.events().subscribe(after, subscriber);
        if (byKernel.get(kernel) != subscribers) {
            subscriber.closeAfterQueued(); // the kernel was deleted while the stream opened
        }
        return emitter;
    }

    /** The most recent drop of a stream of {@code kernel} that had reached event {@code lastEventId}, if any. */
    private Drop dropFor(Kernel kernel, long lastEventId) {
        java.util.Deque<Drop> kept = drops.get(kernel);
        if (kept == null) {
            return null;
        }
        long now = System.currentTimeMillis();
        synchronized (kept) {
            kept.removeIf(d -> now - d.atMs() > DROP_MEMORY_MS);
            for (java.util.Iterator<Drop> it = kept.descendingIterator(); it.hasNext(); ) {
                Drop drop = it.next();
                if (drop.openedAfter() <= lastEventId && lastEventId <= drop.lastSent()) {
                    return drop;
                }
            }
        }
        return null;
    }

    private void remember(Kernel kernel, Drop drop) {
        java.util.Deque<Drop> kept = drops.computeIfAbsent(kernel, k -> new java.util.ArrayDeque<>());
        synchronized (kept) {
            if (kept.size() == DROPS_KEPT) {
                kept.removeFirst();
            }
            kept.addLast(drop);
        }
    }

    /** Live streams of one kernel, for tests and metrics. */
    int subscribers(Kernel kernel) {
        Set<Subscriber> subscribers = byKernel.get(kernel);
        return subscribers == null ? 0 : subscribers.size();
    }

    /**
     * Tells every live stream of {@code kernel} something that is not a kernel event (an eviction, say), as a named
     * SSE event with JSON data; it is sent before anything queued later, so before the stream ends.
     */
    void announce(Kernel kernel, String name, Map<String, ?> data) {
        Set<Subscriber> subscribers = byKernel.get(kernel);
        if (subscribers != null) {
            String text = json.writeValueAsString(data);
            for (Subscriber subscriber : subscribers) {
                subscriber.enqueue(SseEmitter.event().name(name).data(text));
            }
        }
    }

    private void kernelRemoved(Kernel kernel) {
        drops.remove(kernel);
        Set<Subscriber> subscribers = byKernel.remove(kernel);
        if (subscribers != null) {
            for (Subscriber subscriber : subscribers) {
                subscriber.enqueue(SseEmitter.event().comment("kernel '" + kernel.id() + "' was deleted; the stream ends"));
                subscriber.closeAfterQueued();
            }
        }
    }

    /** Keeps idle streams open, and drops a subscriber whose write has been stuck for {@code stall-ms}. */
    private void heartbeat() {
        long now = System.nanoTime();
        for (Set<Subscriber> subscribers : byKernel.values()) {
            for (Subscriber subscriber : subscribers) {
                if (subscriber.stalledFor(now) > settings.stall() * 1_000_000) {
                    subscriber.drop("it read nothing for " + settings.stall() + " ms while events waited (a client must keep reading)");
                } else {
                    subscriber.enqueue(SseEmitter.event().comment("keep-alive"));
                }
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

    /** One item waiting to be sent: a kernel event ({@code seq} > 0) or a comment, and the bytes it holds. */
    private record Queued(long seq, SseEmitter.SseEventBuilder event, long bytes) {
    }

    /** One client: a queue of events to send, drained by one sender task at a time. */
    private final class Subscriber implements EventLog.Listener {
        private final Kernel kernel;
        private final SseEmitter emitter;
        private final ConcurrentLinkedQueue<Queued> queue = new ConcurrentLinkedQueue<>();
        private final AtomicInteger queued = new AtomicInteger();
        private final java.util.concurrent.atomic.AtomicLong queuedBytes = new java.util.concurrent.atomic.AtomicLong();
        private final AtomicBoolean draining = new AtomicBoolean();
        private final AtomicBoolean closed = new AtomicBoolean();
        private volatile boolean endWhenDrained;
        private final long openedAfter;
        /** The newest event handed to the connection (the client has at most this one). */
        private volatile long lastSent;
        /** When the write in progress started (System.nanoTime()), or 0 when none is. */
        private volatile long writingSince;

        Subscriber(Kernel kernel, SseEmitter emitter, long openedAfter) {
            this.kernel = kernel;
            this.emitter = emitter;
            this.openedAfter = openedAfter;
            this.lastSent = openedAfter;
        }

        long stalledFor(long now) {
            long since = writingSince;
            return since == 0 ? 0 : now - since;
        }

        /** Called by the kernel with its lock held: only queues. */
        @Override
        public void onEvent(KernelEvent event) {
            if (closed.get() || endWhenDrained) {
                return;
            }
            String data = json.writeValueAsString(Views.event(event));
            enqueue(new Queued(event.seq(), SseEmitter.event().id(Long.toString(event.seq())).name(event.type().name()).data(data),
                    200 + 2L * data.length()));
        }

        @Override
        public void onForgotten(long count) {
            enqueue(SseEmitter.event().comment(count + " earlier events were forgotten: the log keeps the newest "
                    + kernel.events().capacity()));
        }

        void enqueue(SseEmitter.SseEventBuilder item) {
            enqueue(new Queued(-1, item, 64));
        }

        void enqueue(Queued item) {
            if (closed.get() || endWhenDrained) {
                return;
            }
            if (queued.incrementAndGet() > settings.queued() || queuedBytes.addAndGet(item.bytes()) > settings.queuedBytes()) {
                // A client this far behind is cut off; it reconnects with Last-Event-ID and replays from the log.
                String reason = "it fell more than " + settings.queued() + " events or " + settings.queuedBytes()
                        + " bytes behind";
                queue.clear();
                queued.set(1);
                queuedBytes.set(0);
                queue.add(new Queued(-1, SseEmitter.event().comment(reason + ": the stream ends; reconnect with Last-Event-ID to resume"), 0));
                endWhenDrained = true;
                kernel.events().unsubscribe(this);
                remember(kernel, new Drop(openedAfter, lastSent, reason, System.currentTimeMillis()));
            } else {
                queue.add(item);
            }
            schedule();
        }

        /** A client whose write is stuck: forget it now; its thread is freed when the write fails or times out. */
        void drop(String reason) {
            if (closed.get()) {
                return;
            }
            remember(kernel, new Drop(openedAfter, lastSent, reason, System.currentTimeMillis()));
            close(false);
            // completing may wait for the stuck write: do it on a sender thread, never on the heartbeat's
            try {
                senders.execute(() -> {
                    try {
                        emitter.complete();
                    } catch (RuntimeException alreadyDone) {
                        // the response already ended
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
                // the service is stopping
            }
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
                Queued item;
                while ((item = queue.poll()) != null) {
                    queued.decrementAndGet();
                    queuedBytes.addAndGet(-item.bytes());
                    if (item.seq() > 0) {
                        lastSent = item.seq();
                    }
                    if (!send(item.event())) {
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
            writingSince = System.nanoTime();
            try {
                emitter.send(item);
                return true;
            } catch (IOException | IllegalStateException gone) {
                close(false);
                return false;
            } finally {
                writingSince = 0;
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
