package io.vkernel.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** "See inside": /proc/net/tcp and the memory charged per connection and per kernel. */
@RestController
@RequestMapping("/api/v1/kernels/{k}")
@Tag(name = "inspect", description = "Connections, the demux hash table, listeners, the clock, events and sysctls")
class InsideController {

    private final Kernels kernels;

    InsideController(Kernels kernels) {
        this.kernels = kernels;
    }

    @GetMapping(value = "/proc/net/tcp", produces = MediaType.TEXT_PLAIN_VALUE)
    @Operation(summary = "/proc/net/tcp exactly as Linux formats it",
            description = "Listeners, then the established table bucket by bucket; addresses as little-endian hex, st from "
                    + "include/net/tcp_states.h, tx_queue:rx_queue, timers in clock ticks, inode 0 while no FD refers to the socket")
    ResponseEntity<String> procNetTcp(@PathVariable String k) {
        return Formats.plain(kernels.get(k).inspect(ProcNetTcpText::render));
    }

    @GetMapping(value = "/memory", produces = {MediaType.APPLICATION_JSON_VALUE, MediaType.TEXT_PLAIN_VALUE})
    @Operation(summary = "Memory per connection and per kernel: the seed's model next to what Linux charges",
            description = "Seed: 1 KB socket + 2 KB TCB + 64 KB + 64 KB buffers. Linux: slab objects by what the connection is "
                    + "(full socket with a file, bare tcp_sock, TIME_WAIT or request mini-socket) plus queued bytes by skb truesize; "
                    + "tcp_rmem/tcp_wmem shown as limits. Also vkernel's own bytes held. ?limit= connections listed (totals count all); "
                    + "?format=text prints a table")
    ResponseEntity<?> memory(@PathVariable String k, @RequestParam(required = false) Integer limit,
                             @RequestParam(required = false) String format) {
        int bounded = Inputs.range("limit", limit, 1000, 0, 100_000);
        boolean text = Formats.text(format);
        MemoryViews.MemoryView view = kernels.get(k).inspect(kernel -> MemoryViews.of(kernel, bounded));
        return text ? Formats.plain(MemoryViews.text(view)) : ResponseEntity.ok(view);
    }
}
