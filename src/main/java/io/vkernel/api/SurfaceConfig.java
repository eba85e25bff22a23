package io.vkernel.api;

import org.apache.catalina.Valve;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.valves.ErrorReportValve;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.http.converter.json.JacksonJsonHttpMessageConverter;
import tools.jackson.core.JsonGenerator;
import tools.jackson.databind.json.JsonMapper;

/** What a client sees at the edges: problem pages from Tomcat itself, Content-Type checks, JSON that ends in a newline. */
@Configuration
class SurfaceConfig {

    /** Tomcat's own error pages (requests refused before a servlet runs) are problems too, not HTML. */
    @Bean
    ProblemErrorReports problemErrorReports() {
        return new ProblemErrorReports();
    }

    /**
     * Runs after Spring Boot's Tomcat customizer (which may add a plain ErrorReportValve) and swaps every
     * ErrorReportValve in the host's pipeline for ours; the host then adds none of its own when it starts,
     * because one of the configured class is already there.
     */
    static final class ProblemErrorReports implements WebServerFactoryCustomizer<TomcatServletWebServerFactory>, Ordered {
        @Override
        public void customize(TomcatServletWebServerFactory factory) {
            factory.addContextCustomizers(context -> {
                if (context.getParent() instanceof StandardHost host) {
                    for (Valve valve : host.getPipeline().getValves()) {
                        if (valve instanceof ErrorReportValve) {
                            host.getPipeline().removeValve(valve);
                        }
                    }
                    host.setErrorReportValveClass(ProblemReportValve.class.getName());
                    host.getPipeline().addValve(new ProblemReportValve());
                }
            });
        }

        @Override
        public int getOrder() {
            return Ordered.LOWEST_PRECEDENCE;
        }
    }

    @Bean
    FilterRegistrationBean<ContentTypeFilter> contentTypeFilter() {
        var registration = new FilterRegistrationBean<>(new ContentTypeFilter());
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 1);
        return registration;
    }

    /**
     * Every JSON answer ends with a newline, so a terminal's prompt starts on its own line after curl prints it.
     * Spring Boot backs off its own JSON converter when this bean exists; the mapper is Boot's, with the
     * spring.jackson settings.
     */
    @Bean
    JacksonJsonHttpMessageConverter jsonConverterEndingInNewline(JsonMapper mapper) {
        return new JacksonJsonHttpMessageConverter(mapper) {
            @Override
            protected void writeSuffix(JsonGenerator generator, Object object) {
                generator.writeRaw('\n');
            }
        };
    }
}
