package io.vkernel.anchor;

import java.util.Map;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** The yardstick: what Spring Boot itself answers per second for one small JSON map, with nothing of vkernel's. */
@SpringBootApplication
@RestController
public class AnchorApplication {

    @GetMapping("/ping")
    public Map<String, Boolean> ping() {
        return Map.of("pong", true);
    }

    public static void main(String[] args) {
        SpringApplication.run(AnchorApplication.class, args);
    }
}
