package io.vkernel.api;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The handler that keeps its meters records what Micrometer's own handler records: the same meters (names, types,
 * tags), the same counts, the same active tasks while observations run, for observations with different key values,
 * errors, and for a meter removed and registered again.
 */
class ObservationMetersTest {

    /** Runs the same observations through a registry with the given handler; returns every meter and its count. */
    private static TreeMap<String, String> recorded(Function<MeterRegistry, DefaultMeterObservationHandler> handler, boolean remove) {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        ObservationRegistry observations = ObservationRegistry.create();
        observations.observationConfig().observationHandler(handler.apply(meters));
        TreeMap<String, String> seen = new TreeMap<>();
        List<Observation> open = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            for (String uri : List.of("/api/v1/ping", "/api/v1/kernels/{k}/packets")) {
                for (String status : List.of("200", "404")) {
                    Observation o = Observation.createNotStarted("http.server.requests", observations)
                            .lowCardinalityKeyValue("uri", uri).lowCardinalityKeyValue("method", "GET").start();
                    o.lowCardinalityKeyValue("status", status);
                    if (status.equals("404") && round == 1) {
                        o.error(new IllegalStateException("boom"));
                    }
                    if (round == 2 && uri.endsWith("ping")) {
                        open.add(o); // still running when the meters are read
                    } else {
                        o.stop();
                    }
                }
            }
            if (remove && round == 1) {
                // a meter removed from the registry is registered again by the next observation that needs it
                meters.getMeters().stream().filter(m -> m.getId().getTag("uri").endsWith("ping")).toList().forEach(meters::remove);
            }
        }
        Observation.createNotStarted("other", observations).lowCardinalityKeyValue("a", "1").observe(() -> { });
        for (Meter meter : meters.getMeters()) {
            List<String> values = new ArrayList<>();
            meter.measure().forEach(m -> values.add(m.getStatistic() + "=" + (m.getStatistic().name().contains("TIME")
                    || m.getStatistic().name().equals("MAX") || m.getStatistic().name().equals("DURATION") ? "t" : m.getValue())));
            seen.put(meter.getId().getType() + " " + meter.getId().getName() + " " + meter.getId().getTags(), values.toString());
        }
        open.forEach(Observation::stop);
        return seen;
    }

    @Test
    void keptMetersAreMicrometersMeters_withAndWithoutTheLongTaskTimer() {
        for (boolean remove : List.of(false, true)) {
            TreeMap<String, String> micrometer = recorded(DefaultMeterObservationHandler::new, remove);
            TreeMap<String, String> kept = recorded(ObservationMeters.Kept::new, remove);
            assertThat(kept).as("removed meters: %s", remove).isEqualTo(micrometer);
            assertThat(micrometer.keySet()).anyMatch(id -> id.contains("error=IllegalStateException"))
                    .anyMatch(id -> id.startsWith("LONG_TASK_TIMER http.server.requests.active"));
            assertThat(micrometer.values()).anyMatch(v -> v.contains("ACTIVE_TASKS=2.0"));

            DefaultMeterObservationHandler.IgnoredMeters ltt = DefaultMeterObservationHandler.IgnoredMeters.LONG_TASK_TIMER;
            TreeMap<String, String> withoutActive = recorded(r -> new DefaultMeterObservationHandler(r, ltt), remove);
            assertThat(recorded(r -> new ObservationMeters.Kept(r, ltt), remove)).isEqualTo(withoutActive);
            assertThat(withoutActive.keySet()).noneMatch(id -> id.contains(".active"));
        }
    }

    @Test
    void itKeepsAtMostItsBound_andStillRecordsPastIt() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        ObservationMeters.Kept kept = new ObservationMeters.Kept(meters);
        ObservationRegistry observations = ObservationRegistry.create();
        observations.observationConfig().observationHandler(kept);
        int n = ObservationMeters.Kept.KEPT + 10;
        for (int i = 0; i < n; i++) {
            Observation.createNotStarted("x", observations).lowCardinalityKeyValue("i", String.valueOf(i)).observe(() -> { });
        }
        // a long-task timer and a timer for each of the first KEPT key values; none for the ten past them
        assertThat(kept.kept()).isEqualTo(2 * ObservationMeters.Kept.KEPT);
        Observation.createNotStarted("x", observations).lowCardinalityKeyValue("i", "0").observe(() -> { });
        Observation.createNotStarted("x", observations).lowCardinalityKeyValue("i", String.valueOf(n - 1)).observe(() -> { });
        assertThat(meters.get("x").tag("i", "0").timer().count()).isEqualTo(2);
        assertThat(meters.get("x").tag("i", String.valueOf(n - 1)).timer().count()).isEqualTo(2);
        assertThat(meters.get("x.active").tag("i", String.valueOf(n - 1)).longTaskTimer().activeTasks()).isZero();
    }
}
