package io.vkernel.kernel;

import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.tcp.TcpInfo;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOptions;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.pending;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A tail loss probe after the MSS ROSE: an active open with tcp_mtu_probing=2 starts at search_low's MSS (tcp_base_mss
 * 1024; tcp_connect_init()'s tcp_sync_mss()), and an acknowledged MTU probe of a 1282-byte packet raises it to 1242
 * (tcp_mtup_probe_success()). The last skb, sent before that as 1024 + 218 bytes (pcount 2), is then exactly
 * (pcount - 1) x the new MSS long: tcp_send_loss_probe() does not cut it (skb->len > (pcount - 1) x mss is false) and
 * __tcp_retransmit_skb(skb, 1) resends it whole, one segment of the new MSS, with its PSH.
 * SACK, GSO off, initcwnd 12 (TcpFixture.mtuProbingWithInitcwnd12()), a 100 ms handshake RTT.
 */
class LossProbeMssRiseTest {

    private static final Endpoint REMOTE = Endpoint.parse("192.0.2.1:80");
    private static final int BASE_MSS = 1024;
    private static final int PROBE = 1242;

    private final TcpFixture t = new TcpFixture();

    @Test
    void aLastSkbSentAtTheBaseMss_exactlyOneNewMssLong_isResentWholeByTheLossProbe() {
        t.mtuProbingWithInitcwnd12();
        int fd = t.socket(false);
        PacketReport connect = new PacketReport(null);
        PendingCall call = pending(t.kernel.connect(t.pid, fd, REMOTE, connect));
        Segment syn = connect.sentSegments().get(0);
        t.advanceSeconds(0.1);
        t.kernel.receive(new Segment(REMOTE, syn.src(), TcpFlags.SYN | TcpFlags.ACK, 5000, syn.seq() + 1, 65535, 0, null,
                TcpOptions.parseText("mss 1460,nop,nop,sackOK")));
        assertThat(call.isDone()).isTrue();
        int base = syn.seq() + 1;

        // the probe, then five segments of 1024 and one of 218: packets of two segments, so the last skb is 1024 + 218
        int end = PROBE + 5 * BASE_MSS + 218;
        int mark = wire().size();
        done(t.kernel.write(t.pid, fd, new byte[end], new PacketReport(null)));
        assertThat(TcpInfo.of(t.tcbOf(fd)).get("tcpi_snd_mss")).as("search_low's MSS").isEqualTo((long) BASE_MSS);
        // packets of two segments, cut in software (GSO off): PSH on the last segment of each (a GSO packet's)
        assertThat(TcpFixture.summary(wire().subList(mark, wire().size()), base)).as("the MTU probe, then three packets")
                .containsExactly(". 0:1242", ". 1242:2266", "P. 2266:3290", ". 3290:4314", "P. 4314:5338", ". 5338:6362",
                        "P. 6362:6580");
        t.advanceSeconds(0.03);
        t.kernel.receive(new Segment(REMOTE, syn.src(), TcpFlags.ACK, 5001, base + PROBE, 65535, 0, null));
        assertThat(TcpInfo.of(t.tcbOf(fd)).get("tcpi_snd_mss")).as("tcp_mtup_probe_success()").isEqualTo((long) PROBE);

        mark = wire().size();
        t.advanceSeconds(0.2); // 2 x SRTT (91 ms) + 2 ms after the ACK
        assertThat(TcpFixture.summary(wire().subList(mark, wire().size()), base)).as("the last skb, whole")
                .containsExactly("P. " + (end - PROBE) + ":" + end);
        assertThat(t.counter(SnmpCounter.TCP_LOSS_PROBES)).isEqualTo(1);
    }

    /** What the kernel sent the remote, oldest first (the wire log). */
    private List<Segment> wire() {
        return t.kernel.inspect(k -> k.nic().wire(0, Integer.MAX_VALUE)).stream()
                .filter(r -> !r.inbound() && r.segment().dst().equals(REMOTE)).map(r -> r.segment()).toList();
    }
}
