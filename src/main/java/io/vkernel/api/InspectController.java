package io.vkernel.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.Sysctls;
import io.vkernel.kernel.tcp.Tcb;
import io.vkernel.kernel.wire.FourTuple;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.util.List;


/** Read-only views of a kernel's structures, plus the clock and the tunables. */
@RestController
@RequestMapping("/api/v1/kernels/{k}")
@Tag(name = "inspect", description = "Connections, the demux hash table, listeners, the clock, events and sysctls")
class InspectController {

    record Advance(Long ms) {
    }

    record ClockMode(String mode) {
    }

    record AdvanceView(long advancedMs, long nowMs, int timersFired) {
    }

    record SysctlValue(Long value) {
    }

    record CheckView(boolean ok, java.util.Map<String, Integer> checked, List<String> violations) {
    }

    record SysctlView(String name, long value, String description) {
    }

    private final Kernels kernels;
    private final io.vkernel.sandbox.RealtimeClocks clocks;

    private final io.vkernel.sandbox.NetworkRegistry networks;

    InspectController(Kernels kernels, io.vkernel.sandbox.RealtimeClocks clocks, io.vkernel.sandbox.NetworkRegistry networks) {
        this.networks = networks;
        this.kernels = kernels;
        this.clocks = clocks;
    }

    @GetMapping(value = "/connections", produces = {MediaType.APPLICATION_JSON_VALUE, MediaType.TEXT_PLAIN_VALUE})
    @Operation(summary = "Every connection in the established table, with its TCB", description = "?format=text prints listeners and connections as ss -tanp does into a pipe: Recv-Q/Send-Q are the accept queue's length and the backlog for a listener, unread and unacknowledged bytes for a connection; "
            + "with &info=true, as ss -tanpi: each connection followed by its TCP_INFO line (cubic wscale:7,7 rto:204 rtt:0.25/0.125 mss:1448 cwnd:10 ...)")
    ResponseEntity<?> connections(@PathVariable String k, @RequestParam(required = false) String format,
                                  @RequestParam(required = false) Boolean info) {
        Kernel kernel = kernels.get(k);
        if (Formats.text(format)) {
            if (Boolean.TRUE.equals(info)) {
                return Formats.plain(kernel.inspect(kk -> SsText.render(kk, true)));
            }
            return Formats.plain(SsText.render(kernel, CHUNK));
        }
        return ResponseEntity.ok(connections(kernel));
    }

    /**
     * Connections per turn of the kernel lock in the long views: a request that lists 100 000 connections takes the
     * lock once per chunk, so packets and syscalls to that kernel wait at most about a chunk's rendering (BENCHMARKS.md).
     */
    static final int CHUNK = 128;

    /** Buckets of the established table walked per turn of the lock when a view lists every connection. */
    static final int BUCKET_CHUNK = 65_536;

    /**
     * Every connection in the established table, in bucket order, walked {@link #BUCKET_CHUNK} buckets per turn of
     * the lock: a table of 4M buckets took a whole turn of hundreds of milliseconds to walk in one go. A connection
     * that moves between turns may be missed, as inet_diag's dump a bucket at a time may miss it.
     */
    static List<Tcb> allConnections(Kernel kernel) {
        int buckets = LockTurns.turn(kernel, kk -> kk.established().bucketCount());
        List<Tcb> all = new java.util.ArrayList<>();
        for (int from = 0; from < buckets; from += BUCKET_CHUNK) {
            int start = from;
            all.addAll(LockTurns.turn(kernel, kk -> kk.established().all(start, start + BUCKET_CHUNK)));
        }
        return all;
    }

