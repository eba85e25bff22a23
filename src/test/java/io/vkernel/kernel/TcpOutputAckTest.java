package io.vkernel.kernel;

import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.Seq;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * When an ACK leaves and what it says: __tcp_ack_snd_check()'s two-full-frames rule to the byte, the delayed ACK's
 * trace, pingpong (interactive) mode turning quick ACKs off and a missed delayed ACK turning it back off
 * (tcp_event_data_sent(), tcp_delack_timer_handler()), and tcp_v4_send_reset()'s two forms of RST for a segment
 * that matched no socket.
 */
class TcpOutputAckTest {

    private final TcpFixture t = new TcpFixture();

    private void quickAcksUsedUp() {
        t.established();
        for (int i = 0; i < 16; i++) {
            assertThat(t.peer.data("q").sentSegments()).hasSize(1);
        }
    }

    @Test
    void afterQuickAcks_theAckWaits_andTheTraceSaysForHowLong() {
        quickAcksUsedUp();
        PacketReport waits = t.peer.data("slow");
        assertThat(waits.sentSegments()).isEmpty();
        assertThat(TcpFixture.steps(waits, "tcp.delack")).containsExactly("ACK delayed up to 40 ms (quick-ack mode ended after 16 "
                + "segments): it goes with the next data, the next full segment, or when the timer fires");
    }

    @Test
    void twoFullFramesUnacknowledged_sendTheAck_oneByteLessDoesNot() {
        quickAcksUsedUp();
        t.kernel.advance(40); // nothing owed
        assertThat(t.peer.data("x".repeat(1460)).sentSegments()).isEmpty();
        assertThat(t.peer.data("x".repeat(1459)).sentSegments()).as("2919 bytes: less than two full frames").isEmpty();
        PacketReport third = t.peer.data("x");
        assertThat(third.sentSegments()).as("2920 bytes: two full frames").singleElement()
                .satisfies(s -> assertThat(s.ack()).isEqualTo(t.peer.sndNxt()));
        assertThat(t.peer.data("x".repeat(1460)).sentSegments()).as("the count starts again").isEmpty();
    }

    @Test
    void aReplyWithinTheDelayedAckTime_entersPingpong_soQuickAcksStop_untilADelayedAckIsMissed() {
        t.established();
        assertThat(t.peer.data("request").sentSegments()).as("quick-ack mode").hasSize(1);
        t.kernel.advance(39);
        t.write("reply"); // within ato (40 ms) of the last data received: interactive
        t.peer.consumeSent();
        t.peer.ack();
        assertThat(t.peer.data("request 2").sentSegments()).as("pingpong: the ACK waits for our reply").isEmpty();
        t.kernel.advance(40); // the delayed ACK fires: no reply came, so not interactive after all
        assertThat(t.peer.lastReceived().ack()).isEqualTo(t.peer.sndNxt());
        assertThat(t.peer.data("request 3").sentSegments()).as("quick ACKs again").hasSize(1);
    }

    @Test
    void aReplyLaterThanTheDelayedAckTime_keepsQuickAcks() {
        t.established();
        t.peer.data("request");
        t.kernel.advance(40);
        t.write("reply");
        t.peer.consumeSent();
        t.peer.ack();
        assertThat(t.peer.data("request 2").sentSegments()).hasSize(1);
    }

    @Test
    void aSegmentForNoSocket_withAck_getsARstAtItsAck_withoutAck_aRstAckPastIt() {
        Endpoint from = Endpoint.parse("192.168.1.7:40000");
        Endpoint to = Endpoint.parse("10.0.0.50:9999");
        PacketReport withAck = t.kernel.receive(new Segment(from, to, TcpFlags.ACK, 5000, 777_777, 1000, 0,
                "abc".getBytes()));
        assertThat(withAck.sentSegments()).singleElement().satisfies(rst -> {
            assertThat(TcpFlags.format(rst.flags())).isEqualTo("R");
            assertThat(rst.seq()).isEqualTo(777_777);
            assertThat(rst.ack()).isZero();
            assertThat(rst.window()).isZero();
        });
        assertThat(TcpFixture.steps(withAck, "tcp.reset")).containsExactly(
                "RST with <SEQ=SEG.ACK> = 777777 (RFC 9293 §3.10.7.1, tcp_v4_send_reset())");

        PacketReport syn = t.kernel.receive(new Segment(from, to, TcpFlags.SYN, -2, 0, 1000, 1460, new byte[0]));
        assertThat(syn.sentSegments()).singleElement().satisfies(rst -> {
            assertThat(TcpFlags.format(rst.flags())).isEqualTo("R.");
            assertThat(rst.seq()).isZero();
            assertThat(rst.ack()).as("SEG.SEQ + SEG.LEN, the SYN counting one").isEqualTo(-1);
        });
        assertThat(TcpFixture.steps(syn, "tcp.reset")).containsExactly("RST,ACK with <SEQ=0><ACK=SEG.SEQ+SEG.LEN> = "
                + Seq.unsigned(-1) + " (RFC 9293 §3.10.7.1, tcp_v4_send_reset())");
        long rsts = t.kernel.inspect(k -> k.snmp().get(SnmpCounter.TCP_OUT_RSTS));
        assertThat(rsts).isEqualTo(2);
    }
}
