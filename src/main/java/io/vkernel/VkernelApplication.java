package io.vkernel;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.security.autoconfigure.UserDetailsServiceAutoConfiguration;

/**
 * Starts the vkernel HTTP service: a registry of virtual kernels driven over REST. There are no users and passwords
 * (workshop mode uses bearer tokens, see io.vkernel.api.WorkshopSecurity), so Spring Boot's generated user is off.
 */
@SpringBootApplication(exclude = UserDetailsServiceAutoConfiguration.class)
public class VkernelApplication {

    public static void main(String[] args) {
        SpringApplication.run(VkernelApplication.class, args);
    }
}
