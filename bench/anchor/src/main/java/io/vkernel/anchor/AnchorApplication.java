package io.vkernel.anchor;

import java.util.Map;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * The yardstick: what Spring Boot itself answers per second for one small JSON map, with nothing of vkernel's.
 * {@code GET /ping} is issue 16's anchor. {@code POST /calls/{pid}} has the shape of one of vkernel's system calls
 * (an {@code int} path variable, a small JSON body read into a record, a small JSON map back), so the bench can also
 * say how much of a call's cost is Spring MVC reading a body, which the GET does not do.
 */
@SpringBootApplication
@RestController
public class AnchorApplication {

    @GetMapping("/ping")
    public Map<String, Boolean> ping() {
        return Map.of("pong", true);
    }

    /** The body of {@code POST /calls/{pid}}, as vkernel's fcntl takes it. */
    public record Call(int fd, String cmd) {
    }

    @PostMapping("/calls/{pid}")
    public Map<String, Object> call(@PathVariable int pid, @RequestBody Call call) {
        return Map.of("pid", pid, "fd", call.fd(), "cmd", call.cmd(), "result", 2);
    }

    public static void main(String[] args) {
        SpringApplication.run(AnchorApplication.class, args);
    }
}
