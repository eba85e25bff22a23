package io.vkernel.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.vkernel.kernel.link.Link;
import io.vkernel.kernel.link.LinkSettings;
import io.vkernel.kernel.link.Network;
import io.vkernel.kernel.nic.Nic;
import io.vkernel.kernel.wire.Ipv4;
import io.vkernel.sandbox.NetworkRegistry;
import io.vkernel.sandbox.RealtimeClocks;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import java.io.IOException;
import java.net.URI;
import java.util.List;

/** Networks of kernels: members joined by one impaired link under one clock. */
@RestController
@RequestMapping("/api/v1/networks")
@Tag(name = "networks", description = "Kernels wired together by a link that can delay, lose, duplicate, reorder and "
        + "rate-limit packets like netem; the network owns its members' clock")
class NetworkController {

    /** The link's impairments; every field may be left out (0, and seed 1). */
    record LinkBody(Long delayMs, Long jitterMs, Double lossPercent, Double duplicatePercent, Double reorderPercent,
                    Long rateBytesPerSecond, Long seed) {
    }

    record CreateNetwork(String id, List<String> kernels, LinkBody link) {
    }

    record MemberView(String id, String address) {
    }

    /** {@code memory}: the link's capture against its bounds, and what it and the packets in flight charge to the service budget. */
    record NetworkView(String id, List<MemberView> members, LinkSettings link, Link.Counters counters, String clock, long nowMs,
                       Link.Memory memory) {
    }

    record NetworkClockView(String mode, long nowMs) {
    }

    record NetworkAdvanceView(long advancedMs, long nowMs, int timersFired, int packetsDelivered) {
    }

    private final NetworkRegistry networks;
    private final RealtimeClocks clocks;

    NetworkController(NetworkRegistry networks, RealtimeClocks clocks) {
        this.networks = networks;
        this.clocks = clocks;
    }

    @GetMapping
    @Operation(summary = "List networks")
    List<NetworkView> listNetworks() {
        return networks.all().stream().map(this::view).toList();
    }

    @PostMapping
    @Operation(summary = "Join kernels into a network", description = "kernels: two or more existing kernels with distinct "
            + "addresses, none already in a network. link: delayMs and jitterMs (0-60000), lossPercent, duplicatePercent, "
            + "reorderPercent (0-100; reordering needs a delay, as with tc netem), rateBytesPerSecond (0 = unlimited, else "
            + "1000-10^12), seed. Members' clocks move to the latest member's time.")
    ResponseEntity<NetworkView> createNetwork(@RequestBody CreateNetwork body) {
        String id = Inputs.required("id", body.id(), "the network's name, e.g. lab");
        List<String> members = Inputs.required("kernels", body.kernels(), "the kernels to join, e.g. [\"alice\",\"bob\"]");
        LinkSettings settings = settings(body.link());
        Network network;
        try {
            network = networks.create(id, members, settings);
        } catch (NetworkRegistry.UnknownKernelException e) {
            throw new ApiException(HttpStatus.NOT_FOUND, "kernel-not-found", "Not found", e.getMessage(), "kernels");
        } catch (NetworkRegistry.ConflictException e) {
            throw new ApiException(HttpStatus.CONFLICT, "network-conflict", "Conflict", e.getMessage(), e.field());
        } catch (IllegalArgumentException e) {
            throw ApiException.badField(e.getMessage().startsWith("id") ? "id" : "kernels", e.getMessage());
        }
        network.members().forEach(kernel -> clocks.setRealtime(kernel, false));
        return ResponseEntity.created(URI.create("/api/v1/networks/" + network.id())).body(view(network));
    }

    @GetMapping("/{id}")
    @Operation(summary = "One network: members, link settings and counters")
    NetworkView getNetwork(@PathVariable String id) {
        return view(find(id));
    }

    @DeleteMapping("/{id}")
    @Operation(summary = "Take a network apart", description = "Members become standalone kernels; packets in flight are dropped")
    ResponseEntity<Void> deleteNetwork(@PathVariable String id) {
        Network network = find(id);
        clocks.setRealtime(network, false);
        networks.delete(id);
        return ResponseEntity.noContent().build();
    }

