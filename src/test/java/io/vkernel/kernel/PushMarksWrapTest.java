package io.vkernel.kernel;

import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOptions;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * PSH marks (tcp_mark_push() at the end of each write) are dropped once acknowledged. One left behind would, after
 * more than 2^31 further bytes, compare as ahead of SND.UNA again (sequence arithmetic is modulo 2^32) and be taken
 * for the next write boundary. A transfer of 2 GiB + 1 MiB through the in-process kernel gets there in seconds: a
 * 65535-byte route MTU and MSS (one piece per 64 KB packet), 1 MiB writes each acknowledged when the next is out (the
 * send queue keeps its storage), the peer's window scaled by 14, tracing off, the wire log bounded to 1 MiB. Then the
 * RTO resends the head skb, the first of two small writes sent apart with TCP_NODELAY, and merges the second into it
 * (tcp_retrans_try_collapse()) with the PSH of both (tcp_collapse_retrans()): a stale mark would hide the second's.
 */
class PushMarksWrapTest {

    private static final Endpoint CLIENT = Endpoint.parse(TcpFixture.CLIENT);
    private static final Endpoint SERVER = Endpoint.parse(TcpFixture.SERVER);
    private static final int CHUNK = 1 << 20;

    private final TcpFixture t = new TcpFixture();
    private int peerSeq = 1000;

    /** The peer's segment: a SYN with its options, or an ACK of {@code ack}; its window field 65535 (scaled by 14 after the SYN). */
    private PacketReport fromPeer(int flags, int ack, TcpOptions options) {
        PacketReport report = t.kernel.receive(new Segment(CLIENT, SERVER, flags, peerSeq, ack, 65535, 0, null, options));
        peerSeq += (flags & TcpFlags.SYN) != 0 ? 1 : 0;
        return report;
    }

    private long lastWireNo() {
        return t.kernel.inspect(k -> {
            var wire = k.nic().wire(0, Integer.MAX_VALUE);
            return wire.isEmpty() ? 0L : wire.get(wire.size() - 1).no();
        });
    }

    private List<Segment> sentAfter(long no) {
        return t.kernel.inspect(k -> k.nic().wire(no, Integer.MAX_VALUE)).stream().filter(r -> !r.inbound())
                .map(r -> r.segment()).toList();
    }

    @Test
    void afterMoreThan2To31BytesSinceTheFirstWrite_theRtoResendOfTwoSmallWritesStillCarriesPsh() {
        t.sysctl(Sysctls.VKERNEL_TRACE, 0);
        t.sysctl(Sysctls.TCP_WMEM_DEFAULT, 64L << 20);
        t.sysctl(Sysctls.ROUTE_INITCWND, 65535);
        t.sysctl(Sysctls.ROUTE_MTU, 65535);
        t.kernel.inspect(k -> {
            k.nic().limitBytes(1 << 20);
            return null;
        });
        PacketReport synAck = fromPeer(TcpFlags.SYN, 0, TcpOptions.parseText("mss 65495,nop,wscale 14"));
        int iss = synAck.sentSegments().get(0).seq();
        fromPeer(TcpFlags.ACK, iss + 1, null);
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
        t.nonBlocking();

        t.write(1); // the connection's first mark, at ISS + 2
        fromPeer(TcpFlags.ACK, iss + 2, null);
        byte[] chunk = new byte[CHUNK];
        long total = 1;
        int previous = iss + 2;
        while (total <= (1L << 31) + CHUNK) {
            SyscallResult written = done(t.kernel.write(t.pid, t.fd, chunk, new PacketReport(null)));
            total += Math.max(0, written.ret());
            fromPeer(TcpFlags.ACK, previous, null); // the previous flight arrived
            previous = t.tcb().sndNxt();
        }
        fromPeer(TcpFlags.ACK, previous, null);
        int head = t.tcb().sndUna();
        assertThat(Integer.toUnsignedLong(head - (iss + 2))).as("SND.UNA is more than 2^31 past the first mark")
                .isEqualTo(total - 1).isGreaterThan(1L << 31);
        assertThat(t.tcb().sndNxt()).isEqualTo(head);

        done(t.kernel.setsockopt(t.pid, t.fd, "TCP_NODELAY", 1, true));
        long mark = lastWireNo();
        t.write(100);
        t.write(100);
        assertThat(TcpFixture.summary(sentAfter(mark), head)).as("two writes, two packets").containsExactly("P. 0:100", "P. 100:200");
        long retransmits = t.counter(SnmpCounter.TCP_RETRANS_SEGS);
        mark = lastWireNo();
        t.advanceSeconds(0.3); // the RTO: 200 ms (TCP_RTO_MIN; every RTT sample was 0)
        assertThat(TcpFixture.summary(sentAfter(mark), head)).as("tcp_retransmit_skb() of the head skb, the second collapsed into it")
                .containsExactly("P. 0:200");
        assertThat(t.counter(SnmpCounter.TCP_RETRANS_SEGS)).isEqualTo(retransmits + 1);
    }
}
