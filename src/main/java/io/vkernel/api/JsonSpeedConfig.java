package io.vkernel.api;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import tools.jackson.databind.JacksonModule;
import tools.jackson.module.blackbird.BlackbirdModule;

/**
 * Jackson's Blackbird module, which Spring Boot registers in the application's JSON mapper like any
 * {@link JacksonModule} bean: reading and writing the answers' properties goes through lambdas it generates instead of
 * Jackson 3's method-handle calls ({@code BeanPropertyWriter.get}, {@code invokeWithArguments}), which the JFR
 * profile of a POST showed (BENCHMARKS.md, issue 16). What is written is unchanged: same properties, same order.
 */
@Configuration(proxyBeanMethods = false)
class JsonSpeedConfig {

    @Bean
    JacksonModule blackbirdModule() {
        return new BlackbirdModule();
    }
}
