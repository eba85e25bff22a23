package io.vkernel;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** Starts the vkernel HTTP service: a registry of virtual kernels driven over REST. */
@SpringBootApplication
public class VkernelApplication {

    public static void main(String[] args) {
        SpringApplication.run(VkernelApplication.class, args);
    }
}
