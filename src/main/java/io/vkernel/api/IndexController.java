package io.vkernel.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code GET /api/v1}: where everything is, so a client can start from the API's root and follow links. */
@RestController
@Tag(name = "kernels")
class IndexController {

    record Link(String href, String title) {
    }

    record Index(String name, String description, Map<String, Link> links) {
    }

    @GetMapping("/api/v1")
    @Operation(summary = "The API's index", description = "Links to the kernels, the default kernel's views, the scenarios, "
            + "script runs, the OpenAPI document, Swagger UI and health")
    Index index() {
        String k = "/api/v1/kernels/default";
        Map<String, Link> links = new LinkedHashMap<>();
        links.put("kernels", new Link("/api/v1/kernels", "kernels (sandboxes): list, or POST {\"id\":\"mine\"} to create one"));
        links.put("default", new Link(k, "the default kernel, 10.0.0.50; DELETE it for a fresh one"));
        links.put("processes", new Link(k + "/processes", "processes and their FD tables; POST {\"name\":\"server\"} to start one"));
        links.put("packets", new Link(k + "/packets", "the wire log; POST a packet to inject it"));
        links.put("connections", new Link(k + "/connections", "the established table (?format=text prints ss -tanp)"));
        links.put("demux", new Link(k + "/demux", "the 4-tuple hash table"));
        links.put("listeners", new Link(k + "/listeners", "listening sockets and their accept queues"));
        links.put("memory", new Link(k + "/memory", "what each connection costs, the seed's model next to Linux's"));
        links.put("events", new Link(k + "/events", "kernel events; /events/stream is the live SSE stream"));
        links.put("clock", new Link(k + "/clock", "the virtual clock and its timers"));
        links.put("capture", new Link(k + "/capture.pcap", "the wire log as a pcap file"));
        links.put("scenarios", new Link("/api/v1/scenarios", "the seed's walk-throughs, runnable"));
        links.put("scripts", new Link("/api/v1/scripts/runs", "POST a packetdrill-style script to run it"));
        links.put("openapi", new Link("/v3/api-docs", "the OpenAPI document"));
        links.put("swagger-ui", new Link("/swagger-ui.html", "Swagger UI"));
        links.put("dashboard", new Link("/", "the live dashboard in the browser"));
        links.put("health", new Link("/actuator/health", "health"));
        return new Index("vkernel", "A virtual kernel driven over HTTP", links);
    }
}
