package io.vkernel.kernel;

import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.tcp.TcpInfo;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.SnmpCounter;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOption;
import io.vkernel.kernel.wire.TcpOptions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Fast Open client whose SYN data the SYN-ACK does not acknowledge (tcp_rcv_fastopen_synack()): the data goes
 * again at once as a retransmission. tcp_non_congestion_loss_retransmit() enters CA_Loss without touching cwnd, the
 * bytes count as lost and retransmitted segments (tcpi_lost, tcpi_retrans, tcpi_total_retrans, TcpRetransSegs), and
 * the trace says why.
 */
class FastOpenResendTest {

    private static final Endpoint REMOTE = Endpoint.parse("192.0.2.1:80");
    /** The Fast Open option (kind 34) with an 8-byte cookie, as a server's SYN-ACK grants it. */
    private static final TcpOption COOKIE = new TcpOption.Unknown(34, new byte[] {0x55, 0x66, 0x77, (byte) 0x88, (byte) 0x99, (byte) 0xaa, (byte) 0xbb, (byte) 0xcc});

    private final TcpFixture t = new TcpFixture();

    private int nonBlockingSocket() {
        int fd = (int) done(t.kernel.socket(t.pid)).ret();
        done(t.kernel.fcntl(t.pid, fd, "F_SETFL", 04000));
        return fd;
    }

    private Map<String, Long> info(int fd) {
        return t.kernel.inspect(k -> TcpInfo.of(k.process(t.pid).fds().get(fd).socket().tcb(), k.clock().now()));
    }

    private PacketReport fromRemote(Tcb tcb, int flags, int seq, int ack, String options, TcpOption... more) {
        List<TcpOption> all = new ArrayList<>(TcpOptions.parseText(options).list());
        all.addAll(List.of(more));
        return t.kernel.receive(new Segment(REMOTE, tcb.tuple().local(), flags, seq, ack, 30000, 0, null, new TcpOptions(all)));
    }

    /** A first connection asks for a cookie and the server's SYN-ACK gives one: the cache now holds it. */
    private void learnCookie() {
        int fd = nonBlockingSocket();
        PacketReport report = new PacketReport(null);
        SyscallResult first = done(t.kernel.sendto(t.pid, fd, new byte[100], Syscalls.MSG_FASTOPEN, REMOTE, false, report));
        assertThat(first.ret()).as("no cookie yet: EINPROGRESS").isEqualTo(-1);
        Segment syn = report.sentSegments().get(0);
        assertThat(syn.payload()).as("a SYN asking for a cookie carries no data").isEmpty();
        fromRemote(t.tcbOf(fd), TcpFlags.SYN | TcpFlags.ACK, 40, syn.seq() + 1, "mss 1460,nop,nop,sackOK,nop,wscale 7", COOKIE);
    }

    @Test
    void synDataTheSynAckDoesNotCover_isResentAsThreeLostSegments_inCaLoss_withCwndKept() {
        learnCookie();
        int fd = nonBlockingSocket();
        PacketReport sent = new PacketReport(null);
        SyscallResult wrote = done(t.kernel.sendto(t.pid, fd, new byte[3000], Syscalls.MSG_FASTOPEN, REMOTE, false, sent));
        Segment syn = sent.sentSegments().get(0);
        assertThat(wrote.ret()).as("cached MSS 1460 less 40 bytes of options").isEqualTo(1420);
        assertThat(syn.payload()).hasSize(1420);
        long retransBefore = t.counter(SnmpCounter.TCP_RETRANS_SEGS);

        // the SYN-ACK acknowledges the SYN only, and its MSS of 536 makes the 1420 bytes three segments (536 + 536 +
        // 348), which leave as one GSO packet and count three times (tcp_skb_pcount())
        PacketReport synAck = fromRemote(t.tcbOf(fd), TcpFlags.SYN | TcpFlags.ACK, 60, syn.seq() + 1,
                "mss 536,nop,nop,sackOK,nop,wscale 7");

        assertThat(synAck.sentSegments()).extracting(s -> s.payload().length).containsExactly(1420);
        assertThat(t.counter(SnmpCounter.TCP_RETRANS_SEGS) - retransBefore).isEqualTo(3);
        Map<String, Long> info = info(fd);
        assertThat(info).containsEntry("tcpi_ca_state", 4L) // TCP_CA_Loss
                .containsEntry("tcpi_snd_cwnd", 10L)
                .containsEntry("tcpi_lost", 3L)
                .containsEntry("tcpi_retrans", 3L)
                .containsEntry("tcpi_total_retrans", 3L)
                // all at virtual time 0: the SYN-ACKs came back in the same millisecond, a 0 ms RTT, and every
                // field tcp_get_info() fills is there at time 0 too
                .containsEntry("tcpi_min_rtt", 0L)
                .containsEntry("tcpi_last_data_sent", 0L)
                .containsEntry("tcpi_busy_time", 0L);
        assertThat(info.keySet()).containsExactlyElementsOf(TcpInfo.FIELDS);
        assertThat(TcpFixture.steps(synAck, "tcp.ca_state")).singleElement().asString()
                .isEqualTo("LOSS: the SYN data the SYN-ACK did not acknowledge is lost and resent, cwnd 10 unchanged "
                        + "(tcp_non_congestion_loss_retransmit())");
    }

    @Test
    void synDataOneByteShortOfTwoSegments_countsTwoRetransmissions() {
        learnCookie();
        int fd = nonBlockingSocket();
        PacketReport sent = new PacketReport(null);
        done(t.kernel.sendto(t.pid, fd, new byte[1071], Syscalls.MSG_FASTOPEN, REMOTE, false, sent));
        Segment syn = sent.sentSegments().get(0);
        assertThat(syn.payload()).hasSize(1071);
        long retransBefore = t.counter(SnmpCounter.TCP_RETRANS_SEGS);

        fromRemote(t.tcbOf(fd), TcpFlags.SYN | TcpFlags.ACK, 60, syn.seq() + 1, "mss 536,nop,nop,sackOK,nop,wscale 7");

        // 1071 = 536 + 535: two segments, not three
        assertThat(t.counter(SnmpCounter.TCP_RETRANS_SEGS) - retransBefore).isEqualTo(2);
        assertThat(info(fd)).containsEntry("tcpi_total_retrans", 2L).containsEntry("tcpi_retrans", 2L);
    }
}
