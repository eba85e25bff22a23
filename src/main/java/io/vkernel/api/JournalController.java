package io.vkernel.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.vkernel.journal.JournalCodec;
import io.vkernel.journal.JournalException;
import io.vkernel.journal.KernelJournal;
import io.vkernel.journal.Replay;
import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.KernelConfig;
import io.vkernel.sandbox.KernelRegistry;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.net.URI;
import java.util.List;

/** A kernel's journal: export it, import one as a new kernel, fork a kernel at any step. */
@RestController
@Tag(name = "journal", description = "Durable kernels: the journal of a kernel's inputs, export, import and fork")
class JournalController {

    static final String NDJSON = "application/x-ndjson";

    private final Kernels kernels;
    private final KernelRegistry registry;
    private final KernelJournal journal;

    JournalController(Kernels kernels, KernelRegistry registry, KernelJournal journal) {
        this.kernels = kernels;
        this.registry = registry;
        this.journal = journal;
    }

    @GetMapping(value = "/api/v1/kernels/{k}/journal", produces = NDJSON)
    @Operation(summary = "The kernel's journal (NDJSON)", description = "Line 1 is the header (\"journal\": \"vkernel\", its "
            + "version and the kernel's creation settings); line n + 1 is step n, one input (packet, system call, process "
            + "start or exit, clock advance, sysctl change, clock mode) as the kernel executed it. POST it to "
            + "/api/v1/kernels/import to make a copy of the kernel, or fork it at any step")
    ResponseEntity<String> exportJournal(@PathVariable String k) {
        Kernel kernel = kernels.get(k);
        journal.flush();
        List<String> lines = journal.isJournaled(kernel) ? journal.lines(kernel.id()) : List.of();
        if (lines.isEmpty()) {
            throw new ApiException(HttpStatus.CONFLICT, "not-journaled", "Not journaled", "kernel '" + k
                    + "' is not journaled (vkernel.journal.enabled is false)", null);
        }
        return ResponseEntity.ok().contentType(MediaType.parseMediaType(NDJSON)).body(String.join("\n", lines) + "\n");
    }

    @PostMapping(value = "/api/v1/kernels/{k}/fork")
    @Operation(summary = "Fork a kernel at a step", description = "A new kernel replayed from this kernel's journal up to step "
            + "`at` (0: as created; default: every step so far), so a timeline can be scrubbed: the original is not changed. "
            + "`id` names the new kernel (default: a fresh k-... id)")
    ResponseEntity<Views.KernelView> forkKernel(@PathVariable String k, @RequestParam(required = false) Long at,
                                          @RequestParam(required = false) String id,
                                          jakarta.servlet.http.HttpServletRequest request) throws java.io.IOException {
        if (request.getInputStream().read() != -1) {
            throw ApiException.badField("body", "fork takes no body: give the step as ?at=N and the new kernel's id as ?id=");
        }
        Kernel kernel = kernels.get(k);
        journal.flush();
        List<String> lines = journal.lines(kernel.id());
        if (lines.isEmpty()) {
            throw new ApiException(HttpStatus.CONFLICT, "not-journaled", "Not journaled", "kernel '" + k + "' is not journaled", null);
        }
        int steps = lines.size() - 1;
        long step = at == null ? steps : at;
        if (step < 0 || step > steps) {
            throw ApiException.badField("at", "at must be a step between 0 and " + steps + " (the journal's last step), got " + step);
        }
        Replay.Parsed parsed = Replay.parse(lines.subList(0, (int) step + 1));
        return replayed(parsed, id, (int) step, "fork of " + k);
    }

    @PostMapping(value = "/api/v1/kernels/import", consumes = {NDJSON, MediaType.TEXT_PLAIN_VALUE, MediaType.APPLICATION_JSON_VALUE})
    @Operation(summary = "Import a journal as a new kernel", description = "The body is a journal as GET .../journal exports it "
            + "(NDJSON). The kernel is replayed step by step; `id` names it (default: a fresh k-... id). A truncated or corrupt "
            + "journal, or one of a newer version, is a 400 naming the line; one whose step fails on replay is a 422; "
            + "nothing is created then")
    ResponseEntity<Views.KernelView> importJournal(@RequestBody(required = false) String body,
                                                   @RequestParam(required = false) String id) {
        if (body == null || body.isBlank()) {
            throw ApiException.badField("journal", "the body must be a journal: NDJSON as GET /api/v1/kernels/{k}/journal exports it");
        }
        Replay.Parsed parsed;
        try {
            parsed = Replay.parse(body.lines().toList());
        } catch (JournalException e) {
            throw invalid(e);
        }
        return replayed(parsed, id, parsed.inputs().size(), "import");
    }

    private ResponseEntity<Views.KernelView> replayed(Replay.Parsed parsed, String id, int steps, String what) {
        String kernelId = id != null ? id : registry.newId();
        try {
            registry.checkNewId(kernelId);
        } catch (IllegalStateException e) {
            throw new ApiException(HttpStatus.CONFLICT, "kernel-exists", "Kernel exists", e.getMessage(), "id");
        } catch (IllegalArgumentException e) {
            throw ApiException.badField("id", e.getMessage());
        }
        KernelConfig c = parsed.header().config();
        KernelConfig config = new KernelConfig(kernelId, c.address(), c.seed(), c.buckets(), c.hash(), c.eventCapacity(),
                c.wireCapacity(), c.maxProcesses(), c.maxConnections());
        Kernel kernel;
        try {
            kernel = Replay.run(parsed, config, steps, registry::build);
        } catch (JournalException e) {
            throw new ApiException(HttpStatus.UNPROCESSABLE_CONTENT, "journal-replay-failed", "Journal replay failed",
                    what + ": " + e.getMessage() + "; nothing was created", "journal");
        }
        try {
            journal.adopt(registry, kernel, parsed.header(), parsed.inputs().subList(0, steps));
        } catch (IllegalStateException e) {
            throw new ApiException(HttpStatus.CONFLICT, "kernel-exists", "Kernel exists", e.getMessage(), "id");
        }
        return ResponseEntity.created(URI.create("/api/v1/kernels/" + kernel.id())).body(kernel.inspect(Views::kernel));
    }

    private static ApiException invalid(JournalException e) {
        return ApiException.badField("journal", "the journal cannot be read at " + e.getMessage() + "; nothing was created");
    }
}
