package io.vkernel.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.proc.Process;
import io.vkernel.kernel.trace.PacketReport;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.net.URI;
import java.util.List;

/** Processes, their threads and their FD tables. */
@RestController
@RequestMapping("/api/v1/kernels/{k}/processes")
@Tag(name = "processes", description = "Processes with their threads and FD tables")
class ProcessController {

    record SpawnProcess(String name) {
    }

    record ExitView(int pid, String status, List<Views.PacketView> sent) {
    }

    private final Kernels kernels;

    ProcessController(Kernels kernels) {
        this.kernels = kernels;
    }

    @GetMapping
    @Operation(summary = "List processes")
    List<Views.ProcessView> listProcesses(@PathVariable String k) {
        return kernels.get(k).inspect(kernel -> kernel.processes().stream().map(Views::process).toList());
    }

    @PostMapping
    @Operation(summary = "Start a process", description = "It starts with fds 0, 1 and 2 open on the terminal")
    ResponseEntity<Views.ProcessView> spawnProcess(@PathVariable String k, @RequestBody(required = false) SpawnProcess body) {
        String name = body == null || body.name() == null ? "server" : body.name();
        if (name.isBlank() || name.length() > 32 || !name.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw ApiException.badField("name", "name must be 1-32 printable characters without spaces, got '" + name + "'");
        }
        Kernel kernel = kernels.get(k);
        Process process = kernel.spawn(name);
        return ResponseEntity.created(URI.create("/api/v1/kernels/" + k + "/processes/" + process.pid()))
                .body(kernel.inspect(kk -> Views.process(process)));
    }

    @GetMapping("/{pid}")
    @Operation(summary = "One process: threads (RUNNING or SLEEPING with a wait channel) and FDs")
    Views.ProcessView getProcess(@PathVariable String k, @PathVariable int pid) {
        return kernels.get(k).inspect(kernel -> Views.process(kernel.requireProcess(pid)));
    }

    @DeleteMapping("/{pid}")
    @Operation(summary = "Kill a process", description = "As exit(): every FD is closed as close() would, so FINs or RSTs may go out")
    ExitView killProcess(@PathVariable String k, @PathVariable int pid) {
        PacketReport report = kernels.get(k).exit(pid);
        return new ExitView(pid, "exited", Views.sent(report));
    }

    @GetMapping(value = "/{pid}/fds", produces = {MediaType.APPLICATION_JSON_VALUE, MediaType.TEXT_PLAIN_VALUE})
    @Operation(summary = "The FD table", description = "?format=text prints it as lsof -nP -p PID does")
    ResponseEntity<?> fds(@PathVariable String k, @PathVariable int pid, @RequestParam(required = false) String format) {
        Kernel kernel = kernels.get(k);
        if (Formats.text(format)) {
            return Formats.plain(kernel.inspect(kk -> LsofText.render(kk, kk.requireProcess(pid))));
        }
        return ResponseEntity.ok(kernel.inspect(kk -> Views.fds(kk.requireProcess(pid))));
    }
}
