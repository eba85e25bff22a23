package io.vkernel.kernel;

import io.vkernel.kernel.nic.Nic;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.trace.PcapFile;
import io.vkernel.kernel.trace.PcapWriter;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Seq;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.kernel.wire.TcpHeader;
import io.vkernel.kernel.wire.WirePacket;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The seed's lifecycle captured as tcpdump would: handshake, a request and its ACK, a response and its ACK, then
 * the client's FIN and the server's. The pcap is read back with vkernel's own codec, and written to
 * {@code target/lifecycle.pcap} with the lines tshark must print for it in {@code target/lifecycle.expected}
 * ({@code .ci/tshark-check} compares them).
 */
class CaptureTest {

    private static final String SERVER = "10.0.0.50:8080";
    private static final String REQUEST = "GET / HTTP/1.1\r\n\r\n";
    private static final String RESPONSE = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

    private Kernel kernel;
    private int iss;

    @BeforeEach
    void lifecycle() {
        kernel = new Kernel(KernelConfig.defaults("capture", 42));
        int pid = kernel.spawn("server").pid();
        int listenFd = (int) done(kernel.socket(pid));
        done(kernel.bind(pid, listenFd, Endpoint.parse("0.0.0.0:8080")));
        done(kernel.listen(pid, listenFd, 128));

        Peer client = new Peer(kernel, "192.168.1.100:54321", SERVER);
        iss = client.send(TcpFlags.SYN, "").sentSegments().get(0).seq();
        kernel.advance(12);
        client.ack();
        kernel.advance(30);
        client.data(REQUEST);
        int fd = (int) done(kernel.accept(pid, listenFd));
        done(kernel.read(pid, fd, 4096));
        kernel.advance(5);
        done(kernel.write(pid, fd, RESPONSE.getBytes(StandardCharsets.UTF_8), new PacketReport(null)));
        client.consumeSent();
        kernel.advance(40);
        client.ack();
        kernel.advance(1_500);
        client.fin();
        kernel.advance(3);
        done(kernel.close(pid, fd, new PacketReport(null)));
        client.consumeSent();
        kernel.advance(40);
        client.ack();
    }

    @Test
    void pcapHeader_isClassicPcapOfRawIpv4() throws IOException {
        PcapFile pcap = PcapFile.read(capture());
        assertThat(pcap.magic()).isEqualTo(0xa1b2c3d4);
        assertThat(pcap.versionMajor()).isEqualTo(2);
        assertThat(pcap.versionMinor()).isEqualTo(4);
        assertThat(pcap.snaplen()).isEqualTo(65535);
        assertThat(pcap.linkType()).as("LINKTYPE_RAW").isEqualTo(101);
        assertThat(capture()).startsWith(0xa1, 0xb2, 0xc3, 0xd4);
    }

    @Test
    void lifecycle_readBackWithTheCodec_showsEachSegmentsFlagsSeqAndAck() throws Exception {
        List<String> lines = new ArrayList<>();
        for (PcapFile.Record record : PcapFile.read(capture()).records()) {
            TcpHeader tcp = WirePacket.parse(record.data()).tcp(); // parse verifies both checksums
            lines.add(tcp.flagText() + " " + Seq.unsigned(tcp.seq() - (tcp.dstPort() == 8080 ? Peer.ISN : iss))
                    + " " + (tcp.flags() == TcpFlags.SYN ? "-" : Seq.unsigned(tcp.ack() - (tcp.dstPort() == 8080 ? iss : Peer.ISN))));
        }
        int request = REQUEST.length();
        int response = RESPONSE.length();
        // relative sequence numbers, as tcpdump prints them: client's from its ISN, server's from its ISS
        assertThat(lines).containsExactly(
                "S 0 -",                                                        // client SYN
                "S. 0 1",                                                       // SYN-ACK
                ". 1 1",                                                        // handshake done
                "P. 1 1",                                                       // the request
                ". 1 " + (1 + request),                                         // the kernel ACKs it
                "P. 1 " + (1 + request),                                        // write(): the response
                ". " + (1 + request) + " " + (1 + response),                    // client ACKs it
                "F. " + (1 + request) + " " + (1 + response),                   // client closes: CLOSE_WAIT, ACK delayed
                "F. " + (1 + response) + " " + (2 + request),                   // close() 3 ms later: LAST_ACK, the FIN carries the ACK
                ". " + (2 + request) + " " + (2 + response));                   // client ACKs: CLOSED
    }

    @Test
    void timestamps_comeFromTheVirtualClock() throws IOException {
        List<PcapFile.Record> records = PcapFile.read(capture()).records();
        assertThat(records).extracting(PcapFile.Record::timeMs)
                .containsExactly(0L, 0L, 12L, 42L, 42L, 47L, 87L, 1587L, 1590L, 1630L);
        PcapFile.Record fin = records.get(7);
        assertThat(fin.tsSec()).isEqualTo(1);
        assertThat(fin.tsUsec()).isEqualTo(587_000);
        assertThat(fin.includedLength()).isEqualTo(fin.originalLength()).isEqualTo(40);
    }

    @Test
    void lifecycleCapture_isWrittenForTshark_withTheLinesItMustPrint() throws Exception {
        byte[] pcap = capture();
        List<String> expected = new ArrayList<>();
        for (PcapFile.Record record : PcapFile.read(pcap).records()) {
            expected.add(TsharkFields.line(WirePacket.parse(record.data()).tcp()));
        }
        Path target = Path.of("target");
        Files.createDirectories(target);
        Files.write(target.resolve("lifecycle.pcap"), pcap);
        Files.write(target.resolve("lifecycle.expected"), expected, StandardCharsets.UTF_8);
        assertThat(expected).hasSize(10);
        assertThat(expected.get(0)).isEqualTo("··········S·\t" + Seq.unsigned(Peer.ISN) + "\t0");
    }

    private byte[] capture() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Nic.writePcap(kernel.inspect(k -> k.nic().wire(0, Integer.MAX_VALUE)), out);
        return out.toByteArray();
    }

    private static long done(Syscalls.Outcome outcome) {
        assertThat(outcome).isInstanceOf(Syscalls.Done.class);
        return ((Syscalls.Done) outcome).result().ret();
    }
}
