package io.vkernel.kernel;

import io.vkernel.kernel.tcp.TcpInfo;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpOptions;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.pending;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * getsockopt(TCP_INFO) over one connection's life (tcp_get_info()): a Linux-style peer (SACK, timestamps, window
 * scale 5) completes the handshake 50 ms after our SYN-ACK, sends 100 bytes, takes 3000 and acknowledges 1448 of
 * them, then closes; the values are the ones `ss -ti` would show.
 */
class TcpInfoTest {

    private static final Endpoint CLIENT = Endpoint.parse(TcpFixture.CLIENT);
    private static final Endpoint SERVER = Endpoint.parse(TcpFixture.SERVER);

    private final TcpFixture t = new TcpFixture();
    private int serverIsn;

    private Map<String, Long> info() {
        return t.kernel.inspect(k -> TcpInfo.of(t.tcb(), k.clock().now()));
    }

    private PacketReport fromPeer(int flags, int seq, int ackRelative, int bytes, long tsval) {
        return t.kernel.receive(new Segment(CLIENT, SERVER, flags, seq, serverIsn + 1 + ackRelative, 502, 0,
                bytes == 0 ? null : new byte[bytes], TcpOptions.parseText("nop,nop,TS val " + tsval + " ecr 0")));
    }

    private void establishedWithLinuxOptions() {
        PacketReport synAck = t.kernel.receive(new Segment(CLIENT, SERVER, TcpFlags.SYN, 1000, 0, 64240, 0, null,
                TcpOptions.parseText("mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 5")));
        serverIsn = synAck.sentSegments().get(0).seq();
        t.advanceSeconds(0.050);
        fromPeer(TcpFlags.ACK, 1001, 0, 0, 101);
        t.fd = (int) done(t.kernel.accept(t.pid, t.listenFd)).ret();
    }

    @Test
    void afterTheHandshake_optionsScalesMssAndTheFirstRttSample() {
        establishedWithLinuxOptions();
        Map<String, Long> info = info();
        assertThat(info).containsEntry("tcpi_state", 1L)
                .containsEntry("tcpi_ca_state", 0L)
                .containsEntry("tcpi_options", 7L) // TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE
                .containsEntry("tcpi_snd_wscale", 5L)
                .containsEntry("tcpi_rcv_wscale", 7L)
                .containsEntry("tcpi_snd_mss", 1448L) // 1460 less the 12 bytes of the timestamp option
                .containsEntry("tcpi_advmss", 1460L)
                .containsEntry("tcpi_pmtu", 1500L)
                .containsEntry("tcpi_ato", 40_000L)
                .containsEntry("tcpi_rtt", 50_000L) // the SYN-ACK's 50 ms, in microseconds
                .containsEntry("tcpi_min_rtt", 50_000L) // tcp_update_rtt_min() takes the same sample
                .containsEntry("tcpi_rttvar", 25_000L) // tcp_rtt_estimator(): mdev = R/2
                .containsEntry("tcpi_rto", 250_000L) // SRTT + max(2 R, tcp_rto_min)
                .containsEntry("tcpi_unacked", 0L)
                .containsEntry("tcpi_bytes_acked", 0L)
                .containsEntry("tcpi_bytes_received", 0L)
                .containsEntry("tcpi_snd_wnd", 502L << 5)
                .containsEntry("tcpi_rcv_wnd", 65_160L)
                .containsEntry("tcpi_snd_cwnd", 10L)
                .containsEntry("tcpi_snd_ssthresh", (long) Integer.MAX_VALUE)
                .containsEntry("tcpi_total_retrans", 0L);
        assertThat(info.keySet()).containsExactlyElementsOf(TcpInfo.FIELDS);
    }

    @Test
    void bytesReceivedAndAcked_countPayloadOnly_andUnackedCountsSegmentsRoundedUp() {
        establishedWithLinuxOptions();
        fromPeer(TcpFlags.ACK | TcpFlags.PSH, 1001, 0, 100, 150);
        assertThat(info()).containsEntry("tcpi_bytes_received", 100L);

        t.write("x".repeat(3000));
        assertThat(info()).as("3000 bytes in flight are 3 segments of 1448")
                .containsEntry("tcpi_unacked", 3L)
                .containsEntry("tcpi_bytes_acked", 0L);
        fromPeer(TcpFlags.ACK, 1101, 1448, 0, 160);
        assertThat(info()).as("1552 bytes still in flight")
                .containsEntry("tcpi_unacked", 2L)
                .containsEntry("tcpi_bytes_acked", 1448L);
        fromPeer(TcpFlags.ACK, 1101, 2896, 0, 161);
        assertThat(info()).containsEntry("tcpi_unacked", 1L).containsEntry("tcpi_bytes_acked", 2896L);

        fromPeer(TcpFlags.ACK | TcpFlags.FIN, 1101, 2896, 0, 170);
        assertThat(info()).as("the FIN takes a sequence number but is not a byte received")
                .containsEntry("tcpi_state", 8L)
                .containsEntry("tcpi_bytes_received", 100L);
    }

    @Test
    void retransmissionTimeouts_showInBackoffRtoAndTheLossState() {
        establishedWithLinuxOptions();
        t.write("x".repeat(3000));
        t.advanceSeconds(5);
        // a tail loss probe first (2 x SRTT), then RTOs 0.25, 0.75, 1.75 and 3.75 s after it (50 ms SRTT + 200 ms,
        // doubling); the next, 4 s later, is still ahead. The probe is a retransmission (tcpi_total_retrans) but no timeout (tcpi_retransmits).
        assertThat(info()).containsEntry("tcpi_retransmits", 4L)
                .containsEntry("tcpi_backoff", 4L)
                .containsEntry("tcpi_total_retrans", 5L)
                .containsEntry("tcpi_rto", 4_000_000L)
                .containsEntry("tcpi_ca_state", 4L)
                .containsEntry("tcpi_snd_cwnd", 1L)
                .containsEntry("tcpi_snd_ssthresh", 7L)
                .containsEntry("tcpi_unacked", 3L);
    }

    @Test
    void synSent_hasNothingInFlightOrAcked_andTheDefaults() {
        int client = t.kernel.spawn("client").pid();
        int fd = (int) done(t.kernel.socket(client)).ret();
        PacketReport report = new PacketReport(null);
        pending(t.kernel.connect(client, fd, Endpoint.parse("192.0.2.1:80"), report));
        Segment syn = report.sentSegments().get(0);
        FourTuple tuple = new FourTuple(syn.dst(), syn.src());
        Map<String, Long> info = t.kernel.inspect(k -> TcpInfo.of(k.established().find(tuple)));
        assertThat(info).containsEntry("tcpi_state", 2L)
                .as("the SYN is in flight, but tcp_get_info() counts only synchronized data")
                .containsEntry("tcpi_unacked", 0L)
                .containsEntry("tcpi_bytes_acked", 0L)
                .containsEntry("tcpi_bytes_received", 0L)
                .containsEntry("tcpi_options", 0L)
                .containsEntry("tcpi_snd_mss", 536L)
                .containsEntry("tcpi_rtt", 0L)
                .containsEntry("tcpi_rto", 1_000_000L);
    }
}
