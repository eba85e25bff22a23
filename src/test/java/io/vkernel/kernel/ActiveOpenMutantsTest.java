package io.vkernel.kernel;

import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.tcp.TcpInfo;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.DropReason;
import io.vkernel.kernel.trace.EventType;
import io.vkernel.kernel.trace.KernelEvent;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOptions;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.vkernel.kernel.TcpFixture.assertErrno;
import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.pending;
import static io.vkernel.kernel.TcpFixture.steps;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * connect() to a remote peer (tcp_v4_connect(), tcp_rcv_synsent_state_process(), tcp_write_timeout()) as a user sees
 * it: the event log, nstat, the trace's steps and verdicts, the clock view's timers, TCP_INFO, and when connect()
 * returns or fails (PIT survivors and uncovered mutants in ActiveOpen).
 */
class ActiveOpenMutantsTest {

    private static final Endpoint REMOTE = Endpoint.parse("192.0.2.1:80");

    private final TcpFixture t = new TcpFixture();
    private final int client = t.kernel.spawn("client").pid();
    private final int fd = (int) done(t.kernel.socket(client)).ret();
    private PendingCall call;
    private Segment syn;

    private void connect() {
        PacketReport report = new PacketReport(null);
        call = pending(t.kernel.connect(client, fd, REMOTE, report));
        syn = report.sentSegments().get(0);
    }

    private PacketReport fromRemote(int flags, int seq, int ack, int mss, TcpOptions options) {
        return t.kernel.receive(new Segment(REMOTE, syn.src(), flags, seq, ack, 65535, mss, null, options));
    }

    private Tcb tcb() {
        return t.kernel.inspect(k -> k.established().find(new FourTuple(REMOTE, syn.src())));
    }

    private List<String> timers() {
        return t.kernel.inspect(k -> k.clock().pending().stream().map(timer -> timer.name()).toList());
    }

    private List<String> events(EventType type) {
        return t.kernel.inspect(k -> k.events().after(0, 10_000)).stream()
                .filter(e -> e.type() == type).map(KernelEvent::detail).toList();
    }

    /** Advances one second at a time until connect() returns; answers the second it returned at. */
    private long secondsUntilConnectFails(long limit) {
        for (long s = 0; s <= limit; s++) {
            if (call.isDone()) {
                return s;
            }
            t.advanceSeconds(1);
        }
        throw new AssertionError("connect() still pending after " + limit + " s");
    }

    private int synsSent() {
        return (int) t.kernel.inspect(k -> k.nic().wire(0, 100_000)).stream()
                .filter(r -> !r.inbound() && r.segment().has(TcpFlags.SYN)).count();
    }

    @Test
    void aConnectAnsweredAfter300ms_isLoggedCountedTraced_andTimedByItsSynAck() {
        done(t.kernel.setsockopt(client, fd, "SO_KEEPALIVE", 1, true));
        t.advanceSeconds(10);
        connect();
        assertThat(events(EventType.STATE_CHANGE)).last().isEqualTo("CLOSED -> SYN_SENT: connect() sends a SYN from " + syn.src());
        assertThat(t.counter(SnmpCounter.TCP_ACTIVE_OPENS)).isEqualTo(1);
        assertThat(timers()).containsExactly("syn-retransmit");
        int other = (int) done(t.kernel.socket(client)).ret();
        assertErrno(done(t.kernel.bind(client, other, syn.src())), Errno.EADDRINUSE);

        t.advanceSeconds(0.3);
        PacketReport synAck = fromRemote(TcpFlags.SYN | TcpFlags.ACK, 5000, syn.seq() + 1, 0, null);
        assertThat(steps(synAck, "tcp.established")).containsExactly("SYN-ACK acknowledges our SYN: ESTABLISHED, ACK sent");
        assertThat(call.result().ret()).isZero();
        assertThat(timers()).as("the SYN timer cancelled, SO_KEEPALIVE's timer armed").containsExactly("keepalive");
        Map<String, Long> info = TcpInfo.of(tcb());
        assertThat(info).as("the SYN-ACK's RTT sample").containsEntry("tcpi_rtt", 300_000L)
                .as("a SYN-ACK without MSS: RFC 9293's default 536").containsEntry("tcpi_snd_mss", 536L);
    }

    @Test
    void withTcpSyncnt1_synsLeaveAt0_1And2s_andConnectFailsAt3s_eachRetransmissionLogged() {
        done(t.kernel.setsockopt(client, fd, "TCP_SYNCNT", 1, true));
        t.advanceSeconds(10); // the time budget counts from the first SYN (tp->retrans_stamp), not from boot
        connect();
        assertThat(secondsUntilConnectFails(10)).isEqualTo(3);
        assertErrno(call.result(), Errno.ETIMEDOUT);
        assertThat(synsSent()).isEqualTo(3);
        assertThat(events(EventType.TIMER_FIRED)).containsExactly("SYN retransmission #1", "SYN retransmission #2",
                "no answer to 3 SYNs: connect() fails with ETIMEDOUT");
        assertThat(t.counter(SnmpCounter.TCP_ATTEMPT_FAILS)).isEqualTo(1);
    }

