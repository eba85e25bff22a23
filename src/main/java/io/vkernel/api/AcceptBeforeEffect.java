package io.vkernel.api;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.ResolvableType;
import org.springframework.http.HttpEntity;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.http.converter.HttpMessageConverter;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.context.request.async.DeferredResult;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.HandlerMapping;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerAdapter;

import java.lang.reflect.Method;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A request that changes a kernel is refused with 406 before it runs when its answer could not be written in any
 * type the client accepts. A mapping that declares {@code produces} is checked by Spring MVC before the handler
 * runs; for one that does not, Spring asks the message converters only after the handler has returned, so without
 * this check {@code POST .../processes} with {@code Accept: text/plain} created the process and then answered 406.
 * The types checked are those the converters can write the handler's body class in (JSON, and text for the views
 * {@link TerminalText} renders), found once per handler.
 */
@Configuration
class AcceptBeforeEffect {

    @Bean
    WebMvcConfigurer acceptBeforeEffectInterceptor(ObjectProvider<RequestMappingHandlerAdapter> adapter) {
        Map<Method, List<MediaType>> writable = new ConcurrentHashMap<>();
        HandlerInterceptor check = new HandlerInterceptor() {
            @Override
            public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler)
                    throws HttpMediaTypeNotAcceptableException {
                if (isSafe(request.getMethod()) || !(handler instanceof HandlerMethod method)
                        || request.getAttribute(HandlerMapping.PRODUCIBLE_MEDIA_TYPES_ATTRIBUTE) != null) {
                    return true;
                }
                String accept = request.getHeader("Accept");
                if (accept == null || accept.isBlank()) {
                    return true;
                }
                List<MediaType> offered = writable.computeIfAbsent(method.getMethod(),
                        m -> writableTypes(m, adapter.getObject().getMessageConverters()));
                if (offered.isEmpty() || accepts(accept, offered)) {
                    return true;
                }
                throw new HttpMediaTypeNotAcceptableException(offered);
            }
        };
        return new WebMvcConfigurer() {
            @Override
            public void addInterceptors(InterceptorRegistry registry) {
                registry.addInterceptor(check).addPathPatterns("/api/**");
            }
        };
    }

    private static boolean isSafe(String method) {
        return "GET".equals(method) || "HEAD".equals(method) || "OPTIONS".equals(method);
    }

    private static boolean accepts(String accept, List<MediaType> offered) {
        try {
            for (MediaType type : MediaType.parseMediaTypes(accept)) {
                for (MediaType candidate : offered) {
                    if (type.isCompatibleWith(candidate) && type.getQualityValue() > 0) {
                        return true;
                    }
                }
            }
            return false;
        } catch (InvalidMediaTypeException e) {
            return true; // Spring MVC answers a malformed Accept itself, before any handler runs
        }
    }

    private static Class<?> unwrapped(Class<?> raw) {
        for (Class<?> wrapper : List.of(DeferredResult.class, Callable.class, CompletionStage.class, HttpEntity.class)) {
            if (wrapper.isAssignableFrom(raw)) {
                return wrapper;
            }
        }
        return null;
    }

    /**
     * The types the converters can write the handler's body in; empty (nothing checked) when it writes no body
     * (void, {@code ResponseEntity<Void>}) or its body's class is not known before it runs.
     */
    private static List<MediaType> writableTypes(Method method, List<HttpMessageConverter<?>> converters) {
        Class<?> body = bodyClass(method);
        if (body == null) {
            return List.of();
        }
        Set<MediaType> types = new LinkedHashSet<>();
        for (HttpMessageConverter<?> converter : converters) {
            if (converter.canWrite(body, null)) {
                types.addAll(converter.getSupportedMediaTypes(body));
            }
        }
        return List.copyOf(types);
    }

    /** The body's class through any async wrapper and {@code ResponseEntity}; null for none or one not known. */
    private static Class<?> bodyClass(Method method) {
        ResolvableType type = ResolvableType.forMethodReturnType(method);
        while (true) {
            Class<?> raw = type.resolve(Object.class);
            if (raw == void.class || raw == Void.class || raw == Object.class) {
                return null;
            }
            Class<?> wrapper = unwrapped(raw);
            if (wrapper != null) {
                type = type.as(wrapper).getGeneric(0);
                continue;
            }
            return raw;
        }
    }
}
