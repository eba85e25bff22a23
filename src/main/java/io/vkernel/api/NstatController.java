package io.vkernel.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.vkernel.kernel.Kernel;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.util.Map;

/** The kernel's SNMP/netstat counters as nstat shows them (TcpExtListenOverflows, TcpExtListenDrops, ...). */
@RestController
@RequestMapping("/api/v1/kernels/{k}")
@Tag(name = "inspect", description = "Connections, the demux hash table, listeners, the clock, events and sysctls")
class NstatController {

    private final Kernels kernels;

    NstatController(Kernels kernels) {
        this.kernels = kernels;
    }

    @GetMapping(value = "/nstat", produces = {MediaType.APPLICATION_JSON_VALUE, MediaType.TEXT_PLAIN_VALUE})
    @Operation(summary = "The TCP MIB counters, as nstat -a prints them",
            description = "JSON as nstat -j ({\"kernel\": {\"TcpExtListenOverflows\": 1, ...}}), ?format=text as nstat -a; "
                    + "counters at zero are left out unless ?zeros=true (nstat -z)")
    ResponseEntity<?> nstat(@PathVariable String k, @RequestParam(required = false) String format,
                            @RequestParam(required = false) Boolean zeros) {
        Kernel kernel = kernels.get(k);
        Map<String, Long> shown = NstatText.shown(kernel.inspect(Kernel::nstat), Boolean.TRUE.equals(zeros));
        if (Formats.text(format)) {
            return Formats.plain(NstatText.render(shown));
        }
        return ResponseEntity.ok(Map.of("kernel", shown));
    }
}
