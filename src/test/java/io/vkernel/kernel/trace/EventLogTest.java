package io.vkernel.kernel.trace;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The event log's subscription: what a late subscriber is replayed, what it hears live, and when it stops hearing. */
class EventLogTest {

    private final EventLog log = new EventLog(3, () -> 0);

    /** A listener that keeps what it hears, as the SSE layer's queue does. */
    private static final class Heard implements EventLog.Listener {
        final List<Long> seqs = new ArrayList<>();
        long forgotten;

        @Override
        public void onEvent(KernelEvent event) {
            seqs.add(event.seq());
        }

        @Override
        public void onForgotten(long count) {
            forgotten = count;
        }
    }

    @Test
    void subscribeAfter1_replaysEvents2And3_thenHearsNewOnesInOrder() {
        record(3);
        Heard heard = new Heard();
        log.subscribe(1, heard);
        assertThat(heard.seqs).containsExactly(2L, 3L);
        record(1);
        assertThat(heard.seqs).containsExactly(2L, 3L, 4L);
        assertThat(heard.forgotten).isZero();
    }

    @Test
    void subscribeAtTheLastSeq_replaysNothing_hearsOnlyNewEvents() {
        record(2);
        Heard heard = new Heard();
        log.subscribe(log.lastSeq(), heard);
        assertThat(heard.seqs).isEmpty();
        record(1);
        assertThat(heard.seqs).containsExactly(3L);
    }

    @Test
    void subscribeAfterEventsTheLogForgot_isToldHowManyAreGone_thenGetsWhatIsKept() {
        record(6); // capacity 3: events 1, 2, 3 are forgotten
        Heard heard = new Heard();
        log.subscribe(0, heard);
        assertThat(heard.forgotten).isEqualTo(3);
        assertThat(heard.seqs).containsExactly(4L, 5L, 6L);
    }

    @Test
    void unsubscribe_stopsDelivery() {
        Heard heard = new Heard();
        log.subscribe(0, heard);
        record(1);
        log.unsubscribe(heard);
        record(1);
        assertThat(heard.seqs).containsExactly(1L);
        assertThat(log.listenerCount()).isZero();
    }

    private void record(int count) {
        for (int i = 0; i < count; i++) {
            log.record(EventType.SYSCALL, "test", "event");
        }
    }
}
