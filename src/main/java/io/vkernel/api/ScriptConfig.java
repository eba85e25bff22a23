package io.vkernel.api;

import io.vkernel.script.ScriptLimits;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wires the script runner's bounds from {@code vkernel.scripts.*}; unset values keep {@link ScriptLimits#defaults()}. */
@Configuration
@EnableConfigurationProperties(ScriptConfig.ScriptsProperties.class)
class ScriptConfig {

    @ConfigurationProperties("vkernel.scripts")
    record ScriptsProperties(Integer maxBytes, Integer maxLines, Long maxVirtualSeconds) {

        ScriptLimits toLimits() {
            ScriptLimits d = ScriptLimits.defaults();
            return new ScriptLimits(maxBytes != null ? maxBytes : d.maxBytes(), maxLines != null ? maxLines : d.maxLines(),
                    maxVirtualSeconds != null ? maxVirtualSeconds : d.maxVirtualSeconds());
        }
    }

    @Bean
    ScriptLimits scriptLimits(ScriptsProperties properties) {
        return properties.toLimits();
    }
}