    /** Every connection's view, built a chunk at a time; a connection gone between chunks is left out. */
    static List<Views.ConnectionView> connections(Kernel kernel) {
        List<Tcb> all = allConnections(kernel);
        List<Views.ConnectionView> views = new java.util.ArrayList<>(all.size());
        for (int from = 0; from < all.size(); from += CHUNK) {
            List<Tcb> part = all.subList(from, Math.min(all.size(), from + CHUNK));
            LockTurns.turn(kernel, kk -> {
                for (Tcb t : part) {
                    if (kk.established().find(t.tuple()) == t) {
                        views.add(Views.connection(kk, t));
                    }
                }
                return null;
            });
        }
        return views;
    }

    @GetMapping("/connections/{tuple}")
    @Operation(summary = "One connection by its 4-tuple, written remote-local: 192.168.1.100:54321-10.0.0.50:8080")
    Views.ConnectionView connection(@PathVariable String k, @PathVariable String tuple) {
        FourTuple key = Inputs.tuple("tuple", tuple);
        Kernel kernel = kernels.get(k);
        return kernel.inspect(kk -> {
            Tcb tcb = kk.established().find(key);
            if (tcb == null) {
                throw ApiException.notFound("connection", "no connection " + key + " in the established table; "
                        + "GET .../connections lists them (remote-local order)");
            }
            return Views.connection(kk, tcb);
        });
    }

    @GetMapping("/demux")
    @Operation(summary = "The established hash table", description = "Hash function, bucket count, the distribution (used buckets, longest chain, load factor, how many buckets have each chain length, entries a lookup examines on average) and the non-empty buckets' chains")
    Views.DemuxView demux(@PathVariable String k, @RequestParam(defaultValue = "256") int maxBuckets) {
        int bounded = Inputs.range("maxBuckets", maxBuckets, 256, 0, 4096);
        return Views.demux(kernels.get(k), bounded, Views.DEMUX_CHUNK);
    }

    @GetMapping("/demux/buckets/{i}")
    @Operation(summary = "One bucket's chain, head first")
    Views.BucketView bucket(@PathVariable String k, @PathVariable int i) {
        Kernel kernel = kernels.get(k);
        return kernel.inspect(kk -> {
            int count = kk.established().bucketCount();
            if (i < 0 || i >= count) {
                throw ApiException.badField("i", "bucket index " + i + " is out of range 0-" + (count - 1));
            }
            return Views.bucket(kk, i);
        });
    }

    @GetMapping(value = "/listeners", produces = {MediaType.APPLICATION_JSON_VALUE, MediaType.TEXT_PLAIN_VALUE})
    @Operation(summary = "Listening sockets with their accept queues and SYN_RECV counts")
    ResponseEntity<?> listeners(@PathVariable String k, @RequestParam(required = false) String format) {
        Kernel kernel = kernels.get(k);
        if (Formats.text(format)) {
            return Formats.plain(kernel.inspect(SsText::listeners));
        }
        return ResponseEntity.ok(kernel.inspect(kk -> kk.listeners().all().stream().map(Views::listener).toList()));
    }

    @GetMapping("/clock")
    @Operation(summary = "The virtual clock and its pending timers")
    Views.ClockView clock(@PathVariable String k) {
        Kernel kernel = kernels.get(k);
        boolean realtime = networks.networkOf(kernel).map(clocks::isRealtime).orElseGet(() -> clocks.isRealtime(kernel));
        return kernel.inspect(kk -> Views.clock(kk, realtime));
    }

    @PutMapping("/clock")
    @Operation(summary = "Switch the clock between manual and realtime", description = "manual (the default): time moves only "
            + "with POST .../clock/advance. realtime: virtual time follows the wall clock, so timers fire on their own.")
    Views.ClockView setClock(@PathVariable String k, @RequestBody ClockMode body) {
        String mode = Inputs.required("mode", body.mode(), "manual or realtime");
        if (!mode.equals("manual") && !mode.equals("realtime")) {
            throw ApiException.badField("mode", "mode must be 'manual' or 'realtime', got '" + mode + "'");
        }
        Kernel kernel = kernels.get(k);
        // a member's time belongs to its network: switching it switches the whole network
        var network = networks.networkOf(kernel);
        if (network.isPresent()) {
            clocks.setRealtime(network.get(), mode.equals("realtime"));
        } else {
            clocks.setRealtime(kernel, mode.equals("realtime"));
        }
        return clock(k);
    }

