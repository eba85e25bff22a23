package io.vkernel.api;

import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.MethodParameter;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.support.WebDataBinderFactory;
import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.method.support.HandlerMethodArgumentResolver;
import org.springframework.web.method.support.ModelAndViewContainer;
import org.springframework.web.servlet.HandlerMapping;
import org.springframework.web.servlet.View;
import org.springframework.web.servlet.mvc.method.annotation.PathVariableMethodArgumentResolver;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerAdapter;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads an {@code int} path variable ({@code /processes/{pid}/...}, every system call) that is plainly written in
 * decimal digits without Spring's general conversion: Spring makes a data binder for it and asks its conversion
 * service for a String-to-int converter, a cache lookup keyed by type descriptors whose comparison reads the
 * parameter's annotations; that was 5-6 % of an {@code fcntl}'s CPU (BENCHMARKS.md, issue 16). Anything else (a sign
 * other than '-', hexadecimal, spaces, more than nine digits, no digits at all) goes to Spring's own resolver, so the
 * value, or the 400 for a pid that is not a number, is what Spring would have given.
 * <p>A {@code @PathVariable String} (the kernel's id, {@code /kernels/{k}/...}, every system call and injection) is
 * taken as it is: Spring's resolver would make a data binder and ask the same conversion service for a String-to-String
 * converter, which finds none and gives the same string back (a cache lookup comparing annotations again; 3-4 % of an
 * injection's CPU). That holds while no {@code @InitBinder} method registers an editor for strings; vkernel has none,
 * and {@code PathNumbersTest} fails if one appears. An absent or empty value goes to Spring's resolver.
 */
@Configuration
class PathNumbers {

    @Bean
    static BeanPostProcessor pathNumbersFirst() {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessAfterInitialization(Object bean, String name) {
                if (bean instanceof RequestMappingHandlerAdapter adapter && adapter.getArgumentResolvers() != null) {
                    List<HandlerMethodArgumentResolver> resolvers = new ArrayList<>(adapter.getArgumentResolvers());
                    HandlerMethodArgumentResolver spring = resolvers.stream().filter(r -> r instanceof PathVariableMethodArgumentResolver)
                            .findFirst().orElseThrow(() -> new IllegalStateException("no path variable resolver among " + resolvers));
                    resolvers.add(0, new IntPathVariable(spring));
                    resolvers.add(1, new StringPathVariable(spring));
                    adapter.setArgumentResolvers(resolvers);
                }
                return bean;
            }
        };
    }

    /** Claims {@code @PathVariable int}; hands every value it does not read plainly to Spring's resolver. */
    record IntPathVariable(HandlerMethodArgumentResolver spring) implements HandlerMethodArgumentResolver {

        @Override
        public boolean supportsParameter(MethodParameter parameter) {
            return parameter.getParameterType() == int.class && parameter.hasParameterAnnotation(PathVariable.class)
                    && spring.supportsParameter(parameter);
        }

        @Override
        public Object resolveArgument(MethodParameter parameter, ModelAndViewContainer mav, NativeWebRequest request,
                                      WebDataBinderFactory binders) throws Exception {
            String name = name(parameter);
            String text = text(name, request);
            if (text == null || !plain(text)) {
                return spring.resolveArgument(parameter, mav, request, binders);
            }
            int value = Integer.parseInt(text);
            return resolved(name, value, request);
        }

        /** An optional '-' and one to nine ASCII digits: what Integer.valueOf reads alike, and cannot overflow. */
        static boolean plain(String text) {
            int start = text.startsWith("-") ? 1 : 0;
            int digits = text.length() - start;
            if (digits < 1 || digits > 9) {
                return false;
            }
            for (int i = start; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c < '0' || c > '9') {
                    return false;
                }
            }
            return true;
        }
    }

    /** Claims {@code @PathVariable String}; hands an absent or empty value to Spring's resolver. */
    record StringPathVariable(HandlerMethodArgumentResolver spring) implements HandlerMethodArgumentResolver {

        @Override
        public boolean supportsParameter(MethodParameter parameter) {
            return parameter.getParameterType() == String.class && parameter.hasParameterAnnotation(PathVariable.class)
                    && spring.supportsParameter(parameter);
        }

        @Override
        public Object resolveArgument(MethodParameter parameter, ModelAndViewContainer mav, NativeWebRequest request,
                                      WebDataBinderFactory binders) throws Exception {
            String name = name(parameter);
            String text = text(name, request);
            if (text == null || text.isEmpty()) {
                return spring.resolveArgument(parameter, mav, request, binders);
            }
            return resolved(name, text, request);
        }
    }

    /** The variable's name as Spring's resolver takes it: the annotation's name, else the parameter's. */
    private static String name(MethodParameter parameter) {
        PathVariable variable = parameter.getParameterAnnotation(PathVariable.class);
        return variable != null && !variable.name().isEmpty() ? variable.name() : parameter.getParameterName();
    }

    /** The variable's decoded text, as the handler mapping recorded it, or null. */
    private static String text(String name, NativeWebRequest request) {
        @SuppressWarnings("unchecked")
        Map<String, String> variables = (Map<String, String>) request.getAttribute(
                HandlerMapping.URI_TEMPLATE_VARIABLES_ATTRIBUTE, RequestAttributes.SCOPE_REQUEST);
        return variables == null || name == null ? null : variables.get(name);
    }

    /** As Spring's resolver does with a value it resolved: kept with the request's other path variables. */
    private static <T> T resolved(String name, T value, NativeWebRequest request) {
        @SuppressWarnings("unchecked")
        Map<String, Object> resolved = (Map<String, Object>) request.getAttribute(View.PATH_VARIABLES, RequestAttributes.SCOPE_REQUEST);
        if (resolved == null) {
            resolved = new HashMap<>();
            request.setAttribute(View.PATH_VARIABLES, resolved, RequestAttributes.SCOPE_REQUEST);
        }
        resolved.put(name, value);
        return value;
    }
}
