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
import io.vkernel.script.JournalScript;
import io.vkernel.script.ScriptLimits;
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
    /** What POST /api/v1/scripts/runs takes: a packetdrill script is plain text. */
    static final String PKT = MediaType.TEXT_PLAIN_VALUE;

    private final Kernels kernels;
    private final KernelRegistry registry;
    private final KernelJournal journal;
    private final ScriptLimits scriptLimits;

    JournalController(Kernels kernels, KernelRegistry registry, KernelJournal journal, ScriptLimits scriptLimits) {
        this.scriptLimits = scriptLimits;
        this.kernels = kernels;
        this.registry = registry;
        this.journal = journal;
    }

    @GetMapping(value = "/api/v1/kernels/{k}/journal", produces = {NDJSON, PKT})
    @Operation(summary = "The kernel's journal (NDJSON), or its history as a packetdrill script", description = "Line 1 is the "
            + "header (\"journal\": \"vkernel\", its version and the kernel's creation settings); line n + 1 is step n, one "
            + "input (packet, system call, process start or exit, clock advance, sysctl change, clock mode) as the kernel "
            + "executed it. POST it to /api/v1/kernels/import to make a copy of the kernel, or fork it at any step. "
            + "With ?format=pkt the history is written as a packetdrill script (text/plain) that POST /api/v1/scripts/runs "
            + "passes, or refused with a 422 naming the first step that script cannot express")
    ResponseEntity<String> exportJournal(@PathVariable String k, @RequestParam(required = false) String format) {
        if (format != null && !format.equals("ndjson") && !format.equals("pkt")) {
            throw ApiException.badField("format", "format is ndjson (the journal, the default) or pkt (a packetdrill script), got '"
                    + format + "'");
        }
        Kernel kernel = kernels.get(k);
        journal.flush();
        List<String> lines = journal.isJournaled(kernel) ? journal.lines(kernel.id()) : List.of();
        if (lines.isEmpty()) {
            throw new ApiException(HttpStatus.CONFLICT, "not-journaled", "Not journaled", "kernel '" + k
                    + "' is not journaled (vkernel.journal.enabled is false)", null);
        }
        if ("pkt".equals(format)) {
            return ResponseEntity.ok().contentType(MediaType.parseMediaType(PKT + ";charset=UTF-8")).body(script(k, lines));
        }
        return ResponseEntity.ok().contentType(MediaType.parseMediaType(NDJSON)).body(String.join("\n", lines) + "\n");
    }

    /** The history as a packetdrill script, replayed on a private kernel that no registry or budget sees. */
    private String script(String k, List<String> lines) {
        Replay.Parsed parsed = Replay.parse(lines);
        KernelConfig c = parsed.header().config();
        Kernel fresh = new Kernel(c);
        fresh.limitParkedCalls(parsed.header().parkedPerProcess(), parsed.header().parkedPerKernel());
        String title = "kernel '" + k + "' (" + io.vkernel.kernel.wire.Ipv4.format(c.address()) + ", seed " + c.seed() + ")";
        try {
            return JournalScript.export(fresh, title, parsed.inputs(), scriptLimits);
        } catch (JournalScript.NotExpressible e) {
            throw new ApiException(HttpStatus.UNPROCESSABLE_CONTENT, "not-expressible-as-script", "Not expressible as a script",
                    "kernel '" + k + "': " + e.getMessage() + ". GET the journal without ?format=pkt for every step, or fork the "
                    + "kernel before that step (POST /api/v1/kernels/" + k + "/fork?at=" + (e.step() - 1) + ") and export the fork",
                    "format");
        }
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
