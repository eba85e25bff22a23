package io.vkernel.kernel.tcp;

import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Linux's RTO from RTT samples (tcp_rtt_estimator(), tcp_set_rto()), which packetdrill scripts time their
 * retransmissions and loss probes by: 3 x RTT after one sample, SRTT + 200 ms at least afterwards.
 */
class LinuxRtoTest {

    private final Tcb tcb = new Tcb(new FourTuple(Endpoint.parse("192.168.1.100:54321"), Endpoint.parse("10.0.0.50:8080")),
            TcpState.ESTABLISHED, 0);

    @Test
    void noSample_initialRtoOfOneSecond() {
        assertThat(tcb.rtt.rtoMs()).isEqualTo(1000);
    }

    @Test
    void firstSample_rtoIsThreeRtts() {
        tcb.rtt.sample(tcb, 150_000);
        assertThat(tcb.srttMs).isEqualTo(150);
        assertThat(tcb.rtoMs).as("srtt + 2 x rtt").isEqualTo(450);
        assertThat(tcb.rttvarMs).as("tcpi_rttvar = mdev / 4 x 4 = rtt / 2").isEqualTo(75);
    }

    @Test
    void steadyRtt_rtoIsSrttPlusRtoMin_notRfc6298sFloorOf200() {
        tcb.sndNxt = 1000;
        tcb.rtt.sample(tcb, 100_000); // handshake
        tcb.sndUna = 1001;
        tcb.sndNxt = 2001;
        tcb.rtt.sample(tcb, 100_000); // a new window: the variance decays towards tcp_rto_min
        tcb.sndUna = 2001;
        tcb.rtt.sample(tcb, 100_000);
        assertThat(tcb.srttMs).isEqualTo(100);
        assertThat(tcb.rtoMs).as("RFC 6298 would give max(200, 100 + 4 x rttvar)").isEqualTo(300);
    }

    @Test
    void fallingRtt_deviationMovesSlowly() {
        tcb.sndNxt = 1;
        tcb.rtt.sample(tcb, 200_000);
        long rto = tcb.rtoMs;
        tcb.rtt.sample(tcb, 20_000); // same window: no decay, and a falling RTT changes mdev with gain 1/32 only
        assertThat(tcb.srttMs).isEqualTo(177); // 200 - 180 / 8
        assertThat(tcb.rtoMs).isLessThan(rto).isGreaterThan(177 + 200);
    }
}
