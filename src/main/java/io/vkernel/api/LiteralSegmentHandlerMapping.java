package io.vkernel.api;

import jakarta.servlet.http.HttpServletRequest;
import org.springframework.boot.webmvc.autoconfigure.WebMvcRegistrations;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.server.PathContainer;
import org.springframework.http.server.RequestPath;
import org.springframework.web.cors.CorsUtils;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.mvc.condition.PathPatternsRequestCondition;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import org.springframework.web.util.ServletRequestPathUtils;
import org.springframework.web.util.pattern.PathPattern;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 *
 * <p>Two more savings, measured by {@code HttpPathCpu} (BENCHMARKS.md, issue 16): the mappings are indexed by the
 * last literal segment of their patterns, so a request is tested only against the mappings that end the way its path
 * ends (and those whose patterns end in a variable), not the ~100 of them; and this mapping is asked before the
 * actuator's three (order {@value #ORDER}, theirs is -100), which otherwise test their own mappings, media types
 * first, on every API request. No vkernel pattern can match an {@code /actuator} path, so which handler answers
 * does not change; a path this mapping does not know still falls through to the actuator's and the rest.
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

    /** Ahead of the actuator's handler mappings (order -100), which know only {@code /actuator} paths. */
    static final int ORDER = -200;

    /** The mappings by the last segment of a plain request path; rebuilt when mappings are added or removed. */
    private volatile Index index;

    @Override
    public int getOrder() {
        return ORDER;
    }

    @Override
    protected void registerHandlerMethod(Object handler, Method method, RequestMappingInfo mapping) {
        super.registerHandlerMethod(handler, method, mapping);
        index = null;
    }

    @Override
    public void registerMapping(RequestMappingInfo mapping, Object handler, Method method) {
        super.registerMapping(mapping, handler, method);
        index = null;
    }

    @Override
    public void unregisterMapping(RequestMappingInfo mapping) {
        super.unregisterMapping(mapping);
        index = null;
    }

    /**
     * Tests only the mappings the index names for this path: every mapping left out cannot match (see {@link Shape}),
     * so the matches are the ones Spring's own lookup finds, ranked by Spring's comparator and handled as Spring
     * handles its best match. Anything else (no match: a 404, 405 or 415 to work out; two that rank the same; a CORS
     * pre-flight; a path that is not plain) goes to Spring's lookup over every mapping.
     */
    @Override
    protected HandlerMethod lookupHandlerMethod(String lookupPath, HttpServletRequest request) throws Exception {
        Index current = index;
        if (current == null) {
            current = new Index(getHandlerMethods(), getPatternParser() == null || getPatternParser().isCaseSensitive());
            index = current;
        }
        List<Index.Entry> candidates = current.candidates(request);
        if (candidates != null && !CorsUtils.isPreFlightRequest(request)) {
            RequestMappingInfo found = null;
            HandlerMethod handler = null;
            Comparator<RequestMappingInfo> ranking = null;
            for (Index.Entry candidate : candidates) {
                RequestMappingInfo match = candidate.shape() != Shape.ANY && !candidate.shape().mayMatch(request)
                        ? null : super.getMatchingMapping(candidate.info(), request);
                if (match == null) {
                    continue;
                }
                if (found != null) {
                    // several match ("/fcntl" and "/{call}"): Spring's ranking; a tie is Spring's to report
                    ranking = ranking != null ? ranking : getMappingComparator(request);
                    int order = ranking.compare(match, found);
                    if (order == 0) {
                        return super.lookupHandlerMethod(lookupPath, request);
                    }
                    if (order > 0) {
                        continue;
                    }
                }
                found = match;
                handler = candidate.handler();
            }
            if (found != null) {
                request.setAttribute(BEST_MATCHING_HANDLER_ATTRIBUTE, handler);
                handleMatch(found, lookupPath, request);
                return handler;
            }
        }
        return super.lookupHandlerMethod(lookupPath, request);
    }

    /** Spring's own lookup over every mapping, for the test that compares it with {@link #lookupHandlerMethod}. */
    HandlerMethod springsLookup(HttpServletRequest request) throws Exception {
        return super.lookupHandlerMethod(initLookupPath(request), request);
    }

    /** The lookup the service uses, for the same test. */
    HandlerMethod indexedLookup(HttpServletRequest request) throws Exception {
        return lookupHandlerMethod(initLookupPath(request), request);
    }

    /**
     * Every mapping under the last segment of each of its patterns when that segment is literal; the rest (a
     * pattern ending in a variable, or one {@link Shape} does not read) are candidates for every path.
     */
    static final class Index {
        /** A mapping with its first test, so a lookup does not find the test by the mapping's (costly) equals. */
        record Entry(RequestMappingInfo info, HandlerMethod handler, Shape shape) {
        }

        private final Map<String, List<Entry>> byLast = new HashMap<>();
        private final List<Entry> everywhere;

        Index(Map<RequestMappingInfo, HandlerMethod> mappings, boolean caseSensitive) {
            Map<String, Set<Entry>> named = new HashMap<>();
            Set<Entry> rest = new LinkedHashSet<>();
            mappings.forEach((info, handler) -> {
                Shape shape = Shape.of(info, caseSensitive);
                Entry entry = new Entry(info, handler, shape);
                List<String> lasts = new ArrayList<>();
                for (String[] literals : shape.literals()) {
                    String last = literals.length == 0 ? null : literals[literals.length - 1];
                    if (last == null) {
                        lasts = null;
                        break;
                    }
                    lasts.add(last);
                }
                if (shape == Shape.ANY || lasts == null) {
                    rest.add(entry);
                } else {
                    lasts.forEach(last -> named.computeIfAbsent(last, k -> new LinkedHashSet<>()).add(entry));
                }
            });
            everywhere = List.copyOf(rest);
            named.forEach((last, entries) -> {
                Set<Entry> all = new LinkedHashSet<>(entries);
                all.addAll(rest);
                byLast.put(last, List.copyOf(all));
            });
        }

        /** The mappings that may match the request's path; null when the path is not plain (Spring decides). */
        List<Entry> candidates(HttpServletRequest request) {
            if (!ServletRequestPathUtils.hasParsedRequestPath(request)) {
                return null;
            }
            List<PathContainer.Element> elements = ServletRequestPathUtils.getParsedRequestPath(request).pathWithinApplication().elements();
            int size = elements.size();
            if (size == 0 || (size & 1) != 0) {
                return null;
            }
            for (int e = 0; e < size; e += 2) {
                if (!(elements.get(e) instanceof PathContainer.Separator) || !(elements.get(e + 1) instanceof PathContainer.PathSegment)) {
                    return null;
                }
            }
            String last = ((PathContainer.PathSegment) elements.get(size - 1)).valueToMatch();
            return byLast.getOrDefault(last, everywhere);
        }
    }

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