    @PostMapping("/clock/advance")
    @Operation(summary = "Advance virtual time", description = "Fires every timer that falls due (TIME_WAIT, SYN-ACK retries, SO_RCVTIMEO, ...)")
    AdvanceView advance(@PathVariable String k, @RequestBody Advance body) {
        long ms = Inputs.required("ms", body.ms(), "milliseconds to advance, e.g. 60000");
        if (ms < 0 || ms > 86_400_000L) {
            throw ApiException.badField("ms", "ms must be between 0 and 86400000 (one day), got " + ms);
        }
        Kernel kernel = kernels.get(k);
        // a member's time belongs to its network: advancing it advances every member, in one time order
        var network = networks.networkOf(kernel);
        if (network.isPresent()) {
            int fired = network.get().advance(ms).timersFired();
            return new AdvanceView(ms, network.get().now(), fired);
        }
        int fired = kernel.advance(ms);
        return new AdvanceView(ms, kernel.inspect(kk -> kk.clock().now()), fired);
    }

    @GetMapping(value = "/events", produces = {MediaType.APPLICATION_JSON_VALUE, MediaType.TEXT_PLAIN_VALUE})
    @Operation(summary = "Kernel events, oldest first", description = "after= returns only events with a higher sequence number")
    ResponseEntity<?> events(@PathVariable String k, @RequestParam(defaultValue = "0") long after,
                             @RequestParam(defaultValue = "500") int limit, @RequestParam(required = false) String format) {
        int bounded = Inputs.range("limit", limit, 500, 1, 10_000);
        boolean text = Formats.text(format);
        List<Views.EventView> events = kernels.get(k).inspect(kk -> kk.events().after(after, bounded).stream().map(Views::event).toList());
        if (text) {
            StringBuilder out = new StringBuilder();
            for (Views.EventView e : events) {
                out.append(String.format("#%-5d %4d.%03d %-13s %s: %s%n", e.seq(), e.timeMs() / 1000, e.timeMs() % 1000,
                        e.type(), e.subject(), e.detail()));
            }
            return Formats.plain(out.toString());
        }
        return ResponseEntity.ok(events);
    }

    @GetMapping("/check")
    @Operation(summary = "The kernel's invariant check", description = "Hash table structure, hash entries and live sockets, FDs and "
            + "open-file reference counts, listeners and their queues, sleeping threads and wait queues")
    CheckView check(@PathVariable String k) {
        var result = kernels.get(k).inspect(io.vkernel.kernel.KernelCheck::run);
        return new CheckView(result.ok(), result.checked(), result.violations());
    }

    @GetMapping("/sysctl")
    @Operation(summary = "Tunables with their values")
    List<SysctlView> sysctls(@PathVariable String k) {
        return kernels.get(k).inspect(kk -> kk.sysctls().all().entrySet().stream()
                .map(e -> new SysctlView(e.getKey(), e.getValue(), Sysctls.describe(e.getKey()))).toList());
    }

    @PutMapping("/sysctl/{name}")
    @Operation(summary = "Set a tunable")
    SysctlView setSysctl(@PathVariable String k, @PathVariable String name, @RequestBody SysctlValue body) {
        long value = Inputs.required("value", body.value(), "the new value");
        Kernel kernel = kernels.get(k);
        if (!Sysctls.exists(name)) {
            throw ApiException.notFound("sysctl", "unknown sysctl '" + name + "'; GET .../sysctl lists them");
        }
        try {
            kernel.sysctl(name, value);
        } catch (IllegalArgumentException e) {
            throw ApiException.badField("value", e.getMessage());
        }
        return new SysctlView(name, value, Sysctls.describe(name));
    }

}
