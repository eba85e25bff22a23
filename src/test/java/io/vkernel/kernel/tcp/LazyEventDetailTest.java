package io.vkernel.kernel.tcp;

import io.vkernel.kernel.trace.EventLog;
import io.vkernel.kernel.trace.EventText;
import io.vkernel.kernel.trace.EventType;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Event details written when read (a retransmission timeout's, a state change's): the text a reader sees and the
 * bytes the event log charges for it (which decide when the log forgets its oldest events) are those of the string
 * built at once, so a kernel records the same log either way and a journal replays to the same one.
 */
class LazyEventDetailTest {

    @Test
    void theLazyDetailReadsAndWeighsAsTheStringBuiltAtOnce() {
        long[] rtos = {0, 9, 10, 99, 200, 999, 1_000, 102_400, 120_000, 9_999_999_999L, Long.MAX_VALUE};
        int[] counts = {0, 1, 9, 10, 15, 99, 100, 255, Integer.MAX_VALUE};
        for (int n : counts) {
            for (long rto : rtos) {
                long next = Math.min(120_000, rto * 2);
                String eager = "retransmission #" + n + " after RTO " + rto + " ms; next RTO " + next + " ms";
                RetransmissionLine lazy = new RetransmissionLine(n, rto, next);
                assertThat(lazy.toString()).isEqualTo(eager);
                assertThat(lazy.textLength()).as(eager).isEqualTo(eager.length());

                EventLog strings = new EventLog(10, () -> 0);
                EventLog lines = new EventLog(10, () -> 0);
                strings.record(EventType.TIMER_FIRED, "10.0.0.1:1-10.0.0.2:2", eager);
                lines.record(EventType.TIMER_FIRED, "10.0.0.1:1-10.0.0.2:2", lazy);
                assertThat(lines.retainedBytes()).as(eager).isEqualTo(strings.retainedBytes());
                assertThat(lines.after(0, 1).get(0)).isEqualTo(strings.after(0, 1).get(0));
            }
        }
    }

    @Test
    void aStateChangeReadsAndWeighsAsTheStringBuiltAtOnce() {
        String[] reasons = {"close(): FIN sent after any unsent data", "", "caf\u00e9 (Latin-1)", "\u2192 beyond Latin-1", null};
        for (TcpState previous : TcpState.values()) {
            for (TcpState next : TcpState.values()) {
                for (String why : reasons) {
                    String eager = previous + " -> " + (next == TcpState.CLOSE ? "CLOSED" : next) + ": " + why;
                    StateLine lazy = new StateLine(previous, next, why);
                    assertThat(lazy.toString()).isEqualTo(eager);
                    assertThat(lazy.textLength()).isEqualTo(eager.length());
                    EventLog strings = new EventLog(10, () -> 0);
                    EventLog lines = new EventLog(10, () -> 0);
                    strings.record(EventType.STATE_CHANGE, "t", eager);
                    lines.record(EventType.STATE_CHANGE, "t", lazy);
                    assertThat(lines.retainedBytes()).as(eager).isEqualTo(strings.retainedBytes());
                }
            }
        }
    }

    @Test
    void digitsCountsWhatLongToStringWrites() {
        for (long v : new long[] {0, 1, 9, 10, 11, 99, 100, 12_345, 999_999_999_999_999_999L, 1_000_000_000_000_000_000L,
            Long.MAX_VALUE, -1, -10, Long.MIN_VALUE + 1, Long.MIN_VALUE}) {
            assertThat(EventText.digits(v)).as("%d", v).isEqualTo(Long.toString(v).length());
        }
    }

    @Test
    void aByteBoundedLogForgetsAtTheSameEventEitherWay() {
        EventLog strings = new EventLog(1_000, () -> 0);
        EventLog lines = new EventLog(1_000, () -> 0);
        strings.limitBytes(5_000);
        lines.limitBytes(5_000);
        for (int n = 1; n <= 40; n++) {
            long rto = 200L << Math.min(n, 20);
            RetransmissionLine line = new RetransmissionLine(n, rto, Math.min(120_000, rto * 2));
            strings.record(EventType.TIMER_FIRED, "t", line.toString());
            lines.record(EventType.TIMER_FIRED, "t", line);
            assertThat(lines.size()).isEqualTo(strings.size());
            assertThat(lines.retainedBytes()).isEqualTo(strings.retainedBytes());
        }
        assertThat(lines.size()).as("the byte bound forgot old events").isLessThan(40);
    }
}
