package io.vkernel.kernel.trace;

import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOption;
import io.vkernel.kernel.wire.TcpOptions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The event log's subscription: what a late subscriber is replayed, what it hears live, and when it stops hearing;
 * and a packet's event, kept as header fields and written out when read.
 */
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

    @Test
    void packetEvent_readsAsTheSegmentsSummary_everyTime_andWithoutItsPayload() {
        Segment withOptions = new Segment(Endpoint.parse("10.0.0.2:40000"), Endpoint.parse("10.0.0.50:8080"),
                TcpFlags.SYN | TcpFlags.ACK, -5, 0x80000000, 29200, 0, new byte[1200],
                TcpOptions.of(new TcpOption.Mss(1460), new TcpOption.SackPermitted(), new TcpOption.Timestamps(4294967295L, 7),
                        new TcpOption.Nop(), new TcpOption.WindowScale(7)));
        Segment bare = new Segment(Endpoint.parse("255.255.255.254:65535"), Endpoint.parse("10.0.0.50:8080"),
                TcpFlags.FIN | TcpFlags.PSH, 1, 2, 0, 0, null);
        EventLog big = new EventLog(10, () -> 42);
        KernelEvent in = big.recordPacket(EventType.PACKET_IN, 1, withOptions);
        KernelEvent out = big.recordPacket(EventType.PACKET_OUT, 2, bare);

        assertThat(in.detail()).isEqualTo(withOptions.summary()).contains("length 1200", "ack 2147483648", "seq 4294967291");
        assertThat(in.detail()).isEqualTo(in.detail());
        assertThat(out.detail()).isEqualTo(bare.summary()).doesNotContain(", ack ");
        assertThat(big.after(0, 10)).extracting(KernelEvent::detail).containsExactly(withOptions.summary(), bare.summary());
        assertThat(in).isEqualTo(new KernelEvent(1, 42, EventType.PACKET_IN, "#1", withOptions.summary()));
        // charged for the header fields it keeps, not the 1 200 payload bytes it does not
        assertThat(big.retainedBytes()).isLessThan(1200).isGreaterThan(2 * 160);
    }

    @Test
    void byteLimit_forgetsTheOldestPacketEvents_asItDoesTextEvents() {
        Segment segment = new Segment(Endpoint.parse("10.0.0.2:40000"), Endpoint.parse("10.0.0.50:8080"), TcpFlags.ACK, 1, 1, 100, 0, null);
        EventLog bounded = new EventLog(1000, () -> 0);
        bounded.recordPacket(EventType.PACKET_IN, 1, segment);
        long one = bounded.retainedBytes();
        bounded.limitBytes(3 * one);
        for (int i = 2; i <= 10; i++) {
            bounded.recordPacket(EventType.PACKET_IN, i, segment);
        }
        assertThat(bounded.size()).isEqualTo(3);
        assertThat(bounded.retainedBytes()).isEqualTo(3 * one);
        assertThat(bounded.after(0, 10)).extracting(KernelEvent::subject).containsExactly("#8", "#9", "#10");
        bounded.record(EventType.SYSCALL, "#x", "a text event is charged for its text, as before");
        assertThat(bounded.after(0, 10)).extracting(KernelEvent::subject).endsWith("#x").hasSizeLessThanOrEqualTo(3);
    }

    private void record(int count) {
        for (int i = 0; i < count; i++) {
            log.record(EventType.SYSCALL, "test", "event");
        }
    }
}
