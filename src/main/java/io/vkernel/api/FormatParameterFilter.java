package io.vkernel.api;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.MediaType;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * {@code ?format=text} and {@code ?format=json} mean {@code Accept: text/plain} and {@code Accept: application/json}
 * on every endpoint, whatever Accept the client sent: the parameter is the explicit choice. Content negotiation
 * then picks the text rendering where one exists and answers 406 (listing what is offered) where none does.
 */
class FormatParameterFilter extends OncePerRequestFilter {

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String format = queryFormat(request);
        String accept = "text".equals(format) ? MediaType.TEXT_PLAIN_VALUE : "json".equals(format) ? MediaType.APPLICATION_JSON_VALUE : null;
        chain.doFilter(accept == null ? request : new WithAccept(request, accept), response);
    }

    /** Reads format from the query string only: a form body is not parsed here (it may be malformed). */
    private static String queryFormat(HttpServletRequest request) {
        String query = request.getQueryString();
        if (query == null) {
            return null;
        }
        for (String pair : query.split("&")) {
            if (pair.equals("format=text")) {
                return "text";
            }
            if (pair.equals("format=json")) {
                return "json";
            }
        }
        return null;
    }

    private static final class WithAccept extends HttpServletRequestWrapper {
        private final String accept;

        WithAccept(HttpServletRequest request, String accept) {
            super(request);
            this.accept = accept;
        }

        @Override
        public String getHeader(String name) {
            return "accept".equalsIgnoreCase(name) ? accept : super.getHeader(name);
        }

        @Override
        public Enumeration<String> getHeaders(String name) {
            return "accept".equalsIgnoreCase(name) ? Collections.enumeration(Set.of(accept)) : super.getHeaders(name);
        }

        @Override
        public Enumeration<String> getHeaderNames() {
            Set<String> names = new LinkedHashSet<>(Collections.list(super.getHeaderNames()));
            names.add("Accept");
            return Collections.enumeration(names);
        }
    }
}
