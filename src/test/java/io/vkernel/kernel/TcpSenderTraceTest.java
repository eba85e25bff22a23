package io.vkernel.kernel;

import io.vkernel.kernel.trace.EventType;
import io.vkernel.kernel.trace.KernelEvent;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the send path tells a learner in each write's trace and the event log: how many bytes went into how many skbs
 * against sk_sndbuf, why a partial segment waits (Nagle, TCP_CORK, MSG_MORE), a FIN waiting for window, and
 * tcp_cwnd_restart() halving cwnd once per RTO of idleness (RFC 2861), to the millisecond.
 */
class TcpSenderTraceTest {

    private final TcpFixture t = new TcpFixture();

    private PacketReport write(String text) {
        PacketReport report = new PacketReport(null);
        done(t.kernel.write(t.pid, t.fd, text.getBytes(), report));
        return report;
    }

    private PacketReport write(int bytes) {
        PacketReport report = new PacketReport(null);
        done(t.kernel.write(t.pid, t.fd, new byte[bytes], report));
        return report;
    }

    @Test
    void aWrite_tellsHowManyBytesWentIntoHowManySkbs_againstSkSndbuf() {
        t.established();
        PacketReport first = write("hello");
        assertThat(TcpFixture.steps(first, "tcp.sndbuf")).containsExactly("5 of 5 bytes copied into the send queue (1 new skb of up "
                + "to 32120 bytes); sk_wmem_queued 901 (896 per skb + bytes) of sk_sndbuf 87040");
        assertThat(first.sentSegments()).singleElement().satisfies(s -> assertThat(s.payloadText()).isEqualTo("hello"));

        PacketReport second = write("world");
        assertThat(TcpFixture.steps(second, "tcp.nagle")).as("the first small segment is unacknowledged").containsExactly(
                "5 bytes wait: a smaller-than-MSS segment is still unacknowledged (Nagle's algorithm, tcp_nagle_check(); "
                        + "TCP_NODELAY turns it off)");
        assertThat(second.sentSegments()).isEmpty();
        PacketReport third = write("!");
        assertThat(TcpFixture.steps(third, "tcp.sndbuf")).as("the bytes join the unsent tail skb").containsExactly("1 of 1 bytes "
                + "copied into the send queue (0 new skbs of up to 32120 bytes); sk_wmem_queued 1803 (896 per skb + bytes) "
                + "of sk_sndbuf 87040");
        assertThat(TcpFixture.steps(third, "tcp.nagle")).containsExactly("6 bytes wait: a smaller-than-MSS segment is still "
                + "unacknowledged (Nagle's algorithm, tcp_nagle_check(); TCP_NODELAY turns it off)");

        t.peer.consumeSent();
        PacketReport ack = t.peer.ack();
        assertThat(ack.sentSegments()).as("the ACK of the first lets the held bytes go")
                .singleElement().satisfies(s -> assertThat(s.payloadText()).isEqualTo("world!"));
    }

    @Test
    void tcpCork_andMsgMore_holdAPartialSegment_andSaySo() {
        t.established();
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_CORK", 1, true));
        PacketReport corked = write("corked");
        assertThat(corked.sentSegments()).isEmpty();
        assertThat(TcpFixture.steps(corked, "tcp.cork")).containsExactly("6 bytes wait: TCP_CORK holds a partial segment until it "
                + "fills or is pushed (tcp_nagle_check(), TCP_NAGLE_CORK)");
        assertThat(TcpFixture.steps(corked, "tcp.nagle")).isEmpty();
        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_CORK", 0, true));
        assertThat(t.peer.lastReceived().payloadText()).as("uncorking pushes").isEqualTo("corked");

        t.peer.consumeSent();
        t.peer.ack();
        PacketReport more = new PacketReport(null);
        done(t.kernel.send(t.pid, t.fd, "more".getBytes(), 0x8000, more)); // MSG_MORE
        assertThat(more.sentSegments()).isEmpty();
        assertThat(TcpFixture.steps(more, "tcp.cork")).containsExactly("4 bytes wait: MSG_MORE holds a partial segment until it "
                + "fills or is pushed (tcp_nagle_check(), TCP_NAGLE_CORK)");
        PacketReport rest = write("!");
        assertThat(rest.sentSegments()).as("a write without MSG_MORE sends the lot")
                .singleElement().satisfies(s -> assertThat(s.payloadText()).isEqualTo("more!"));
    }

    /** Established with MSS 1000 and GSO off, cwnd grown to 40 with nothing in flight; RTO 200 ms. */
    private void cwndFortyAndIdle() {
        t.establishedMss1000GsoOff();
        int base = t.tcb().sndUna();
        write(10_000);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 10_000, "");
        write(20_000);
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + 30_000, "");
        assertThat(t.tcb().cwnd()).isEqualTo(40);
        assertThat(t.tcb().rtoMs()).isEqualTo(200);
    }

    private List<String> congestionEvents() {
        return t.kernel.inspect(k -> k.events().after(0, 10_000)).stream()
                .filter(e -> e.type() == EventType.CONGESTION).map(KernelEvent::detail).toList();
    }

    @Test
    void idleForExactlyOneRto_keepsCwnd() {
        cwndFortyAndIdle();
        t.kernel.advance(200);
        assertThat(write(50_000).sentSegments()).hasSize(40);
        assertThat(congestionEvents()).isEmpty();
    }

    @Test
    void idleOneMsMoreThanAnRto_halvesCwndOnce_andTheLogAndTraceSaySo() {
        cwndFortyAndIdle();
        t.kernel.advance(201);
        PacketReport report = write(50_000);
        assertThat(report.sentSegments()).hasSize(20);
        assertThat(t.tcb().cwnd()).isEqualTo(20);
        assertThat(congestionEvents()).containsExactly(
                "idle 201 ms > RTO 200 ms: cwnd restarts 40 -> 20 (tcp_slow_start_after_idle)");
        assertThat(TcpFixture.steps(report, "tcp.cwnd")).containsExactly("idle for 201 ms, more than one RTO (200 ms): cwnd 40 -> 20, "
                + "slow start again (tcp_cwnd_restart(), RFC 2861)");
    }

    @Test
    void idleTwoRtosAndOneMs_halvesTwice_toTheInitialWindow() {
        cwndFortyAndIdle();
        t.kernel.advance(400);
        t.kernel.advance(1);
        assertThat(write(50_000).sentSegments()).hasSize(10);
        assertThat(congestionEvents()).containsExactly(
                "idle 401 ms > RTO 200 ms: cwnd restarts 40 -> 10 (tcp_slow_start_after_idle)");
    }

    @Test
    void idleForExactlyTwoRtos_halvesOnlyOnce() {
        cwndFortyAndIdle();
        t.kernel.advance(400);
        assertThat(write(50_000).sentSegments()).as("delta 400 - 200 = 200, then 0: one halving").hasSize(20);
    }

    @Test
    void dataInFlight_noRestart_howeverLongTheWait() {
        cwndFortyAndIdle();
        int una = t.tcb().sndUna();
        write(1000);
        t.kernel.advance(150); // the one segment is unacknowledged, below its RTO
        t.peer.consumeSent();
        write(2000);
        assertThat(t.tcb().cwnd()).isEqualTo(40);
        assertThat(t.tcb().sndNxt() - una).isEqualTo(3000);
        assertThat(congestionEvents()).isEmpty();
    }
}
