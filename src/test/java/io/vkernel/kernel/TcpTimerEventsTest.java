package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.EventType;
import io.vkernel.kernel.trace.KernelEvent;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.vkernel.kernel.TcpFixture.assertErrno;
import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.pending;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the retransmission, zero-window and keepalive timers write to the kernel's event log (the trace a learner
 * reads beside the packets), and what a retransmission carries: tcp_retransmit_skb() resends the head skb as it was
 * written, so one write's bytes, with PSH only where a write ended.
 */
class TcpTimerEventsTest {

    private final TcpFixture t = new TcpFixture();

    private List<String> timerEvents() {
        return t.kernel.inspect(k -> k.events().after(0, 10_000)).stream()
                .filter(e -> e.type() == EventType.TIMER_FIRED).map(KernelEvent::detail).toList();
    }

    @Test
    void retransmissionTimer_logsEachRetransmissionWithItsRto_andTheGiveUp() {
        t.kernel.sysctl(Sysctls.TCP_RETRIES2, 2);
        t.established();
        t.write("lost");
        PendingCall read = pending(t.kernel.read(t.pid, t.fd, 100));
        t.kernel.advance(200);
        assertThat(timerEvents()).containsExactly("retransmission #1 after RTO 200 ms; next RTO 400 ms");
        t.kernel.advance(400);
        assertThat(read.isDone()).isFalse();
        t.kernel.advance(800);
        assertThat(read.isDone()).as("the blocked read wakes when the connection fails").isTrue();
        assertErrno(read.result(), Errno.ETIMEDOUT);
        assertThat(timerEvents()).containsExactly(
                "retransmission #1 after RTO 200 ms; next RTO 400 ms",
                "retransmission #2 after RTO 400 ms; next RTO 800 ms",
                "2 retransmissions unanswered: the connection fails with ETIMEDOUT (no RST is sent)");
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
        assertThat(t.read().ret()).as("the error is reported once; then read() sees the closed connection").isZero();
    }

    @Test
    void retransmissionTimer_rtoStopsDoublingAt120s() {
        t.established();
        t.write("lost");
        t.advanceSeconds(330);
        List<String> events = timerEvents();
        assertThat(events).contains("retransmission #10 after RTO 102400 ms; next RTO 120000 ms",
                "retransmission #11 after RTO 120000 ms; next RTO 120000 ms");
        assertThat(t.tcb().rtoMs()).isEqualTo(120_000);
    }

    @Test
    void retransmission_ofASmallHead_takesInTheNextSmallWrite_withPsh() {
        t.established();
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_NODELAY", 1, true));
        t.write("aaaa");
        t.write("bbbbbb");
        int sent = t.peer.received().size();
        t.kernel.advance(200);
        List<Segment> all = t.peer.received();
        assertThat(all).hasSize(sent + 1);
        Segment resent = all.get(all.size() - 1);
        // tcp_retransmit_skb(head, 1): the 4-byte skb takes in the next one, both fitting in one MSS
        // (tcp_retrans_try_collapse()), and keeps the writes' PSH (tcp_collapse_retrans())
        assertThat(resent.payloadText()).as("both writes' skbs as one").isEqualTo("aaaabbbbbb");
        assertThat(TcpFlags.format(resent.flags())).isEqualTo("P.");
        assertThat(resent.seq()).isEqualTo(t.tcb().sndUna());
    }

    @Test
    void retransmission_ofAFullSizedHead_carriesOneMss_withoutPsh() {
        t.established();
        t.kernel.inspect(k -> {
            k.sysctls().set(Sysctls.VKERNEL_GSO, 0);
            return null;
        });
        t.write("x".repeat(3000));
        int sent = t.peer.received().size();
        t.kernel.advance(200);
        Segment resent = t.peer.lastReceived();
        assertThat(t.peer.received()).hasSize(sent + 1);
        assertThat(resent.length()).as("one MSS of the 3000-byte write").isEqualTo(1460);
        assertThat(TcpFlags.format(resent.flags())).as("PSH stays with the write's last byte").isEqualTo(".");
    }

    @Test
    void retransmissionTimer_withOnlyAFinOutstanding_resendsTheFin() {
        t.established();
        t.close();
        Segment fin = t.peer.lastReceived();
        assertThat(TcpFlags.format(fin.flags())).isEqualTo("F.");
        t.kernel.advance(200);
        Segment again = t.peer.lastReceived();
        assertThat(TcpFlags.format(again.flags())).isEqualTo("F.");
        assertThat(again.seq()).isEqualTo(fin.seq());
        assertThat(again.length()).as("FIN alone").isEqualTo(1);
        assertThat(timerEvents()).containsExactly("retransmission #1 after RTO 200 ms; next RTO 400 ms");
    }

