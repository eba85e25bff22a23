package io.vkernel.api;

import io.github.bucket4j.TimeMeter;
import io.vkernel.sandbox.Attendees;
import io.vkernel.sandbox.KernelActivity;
import io.vkernel.sandbox.KernelRegistry;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.security.authorization.AuthorizationDecision;
import org.springframework.security.authorization.AuthorizationDeniedException;
import org.springframework.security.authorization.AuthorizationManager;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.core.authority.AuthorityUtils;
import org.springframework.security.oauth2.core.DefaultOAuth2AuthenticatedPrincipal;
import org.springframework.security.oauth2.core.OAuth2AuthenticatedPrincipal;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.oauth2.server.resource.introspection.BadOpaqueTokenException;
import org.springframework.security.oauth2.server.resource.introspection.OpaqueTokenIntrospector;
import org.springframework.security.oauth2.server.resource.web.BearerTokenAuthenticationEntryPoint;
import org.springframework.security.oauth2.server.resource.web.authentication.BearerTokenAuthenticationFilter;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.DefaultSecurityFilterChain;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.AccessDeniedHandler;
import org.springframework.security.web.access.intercept.RequestAuthorizationContext;
import org.springframework.security.web.firewall.StrictHttpFirewall;
import org.springframework.security.web.util.matcher.AnyRequestMatcher;
import org.springframework.security.config.annotation.web.configuration.WebSecurityCustomizer;

import java.io.IOException;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.Map;

/**
 * Spring Security for both modes. Open mode (the default) lets every request through untouched: no login page, no
 * generated password, no CSRF check, no extra headers, no security filter at all, exactly the service as it was.
 * Workshop mode ({@code vkernel.workshop.enabled=true}) reads {@code Authorization: Bearer <token>} with Spring Security's
 * resource-server support (opaque tokens, checked here rather than at an introspection endpoint) and applies the
 * rules below; every refusal is an RFC 9457 problem like the rest of the API.
 */
@Configuration
@EnableConfigurationProperties(WorkshopProperties.class)
class WorkshopSecurity {

    /** The wall clock for idle times and request rates; a test replaces this bean to move time without sleeping. */
    @Bean
    Clock workshopClock() {
        return Clock.systemUTC();
    }

    @Bean
    KernelActivity kernelActivity(@Qualifier("workshopClock") Clock clock, KernelRegistry registry) {
        return new KernelActivity(clock, registry);
    }

    @Bean
    Workshop workshop(WorkshopProperties properties, KernelRegistry registry,
                      org.springframework.beans.factory.ObjectProvider<io.vkernel.journal.KernelJournal> journals,
                      @org.springframework.beans.factory.annotation.Value("${vkernel.journal.enabled:true}") boolean journaled) {
        Attendees attendees = new Attendees(properties.kernelsPerAttendee());
        registry.onRemoved(kernel -> attendees.removed(kernel.id()));
        io.vkernel.journal.KernelJournal journal = journaled ? journals.getIfAvailable() : null;
        if (journal != null) {
            // the kernels restored from their journals belong to their attendees again, whose tokens work again
            journal.restoredOwners().forEach((kernelId, attendee) ->
                    journal.ownerDigest(attendee).ifPresent(digest -> attendees.restore(kernelId, attendee, digest)));
            attendees.persistTo(journal::own);
        }
        return new Workshop(properties.enabled(), attendees);
    }

    @Bean
    @ConditionalOnProperty(name = "vkernel.workshop.enabled", havingValue = "true")
    WorkshopEvictor workshopEvictor(WorkshopProperties properties, KernelRegistry registry, KernelActivity activity,
                                    EventStreams streams, WorkshopRateLimit rateLimit, Workshop workshop) {
        return new WorkshopEvictor(properties, registry, activity, streams, rateLimit, workshop.attendees());
    }

    @Bean
    WorkshopRateLimit workshopRateLimit(WorkshopProperties properties, @Qualifier("workshopClock") Clock clock) {
        TimeMeter time = new TimeMeter() {
            @Override
            public long currentTimeNanos() {
                java.time.Instant now = clock.instant();
                return now.getEpochSecond() * 1_000_000_000L + now.getNano();
            }

            @Override
            public boolean isWallClockBased() {
                return true;
            }
        };
        return new WorkshopRateLimit(properties.requestsPerSecond(), properties.burst(), time);
    }

    /**
     * Spring Security's own observations of each request (spring.security.filterchains: one observation before and
     * one after the chain, and one around every filter in it) timed the same request a second time, next to
     * Spring MVC's http.server.requests, and were a fifth of a ping's CPU time (BENCHMARKS.md). Requests are not
     * observed by Spring Security; authentications and authorizations (workshop mode) still are.
     */
    @Bean
    SecurityObservationSettings vkernelSecurityObservations() {
        return SecurityObservationSettings.withDefaults().shouldObserveRequests(false).build();
    }

