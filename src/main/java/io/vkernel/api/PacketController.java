package io.vkernel.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.vkernel.kernel.BudgetExceededException;
import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.sandbox.KernelRegistry;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The wire: inject inbound packets and read every packet in and out. */
@RestController
@RequestMapping("/api/v1/kernels/{k}/packets")
@Tag(name = "packets", description = "Inject packets into the NIC and read the wire log")
class PacketController {

    /** One inbound TCP segment, as a remote host would send it: JSON fields, or a whole IPv4 packet in {@code raw}. */
    record PacketRequest(String src, String dst, String flags, Long seq, Long ack, Integer window, Integer mss,
                         @Schema(description = "TCP options as tcpdump prints them, e.g. \"mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7\"")
                         String options, String payload,
                         @Schema(description = "A whole IPv4 packet instead of the other fields: hex (spaces and colons "
                                 + "allowed, e.g. \"45 00 00 3c ...\") or base64. Bad lengths or checksums are dropped "
                                 + "and counted, as Linux drops them.") String raw) {
    }

    /** A validated packet item: a segment built from JSON fields, or raw bytes for the NIC. */
    private record Inbound(Segment segment, byte[] raw) {
    }

    private final Kernels kernels;
    private final KernelRegistry registry;

    PacketController(Kernels kernels, KernelRegistry registry) {
        this.kernels = kernels;
        this.registry = registry;
    }

    @PostMapping
    @Operation(summary = "Inject packets", description = "One packet object or an array (a batch). src is the remote ip:port, dst "
            + "this kernel's ip:port; flags as tcpdump prints them (S, S., ., P., F., R) or names (SYN,ACK); seq and ack "
            + "are unsigned 32-bit. Or give a real packet's bytes alone in raw (hex or base64): it is checked as Linux "
            + "checks it (lengths, IPv4 and TCP checksums), and a bad one is dropped and counted, never answered. "
            + "The answer shows each step the kernel took and what it sent back.")
    Views.InjectResponse inject(@PathVariable String k, @RequestBody List<PacketRequest> packets) {
        Kernel kernel = kernels.get(k);
        if (packets.isEmpty()) {
            throw ApiException.badField("packets", "send at least one packet");
        }
        if (packets.size() > registry.limits().maxBatch()) {
            throw new ApiException(HttpStatus.CONTENT_TOO_LARGE, "batch-too-large", "Batch too large",
                    "a batch holds at most " + registry.limits().maxBatch() + " packets, got " + packets.size(), "packets");
        }
        List<Inbound> inbound = new ArrayList<>(packets.size());
        for (int i = 0; i < packets.size(); i++) {
            inbound.add(toInbound(packets.get(i), packets.size() == 1 ? "" : "[" + i + "]."));
        }
        List<Views.PacketResult> results = new ArrayList<>(inbound.size());
        for (Inbound packet : inbound) {
            try {
                results.add(Views.report(packet.raw() != null ? kernel.receiveRaw(packet.raw()) : kernel.receive(packet.segment())));
            } catch (BudgetExceededException e) {
                if (results.isEmpty()) {
                    throw e;
                }
                throw new BudgetExceededException(e.budget(), "the first " + results.size() + " packets of the batch were received; "
                        + "packet [" + results.size() + "] and those after it were not: " + e.getMessage(), e.usedBytes(),
                        e.requestedBytes(), e.limitBytes());
            }
        }
        return new Views.InjectResponse(results);
    }

    @GetMapping(produces = {org.springframework.http.MediaType.APPLICATION_JSON_VALUE, org.springframework.http.MediaType.TEXT_PLAIN_VALUE})
    @Operation(summary = "The wire log", description = "Every packet received and sent, oldest first; after= skips what you have "
            + "seen; ?format=text prints it as tcpdump -n -S -tt does")
    org.springframework.http.ResponseEntity<?> wire(@PathVariable String k, @RequestParam(defaultValue = "0") long after,
                                                    @RequestParam(defaultValue = "1000") int limit,
                                                    @RequestParam(required = false) String format) {
        int bounded = Inputs.range("limit", limit, 1000, 1, 10_000);
        boolean text = Formats.text(format);
        var records = kernels.get(k).inspect(kernel -> kernel.nic().wire(after, bounded));
        if (text) {
            return Formats.plain(TcpdumpText.render(records));
        }
        return org.springframework.http.ResponseEntity.ok(records.stream().map(Views::wire).toList());
    }

