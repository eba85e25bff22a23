package io.vkernel.api;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.http.server.PathContainer;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.web.servlet.HandlerMapping;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import org.springframework.web.util.ServletRequestPathUtils;
import org.springframework.web.util.pattern.PathPattern;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The handler lookup's first test never turns away a request Spring's own path patterns would take: checked over
 * every mapping the service registers and paths built from every pattern (plain, with a trailing slash, doubled
 * slashes, percent-encoded and matrix-parameter segments, other case), and it does turn most mappings away.
 */
class LiteralSegmentHandlerMappingTest extends HttpKernelTest {

    @Autowired
    @Qualifier("requestMappingHandlerMapping")
    RequestMappingHandlerMapping mapping;

    @Test
    void theServiceLooksHandlersUpThroughIt() {
        assertThat(mapping).isInstanceOf(LiteralSegmentHandlerMapping.class);
        assertThat(http.post(base + "/processes/" + pid + "/socket", "").status()).isEqualTo(200);
        Http.Reply fcntl = http.post(base + "/processes/" + pid + "/fcntl", "{\"fd\":3,\"cmd\":\"F_GETFL\"}");
        assertThat(fcntl.status()).as(fcntl.body()).isEqualTo(200);
        assertThat(http.post(base + "/processes/" + pid + "/nosuchcall", "{}").status()).isEqualTo(404);
        assertThat(http.get(base + "/processes/" + pid + "/fcntl").status()).as("GET of a POST endpoint").isEqualTo(405);
    }

    @Test
    void neverRejectsAPathSpringsPatternMatches_andRejectsMostMappingsForAnyOnePath() {
        Set<RequestMappingInfo> infos = mapping.getHandlerMethods().keySet();
        List<String> paths = new ArrayList<>();
        for (RequestMappingInfo info : infos) {
            for (PathPattern pattern : info.getPathPatternsCondition().getPatterns()) {
                String plain = pattern.getPatternString().replaceAll("\\{\\*[^}]*}", "a/b").replaceAll("\\{[^}]*}", "v1")
                        .replace("**", "x/y").replace("*", "x");
                paths.addAll(variants(plain));
            }
        }
        assertThat(infos).hasSizeGreaterThan(50);
        paths.add(base + "/processes/" + pid + "/fcntl");
        long checks = 0;
        for (String path : paths) {
            MockHttpServletRequest request = new MockHttpServletRequest("POST", path);
            ServletRequestPathUtils.parseAndCache(request);
            PathContainer container = ServletRequestPathUtils.getParsedRequestPath(request).pathWithinApplication();
            int rejected = 0;
            for (RequestMappingInfo info : infos) {
                boolean springMatches = info.getPathPatternsCondition().getPatterns().stream().anyMatch(p -> p.matches(container));
                boolean mayMatch = LiteralSegmentHandlerMapping.Shape.of(info, true).mayMatch(request);
                if (springMatches) {
                    assertThat(mayMatch).as("%s for %s", info, path).isTrue();
                }
                rejected += mayMatch ? 0 : 1;
                checks++;
            }
            if (path.equals(base + "/processes/" + pid + "/fcntl")) {
                assertThat(rejected).as("mappings turned away at once for " + path).isGreaterThan(infos.size() * 3 / 4);
            }
        }
        assertThat(checks).isGreaterThan(1000);
    }

    @Test
    void theIndexedLookupFindsWhatSpringsLookupFinds_forEveryPatternMethodAndVariant() throws Exception {
        LiteralSegmentHandlerMapping literal = (LiteralSegmentHandlerMapping) mapping;
        List<String> paths = new ArrayList<>(List.of("/api/v1/ping", "/api/v1/nosuch", "/actuator/health", "/", "/error",
                base + "/processes/" + pid + "/fcntl", base + "/processes/" + pid + "/nosuchcall", base + "/packets"));
        for (RequestMappingInfo info : mapping.getHandlerMethods().keySet()) {
            for (PathPattern pattern : info.getPathPatternsCondition().getPatterns()) {
                paths.addAll(variants(pattern.getPatternString().replaceAll("\\{\\*[^}]*}", "a/b").replaceAll("\\{[^}]*}", "v1")
                        .replace("**", "x/y").replace("*", "x")));
            }
        }
        int found = 0;
        for (String path : paths) {
            for (String method : List.of("GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS")) {
                for (String accept : new String[] {null, "text/plain", "image/png"}) {
                    Object[] indexed = lookup(literal, method, path, accept, true);
                    Object[] spring = lookup(literal, method, path, accept, false);
                    assertThat(indexed).as("%s %s, Accept %s", method, path, accept).containsExactly(spring);
                    found += indexed[0].equals("null") || indexed[0].toString().startsWith("class ") ? 0 : 1;
                }
            }
        }
        assertThat(found).as("requests that found a handler").isGreaterThan(300);
    }

    /** The handler (or the exception's class) and the attributes a match sets, by either lookup. */
    private static Object[] lookup(LiteralSegmentHandlerMapping mapping, String method, String path, String accept, boolean indexed) {
        MockHttpServletRequest request = new MockHttpServletRequest(method, path);
        request.setContentType("application/json");
        if (accept != null) {
            request.addHeader("Accept", accept);
        }
        ServletRequestPathUtils.parseAndCache(request);
        Object handler;
        try {
            handler = indexed ? mapping.indexedLookup(request) : mapping.springsLookup(request);
        } catch (Exception e) {
            handler = e.getClass();
        }
        return new Object[] {String.valueOf(handler), request.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE),
                request.getAttribute(HandlerMapping.URI_TEMPLATE_VARIABLES_ATTRIBUTE),
                String.valueOf(request.getAttribute(HandlerMapping.PRODUCIBLE_MEDIA_TYPES_ATTRIBUTE)),
                request.getAttribute(HandlerMapping.BEST_MATCHING_HANDLER_ATTRIBUTE) == null ? null
                        : String.valueOf(request.getAttribute(HandlerMapping.BEST_MATCHING_HANDLER_ATTRIBUTE))};
    }

    @Test
    void isAskedBeforeTheActuatorsMappings() {
        assertThat(http.get("/api/v1/ping").status()).isEqualTo(200);
        assertThat(http.get("/actuator/health").status()).isEqualTo(200);
        assertThat(mapping.getOrder()).isLessThan(-100);
    }

    private static Set<String> variants(String path) {
        Set<String> out = new LinkedHashSet<>();
        out.add(path);
        out.add(path + "/");
        out.add(path.replaceFirst("/", "//"));
        out.add(path.replace("/v1/", "//v1/"));
        out.add(path.replace("api", "%61pi"));
        out.add(path.replace("/api", "/api;x=1"));
        out.add(path.toUpperCase());
        int last = path.lastIndexOf('/');
        if (last > 0 && last + 1 < path.length()) {
            out.add(path.substring(0, last + 1) + "%" + Integer.toHexString(path.charAt(last + 1)) + path.substring(last + 2));
            out.add(path + ";a=b");
        }
        return out;
    }
}
