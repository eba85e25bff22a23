package io.vkernel.kernel;

import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.tcp.CaState;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOption;
import io.vkernel.kernel.wire.TcpOptions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.pending;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Send-side behaviours where vkernel used to differ from Linux (the GAP rows of TcpSender's mutation ledger):
 * tcp_mtu_probe()'s answers (a probe costs one cwnd, the sender waits for cwnd to drain rather than send around a
 * probe it could soon send, a probe the qdisc drops is not sent), __tcp_mtu_to_mss()'s TCP_MIN_SND_MSS floor, and a
 * Fast Open sendto() from a NULL buffer that must wait for send-buffer room.
 */
class SenderLinuxGapsTest {

    private static final int PROBE = 1242;
    private static final int MSS = 1460;

    private final TcpFixture t = new TcpFixture();

    /** Established as the server with MTU probing on (100 ms handshake RTT, GSO off); answers SND.UNA. */
    private int probing(int initCwnd) {
        t.kernel.inspect(k -> {
            k.sysctls().set(Sysctls.VKERNEL_GSO, 0);
            k.sysctls().set(Sysctls.TCP_MTU_PROBING, 2);
            k.sysctls().set(Sysctls.ROUTE_INITCWND, initCwnd);
            k.sysctls().set(Sysctls.TCP_WMEM_DEFAULT, 1 << 20);
            return null;
        });
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.peer.send(TcpFlags.SYN, "");
        t.advanceSeconds(0.1);
        t.peer.send(TcpFlags.ACK, "");
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        return t.tcb().sndUna();
    }

    private List<String> sentSince(int index, int base) {
        return TcpFixture.summary(t.sentSince(index), base);
    }

