package io.vkernel.kernel;

import io.vkernel.kernel.tcp.FastOpen;
import io.vkernel.kernel.trace.PacketReport;
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
 * The 40 bytes of a SYN-ACK's options shared by MSS, timestamps, SACK permitted, window scale, the AccECN option and a
 * Fast Open cookie (tcp_synack_options(): the cookie goes only when {@code remaining >= need}), for a listener with
 * net.ipv4.tcp_ecn=3 (AccECN) and tcp_fastopen's server bit, answering SYNs that ask for a cookie.
 */
class SynAckOptionRoomTest {

    private static final int ACCECN_SETUP = TcpFlags.SYN | TcpFlags.ECE | TcpFlags.CWR | TcpFlags.AE;

    private final TcpFixture t = new TcpFixture();

    private Segment synAckTo(TcpOption... options) {
        t.sysctl(Sysctls.TCP_ECN, 3);
        t.sysctl(Sysctls.TCP_FASTOPEN, FastOpen.SERVER_ENABLE | 1);
        TcpFixture.done(t.kernel.setsockopt(t.pid, t.listenFd, "TCP_FASTOPEN", 4, true));
        List<TcpOption> list = new ArrayList<>(List.of(options));
        list.add(new TcpOption.Unknown(FastOpen.KIND, new byte[0])); // a cookie request
        PacketReport syn = t.kernel.receive(new Segment(Endpoint.parse(TcpFixture.CLIENT), Endpoint.parse(TcpFixture.SERVER),
                ACCECN_SETUP, 1000, 0, 65535, 0, null, new TcpOptions(list), 0));
        return syn.sentSegments().get(0);
    }

    private static int optionBytes(Segment segment) {
        return segment.options().list().stream().mapToInt(TcpOption::size).sum();
    }

    private static boolean hasCookie(Segment segment) {
        return segment.options().list().stream()
                .anyMatch(o -> o instanceof TcpOption.Unknown u && u.kind() == FastOpen.KIND && u.value().length == 8);
    }

    @Test
    void aCookieThatFillsTheLastTwelveBytesExactly_isSent() {
        // mss 4 + sackOK,TS 12 + AccECN 12 (3 counters and a nop) + cookie 10 padded to 12 = 40: remaining >= need
        Segment synAck = synAckTo(new TcpOption.Mss(1460), new TcpOption.SackPermitted(), new TcpOption.Timestamps(7, 0));

        assertThat(TcpFlags.format(synAck.flags())).startsWith("S");
        assertThat(synAck.options().list()).as("the AccECN option with its three counters")
                .anyMatch(o -> o instanceof TcpOption.Unknown u && u.value().length == 9);
        assertThat(hasCookie(synAck)).as("the 8-byte cookie fits in the last 12 bytes").isTrue();
        assertThat(optionBytes(synAck)).isEqualTo(40);
    }

    @Test
    void withWindowScalingToo_theOptionsNeverPassFortyBytes() {
        // mss, sackOK,TS, wscale and AccECN already take 32 bytes: a 12-byte cookie would make 44
        Segment synAck = synAckTo(new TcpOption.Mss(1460), new TcpOption.SackPermitted(), new TcpOption.Timestamps(7, 0),
                new TcpOption.Nop(), new TcpOption.WindowScale(7));

        assertThat(synAck.options().list()).anyMatch(o -> o instanceof TcpOption.WindowScale);
        assertThat(optionBytes(synAck)).as("MAX_TCP_OPTION_SPACE").isLessThanOrEqualTo(40);
    }
}
