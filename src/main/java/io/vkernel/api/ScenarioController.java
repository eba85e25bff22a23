package io.vkernel.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.vkernel.scenario.ScenarioInfo;
import io.vkernel.scenario.ScenarioRun;
import io.vkernel.scenario.ScenarioStep;
import io.vkernel.scenario.Scenarios;
import io.vkernel.scenario.UnknownScenarioException;
import io.vkernel.sandbox.KernelRegistry;
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

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The seed's walk-throughs: list them, and run one on a fresh kernel that stays in the sandbox to explore. */
@RestController
@RequestMapping("/api/v1/scenarios")
@Tag(name = "scenarios", description = "The seed's walk-throughs, runnable step by step on a fresh kernel")
class ScenarioController {

    /** A scenario in the list, with the path that runs it. */
    record ScenarioView(String id, String title, String seedSection, String summary, String run) {
    }

    /** Optional settings for a run: the new kernel's id and seed (another seed, other ISNs and hash buckets). */
    record RunRequest(String kernel, Long seed) {
    }

    /** A finished run: the kernel it played on, links to that kernel's views, and every step. */
    record ScenarioRunView(String scenario, String title, String seedSection, String kernel, long seed, int serverPid,
                           Map<String, String> links, List<ScenarioStep> steps) {
    }

    private final Scenarios scenarios;
    private final KernelRegistry registry;
    private final Workshop workshop;

    ScenarioController(KernelRegistry registry, Workshop workshop) {
        this.scenarios = new Scenarios(registry);
        this.registry = registry;
        this.workshop = workshop;
    }

    @GetMapping
    @Operation(summary = "List the seed's scenarios")
    List<ScenarioView> listScenarios() {
        return scenarios.list().stream().map(ScenarioController::view).toList();
    }

    @GetMapping("/{id}")
    @Operation(summary = "One scenario")
    ScenarioView getScenario(@PathVariable String id) {
        return scenarios.find(id).map(ScenarioController::view).orElseThrow(() -> unknown(id));
    }

    @PostMapping(value = "/{id}/runs", produces = {MediaType.APPLICATION_JSON_VALUE, MediaType.TEXT_PLAIN_VALUE})
    @Operation(summary = "Run a scenario on a fresh kernel", description = "Creates a kernel (seed 1 unless the body says "
            + "otherwise, so the numbers repeat), plays the scenario step by step and answers with each step's narration, "
            + "actions, the packets the kernel sent and its state afterwards. The kernel stays: explore it through the "
            + "links, delete it when done. The body is optional: {\"kernel\": \"my-id\", \"seed\": 7}. "
            + "?format=text prints a transcript.",
            responses = {
                    @ApiResponse(responseCode = "201", description = "The run; Location is its kernel", content = {
                            @Content(mediaType = MediaType.APPLICATION_JSON_VALUE, schema = @Schema(implementation = ScenarioRunView.class)),
                            @Content(mediaType = MediaType.TEXT_PLAIN_VALUE, schema = @Schema(type = "string"))}),
                    @ApiResponse(responseCode = "404", description = "No such scenario; the problem's detail lists them",
                            content = @Content(mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE)),
                    @ApiResponse(responseCode = "409", description = "A kernel with that id exists",
                            content = @Content(mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE)),
                    @ApiResponse(responseCode = "429", description = "The sandbox holds its limit of kernels",
                            content = @Content(mediaType = MediaType.APPLICATION_PROBLEM_JSON_VALUE))})
    ResponseEntity<?> runScenario(@PathVariable String id, @RequestParam(required = false) String format,
                                  @RequestBody(required = false) RunRequest body) {
        boolean text = Formats.text(format);
        RunRequest request = body != null ? body : new RunRequest(null, null);
        ScenarioRun[] played = new ScenarioRun[1];
        try {
            // in workshop mode the run's kernel is the caller's, and counts against their kernels-per-attendee
            workshop.create(() -> {
                played[0] = scenarios.run(id, request.kernel(), request.seed());
                return registry.find(played[0].kernel()).orElseThrow();
            });
        } catch (UnknownScenarioException e) {
            throw unknown(id);
        } catch (IllegalArgumentException e) {
            throw ApiException.badField("kernel", e.getMessage());
        } catch (IllegalStateException e) {
            throw new ApiException(HttpStatus.CONFLICT, "kernel-exists", "Kernel exists", e.getMessage(), "kernel");
        }
        ScenarioRun run = played[0];
        URI location = URI.create("/api/v1/kernels/" + run.kernel());
        if (text) {
            return ResponseEntity.created(location).contentType(new MediaType(MediaType.TEXT_PLAIN, StandardCharsets.UTF_8))
                    .body(run.transcript());
        }
        return ResponseEntity.created(location).body(new ScenarioRunView(run.scenario(), run.title(), run.seedSection(),
                run.kernel(), run.seed(), run.serverPid(), links(run), run.steps()));
    }

    private static ScenarioView view(ScenarioInfo info) {
        return new ScenarioView(info.id(), info.title(), info.seedSection(), info.summary(),
                "/api/v1/scenarios/" + info.id() + "/runs");
    }

    private static Map<String, String> links(ScenarioRun run) {
        String base = "/api/v1/kernels/" + run.kernel();
        Map<String, String> links = new LinkedHashMap<>();
        links.put("kernel", base);
        links.put("connections", base + "/connections");
        links.put("fds", base + "/processes/" + run.serverPid() + "/fds");
        links.put("process", base + "/processes/" + run.serverPid());
        links.put("demux", base + "/demux");
        links.put("listeners", base + "/listeners");
        links.put("packets", base + "/packets");
        links.put("events", base + "/events");
        links.put("clock", base + "/clock");
        return links;
    }

    private ApiException unknown(String id) {
        return ApiException.notFound("scenario", "no scenario '" + id + "'; the scenarios are: " + String.join(", ", scenarios.ids()));
    }
}
