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
import org.springframework.http.converter.HttpMessageConverter;
import org.springframework.http.converter.xml.Jaxb2RootElementHttpMessageConverter;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.web.servlet.config.annotation.CorsRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;
import tools.jackson.core.JsonGenerator;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.json.JsonMapper;

import java.lang.reflect.Type;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

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

    @Bean
    FilterRegistrationBean<FormatParameterFilter> formatParameterFilter() {
        var registration = new FilterRegistrationBean<>(new FormatParameterFilter());
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 2);
        return registration;
    }

    /**
     * Cross-origin requests are refused (no CORS headers) unless {@code vkernel.cors.allowed-origins} lists the
     * origins a browser page may call the API from, e.g. {@code http://localhost:3000}, or {@code *}.
     */
    @Bean
    WebMvcConfigurer cors(@Value("${vkernel.cors.allowed-origins:}") List<String> origins) {
        List<String> allowed = origins.stream().map(String::trim).filter(o -> !o.isEmpty()).toList();
        return new WebMvcConfigurer() {
            @Override
            public void addCorsMappings(CorsRegistry registry) {
                if (!allowed.isEmpty()) {
                    registry.addMapping("/api/**").allowedOriginPatterns(allowed.toArray(String[]::new))
                            .allowedMethods("GET", "POST", "PUT", "DELETE").exposedHeaders("Location", "Allow");
                }
            }
        };
    }

    /**
     * Injections and system calls rendered for a terminal, after JSON so JSON stays what a client that accepts
     * anything gets; and the JSON converter swapped in place for one whose answers end with a newline, so a
     * terminal's prompt starts on its own line after curl prints one. (Declaring the converter as a bean instead
     * would move it ahead of the String converter and quote springdoc's /v3/api-docs as a JSON string.) JAXB's
     * converter is left out: it handles no class of vkernel's.
     */
    @Bean
    WebMvcConfigurer terminalText() {
        return new WebMvcConfigurer() {
            @Override
            public void extendMessageConverters(List<HttpMessageConverter<?>> converters) {
                for (int i = 0; i < converters.size(); i++) {
                    if (converters.get(i) instanceof JacksonJsonHttpMessageConverter json && !(json instanceof NewlineJson)) {
                        converters.set(i, new NewlineJson(json.getMapper()));
                    }
                }
                converters.add(new TerminalText());
                // JAXB writes and reads only @XmlRootElement/@XmlType classes, and vkernel has none: the converter
                // (added because jakarta.xml.bind is on the classpath) could never answer, yet every answer asked it
                // (an annotation search per request, 1.4 % of a ping's CPU; BENCHMARKS.md, issue 16)
                converters.removeIf(c -> c instanceof Jaxb2RootElementHttpMessageConverter);
            }
        };
    }

    static final class NewlineJson extends JacksonJsonHttpMessageConverter {
        /** More distinct types than vkernel's handler methods declare: past it, types are resolved as before. */
        static final int TYPES_KEPT = 512;

        /** Jackson's type for each (declared type, class declaring it) pair asked for so far. */
        private final Map<TypeKey, JavaType> javaTypes = new ConcurrentHashMap<>();

        NewlineJson(JsonMapper mapper) {
            super(mapper);
        }

        /**
         * The same JavaType Spring's converter builds (resolving the handler's declared body or return type against
         * its class, then asking the mapper's type factory), kept per pair: the answer depends on nothing else, and
         * building it was 2-3 % of a request's CPU (issue 16). (Spring hands request-body types wrapped in a
         * serializable proxy whose equals and hashCode are those of the type it wraps, so they key alike.)
         */
        @Override
        protected JavaType getJavaType(Type type, Class<?> contextClass) {
            TypeKey key = new TypeKey(type, contextClass);
            JavaType known = javaTypes.get(key);
            if (known != null) {
                return known;
            }
            JavaType built = super.getJavaType(type, contextClass);
            if (javaTypes.size() < TYPES_KEPT) {
                javaTypes.putIfAbsent(key, built);
            }
            return built;
        }

        int typesKept() {
            return javaTypes.size();
        }

        private record TypeKey(Type type, Class<?> contextClass) {
        }

        @Override
        protected void writeSuffix(JsonGenerator generator, Object object) {
            generator.writeRaw('\n');
        }
    }
}
