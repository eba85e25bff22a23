package io.vkernel.api;

import io.vkernel.kernel.trace.PcapFile;
import io.vkernel.kernel.wire.WirePacket;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.MvcResult;

import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static io.vkernel.kernel.wire.WireFixtures.SCAPY_SYN;
import static io.vkernel.kernel.wire.WireFixtures.SCAPY_SYN_BASE64;
import static io.vkernel.kernel.wire.WireFixtures.SCAPY_SYN_HEX;
import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;

/** Real packet bytes over HTTP: {"raw": hex or base64} in, the capture as a pcap file out. */
@SpringBootTest
@AutoConfigureMockMvc
class RawPacketHttpTest {

    private static final AtomicInteger KERNELS = new AtomicInteger();

    @Autowired
    MockMvc mvc;

    private Http http;
    private String base;

    @BeforeEach
    void serverListening() {
        http = new Http(mvc);
        String id = "raw-" + KERNELS.incrementAndGet();
        assertThat(http.post("/api/v1/kernels", "{\"id\":\"" + id + "\",\"seed\":7}").status()).isEqualTo(201);
        base = "/api/v1/kernels/" + id;
        int pid = http.post(base + "/processes", "{\"name\":\"server\"}").at("$.pid");
        http.post(base + "/processes/" + pid + "/socket", "{}");
        http.post(base + "/processes/" + pid + "/bind", "{\"fd\":3,\"addr\":\"0.0.0.0:8080\"}");
        http.post(base + "/processes/" + pid + "/listen", "{\"fd\":3,\"backlog\":128}");
    }