    @GetMapping("/{id}/clock")
    @Operation(summary = "The network's clock", description = "Every member's clock reads this time")
    NetworkClockView networkClock(@PathVariable String id) {
        Network network = find(id);
        return new NetworkClockView(clocks.isRealtime(network) ? "realtime" : "manual", network.now());
    }

    @PutMapping("/{id}/clock")
    @Operation(summary = "Switch the network's clock between manual and realtime")
    NetworkClockView setNetworkClock(@PathVariable String id, @RequestBody InspectController.ClockMode body) {
        String mode = Inputs.required("mode", body.mode(), "manual or realtime");
        if (!mode.equals("manual") && !mode.equals("realtime")) {
            throw ApiException.badField("mode", "mode must be 'manual' or 'realtime', got '" + mode + "'");
        }
        Network network = find(id);
        clocks.setRealtime(network, mode.equals("realtime"));
        networks.clockModeChanged(network, mode.equals("realtime"));
        return networkClock(id);
    }

    @PostMapping("/{id}/clock/advance")
    @Operation(summary = "Advance the network's time", description = "Every member's timers fire and packets on the link "
            + "arrive in one time order, one deadline at a time")
    NetworkAdvanceView advanceNetwork(@PathVariable String id, @RequestBody InspectController.Advance body) {
        long ms = Inputs.required("ms", body.ms(), "milliseconds to advance, e.g. 1000");
        if (ms < 0 || ms > 86_400_000L) {
            throw ApiException.badField("ms", "ms must be between 0 and 86400000 (one day), got " + ms);
        }
        Network network = find(id);
        Network.Advanced advanced = network.advance(ms);
        return new NetworkAdvanceView(ms, network.now(), advanced.timersFired(), advanced.packetsDelivered());
    }

    @GetMapping("/{id}/capture.pcap")
    @Operation(summary = "The link's capture as a pcap file", description = "Every packet a member put on the link, oldest "
            + "first, with the network time it was sent (lost ones included: the counters say how many were dropped)",
            responses = @ApiResponse(responseCode = "200", description = "a pcap file",
                    content = @Content(mediaType = CaptureController.PCAP, schema = @Schema(type = "string", format = "binary"))))
    void networkCapture(@PathVariable String id, HttpServletResponse response) throws IOException {
        Network network = find(id);
        var records = network.link().capture();
        response.setContentType(CaptureController.PCAP);
        response.setHeader(HttpHeaders.CONTENT_DISPOSITION,
                ContentDisposition.attachment().filename("vkernel-network-" + network.id() + ".pcap").build().toString());
        Nic.writePcap(records, response.getOutputStream());
    }

    private Network find(String id) {
        return find(networks, id);
    }

    /** The network {@code id}, or the 404 every network endpoint answers for an unknown one. */
    static Network find(NetworkRegistry networks, String id) {
        return networks.find(id).orElseThrow(() -> ApiException.notFound("network",
                "no network '" + id + "'; GET /api/v1/networks lists them, POST /api/v1/networks creates one"));
    }

    private NetworkView view(Network network) {
        List<MemberView> members = network.members().stream()
                .map(kernel -> new MemberView(kernel.id(), Ipv4.format(kernel.address()))).toList();
        return new NetworkView(network.id(), members, network.link().settings(), network.link().counters(),
                clocks.isRealtime(network) ? "realtime" : "manual", network.now(), network.link().memory());
    }

    private static LinkSettings settings(LinkBody link) {
        if (link == null) {
            return LinkSettings.perfect();
        }
        try {
            return new LinkSettings(or(link.delayMs(), 0L), or(link.jitterMs(), 0L), or(link.lossPercent(), 0.0),
                    or(link.duplicatePercent(), 0.0), or(link.reorderPercent(), 0.0), or(link.rateBytesPerSecond(), 0L),
                    or(link.seed(), 1L));
        } catch (LinkSettings.LinkSettingException e) {
            throw ApiException.badField("link." + e.field(), e.getMessage());
        }
    }

    private static <T> T or(T value, T fallback) {
        return value != null ? value : fallback;
    }
}
