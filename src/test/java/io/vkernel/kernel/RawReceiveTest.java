package io.vkernel.kernel;

import io.vkernel.kernel.nic.Nic;
import io.vkernel.kernel.nic.WireRecord;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.tcp.TcpState;
import io.vkernel.kernel.trace.DropReason;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.PcapFile;
import io.vkernel.kernel.trace.Step;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.FourTuple;
import io.vkernel.kernel.wire.Seq;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.WirePacket;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static io.vkernel.kernel.wire.WireFixtures.LINUX_SYN_AS_CAPTURED;
import static io.vkernel.kernel.wire.WireFixtures.SCAPY_SYN;
import static io.vkernel.kernel.wire.WireFixtures.set;
import static org.assertj.core.api.Assertions.assertThat;

/** Raw bytes at the NIC: a sound packet takes the seed's path; a malformed one is dropped, counted and still captured. */
class RawReceiveTest {

    private Kernel kernel;

    @BeforeEach
    void serverListening() {
        kernel = new Kernel(KernelConfig.defaults("raw", 42));
        int pid = kernel.spawn("server").pid();
        int fd = (int) ((Syscalls.Done) kernel.socket(pid)).result().ret();
        kernel.bind(pid, fd, Endpoint.parse("0.0.0.0:8080"));
        kernel.listen(pid, fd, 128);
    }

    @Test
    void scapySyn_isDemuxedToTheListener_andAnsweredWithSynAck() {
        PacketReport report = kernel.receiveRaw(SCAPY_SYN);

        assertThat(report.verdict()).isEqualTo("accepted");
        Segment synAck = report.sentSegments().get(0);
        assertThat(TcpFlags.format(synAck.flags())).isEqualTo("S.");
        assertThat(Seq.unsigned(synAck.ack())).as("the SYN's seq 4294957295 + 1").isEqualTo(4294957296L);
        assertThat(synAck.dst()).hasToString("192.168.1.100:54321");
        Tcb request = kernel.inspect(k -> k.established().find(
                new FourTuple(Endpoint.parse("192.168.1.100:54321"), Endpoint.parse("10.0.0.50:8080"))));
        assertThat(request.state()).isEqualTo(TcpState.SYN_RECV);
        assertThat(request.peerMss()).as("from the SYN's MSS option").isEqualTo(1460);
    }

    @Test
    void scapySyn_stepsFollowTheSeedsPath_withEveryHeaderFieldExplained() {
        PacketReport report = kernel.receiveRaw(SCAPY_SYN);

        assertThat(report.steps()).extracting(Step::step).startsWith("nic.receive", "ip.header", "ip.validate", "tcp.header",
                "tcp.tuple", "demux.hash", "demux.chain", "demux.listener");
        assertThat(detail(report, "nic.receive")).contains("60 bytes: 20 IPv4 + 40 TCP + 0 payload");
        assertThat(detail(report, "ip.header")).contains("ttl 64").contains("flags [DF]").contains("id 54321")
                .contains("checksum 0x9a4c").contains("verified");
        assertThat(detail(report, "tcp.header")).contains("options [mss 1460,sackOK,TS val 3735928559 ecr 0,nop,wscale 7]")
                .contains("checksum 0x1682").contains("verified");
    }

    @Test
    void badTcpChecksum_isDroppedWithoutReply_countedAndExplained() {
        PacketReport report = kernel.receiveRaw(set(SCAPY_SYN, 37, 0x83)); // checksum 0x1682 -> 0x1683

        assertThat(report.verdict()).isEqualTo("dropped");
        assertThat(report.dropReason()).isEqualTo(DropReason.BAD_TCP_CHECKSUM);
        assertThat(report.sentSegments()).as("Linux answers nothing").isEmpty();
        assertThat(detail(report, "drop")).contains("0x1683").contains("0x1682").contains("Dropped without a reply");
        Map<DropReason, Long> drops = kernel.inspect(k -> k.nic().drops());
        assertThat(drops).containsEntry(DropReason.BAD_TCP_CHECKSUM, 1L);
        assertThat(kernel.inspect(k -> k.established().size()).intValue()).as("no request created").isZero();
    }

    @Test
    void loopbackCaptureWithOffloadedChecksum_isDroppedAsBadTcpChecksum() {
        assertThat(kernel.receiveRaw(LINUX_SYN_AS_CAPTURED).dropReason()).isEqualTo(DropReason.BAD_TCP_CHECKSUM);
    }

    @Test
    void truncatedBytes_areDroppedAsTruncated_yetCountedAsReceivedAndLogged() {
        byte[] stub = Arrays.copyOf(SCAPY_SYN, 13);
        PacketReport report = kernel.receiveRaw(stub);

        assertThat(report.dropReason()).isEqualTo(DropReason.TRUNCATED);
        assertThat(report.segment()).isNull();
        assertThat(detail(report, "nic.receive")).contains("(13 bytes)");
        assertThat(kernel.inspect(k -> k.nic().packetsIn()).longValue()).isEqualTo(1L);
        List<WireRecord> wire = kernel.inspect(k -> k.nic().wire(0, 10));
        assertThat(wire).singleElement().satisfies(r -> {
            assertThat(r.segment()).isNull();
            assertThat(r.raw()).isEqualTo(stub);
        });
    }

    @Test
    void wrongDestination_passesTheHeaderChecks_thenIsNotForThisHost() {
        byte[] elsewhere = WirePacket.encode(new Segment(Endpoint.parse("192.168.1.100:54321"), Endpoint.parse("10.0.0.99:8080"),
                TcpFlags.SYN, 1, 0, 65535, 1460, null));
        assertThat(kernel.receiveRaw(elsewhere).dropReason()).isEqualTo(DropReason.NOT_FOR_THIS_HOST);
    }

    @Test
    void capture_holdsRawPacketsExactlyAsReceived_badOnesIncluded() throws Exception {
        byte[] damaged = set(SCAPY_SYN, 37, 0x83);
        kernel.receiveRaw(damaged);
        kernel.receiveRaw(SCAPY_SYN);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Nic.writePcap(kernel.inspect(k -> k.nic().wire(0, 100)), out);
        List<PcapFile.Record> records = PcapFile.read(out.toByteArray()).records();
        assertThat(records).hasSize(3);
        assertThat(records.get(0).data()).as("as tcpdump sees it: before the checksum check").isEqualTo(damaged);
        assertThat(records.get(1).data()).as("options and all, not re-encoded").isEqualTo(SCAPY_SYN);
        assertThat(TcpFlags.format(WirePacket.parse(records.get(2).data()).segment().flags())).isEqualTo("S.");
    }

    private static String detail(PacketReport report, String step) {
        return report.steps().stream().filter(s -> s.step().equals(step)).map(Step::detail).findFirst()
                .orElseThrow(() -> new AssertionError("no step " + step + " in " + report.steps()));
    }
}
