package io.vkernel.kernel.time;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The timer queue's order is (deadline, the order timers were armed), whatever arms them and when. */
class VirtualClockTest {

    @Test
    void timers_fireInDeadlineThenArmingOrder_andEachSeesItsOwnDeadlineAsNow() {
        VirtualClock clock = new VirtualClock();
        List<String> fired = new ArrayList<>();
        clock.schedule(300, "c", "x", () -> fired.add("c@" + clock.now()));
        clock.schedule(100, "a", "x", () -> fired.add("a@" + clock.now()));
        clock.schedule(300, "d", "x", () -> fired.add("d@" + clock.now()));
        clock.schedule(100, "b", "x", () -> fired.add("b@" + clock.now()));

        assertThat(clock.advance(1000)).isEqualTo(4);

        assertThat(fired).containsExactly("a@100", "b@100", "c@300", "d@300");
        assertThat(clock.now()).isEqualTo(1000);
    }

    @Test
    void aTimerArmedByAFiringOne_forNowOrLaterInTheSameAdvance_firesInThatAdvance_afterTheOnesAlreadyDue() {
        VirtualClock clock = new VirtualClock();
        List<String> fired = new ArrayList<>();
        clock.schedule(100, "first", "x", () -> {
            fired.add("first@" + clock.now());
            clock.schedule(0, "now", "x", () -> fired.add("now@" + clock.now()));
            clock.schedule(50, "later", "x", () -> fired.add("later@" + clock.now()));
            clock.schedule(500, "beyond", "x", () -> fired.add("beyond@" + clock.now()));
        });
        clock.schedule(100, "second", "x", () -> fired.add("second@" + clock.now()));
        clock.schedule(150, "third", "x", () -> fired.add("third@" + clock.now()));

        clock.advance(200);

        assertThat(fired).containsExactly("first@100", "second@100", "now@100", "third@150", "later@150");
        assertThat(clock.pending()).extracting(VirtualClock.Timer::name).containsExactly("beyond");
        assertThat(clock.nextDeadline()).isEqualTo(600);
    }

    @Test
    void cancelledTimers_neitherFireNorShowAsPending_norCountAsTheNextDeadline() {
        VirtualClock clock = new VirtualClock();
        List<String> fired = new ArrayList<>();
        VirtualClock.Timer early = clock.schedule(10, "early", "x", () -> fired.add("early"));
        clock.schedule(20, "kept", "x", () -> fired.add("kept"));
        VirtualClock.Timer sameDeadline = clock.schedule(20, "dropped", "x", () -> fired.add("dropped"));
        early.cancel();
        sameDeadline.cancel();

        assertThat(clock.nextDeadline()).isEqualTo(20);
        assertThat(clock.pending()).extracting(VirtualClock.Timer::name).containsExactly("kept");
        assertThat(clock.advance(100)).isEqualTo(1);
        assertThat(fired).containsExactly("kept");
        assertThat(clock.nextDeadline()).isNull();
        assertThat(clock.pending()).isEmpty();
    }
}
