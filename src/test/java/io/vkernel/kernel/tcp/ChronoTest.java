package io.vkernel.kernel.tcp;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sender's chronographs as tcp_chrono_start()/tcp_chrono_stop() keep them (tcp_output.c): the more interesting
 * condition takes over, stopping one falls back to busy unless the queues are empty, and TCP_INFO's totals include the
 * running period (tcp_get_info_chrono_stats()).
 */
class ChronoTest {

    private final Chrono chrono = new Chrono();

    @Test
    void busyThenRwndThenSndbuf_eachMoreInterestingOneTakesOver_andTheTimeGoesToTheOneThatRan() {
        assertThat(chrono.type()).isEqualTo(Chrono.UNSPEC);
        chrono.start(Chrono.BUSY, 100);
        chrono.start(Chrono.RWND_LIMITED, 130);
        chrono.start(Chrono.SNDBUF_LIMITED, 200);
        assertThat(chrono.type()).isEqualTo(Chrono.SNDBUF_LIMITED);
        assertThat(chrono.total(Chrono.BUSY, 250)).isEqualTo(30);
        assertThat(chrono.total(Chrono.RWND_LIMITED, 250)).isEqualTo(70);
        assertThat(chrono.total(Chrono.SNDBUF_LIMITED, 250)).as("running since 200").isEqualTo(50);
    }

    @Test
    void aLessInterestingStart_orTheSameOne_changesNothing() {
        chrono.start(Chrono.RWND_LIMITED, 10);
        chrono.start(Chrono.BUSY, 20);
        chrono.start(Chrono.RWND_LIMITED, 30);
        assertThat(chrono.type()).isEqualTo(Chrono.RWND_LIMITED);
        assertThat(chrono.total(Chrono.RWND_LIMITED, 50)).as("still counted from 10").isEqualTo(40);
        assertThat(chrono.total(Chrono.BUSY, 50)).isZero();
    }

    @Test
    void stop_withDataQueued_fallsBackToBusy_onlyWhenItStopsTheRunningCondition() {
        chrono.start(Chrono.SNDBUF_LIMITED, 0);
        chrono.stop(Chrono.RWND_LIMITED, 40, false);
        assertThat(chrono.type()).as("rwnd was not running").isEqualTo(Chrono.SNDBUF_LIMITED);
        chrono.stop(Chrono.SNDBUF_LIMITED, 60, false);
        assertThat(chrono.type()).isEqualTo(Chrono.BUSY);
        assertThat(chrono.total(Chrono.SNDBUF_LIMITED, 100)).isEqualTo(60);
        assertThat(chrono.total(Chrono.BUSY, 100)).isEqualTo(40);
    }

    @Test
    void stop_withTheQueuesEmpty_stopsWhateverRuns_andTheTotalsStayPut() {
        chrono.start(Chrono.RWND_LIMITED, 5);
        chrono.stop(Chrono.BUSY, 25, true);
        assertThat(chrono.type()).isEqualTo(Chrono.UNSPEC);
        assertThat(chrono.total(Chrono.RWND_LIMITED, 1_000)).isEqualTo(20);
        chrono.stop(Chrono.BUSY, 2_000, true);
        assertThat(chrono.total(Chrono.RWND_LIMITED, 3_000)).isEqualTo(20);
        assertThat(chrono.total(Chrono.BUSY, 3_000)).isZero();
        // started again later: nothing of the idle time counts
        chrono.start(Chrono.BUSY, 4_000);
        assertThat(chrono.total(Chrono.BUSY, 4_010)).isEqualTo(10);
    }

    @Test
    void total_ofTheRunningCondition_atItsStartInstant_isWhatWasStoredBefore() {
        chrono.start(Chrono.BUSY, 0);
        chrono.stop(Chrono.BUSY, 7, true);
        chrono.start(Chrono.BUSY, 50);
        assertThat(chrono.total(Chrono.BUSY, 50)).isEqualTo(7);
        assertThat(chrono.total(Chrono.BUSY, 49)).as("a reading from before the start adds nothing").isEqualTo(7);
        assertThat(chrono.total(Chrono.BUSY, 51)).isEqualTo(8);
    }
}