    @Test
    void with7RetriesAndNoLinearTimeouts_theLastSynWaitsTheCappedTwoMinutes_andConnectFailsAt247s() {
        // tcp_model_timeout(): 127 s for the doublings up to TCP_RTO_MAX, then 120 s for the seventh retry
        t.sysctl(Sysctls.TCP_SYN_LINEAR_TIMEOUTS, 0);
        t.sysctl(Sysctls.TCP_SYN_RETRIES, 7);
        connect();
        t.advanceSeconds(246);
        assertThat(call.isDone()).isFalse();
        assertThat(synsSent()).as("SYNs at 0, 1, 3, 7, 15, 31, 63 and 127 s").isEqualTo(8);
        assertThat(secondsUntilConnectFails(2)).isEqualTo(1);
        assertErrno(call.result(), Errno.ETIMEDOUT);
        assertThat(synsSent()).isEqualTo(8);
    }

    @Test
    void anAckThatDoesNotCoverOurSyn_isAnsweredWithRst_unlessItIsARst() {
        connect();
        PacketReport bad = fromRemote(TcpFlags.SYN | TcpFlags.ACK, 5000, syn.seq() + 9, 1460, null);
        assertThat(bad.verdict()).isEqualTo("reset");
        assertThat(steps(bad, "tcp.syn_sent")).containsExactly(
                "ACK " + Integer.toUnsignedString(syn.seq() + 9) + " does not acknowledge our SYN: reset <SEQ=SEG.ACK>");
        assertThat(bad.sentSegments()).singleElement().satisfies(r -> assertThat(r.seq()).isEqualTo(syn.seq() + 9));

        PacketReport rst = fromRemote(TcpFlags.RST | TcpFlags.ACK, 0, syn.seq() + 9, 0, null);
        assertThat(rst.dropReason()).isEqualTo(DropReason.OUT_OF_WINDOW);
        assertThat(rst.dropDetail()).isEqualTo("RST whose ACK does not cover our SYN is ignored");
        assertThat(tcb().state()).isEqualTo(TcpState.SYN_SENT);
    }

    @Test
    void aSynAckEchoingATimeOurSynWasNotSent_isReset_andConnectCarriesOn() {
        connect();
        long tsVal = syn.timestamps().value();
        PacketReport paws = fromRemote(TcpFlags.SYN | TcpFlags.ACK, 5000, syn.seq() + 1, 1460,
                TcpOptions.parseText("mss 1460,nop,nop,TS val 7 ecr " + (tsVal + 100_000)));
        assertThat(paws.verdict()).isEqualTo("reset");
        assertThat(steps(paws, "tcp.syn_sent")).containsExactly("TSecr " + (tsVal + 100_000)
                + " echoes no time our SYN was sent: reset <SEQ=SEG.ACK> (PAWSActiveRejected)");
        assertThat(tcb().state()).isEqualTo(TcpState.SYN_SENT);
        assertThat(call.isDone()).isFalse();
    }

    @Test
    void aRstWithoutAck_isDropped_andWithTheAckRefusesTheConnection() {
        connect();
        PacketReport bare = fromRemote(TcpFlags.RST, 0, 0, 0, null);
        assertThat(bare.dropReason()).isEqualTo(DropReason.NO_ACK_FLAG);
        assertThat(bare.dropDetail()).isEqualTo("a RST in SYN_SENT must acknowledge our SYN");
        assertThat(call.isDone()).isFalse();

        PacketReport refused = fromRemote(TcpFlags.RST | TcpFlags.ACK, 0, syn.seq() + 1, 0, null);
        assertThat(refused.verdict()).isEqualTo("refused");
        assertThat(steps(refused, "tcp.rst")).containsExactly("connection refused: the peer answered our SYN with RST");
        assertErrno(call.result(), Errno.ECONNREFUSED);
    }

    @Test
    void anAckWithoutSyn_isDropped_synSentWaitsForASyn() {
        connect();
        PacketReport ack = fromRemote(TcpFlags.ACK, 5000, syn.seq() + 1, 0, null);
        assertThat(ack.dropReason()).isEqualTo(DropReason.NO_ACK_FLAG);
        assertThat(ack.dropDetail()).isEqualTo("SYN_SENT waits for a SYN");
        assertThat(tcb().state()).isEqualTo(TcpState.SYN_SENT);
        assertThat(timers()).containsExactly("syn-retransmit");
    }
}