    /**
     * Open mode: a chain with no filters for every request, which is what {@code WebSecurity.ignoring()} builds (the
     * request still passes the firewall below, so odd URLs are refused as before). Permitting everything through the
     * full chain gave the same answers at about a quarter of a ping's CPU time: a security context, an anonymous
     * authentication, an authorization decision and response wrappers per request, for nothing.
     */
    @Bean
    SecurityFilterChain vkernelSecurity(HttpSecurity http, WorkshopProperties properties, Workshop workshop,
                                        WorkshopRateLimit rateLimit) throws Exception {
        properties.check();
        if (!properties.enabled()) {
            return new DefaultSecurityFilterChain(AnyRequestMatcher.INSTANCE);
        }
        http.csrf(csrf -> csrf.disable())
                .requestCache(cache -> cache.disable())
                .logout(logout -> logout.disable())
                .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS));
        AuthenticationEntryPoint unauthorized = unauthorized();
        AccessDeniedHandler denied = denied();
        AuthorizationManager<RequestAuthorizationContext> owner = (authentication, context) -> {
            String k = context.getVariables().get("k");
            Workshop.Caller caller = workshop.caller(authentication.get());
            if (caller.attendee() == null && !caller.instructor()) {
                return new AuthorizationDecision(false); // nobody: 401 from the entry point
            }
            if (workshop.mayUse(caller, k)) {
                return new AuthorizationDecision(true);
            }
            return KernelRegistry.DEFAULT_ID.equals(k) ? new InstructorOnly() : new HiddenKernel(k);
        };
        http.cors(Customizer.withDefaults())
                .oauth2ResourceServer(server -> server
                        .opaqueToken(opaque -> opaque.introspector(introspector(properties, workshop.attendees())))
                        .authenticationEntryPoint(unauthorized)
                        .accessDeniedHandler(denied))
                .exceptionHandling(handling -> handling.authenticationEntryPoint(unauthorized).accessDeniedHandler(denied))
                .authorizeHttpRequests(requests -> requests
                        .dispatcherTypeMatchers(DispatcherType.ASYNC, DispatcherType.ERROR).permitAll()
                        .requestMatchers(HttpMethod.OPTIONS, "/**").permitAll()
                        .requestMatchers("/actuator/health", "/actuator/health/**", "/actuator/info").permitAll()
                        .requestMatchers("/actuator", "/actuator/**").hasAuthority(Workshop.ROLE_INSTRUCTOR)
                        // no token: a new attendee and their token; a token: another kernel for the same attendee
                        .requestMatchers(HttpMethod.POST, "/api/v1/kernels").permitAll()
                        .requestMatchers(HttpMethod.GET, "/api/v1/kernels").authenticated()
                        .requestMatchers("/api/v1/kernels/{k}", "/api/v1/kernels/{k}/**").access(owner)
                        .requestMatchers("/api/v1/workshop", "/api/v1/workshop/**").hasAuthority(Workshop.ROLE_INSTRUCTOR)
                        .requestMatchers(HttpMethod.GET, "/api/v1/networks", "/api/v1/networks/**").authenticated()
                        .requestMatchers("/api/v1/networks", "/api/v1/networks/**").hasAuthority(Workshop.ROLE_INSTRUCTOR)
                        // runs make private kernels: they cost memory, so they need a token
                        .requestMatchers(HttpMethod.POST, "/api/v1/scenarios/*/runs", "/api/v1/scripts/runs").authenticated()
                        // the dashboard, /api/v1, ping, the scenario list, Swagger UI and the spec stay open
                        .anyRequest().permitAll())
                .addFilterAfter(rateLimit.filter(), BearerTokenAuthenticationFilter.class);
        return http.build();
    }

    /**
     * Spring Security's firewall refuses odd URLs with a bare 400 before anything else sees them. In open mode it
     * lets through everything Tomcat and Spring MVC accepted before Spring Security was added (a kernel id of
     * {@code %} still gets its 404 problem); workshop mode keeps the strict checks, so that no path can mean one
     * thing to the access rules and another to the controllers, except that a {@code %25} in a path is allowed.
     */
    @Bean
    WebSecurityCustomizer vkernelFirewall(WorkshopProperties properties) {
        StrictHttpFirewall firewall = new StrictHttpFirewall();
        firewall.setAllowUrlEncodedPercent(true);
        if (!properties.enabled()) {
            firewall.setUnsafeAllowAnyHttpMethod(true);
            firewall.setAllowSemicolon(true);
            firewall.setAllowUrlEncodedSlash(true);
            firewall.setAllowUrlEncodedDoubleSlash(true);
            firewall.setAllowUrlEncodedPeriod(true);
            firewall.setAllowBackSlash(true);
            firewall.setAllowNull(true);
            firewall.setAllowUrlEncodedCarriageReturn(true);
            firewall.setAllowUrlEncodedLineFeed(true);
            firewall.setAllowUrlEncodedParagraphSeparator(true);
            firewall.setAllowUrlEncodedLineSeparator(true);
            firewall.setAllowedHeaderNames(name -> true);
            firewall.setAllowedHeaderValues(value -> true);
            firewall.setAllowedParameterNames(name -> true);
            firewall.setAllowedParameterValues(value -> true);
        }
        return web -> web.httpFirewall(firewall);
    }

    /** The instructor's token (compared as SHA-256 digests in constant time) or an attendee's. */
    private static OpaqueTokenIntrospector introspector(WorkshopProperties properties, Attendees attendees) {
        byte[] instructor = Attendees.sha256(properties.instructorToken().strip());
        return token -> {
            if (MessageDigest.isEqual(instructor, Attendees.sha256(token))) {
                return principal(Workshop.INSTRUCTOR, Workshop.ROLE_INSTRUCTOR);
            }
            return attendees.authenticate(token).map(attendee -> principal(attendee, Workshop.ROLE_ATTENDEE))
                    .orElseThrow(() -> new BadOpaqueTokenException("unknown token"));
        };
    }

    private static OAuth2AuthenticatedPrincipal principal(String name, String role) {
        return new DefaultOAuth2AuthenticatedPrincipal(name, Map.of("sub", name), AuthorityUtils.createAuthorityList(role));
    }

    /**
     * 401 with {@code WWW-Authenticate: Bearer} (RFC 6750, set by Spring Security's entry point, with
     * {@code error="invalid_token"} for a token we do not know) and a problem saying how to get a token.
     */
    private static AuthenticationEntryPoint unauthorized() {
        BearerTokenAuthenticationEntryPoint bearer = new BearerTokenAuthenticationEntryPoint();
        bearer.setRealmName("vkernel");
        return (request, response, exception) -> {
            bearer.commence(request, response, exception);
            HttpStatus status = HttpStatus.resolve(response.getStatus());
            boolean badToken = exception instanceof OAuth2AuthenticationException;
            String detail = badToken
                    ? "the bearer token is not valid: it is not one this service issued, or all of its kernels were deleted "
                    + "or evicted; POST /api/v1/kernels without a token for a new kernel and token"
                    : "this needs your token: send -H 'Authorization: Bearer <token>' with the token POST /api/v1/kernels "
                    + "gave you (POST /api/v1/kernels without a token gives you a kernel and a token)";
            write(request, response, status == null || status == HttpStatus.OK ? HttpStatus.UNAUTHORIZED : status,
                    badToken ? "invalid-token" : "unauthorized", "Unauthorized", detail, "Authorization");
        };
    }

    /** Another attendee's kernel answers as an unknown one (404), so ids cannot be probed; other refusals are 403. */
    private static AccessDeniedHandler denied() {
        return (request, response, exception) -> {
            Object result = exception instanceof AuthorizationDeniedException d ? d.getAuthorizationResult() : null;
            if (result instanceof HiddenKernel hidden) {
                write(request, response, HttpStatus.NOT_FOUND, "kernel-not-found", "Not found", "no kernel '" + hidden.kernel
                        + "' among yours; GET /api/v1/kernels lists your kernels, POST /api/v1/kernels makes another", "k");
            } else if (result instanceof InstructorOnly) {
                write(request, response, HttpStatus.FORBIDDEN, "forbidden", "Forbidden", "in workshop mode only the "
                        + "instructor may use the 'default' kernel; use yours (GET /api/v1/kernels lists them)", "k");
            } else {
                write(request, response, HttpStatus.FORBIDDEN, "forbidden", "Forbidden", request.getMethod() + " "
                        + request.getRequestURI() + " needs the instructor's token in workshop mode", "Authorization");
            }
        };
    }

    private static void write(HttpServletRequest request, HttpServletResponse response, HttpStatus status, String type,
                              String title, String detail, String field) throws IOException {
        ProblemWriter.write(response, status, type, title, detail, request.getRequestURI(), field);
    }

    /** Denied because the kernel is not the caller's (or does not exist): answered as not found. */
    static final class HiddenKernel extends AuthorizationDecision {
        final String kernel;

        HiddenKernel(String kernel) {
            super(false);
            this.kernel = kernel;
        }
    }

    /** Denied because only the instructor may do it. */
    static final class InstructorOnly extends AuthorizationDecision {
        InstructorOnly() {
            super(false);
        }
    }
}