    private Inbound toInbound(PacketRequest p, String prefix) {
        if (p == null) {
            throw ApiException.badField(prefix + "packet", "a packet must be a JSON object");
        }
        if (p.raw() == null) {
            return new Inbound(toSegment(p, prefix), null);
        }
        List<String> fields = new ArrayList<>();
        addIfSet(fields, "src", p.src());
        addIfSet(fields, "dst", p.dst());
        addIfSet(fields, "flags", p.flags());
        addIfSet(fields, "seq", p.seq());
        addIfSet(fields, "ack", p.ack());
        addIfSet(fields, "window", p.window());
        addIfSet(fields, "mss", p.mss());
        addIfSet(fields, "payload", p.payload());
        if (!fields.isEmpty()) {
            throw ApiException.badField(prefix + "raw", "a packet is either raw bytes or JSON fields, not both: the bytes in "
                    + prefix + "raw already hold " + String.join(", ", fields) + "; send one or the other");
        }
        byte[] bytes = Inputs.packetBytes(prefix + "raw", p.raw());
        int maxBytes = Math.min(65_535, registry.limits().maxPayloadBytes() + 120);
        if (bytes.length > maxBytes) {
            throw new ApiException(HttpStatus.CONTENT_TOO_LARGE, "payload-too-large", "Payload too large",
                    prefix + "raw is " + bytes.length + " bytes; one packet is at most " + maxBytes
                            + " (an IPv4 total length is 16 bits, and headers take at most 120 bytes beyond the payload limit)", prefix + "raw");
        }
        return new Inbound(null, bytes);
    }

    private static void addIfSet(List<String> fields, String name, Object value) {
        if (value != null) {
            fields.add(name);
        }
    }

    private Segment toSegment(PacketRequest p, String prefix) {
        Endpoint src = Inputs.endpoint(prefix + "src", Inputs.required(prefix + "src", p.src(), "the sender's ip:port, e.g. 192.168.1.100:54321"));
        Endpoint dst = Inputs.endpoint(prefix + "dst", Inputs.required(prefix + "dst", p.dst(), "this kernel's ip:port, e.g. 10.0.0.50:8080"));
        int flags = Inputs.flags(prefix + "flags", Inputs.required(prefix + "flags", p.flags(), "e.g. \"S\" for a SYN, \".\" for an ACK"));
        int seq = Inputs.seq(prefix + "seq", p.seq());
        int ack = Inputs.seq(prefix + "ack", p.ack());
        int window = Inputs.range(prefix + "window", p.window(), 65535, 0, 65535);
        int mss = Inputs.range(prefix + "mss", p.mss(), 0, 0, 65535);
        byte[] payload = p.payload() == null ? new byte[0] : p.payload().getBytes(StandardCharsets.UTF_8);
        int maxPayload = registry.limits().maxPayloadBytes();
        if (payload.length > maxPayload) {
            throw new ApiException(HttpStatus.CONTENT_TOO_LARGE, "payload-too-large", "Payload too large",
                    prefix + "payload is " + payload.length + " bytes; one packet carries at most " + maxPayload, prefix + "payload");
        }
        io.vkernel.kernel.wire.TcpOptions options = null;
        if (p.options() != null) {
            if (p.mss() != null) {
                throw ApiException.badField(prefix + "mss", "give the MSS either as mss or inside options, not both");
            }
            try {
                options = io.vkernel.kernel.wire.TcpOptions.parseText(p.options());
            } catch (IllegalArgumentException e) {
                throw ApiException.badField(prefix + "options", prefix + "options: " + e.getMessage());
            }
        }
        // An IPv4 total length is 16 bits (RFC 791): IP header, TCP header with its padded options, payload.
        int optionBytes = options != null ? options.paddedLength() : mss > 0 ? 4 : 0;
        int totalLength = 20 + 20 + optionBytes + payload.length;
        if (totalLength > 65_535) {
            throw new ApiException(HttpStatus.CONTENT_TOO_LARGE, "payload-too-large", "Payload too large",
                    prefix + "payload: 20 bytes of IPv4 header, " + (20 + optionBytes) + " of TCP header with options and "
                            + payload.length + " of payload make an IPv4 total length of " + totalLength
                            + ", above 65535; send at most " + (65_535 - 40 - optionBytes) + " payload bytes with these options",
                    prefix + "payload");
        }
        return new Segment(src, dst, flags, seq, ack, window, mss, payload, options);
    }
}
