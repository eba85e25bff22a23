package io.vkernel.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.vkernel.kernel.Kernel;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/** The live event stream: every kernel event as a Server-Sent Event, as it happens. */
@RestController
@RequestMapping("/api/v1/kernels/{k}")
@Tag(name = "inspect", description = "Connections, the demux hash table, listeners, the clock, events and sysctls")
class EventStreamController {

    private final Kernels kernels;
    private final EventStreams streams;

    EventStreamController(Kernels kernels, EventStreams streams) {
        this.kernels = kernels;
        this.streams = streams;
    }

    @GetMapping(value = "/events/stream", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    @Operation(summary = "Live kernel events (Server-Sent Events)",
            description = "Each event is sent with id = its sequence number, event = its type (PACKET_IN, STATE_CHANGE, ...) and "
                    + "data = the JSON of GET .../events. Without after= or Last-Event-ID only new events are sent; with either, the "
                    + "kept events after that number come first (a reconnecting EventSource resumes where it stopped); a client that was dropped for not reading gets a first "
                    + "STREAM_DROPPED event saying why. Comments "
                    + "(lines starting with ':') say when events were forgotten and keep the connection alive. A kernel takes a "
                    + "bounded number of streams (429 beyond)")
    SseEmitter stream(@PathVariable String k,
                      @Parameter(description = "replay kept events with a higher sequence number first")
                      @RequestParam(required = false) Long after,
                      @Parameter(description = "set by EventSource on reconnect; wins over after=")
                      @RequestHeader(value = "Last-Event-ID", required = false) String lastEventId) {
        Kernel kernel = kernels.get(k);
        long from;
        if (lastEventId != null && !lastEventId.isBlank()) {
            from = lastEventId(lastEventId.trim());
        } else if (after != null) {
            if (after < 0) {
                throw ApiException.badField("after", "after must be 0 or a positive event sequence number, got " + after);
            }
            from = after;
        } else {
            from = kernel.events().lastSeq();
        }
        return streams.open(kernel, from, lastEventId != null && !lastEventId.isBlank());
    }

    private static long lastEventId(String text) {
        try {
            long id = Long.parseLong(text);
            if (id >= 0) {
                return id;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.badField("Last-Event-ID", "Last-Event-ID must be an event sequence number (the id of the last event "
                + "received), got '" + text + "'");
    }
}
