package io.vkernel.kernel;

import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.tcp.TcpInfo;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.pending;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The RTT of a window probe sent right after a simultaneous open (RFC 9293 Figure 8) is timed from the probe, as Linux
 * times every skb from its own transmission (tcp_clean_rtx_queue()): not from the SYN, whose timing the ACK completing
 * the open leaves behind. The SYN leaves at time 0, the SYN-ACK at 50 ms, the ACK comes 50 ms later; a 10-byte
 * MSG_MORE send waits until the probe timer (tcp_check_probe_timer(), tcp_write_wakeup()) sends it; the peer ACKs it
 * 50 ms after it left. Each round trip is 50 ms, so Linux's SRTT is 50 ms whichever samples it takes.
 */
class SimultaneousOpenRttTest {

    private static final Endpoint REMOTE = Endpoint.parse("192.0.2.1:80");

    private final TcpFixture t = new TcpFixture();

    @Test
    void aWindowProbeAfterASimultaneousOpen_isTimedFromItself_notFromTheSyn() {
        int fd = t.socket(false);
        PacketReport report = new PacketReport(null);
        PendingCall call = pending(t.kernel.connect(t.pid, fd, REMOTE, report));
        Segment syn = report.sentSegments().get(0);
        t.advanceSeconds(0.05);
        PacketReport crossed = t.kernel.receive(new Segment(REMOTE, syn.src(), TcpFlags.SYN, 3000, 0, 65535, 1460, null));
        assertThat(TcpFixture.summary(crossed.sentSegments(), syn.seq())).as("a SYN crossed ours: SYN-ACK").containsExactly("S. 0:0");
        t.advanceSeconds(0.05);
        t.kernel.receive(new Segment(REMOTE, syn.src(), TcpFlags.ACK, 3001, syn.seq() + 1, 65535, 0, null));
        assertThat(t.tcbOf(fd).state()).isEqualTo(TcpState.ESTABLISHED);
        assertThat(call.isDone()).isTrue();

        done(t.kernel.send(t.pid, fd, new byte[10], Syscalls.MSG_MORE, new PacketReport(null)));
        int before = sent().size();
        for (int ms = 0; ms < 5000 && sent().size() == before; ms++) {
            t.kernel.advance(1);
        }
        assertThat(TcpFixture.summary(sent().subList(before, sent().size()), syn.seq() + 1)).as("the probe")
                .containsExactly("P. 0:10");
        t.advanceSeconds(0.05);
        t.kernel.receive(new Segment(REMOTE, syn.src(), TcpFlags.ACK, 3001, syn.seq() + 11, 65535, 0, null));
        assertThat(TcpInfo.of(t.tcbOf(fd)).get("tcpi_rtt")).as("SRTT, us: the probe's 50 ms round trip").isEqualTo(50_000L);
    }

    /** What the kernel sent the remote, oldest first (the wire log). */
    private List<Segment> sent() {
        return t.kernel.inspect(k -> k.nic().wire(0, Integer.MAX_VALUE)).stream()
                .filter(r -> !r.inbound() && r.segment().dst().equals(REMOTE)).map(r -> r.segment()).toList();
    }
}
