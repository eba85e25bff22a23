package io.vkernel.api;

import jakarta.servlet.http.HttpServletRequest;
import org.springframework.boot.webmvc.autoconfigure.WebMvcRegistrations;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.server.PathContainer;
import org.springframework.http.server.RequestPath;
import org.springframework.web.servlet.mvc.condition.PathPatternsRequestCondition;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import org.springframework.web.util.ServletRequestPathUtils;
import org.springframework.web.util.pattern.PathPattern;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Spring MVC's handler lookup, with a cheap first test. A request whose path has variables ({@code /kernels/{k}/...})
 * has no direct-path match, so Spring tests every one of vkernel's ~100 mappings in full (request method, then
 * params, headers, consumes and produces, then the path pattern); that was 6-9 % of a POST's CPU (BENCHMARKS.md).
 * Here each mapping first compares the request's path with its patterns' literal segments and segment count, which
 * a request for another endpoint fails at once, and only the mappings that pass go through Spring's full test.
 *
 * <p>The test only ever says "cannot match" when Spring's own path pattern would not match either: it compares the
 * same decoded, parameter-free segment values {@link PathPattern} matches against, gives up (lets Spring decide) on
 * any path it does not read plainly (empty segments, a trailing slash), on any pattern with a multi-segment wildcard
 * or a case-insensitive parser, and on mappings without path patterns. Which handler answers, and every status,
 * header and byte of the answer, are Spring's: the 404/405/415 of an unmatched request come from Spring's
 * {@code handleNoMatch}, which looks at every mapping itself. Registered the documented way, through
 * {@link WebMvcRegistrations}.
 */
class LiteralSegmentHandlerMapping extends RequestMappingHandlerMapping {

    /** Registers this mapping in place of Spring MVC's default {@link RequestMappingHandlerMapping}. */
    @Configuration(proxyBeanMethods = false)
    static class Registration {
        @Bean
        WebMvcRegistrations literalSegmentRegistrations() {
            return new WebMvcRegistrations() {
                @Override
                public RequestMappingHandlerMapping getRequestMappingHandlerMapping() {
                    return new LiteralSegmentHandlerMapping();
                }
            };
        }
    }

    /** Each mapping's first test; built when first needed. */
    private final Map<RequestMappingInfo, Shape> shapes = new ConcurrentHashMap<>();

    @Override
    protected RequestMappingInfo getMatchingMapping(RequestMappingInfo info, HttpServletRequest request) {
        Shape shape = shapes.get(info);
        if (shape == null) {
            shape = shapes.computeIfAbsent(info, i -> Shape.of(i, getPatternParser() == null || getPatternParser().isCaseSensitive()));
        }
        if (shape != Shape.ANY && !shape.mayMatch(request)) {
            return null;
        }
        return super.getMatchingMapping(info, request);
    }

    /**
     * What a mapping's path patterns need of a path: for each pattern, its number of segments and its literal
     * segments by position. {@link #ANY} when nothing is known (Spring decides).
     */
    record Shape(int[] counts, String[][] literals) {

        static final Shape ANY = new Shape(new int[0], new String[0][]);

        static Shape of(RequestMappingInfo info, boolean caseSensitive) {
            PathPatternsRequestCondition condition = info.getPathPatternsCondition();
            if (!caseSensitive || condition == null || condition.getPatterns().isEmpty()) {
                return ANY;
            }
            int n = condition.getPatterns().size();
            int[] counts = new int[n];
            String[][] literals = new String[n][];
            int i = 0;
            for (PathPattern pattern : condition.getPatterns()) {
                String text = pattern.getPatternString();
                // only plain patterns: "/a/{b}/c", no "**", "{*rest}", empty segments or a trailing slash
                if (!text.startsWith("/") || text.endsWith("/") || text.contains("//") || text.contains("**")
                        || text.contains("{*") || text.contains("\\")) {
                    return ANY;
                }
                String[] segments = text.substring(1).split("/", -1);
                counts[i] = segments.length;
                literals[i] = new String[segments.length];
                for (int s = 0; s < segments.length; s++) {
                    String segment = segments[s];
                    boolean literal = !segment.isEmpty() && segment.chars().noneMatch(c -> c == '{' || c == '}' || c == '*' || c == '?' || c == ';' || c == '%');
                    literals[i][s] = literal ? segment : null;
                }
                i++;
            }
            return new Shape(counts, literals);
        }

        /** False only when no pattern can match the request's path. */
        boolean mayMatch(HttpServletRequest request) {
            if (!ServletRequestPathUtils.hasParsedRequestPath(request)) {
                return true;
            }
            RequestPath path = ServletRequestPathUtils.getParsedRequestPath(request);
            List<PathContainer.Element> elements = path.pathWithinApplication().elements();
            int size = elements.size();
            // plain "/seg/seg/seg": separators and segments alternate, starting with a separator, ending with a segment
            if (size == 0 || (size & 1) != 0) {
                return true;
            }
            for (int e = 0; e < size; e += 2) {
                if (!(elements.get(e) instanceof PathContainer.Separator) || !(elements.get(e + 1) instanceof PathContainer.PathSegment)) {
                    return true;
                }
            }
            int segments = size / 2;
            for (int p = 0; p < counts.length; p++) {
                if (counts[p] == segments && literalsMatch(literals[p], elements)) {
                    return true;
                }
            }
            return false;
        }

        private static boolean literalsMatch(String[] literals, List<PathContainer.Element> elements) {
            // the last segments tell vkernel's endpoints apart ("/kernels/{k}/processes/{pid}/fcntl"): test from the end
            for (int s = literals.length - 1; s >= 0; s--) {
                String literal = literals[s];
                if (literal != null && !literal.equals(((PathContainer.PathSegment) elements.get(2 * s + 1)).valueToMatch())) {
                    return false;
                }
            }
            return true;
        }
    }
}