    /**
     * tcp_mtu_probe() once cwnd reaches 11: the ACK of one segment (cwnd 10 -> 11, nine in flight) leaves room for the
     * probe and two more, so the probe goes, alone: it costs a cwnd ("we are sending effectively two packets"), and
     * the ten packets now in flight fill the remaining 10.
     */
    @Test
    void theProbe_goesAlone_whenTheAckLeavesRoomForItAndTwoMore_andTakesOneFromCwnd() {
        int base = probing(10);
        int index = t.peer.received().size();
        done(t.kernel.write(t.pid, t.fd, new byte[30000], new PacketReport(null)));
        assertThat(sentSince(index, base)).hasSize(10).last().isEqualTo("P. 13140:14600");
        assertThat(t.tcb().cwnd()).as("below 11: no probe").isEqualTo(10);
        t.advanceSeconds(0.03);
        index = t.peer.received().size();
        PacketReport ack = t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + MSS, "");
        assertThat(sentSince(index, base)).containsExactly(". 14600:15842");
        assertThat(TcpFixture.steps(ack, "tcp.mtup")).singleElement().asString().contains("MTU probe: 1242 bytes");
        assertThat(t.tcb().cwnd()).isEqualTo(10);
    }

    /**
     * tcp_mtu_probe() returns 0 ("Do we need to wait to drain cwnd?") while packets are in flight and cwnd lacks room
     * for the probe and two more, and tcp_write_xmit() then sends nothing at all. After the first probe's ACK
     * (cwnd 12 - 1 for the probe, + 1, rescaled to 1282-byte packets: 13) the ten 1460-byte segments in flight count
     * as 12 of the new 1242-byte MSS: the next probe must wait, and the segment cwnd would allow waits with it.
     */
    @Test
    void withPacketsInFlight_theSenderWaitsForCwndToDrain_beforeTheNextProbe_insteadOfSendingAroundIt() {
        int base = probing(12);
        int index = t.peer.received().size();
        done(t.kernel.write(t.pid, t.fd, new byte[30000], new PacketReport(null)));
        assertThat(sentSince(index, base)).hasSize(11).first().isEqualTo(". 0:1242");
        t.advanceSeconds(0.03);
        index = t.peer.received().size();
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + PROBE, "");
        assertThat(t.tcb().cwnd()).isEqualTo(13);
        assertThat(sentSince(index, base)).as("cwnd 13, 12 in flight: room for one segment, not for a probe and two").isEmpty();
        // one more segment acknowledged (two of the new MSS: cwnd 15): 11 in flight leave room for the
        // (1500 + 1282) / 2 = 1391-byte probe (1351 bytes) and two more, which go after it with cwnd 14
        t.peer.sendAt(TcpFlags.ACK, t.peer.sndNxt(), base + PROBE + MSS, "");
        assertThat(sentSince(index, base)).containsExactly(". 15842:17193", ". 17193:18435", "P. 18435:19677");
        assertThat(t.tcb().cwnd()).isEqualTo(14);
    }

    /**
     * A probe the qdisc drops (vkernel.qdisc_limit=0) is not sent: tcp_transmit_skb() fails, tcp_mtu_probe() returns
     * -1 with the probe's bytes still the send head, and tcp_write_xmit() goes on to meet the same drop; nothing
     * reaches the wire, SND.NXT stays, CWR. Once the qdisc takes packets again the probe timer sends one MSS segment.
     */
    @Test
    void aProbeTheQdiscDrops_isNotSent_andNothingIsInFlight() {
        int base = probing(12);
        t.sysctl(Sysctls.VKERNEL_QDISC_LIMIT, 0);
        int index = t.peer.received().size();
        PacketReport report = new PacketReport(null, true);
        done(t.kernel.write(t.pid, t.fd, new byte[20000], report));
        assertThat(sentSince(index, base)).isEmpty();
        assertThat(t.tcb().sndNxt()).isEqualTo(base);
        assertThat(t.tcb().caState()).isEqualTo(CaState.CWR);
        assertThat(TcpFixture.steps(report, "tcp.mtup")).as("no probe counted as sent").isEmpty();
        assertThat(TcpFixture.steps(report, "tcp.qdisc")).hasSize(2).satisfies(steps -> {
            assertThat(steps.get(0)).startsWith("1242 bytes not sent");
            assertThat(steps.get(1)).startsWith("17520 bytes not sent");
        });
        assertThat(t.tcb().retransmitTimer()).as("nothing in flight to time").isNull();
        t.sysctl(Sysctls.VKERNEL_QDISC_LIMIT, 500);
        t.advanceSeconds(0.5);
        assertThat(sentSince(index, base)).containsExactly("P. 0:1460");
    }

    /** __tcp_mtu_to_mss(): a peer MSS of 40 is raised to TCP_MIN_SND_MSS (48); the segments carry 48 bytes. */
    @Test
    void aPeerMssBelow48_isRaisedToTcpMinSndMss() {
        t.sysctl(Sysctls.VKERNEL_GSO, 0);
        t.peer = new Peer(t.kernel, TcpFixture.CLIENT, TcpFixture.SERVER);
        t.peer.mss = 40;
        t.peer.connect();
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        int base = t.tcb().sndUna();
        int index = t.peer.received().size();
        done(t.kernel.write(t.pid, t.fd, new byte[200], new PacketReport(null)));
        assertThat(sentSince(index, base)).containsExactly(". 0:48", ". 48:96", ". 96:144", ". 144:192", "P. 192:200");
    }

    /**
     * A blocking sendto(MSG_FASTOPEN) from a NULL buffer connects with a SYN without data, then, connected, waits for
     * send-buffer room: with net.ipv4.tcp_notsent_lowat=0 sk_stream_memory_free() never allows a new skb, so
     * tcp_sendmsg_locked() goes to wait_for_space before any copy: no fault, nothing queued, no copy in the trace.
     */
    @Test
    void aFastOpenSendFromNull_withNoRoomOnceConnected_waitsWithoutCopying() {
        t.sysctl(Sysctls.TCP_NOTSENT_LOWAT, 0);
        int fd = (int) done(t.kernel.socket(t.pid)).ret();
        PacketReport report = new PacketReport(null, true);
        PendingCall call = pending(t.kernel.nullBuffer(t.pid, "sendto", fd, 100, Syscalls.MSG_FASTOPEN, REMOTE, report));
        Tcb tcb = t.kernel.inspect(k -> k.process(t.pid).fds().get(fd).socket().tcb());
        List<TcpOption> options = new ArrayList<>(TcpOptions.parseText("mss 1460,nop,nop,sackOK,nop,wscale 7").list());
        t.kernel.receive(new Segment(REMOTE, tcb.tuple().local(), TcpFlags.SYN | TcpFlags.ACK, 5000, tcb.iss() + 1, 30000, 0, null,
                new TcpOptions(options)));
        assertThat(tcb.state()).isEqualTo(io.vkernel.kernel.tcp.TcpState.ESTABLISHED);
        assertThat(call.isDone()).as("sk_stream_wait_memory()").isFalse();
        assertThat(TcpFixture.steps(report, "tcp.sndbuf")).as("nothing copied, so no copy step").isEmpty();
        assertThat(TcpFixture.steps(report, "tcp.fastopen")).singleElement().asString().contains("the SYN carries no data");
        assertThat(tcb.sndNxt()).isEqualTo(tcb.iss() + 1);
    }

    /**
     * A segment of exactly one MSS leaves as a paced packet: sch_fq holds it until its departure time. On an AccECN
     * connection whose peer sent the option, GSO packets are cut into single segments before the device, and a full
     * 1-MSS send behind another goes out 988 bytes at the pacing rate later, not at once.
     */
    @Test
    void oneMssSendsBackToBack_onAnAccEcnConnection_areSpacedByFq() {
        t.sysctl(Sysctls.TCP_ECN, 3);
        t.sysctl(Sysctls.VKERNEL_QDISC, 1);
        Endpoint client = Endpoint.parse(TcpFixture.CLIENT);
        Endpoint server = Endpoint.parse(TcpFixture.SERVER);
        Segment synAck = t.kernel.receive(new Segment(client, server, TcpFlags.SYN | TcpFlags.ECE | TcpFlags.CWR | TcpFlags.AE,
                1000, 0, 65535, 1000, new byte[0], TcpOptions.of(new TcpOption.Mss(1000)), 1)).sentSegments().get(0);
        t.advanceSeconds(0.1);
        int base = synAck.seq() + 1;
        TcpOptions accEcn = TcpOptions.of(new TcpOption.Unknown(172, new byte[] {0, 0, 1}));
        // ACE 010 reflects the SYN-ACK's Not-ECT; 101 afterwards: no CE (RFC 9768)
        t.kernel.receive(new Segment(client, server, TcpFlags.ACK | TcpFlags.CWR, 1001, base, 65535, 0, new byte[0], accEcn, 2));
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        int index = t.kernel.inspect(k -> k.nic().wire(0, Integer.MAX_VALUE)).size();
        done(t.kernel.write(t.pid, t.fd, new byte[9880], new PacketReport(null)));
        t.advanceSeconds(0.1);
        t.kernel.receive(new Segment(client, server, TcpFlags.ACK | TcpFlags.AE | TcpFlags.ECE, 1001, base + 9880, 65535, 0,
                new byte[0], accEcn, 2));
        assertThat(t.tcb().cwnd()).isEqualTo(20);
        long now = t.kernel.inspect(k -> k.clock().now());
        int at = t.kernel.inspect(k -> k.nic().wire(0, Integer.MAX_VALUE)).size();
        done(t.kernel.write(t.pid, t.fd, new byte[988], new PacketReport(null)));
        done(t.kernel.write(t.pid, t.fd, new byte[988], new PacketReport(null)));
        t.kernel.advance(5);
        // MSS 1000 less the 12 bytes kept for the AccECN option; the second segment waits in sch_fq for its departure
        // time (tcp_wstamp_ns advanced by the first at the pacing rate), which rounds to 1 ms here
        assertThat(leftSince(at, base, now)).containsExactly("P.EA 9880:10868 +0 ms", "P.EA 10868:11856 +1 ms");
    }

    /** What the kernel sent from wire record {@code wireIndex} on, with when, in ms after {@code now}. */
    private List<String> leftSince(int wireIndex, int base, long now) {
        return t.kernel.inspect(k -> k.nic().wire(0, Integer.MAX_VALUE)).stream().skip(wireIndex).filter(r -> !r.inbound())
                .map(r -> TcpFixture.summary(List.of(r.segment()), base).get(0) + " +" + (r.timeMs() - now) + " ms").toList();
    }

    private static final Endpoint REMOTE = Endpoint.parse("192.0.2.1:80");
}
