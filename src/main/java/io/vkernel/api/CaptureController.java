package io.vkernel.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.nic.Nic;
import io.vkernel.kernel.nic.WireRecord;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

import java.io.IOException;
import java.util.List;

/** The wire log as a pcap file, for Wireshark, tshark or {@code tcpdump -r}. */
@RestController
@Tag(name = "packets", description = "Inject packets into the NIC and read the wire log")
class CaptureController {

    static final String PCAP = "application/vnd.tcpdump.pcap";

    private final Kernels kernels;

    CaptureController(Kernels kernels) {
        this.kernels = kernels;
    }

    @GetMapping("/api/v1/kernels/{k}/capture.pcap")
    @Operation(summary = "The wire as a pcap file", description = "Every packet in the wire log, in and out, oldest first, as "
            + "tcpdump -w writes them: classic pcap, link type RAW (bare IPv4), timestamps from the kernel's virtual clock. "
            + "Raw packets appear exactly as injected, bad checksums included; the others carry valid checksums.",
            responses = @ApiResponse(responseCode = "200", description = "a pcap file",
                    content = @Content(mediaType = PCAP, schema = @Schema(type = "string", format = "binary"))))
    void capture(@PathVariable String k, HttpServletResponse response) throws IOException {
        Kernel kernel = kernels.get(k);
        List<WireRecord> records = kernel.inspect(kk -> kk.nic().wire(0, Integer.MAX_VALUE));
        response.setContentType(PCAP);
        response.setHeader(HttpHeaders.CONTENT_DISPOSITION,
                ContentDisposition.attachment().filename("vkernel-" + kernel.id() + ".pcap").build().toString());
        Nic.writePcap(records, response.getOutputStream());
    }
}
