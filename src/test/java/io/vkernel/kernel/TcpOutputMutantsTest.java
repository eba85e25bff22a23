package io.vkernel.kernel;

import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOption;
import io.vkernel.kernel.wire.TcpOptions;
import org.junit.jupiter.api.Test;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What TcpOutput puts on the wire and in the trace, where the suite left PIT survivors: the challenge ACK's and
 * the rate-limited out-of-window ACK's trace steps and verdicts, pingpong mode entered by a reply at any time of
 * day (not only in the first 40 ms after boot), the listener's TOS on a child's ACKs before accept(), and the
 * two-full-frames ACK rule counted in 1448-byte frames when timestamps are on.
 */
class TcpOutputMutantsTest {

    private final TcpFixture t = new TcpFixture();

    private PacketReport blindRst() {
        return t.peer.sendAt(TcpFlags.RST, t.peer.sndNxt() + 10, 0, "");
    }

    @Test
    void aBlindRst_drawsAChallengeAck_andTheTraceSaysWhy_thenTheRateLimitSaysWhyNot() {
        t.established();
        PacketReport first = blindRst();
        assertThat(first.sentSegments()).singleElement().satisfies(s -> assertThat(TcpFlags.format(s.flags())).isEqualTo("."));
        assertThat(TcpFixture.steps(first, "tcp.challenge_ack")).containsExactly(
                "RST in window but not exactly at RCV.NXT: challenge ACK (RFC 5961), the segment is dropped");
        assertThat(first.verdict()).isEqualTo("challenge ack");
        t.kernel.advance(100);
        PacketReport second = blindRst();
        assertThat(second.sentSegments()).isEmpty();
        assertThat(TcpFixture.steps(second, "tcp.challenge_ack")).containsExactly("RST in window but not exactly at RCV.NXT: the "
                + "segment is dropped, and no challenge ACK goes out: the last one to this socket left less than "
                + "tcp_invalid_ratelimit = 500 ms ago (__tcp_oow_rate_limited())");
        assertThat(second.verdict()).isEqualTo("challenge ack rate-limited");
        assertThat(t.counter(SnmpCounter.TCP_CHALLENGE_ACK)).isEqualTo(1);
    }

    @Test
    void aSecondOutOfWindowAck_within500ms_isSkipped_andTheTraceSaysSo() {
        t.established();
        PacketReport first = t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt() + 1_000_000, t.peer.rcvNxt(), "");
        assertThat(first.sentSegments()).hasSize(1);
        assertThat(TcpFixture.steps(first, "tcp.oow_ack")).isEmpty();
        t.kernel.advance(100);
        PacketReport second = t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt() + 1_000_000, t.peer.rcvNxt(), "");
        assertThat(second.sentSegments()).isEmpty();
        assertThat(TcpFixture.steps(second, "tcp.oow_ack")).containsExactly("no ACK this time: the last one to an invalid "
                + "segment left less than tcp_invalid_ratelimit ago (tcp_oow_rate_limited())");
        assertThat(t.counter(SnmpCounter.TCP_ACK_SKIPPED_SEQ)).isEqualTo(1);
    }

    @Test
    void aReplyWithinTheDelayedAckTime_anHourAfterBoot_entersPingpong() {
        t.kernel.advance(3_600_000);
        t.established();
        assertThat(t.peer.data("request").sentSegments()).as("quick-ack mode").hasSize(1);
        t.kernel.advance(39);
        t.write("reply"); // tcp_event_data_sent(): now - icsk_ack.lrcvtime < ato
        t.peer.consumeSent();
        t.peer.ack();
        assertThat(t.peer.data("request 2").sentSegments()).as("pingpong: the ACK waits for our reply").isEmpty();
    }

    @Test
    void aChildNotYetAccepted_acksWithTheListenersTos() {
        done(t.kernel.setsockopt(t.pid, t.listenFd, "IP_TOS", 0x28, true));
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER).connect();
        // sk_clone_lock() copied inet->tos into the child: the ACK of data that arrives before accept() carries it
        PacketReport data = t.peer.data("early");
        assertThat(data.sentSegments()).singleElement().satisfies(ack -> {
            assertThat(ack.ack()).isEqualTo(t.peer.sndNxt());
            assertThat(ack.tos()).isEqualTo(0x28);
        });
    }

    @Test
    void withTimestamps_twoFullFramesAre2896Bytes() {
        Endpoint client = Endpoint.parse(TcpFixture.CLIENT);
        Endpoint server = Endpoint.parse(TcpFixture.SERVER);
        int isn = 1_000;
        TcpOptions synOptions = TcpOptions.of(new TcpOption.Mss(1460), new TcpOption.Nop(), new TcpOption.Nop(),
                new TcpOption.Timestamps(100, 0));
        Segment synAck = t.kernel.receive(new Segment(client, server, TcpFlags.SYN, isn, 0, 65535, 0, new byte[0], synOptions))
                .sentSegments().get(0);
        int ack = synAck.seq() + 1;
        int[] seq = {isn + 1};
        long[] tsVal = {101};
        java.util.function.Function<Integer, PacketReport> data = bytes -> {
            TcpOptions ts = TcpOptions.of(new TcpOption.Nop(), new TcpOption.Nop(),
                    new TcpOption.Timestamps(tsVal[0]++, synAck.timestamps().value()));
            PacketReport report = t.kernel.receive(new Segment(client, server, TcpFlags.ACK | (bytes > 0 ? TcpFlags.PSH : 0),
                    seq[0], ack, 65535, 0, new byte[bytes], ts));
            seq[0] += bytes;
            return report;
        };
        data.apply(0);
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        assertThat(t.tcb().timestampsOk()).isTrue();
        for (int i = 0; i < 16; i++) {
            assertThat(data.apply(1).sentSegments()).as("quick ack %d", i).hasSize(1);
        }
        t.kernel.advance(40);
        assertThat(data.apply(1448).sentSegments()).isEmpty();
        assertThat(data.apply(1447).sentSegments()).as("2895 bytes: less than two 1448-byte frames").isEmpty();
        assertThat(data.apply(1).sentSegments()).as("2896 bytes").singleElement()
                .satisfies(s -> assertThat(s.ack()).isEqualTo(seq[0]));
    }
}
