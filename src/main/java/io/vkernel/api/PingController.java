package io.vkernel.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import java.util.Map;

/** A request that touches no kernel: the baseline the HTTP benchmark compares packet injection and syscalls with. */
@RestController
@Tag(name = "kernels")
class PingController {

    @GetMapping("/api/v1/ping")
    @Operation(summary = "No-op", description = "Answers at once without touching any kernel (the benchmarks' baseline)")
    Map<String, Boolean> ping() {
        return Map.of("pong", true);
    }
}
