package io.vkernel.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.wire.Ipv4;
import io.vkernel.sandbox.RealtimeClocks;
import io.vkernel.tun.TunAttachment;
import io.vkernel.tun.TunAttachments;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

import java.util.Map;

/** The TUN device a kernel is attached to (by configuration only: there is no request that attaches one). */
@RestController
@Tag(name = "inspect", description = "Connections, the demux hash table, listeners, the clock, events and sysctls")
class TunController {

    private final Kernels kernels;
    private final TunAttachments tun;
    private final RealtimeClocks clocks;

    TunController(Kernels kernels, TunAttachments tun, RealtimeClocks clocks) {
        this.kernels = kernels;
        this.tun = tun;
        this.clocks = clocks;
    }

    /** What the device carried: packets and bytes each way, and what was dropped, by reason; or how to attach one. */
    record TunView(String kernel, String device, String state, String address, String hostAddress, String clock,
                   TunTraffic in, TunTraffic out, long dropped, Map<String, Long> drops, String attach) {
    }

    record TunTraffic(long packets, long bytes) {
    }

    static final String HOW_TO_ATTACH = "a TUN device is attached only by configuration at start-up, as root or with "
            + "CAP_NET_ADMIN: --vkernel.tun.device=vk0 (and --vkernel.tun.kernel=<id>, default 'default'); see the README";

    @GetMapping("/api/v1/kernels/{k}/tun")
    @Operation(summary = "The TUN device this kernel is attached to",
            description = "The device (attached at start-up by vkernel.tun.device, never by a request), its state, the packets "
                    + "and bytes the host routed in and the kernel sent out, and the packets dropped by reason: NOT_IPV4 "
                    + "(the host's IPv6 neighbour discovery, never given to the kernel), the kernel's own drop reasons "
                    + "(NOT_FOR_THIS_HOST for another address: a kernel never forwards), BUDGET, WRITE_FAILED. A kernel "
                    + "without a device answers state 'off' and how to attach one.")
    TunView tun(@PathVariable String k) {
        Kernel kernel = kernels.get(k);
        String clock = clocks.isRealtime(kernel) ? "realtime" : "manual";
        TunAttachment attachment = tun.find(kernel.id()).orElse(null);
        if (attachment == null) {
            return new TunView(kernel.id(), null, "off", Ipv4.format(kernel.address()), null, clock, new TunTraffic(0, 0),
                    new TunTraffic(0, 0), 0, Map.of(), HOW_TO_ATTACH);
        }
        TunAttachment.Stats stats = attachment.stats();
        return new TunView(stats.kernel(), stats.device(), stats.state(), Ipv4.format(kernel.address()),
                Ipv4.format(TunAttachments.hostAddress(kernel.address())) + "/24", clock,
                new TunTraffic(stats.packetsIn(), stats.bytesIn()), new TunTraffic(stats.packetsOut(), stats.bytesOut()),
                stats.dropped(), stats.drops(), null);
    }
}
