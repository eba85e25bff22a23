package io.vkernel.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.vkernel.kernel.HashDemo;
import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.KernelConfig;
import io.vkernel.kernel.proc.ProcNetTcp;
import io.vkernel.kernel.proc.Process;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.util.Locale;
import java.util.concurrent.Semaphore;

/** "See inside": /proc/net/tcp, one FD followed to its hash entry, memory charged, and the hash-table demonstration. */
@RestController
@RequestMapping("/api/v1/kernels/{k}")
@Tag(name = "inspect", description = "Connections, the demux hash table, listeners, the clock, events and sysctls")
class InsideController {

    /** Settings for the hash demonstration; every field may be left out. */
    record DemoRequest(String pattern, Integer connections, Integer buckets) {
    }

    private final Kernels kernels;
    /** One demonstration at a time in the whole service: each builds up to 100 000 connections twice. */
    private final Semaphore demos = new Semaphore(1);

    InsideController(Kernels kernels) {
        this.kernels = kernels;
    }

    @GetMapping(value = "/proc/net/tcp", produces = MediaType.TEXT_PLAIN_VALUE)
    @Operation(summary = "/proc/net/tcp exactly as Linux formats it",
            description = "Listeners, then the established table bucket by bucket; addresses as little-endian hex, st from "
                    + "include/net/tcp_states.h, tx_queue:rx_queue, timers in clock ticks, inode 0 while no FD refers to the socket")
    ResponseEntity<String> procNetTcp(@PathVariable String k) {
        return Formats.plain(kernels.get(k).inspect(ProcNetTcp::render));
    }

    @GetMapping("/processes/{pid}/fds/{fd}")
    @Operation(summary = "One FD followed down: open file, socket, TCB and its place in the hash table",
            description = "process -> FD -> open file (refcount, flags, who shares it) -> socket (inode, options, wait queue) -> "
                    + "TCB (state, sequence variables, queues) -> established-table entry (hash, bucket, position in the chain); "
                    + "a listener shows its listening-table entry and queues instead")
    FdChainView.Chain fd(@PathVariable String k, @PathVariable int pid, @PathVariable int fd) {
        return kernels.get(k).inspect(kernel -> {
            Process process = kernel.requireProcess(pid);
            if (!process.fds().isOpen(fd)) {
                throw new ApiException(HttpStatus.NOT_FOUND, "fd-not-found", "Not found", "fd " + fd + " is not open in pid "
                        + pid + "; its open FDs are " + process.fds().entries().keySet(), "fd");
            }
            return FdChainView.of(kernel, process, fd);
        });
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

    @PostMapping(value = "/demux/demo", produces = {MediaType.APPLICATION_JSON_VALUE, MediaType.TEXT_PLAIN_VALUE})
    @Operation(summary = "Demonstrate the seed's XOR hash against Linux's keyed jhash, and measure the seed's performance table",
            description = "Builds `connections` (1-100000, default 10000) connections of a `pattern` (nat: one client address, "
                    + "sequential ports; flood: addresses and ports aimed at one XOR hash; random) in two scratch kernels shaped like "
                    + "this one (its bucket count unless `buckets` is given, its seed), one per hash, and reports each table's "
                    + "distribution; then looks up the first 100, 1000, 10000 and 100000 connections by linear scan and in each "
                    + "table, reporting entries examined (exact) and ns per lookup (measured). This kernel is not changed. "
                    + "One demonstration runs at a time (429 otherwise). ?format=text prints the seed-style table")
    ResponseEntity<?> demo(@PathVariable String k, @RequestBody(required = false) DemoRequest body,
                           @RequestParam(required = false) String format) {
        DemoRequest request = body != null ? body : new DemoRequest(null, null, null);
        HashDemo.Pattern pattern = pattern(request.pattern());
        int connections = Inputs.range("connections", request.connections(), 10_000, 1, HashDemo.MAX_CONNECTIONS);
        boolean text = Formats.text(format);
        KernelConfig config = kernels.get(k).config();
        int buckets = request.buckets() != null ? request.buckets() : config.buckets();
        if (buckets < 1 || buckets > (1 << 22) || Integer.bitCount(buckets) != 1) {
            throw ApiException.badField("buckets", "buckets must be a power of two between 1 and 4194304, got " + buckets);
        }
        if (!demos.tryAcquire()) {
            throw new ApiException(HttpStatus.TOO_MANY_REQUESTS, "limit-reached", "Sandbox limit reached",
                    "a hash demonstration is already running in this service; try again in a moment", null);
        }
        HashDemo.Result result;
        long started = System.nanoTime();
        try {
            result = HashDemo.run(config, pattern, connections, buckets, System::nanoTime);
        } finally {
            demos.release();
        }
        long elapsedMs = (System.nanoTime() - started) / 1_000_000;
        return text ? Formats.plain(DemuxText.performance(result)) : ResponseEntity.ok(DemoView.of(result, elapsedMs));
    }

    private static HashDemo.Pattern pattern(String text) {
        if (text == null) {
            return HashDemo.Pattern.NAT;
        }
        try {
            return HashDemo.Pattern.valueOf(text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiException.badField("pattern", "pattern must be 'nat', 'flood' or 'random', got '" + text + "'");
        }
    }
}
