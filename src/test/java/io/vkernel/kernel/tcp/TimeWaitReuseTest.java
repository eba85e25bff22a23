package io.vkernel.kernel.tcp;

import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOption;
import io.vkernel.kernel.wire.TcpOptions;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * tcp_timewait_state_process()'s TCP_TW_SYN case at its edges: only a bare SYN, above RCV.NXT or with a TSval newer
 * than ts_recent (RFC 6191, compared modulo 2^32), and the ISN tw_snd_nxt + 65537 that is never 0.
 */
class TimeWaitReuseTest {

    private static final Endpoint PEER = Endpoint.parse("192.168.1.100:54321");
    private static final Endpoint US = Endpoint.parse("10.0.0.50:8080");
    private final Tcb tw = new Tcb(new FourTuple(PEER, US), TcpState.TIME_WAIT, 0);

    {
        tw.rcvNxt = 5000;
    }

    private static Segment syn(int flags, int seq) {
        return new Segment(PEER, US, flags, seq, 0, 65535, 1460, new byte[0]);
    }

    private static Segment synWithTsval(int seq, long tsval) {
        return new Segment(PEER, US, TcpFlags.SYN, seq, 0, 65535, 1460, new byte[0],
                TcpOptions.of(new TcpOption.Timestamps(tsval, 0)));
    }

    @Test
    void aBareSynAboveRcvNxt_opensANewConnection_atOrBelowItDoesNot() {
        assertThat(TimeWaitReuse.acceptsSyn(tw, syn(TcpFlags.SYN, 5001))).isTrue();
        assertThat(TimeWaitReuse.acceptsSyn(tw, syn(TcpFlags.SYN, 5000))).isFalse();
        assertThat(TimeWaitReuse.acceptsSyn(tw, syn(TcpFlags.SYN, 4999))).isFalse();
    }

    @Test
    void onlyABareSyn() {
        assertThat(TimeWaitReuse.acceptsSyn(tw, syn(TcpFlags.SYN | TcpFlags.ACK, 6000))).isFalse();
        assertThat(TimeWaitReuse.acceptsSyn(tw, syn(TcpFlags.SYN | TcpFlags.RST, 6000))).isFalse();
        assertThat(TimeWaitReuse.acceptsSyn(tw, syn(TcpFlags.ACK, 6000))).isFalse();
        assertThat(TimeWaitReuse.acceptsSyn(tw, syn(TcpFlags.SYN | TcpFlags.PSH, 6000))).isTrue();
    }

    @Test
    void withTimestamps_aNewerTsvalOpensItEvenBelowRcvNxt_moduloTwoToThe32() {
        tw.tsOk = true;
        tw.tsRecent = 1000;
        assertThat(TimeWaitReuse.acceptsSyn(tw, synWithTsval(4000, 1001))).isTrue();
        assertThat(TimeWaitReuse.acceptsSyn(tw, synWithTsval(4000, 1000))).isFalse();
        assertThat(TimeWaitReuse.acceptsSyn(tw, synWithTsval(4000, 999))).isFalse();
        assertThat(TimeWaitReuse.acceptsSyn(tw, syn(TcpFlags.SYN, 4000))).as("no TSval").isFalse();
        tw.tsRecent = 0xFFFF_FFF0L;
        assertThat(TimeWaitReuse.acceptsSyn(tw, synWithTsval(4000, 5))).as("past the wrap: newer").isTrue();
        tw.tsOk = false;
        assertThat(TimeWaitReuse.acceptsSyn(tw, synWithTsval(4000, 0xFFFF_FFF5L))).as("timestamps not in use").isFalse();
    }

    @Test
    void isn_isOldSndNxtPlus65537_butNever0() {
        tw.sndNxt = 1000;
        assertThat(TimeWaitReuse.isn(tw)).isEqualTo(66537);
        tw.sndNxt = -65537;
        assertThat(TimeWaitReuse.isn(tw)).isEqualTo(1);
        tw.sndNxt = -65538;
        assertThat(TimeWaitReuse.isn(tw)).isEqualTo(-1);
    }
}
