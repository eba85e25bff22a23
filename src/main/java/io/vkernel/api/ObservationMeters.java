package io.vkernel.api;

import io.micrometer.common.KeyValue;
import io.micrometer.common.KeyValues;
import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.observation.Observation;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every observation (each HTTP request's {@code http.server.requests}) records its meters through Micrometer's
 * {@link DefaultMeterObservationHandler}, which builds the tag list from the observation's key values and looks the
 * {@code .active} long-task timer and the timer up in the registry twice per request (by a meter id hashed and
 * compared tag by tag): about 5 % of a ping's CPU (issue 16). Spring Boot's handler is replaced by {@link Kept}, which
 * registers the same meters with the same names and tags in the same order of calls, and keeps each one it was given
 * by its name and key values. Boot's observation filter is untouched, so which requests count, and when, is
 * Boot's.
 */
@Configuration(proxyBeanMethods = false)
class ObservationMeters {

    @Bean
    static BeanPostProcessor keptObservationMeters(ObjectProvider<MeterRegistry> registries,
                                                   ObjectProvider<MetricsProperties> properties) {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessAfterInitialization(Object bean, String name) {
                if (bean.getClass() != DefaultMeterObservationHandler.class) {
                    return bean;
                }
                MeterRegistry registry = registries.getIfUnique();
                MetricsProperties metrics = properties.getIfAvailable();
                if (registry == null || metrics == null) {
                    return bean;
                }
                return new Kept(registry, metrics.getObservations().getIgnoredMeters()
                        .toArray(DefaultMeterObservationHandler.IgnoredMeters[]::new));
            }
        };
    }

    /**
     * {@link DefaultMeterObservationHandler}'s {@code onStart} and {@code onStop} with the meters it registers kept:
     * {@code <name>.active} (a long-task timer tagged with the key values at the start, unless ignored) and
     * {@code <name>} (a timer tagged with the key values at the stop and {@code error}, the simple class name of the
     * observation's error or {@code none}). A meter removed from the registry empties the store, so a meter
     * registered again is looked up again; past {@link #KEPT} meters, they are looked up as before.
     */
    static final class Kept extends DefaultMeterObservationHandler {
        static final int KEPT = 1024;

        private final MeterRegistry registry;
        private final boolean longTasks;
        private final Map<Key, LongTaskTimer> active = new ConcurrentHashMap<>();
        private final Map<Key, Timer> timers = new ConcurrentHashMap<>();

        Kept(MeterRegistry registry, IgnoredMeters... ignored) {
            super(registry, ignored);
            this.registry = registry;
            this.longTasks = !List.of(ignored).contains(IgnoredMeters.LONG_TASK_TIMER);
            registry.config().onMeterRemoved(meter -> {
                active.clear();
                timers.clear();
            });
        }

        @Override
        public void onStart(Observation.Context context) {
            if (longTasks) {
                Key key = new Key(context.getName(), context.getLowCardinalityKeyValues(), null);
                LongTaskTimer timer = active.get(key);
                if (timer == null) {
                    timer = registry.more().longTaskTimer(key.name() + ".active", tags(key.values(), null));
                    keep(active, key, timer);
                }
                context.put(LongTaskTimer.Sample.class, timer.start());
            }
            context.put(Timer.Sample.class, Timer.start(registry));
        }

        @Override
        public void onStop(Observation.Context context) {
            Throwable error = context.getError();
            Key key = new Key(context.getName(), context.getLowCardinalityKeyValues(),
                    error != null ? error.getClass().getSimpleName() : "none");
            Timer timer = timers.get(key);
            if (timer == null) {
                timer = registry.timer(key.name(), tags(key.values(), key.error()));
                keep(timers, key, timer);
            }
            context.<Timer.Sample>getRequired(Timer.Sample.class).stop(timer);
            if (longTasks) {
                context.<LongTaskTimer.Sample>getRequired(LongTaskTimer.Sample.class).stop();
            }
        }

        /** The tags Micrometer's handler builds: each key value in order, then {@code error} if given. */
        private static List<Tag> tags(KeyValues values, String error) {
            List<Tag> tags = new ArrayList<>();
            for (KeyValue value : values) {
                tags.add(Tag.of(value.getKey(), value.getValue()));
            }
            if (error != null) {
                tags.add(Tag.of("error", error));
            }
            return tags;
        }

        private static <M> void keep(Map<Key, M> meters, Key key, M meter) {
            if (meters.size() < KEPT) {
                meters.putIfAbsent(key, meter);
            }
        }

        int kept() {
            return active.size() + timers.size();
        }

        private record Key(String name, KeyValues values, String error) {
        }
    }
}