    @Test
    void scapySynAsHex_isAnsweredWithSynAck() {
        Http.Reply reply = raw(SCAPY_SYN_HEX);
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.<String>at("$.results[0].verdict")).isEqualTo("accepted");
        assertThat(reply.<String>at("$.results[0].packet.summary"))
                .isEqualTo("192.168.1.100:54321 > 10.0.0.50:8080: Flags [S], seq 4294957295, win 64240, options [mss 1460,sackOK,TS val 3735928559 ecr 0,nop,wscale 7], length 0");
        assertThat(reply.<String>at("$.results[0].sent[0].flags")).isEqualTo("S.");
        assertThat(reply.<Number>at("$.results[0].sent[0].ack").longValue()).isEqualTo(4294957296L);
        assertThat(reply.<String>at("$.results[0].connection")).isEqualTo("192.168.1.100:54321-10.0.0.50:8080");
        List<String> details = reply.at("$.results[0].steps[*].detail");
        assertThat(details).anyMatch(d -> d.contains("options [mss 1460,sackOK,TS val 3735928559 ecr 0,nop,wscale 7]"));
    }

    @Test
    void theSameSynAsBase64_orAsWiresharkHexWithColons_isTheSamePacket() {
        assertThat(raw(SCAPY_SYN_BASE64).<String>at("$.results[0].sent[0].flags")).isEqualTo("S.");
        String colons = String.join(":", SCAPY_SYN_HEX.split("(?<=\\G..)")).toUpperCase();
        Http.Reply again = raw(colons);
        assertThat(again.<String>at("$.results[0].sent[0].flags")).isEqualTo("S.");
        List<String> details = again.at("$.results[0].steps[*].detail");
        assertThat(details).as("same 4-tuple and seq: a retransmission").anyMatch(d -> d.contains("retransmitted SYN"));
    }

    @Test
    void badChecksum_isDroppedSilently_with200AndTheReason() {
        byte[] damaged = SCAPY_SYN.clone();
        damaged[37] ^= 1;
        Http.Reply reply = raw(HexFormat.of().formatHex(damaged));
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.<String>at("$.results[0].verdict")).isEqualTo("dropped");
        assertThat(reply.<String>at("$.results[0].drop")).isEqualTo("BAD_TCP_CHECKSUM");
        assertThat(reply.<List<?>>at("$.results[0].sent")).isEmpty();
        List<String> details = reply.at("$.results[0].steps[*].detail");
        assertThat(details).anyMatch(d -> d.contains("TCP checksum 0x1683 is wrong") && d.contains("Dropped without a reply"));
        assertThat(http.get(base + "/connections").<List<?>>at("$")).isEmpty();
    }

    @Test
    void truncatedPacket_isDropped_andTheWireLogSaysWhy() {
        Http.Reply reply = raw("45 00 00 3c d4 31");
        assertThat(reply.<String>at("$.results[0].drop")).isEqualTo("TRUNCATED");
        assertThat(reply.<java.util.Map<String, Object>>at("$.results[0]")).as("no packet fields: the bytes did not decode")
                .doesNotContainKey("packet");
        assertThat(http.get(base + "/packets").<String>at("$[0].summary"))
                .isEqualTo("6 raw bytes, dropped: TRUNCATED: the packet has 6 bytes, fewer than the 20 of an IPv4 header");
    }

    @Test
    void hexWithATypo_isA400NamingRaw_andTheBadDigit() {
        Http.Reply reply = http.post(base + "/packets", "{\"raw\":\"45 00 zz\"}");
        assertProblem(reply, 400, "raw");
        assertThat(reply.<String>at("$.detail")).contains("read as hex").contains("'z'");
    }

    @Test
    void textThatIsNeitherHexNorBase64_isA400NamingRaw() {
        Http.Reply reply = http.post(base + "/packets", "{\"raw\":\"RQAA%PNQ\"}");
        assertProblem(reply, 400, "raw");
        assertThat(reply.<String>at("$.detail")).contains("neither hex").contains("base64");
    }

    @Test
    void oddNumberOfHexDigits_isA400() {
        assertThat(assertProblem(http.post(base + "/packets", "{\"raw\":\"45000\"}"), 400, "raw")
                .<String>at("$.detail")).contains("odd");
    }

    @Test
    void badRawInABatch_namesItsIndex_andNothingIsInjected() {
        Http.Reply reply = http.post(base + "/packets", "[{\"raw\":\"" + SCAPY_SYN_HEX + "\"},{\"raw\":\"not base64!\"}]");
        assertProblem(reply, 400, "[1].raw");
        assertThat(http.get(base + "/packets").<List<?>>at("$")).isEmpty();
    }

    @Test
    void rawTogetherWithJsonFields_isA400() {
        Http.Reply reply = http.post(base + "/packets", "{\"raw\":\"" + SCAPY_SYN_HEX + "\",\"src\":\"192.168.1.100:54321\",\"flags\":\"S\"}");
        assertProblem(reply, 400, "raw");
        assertThat(reply.<String>at("$.detail")).contains("not both").contains("src, flags");
    }

    @Test
    void capturePcap_isAPcapFileOfTheWire_rawBytesAsInjected() throws Exception {
        raw(SCAPY_SYN_HEX);
        http.post(base + "/packets", "{\"src\":\"192.168.1.200:40000\",\"dst\":\"10.0.0.50:9999\",\"flags\":\"S\",\"seq\":1}");

        MvcResult result = mvc.perform(get(base + "/capture.pcap")).andReturn();
        assertThat(result.getResponse().getStatus()).isEqualTo(200);
        assertThat(result.getResponse().getContentType()).isEqualTo("application/vnd.tcpdump.pcap");
        assertThat(result.getResponse().getHeader("Content-Disposition")).contains(".pcap");
        PcapFile pcap = PcapFile.read(result.getResponse().getContentAsByteArray());
        assertThat(pcap.linkType()).isEqualTo(101);
        assertThat(pcap.records()).hasSize(4);
        assertThat(pcap.records().get(0).data()).isEqualTo(SCAPY_SYN);
        List<String> summaries = pcap.records().stream().map(r -> {
            try {
                return WirePacket.parse(r.data()).segment().summary();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }).toList();
        assertThat(summaries.get(1)).startsWith("10.0.0.50:8080 > 192.168.1.100:54321: Flags [S.]");
        assertThat(summaries.get(2)).startsWith("192.168.1.200:40000 > 10.0.0.50:9999: Flags [S]");
        assertThat(summaries.get(3)).as("closed port: RST,ACK").startsWith("10.0.0.50:9999 > 192.168.1.200:40000: Flags [R.]");
    }

    @Test
    void capturePcapOfAnUnknownKernel_isA404Problem_evenWhenAskingForPcap() throws Exception {
        MvcResult result = mvc.perform(get("/api/v1/kernels/nope/capture.pcap").accept("application/vnd.tcpdump.pcap")).andReturn();
        assertThat(result.getResponse().getStatus()).isEqualTo(404);
        assertThat(result.getResponse().getContentType()).isEqualTo("application/problem+json");
    }

    private Http.Reply raw(String text) {
        return http.post(base + "/packets", "{\"raw\":\"" + text + "\"}");
    }

    private static Http.Reply assertProblem(Http.Reply reply, int status, String field) {
        assertThat(reply.status()).as(reply.body()).isEqualTo(status);
        assertThat(reply.contentType()).isEqualTo("application/problem+json");
        assertThat(reply.<String>at("$.type")).startsWith("https://vkernel.dev/problems/");
        assertThat(reply.<String>at("$.field")).isEqualTo(field);
        return reply;
    }
}