    @Test
    void zeroWindowProbes_areLoggedByNumber_andTheGiveUpNamesTheirCount() {
        t.kernel.sysctl(Sysctls.TCP_RETRIES2, 2);
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.peer.window = 0;
        t.peer.connect();
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        t.write("stuck");
        t.write(" twice");
        PendingCall read = pending(t.kernel.read(t.pid, t.fd, 100));
        t.kernel.advance(199);
        assertThat(timerEvents()).as("a second write does not start a second probe timer").isEmpty();
        t.kernel.advance(1);
        Segment probe = t.peer.lastReceived();
        assertThat(probe.seq()).as("SEQ = SND.UNA - 1").isEqualTo(t.tcb().sndUna() - 1);
        assertThat(probe.length()).isZero();
        t.kernel.advance(400);
        t.kernel.advance(800);
        assertThat(timerEvents()).containsExactly("zero-window probe #1", "zero-window probe #2",
                "2 zero-window probes unanswered: the connection fails with ETIMEDOUT");
        assertThat(t.state()).isEqualTo(TcpState.CLOSE);
        assertThat(read.isDone()).as("the blocked read wakes when the probes give up").isTrue();
        assertErrno(read.result(), Errno.ETIMEDOUT);
    }

    @Test
    void keepaliveProbes_areLoggedByNumber_andTheLastOneNamesTheReset() {
        t.kernel.sysctl(Sysctls.TCP_KEEPALIVE_PROBES, 2);
        t.established();
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_KEEPALIVE", 1, true));
        t.advanceSeconds(7200);
        t.advanceSeconds(75);
        assertThat(timerEvents()).containsExactly("keepalive probe #1", "keepalive probe #2");
        t.advanceSeconds(75);
        assertThat(timerEvents()).containsExactly("keepalive probe #1", "keepalive probe #2",
                "2 keepalive probes unanswered: RST, and the next call fails with ETIMEDOUT");
        assertThat(TcpFlags.format(t.peer.lastReceived().flags())).isEqualTo("R.");
        assertThat(t.state()).as("the connection is gone after the RST").isEqualTo(TcpState.CLOSE);
        assertErrno(t.read(), Errno.ETIMEDOUT);
    }

    @Test
    void keepalive_countsIdleFromTheLastSegment_soAPeerHeardMidwayDelaysTheFirstProbe() {
        t.established();
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_KEEPALIVE", 1, true));
        t.advanceSeconds(3600);
        t.peer.ack();
        t.advanceSeconds(7199);
        assertThat(timerEvents()).as("idle only 7199 s since the peer's ACK").isEmpty();
        t.advanceSeconds(1);
        assertThat(timerEvents()).containsExactly("keepalive probe #1");
    }

    @Test
    void keepalive_isOffAgain_onceSoKeepaliveIsCleared() {
        t.established();
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_KEEPALIVE", 1, true));
        done(t.kernel.setsockopt(t.pid, t.fd, "SO_KEEPALIVE", 0, false));
        t.advanceSeconds(3 * 7200);
        assertThat(timerEvents()).isEmpty();
        assertThat(t.state()).isEqualTo(TcpState.ESTABLISHED);
    }

    @Test
    void afterATimeout_aDuplicateAckSendsNothing_theAckOfTheResentHeadSendsWhatFollows_notTheHeadAgain() {
        int base = t.establishedOneSegmentPerMss(false);
        t.write("x".repeat(3000));
        t.kernel.advance(300);
        assertThat(t.tcb().caState()).isEqualTo(io.vkernel.kernel.tcp.CaState.LOSS);
        assertThat(t.peer.lastReceived().seq()).as("the timer resent the head").isEqualTo(base);
        int sent = t.peer.received().size();
        // a duplicate ACK (no SACK): tcp_process_loss() counts a Reno SACK only once F-RTO has sent new data, so in
        // flight stays the resent head, and cwnd stays 1 (tcp_may_raise_cwnd() needs FLAG_DATA_ACKED): nothing goes
        t.peer.ack();
        assertThat(t.peer.received().subList(sent, t.peer.received().size())).isEmpty();
        assertThat(t.tcb().cwnd()).isEqualTo(1);
        // the ACK of the resent head: cwnd 2, and tcp_xmit_retransmit_queue() resends what follows it
        t.peer.sendAt(io.vkernel.kernel.wire.TcpFlags.ACK, t.peer.sndNxt(), base + 1000, "");
        List<Segment> after = t.peer.received().subList(sent, t.peer.received().size());
        assertThat(after).extracting(Segment::seq).contains(base + 1000).as("the head went out again").doesNotContain(base);
    }

    @Test
    void rttSample_timesTheFirstSegmentSent_evenWhenAnotherFollowsAtTheSameInstant() {
        t.established();
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_NODELAY", 1, true));
        int una = t.tcb().sndUna();
        t.write("a");
        t.write("b");
        t.kernel.advance(80);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), una + 1, "");
        assertThat(t.tcb().srttMs()).as("SRTT = 7/8 x 0 + 80/8, from the first segment's 80 ms").isEqualTo(10);
    }
}
