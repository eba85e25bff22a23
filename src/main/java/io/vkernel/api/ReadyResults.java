package io.vkernel.api;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.MethodParameter;
import org.springframework.core.ResolvableType;
import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.context.request.ServletWebRequest;
import org.springframework.web.context.request.async.DeferredResult;
import org.springframework.web.method.support.HandlerMethodReturnValueHandler;
import org.springframework.web.method.support.ModelAndViewContainer;
import org.springframework.web.servlet.mvc.method.annotation.HttpEntityMethodProcessor;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerAdapter;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityReturnValueHandler;

import java.lang.reflect.Executable;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A system call that completes without parking answers on the request's own thread. Spring MVC treats every
 * {@link DeferredResult} as asynchronous: it starts an async context and dispatches the request a second time through
 * every filter and the DispatcherServlet, even when the result is already set; a profile of {@code fcntl(F_GETFL)} put
 * about half of its time there (BENCHMARKS.md). A {@link Ready} result (the call finished before the handler returned)
 * is written at once by the handler Spring uses for a returned {@code ResponseEntity}
 * ({@link ResponseEntityReturnValueHandler}, which hands it to {@link HttpEntityMethodProcessor}), so the answer is
 * byte for byte the same; a call that parks still returns a plain {@link DeferredResult} and waits without a thread.
 */
@Configuration
class ReadyResults {

    /** A result known before the handler returns: written synchronously. */
    static final class Ready<T> extends DeferredResult<T> {
        Ready(T result) {
            setResult(result);
        }
    }

    @Bean
    static BeanPostProcessor readyResultsFirst() {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessAfterInitialization(Object bean, String name) {
                if (bean instanceof RequestMappingHandlerAdapter adapter && adapter.getReturnValueHandlers() != null) {
                    List<HandlerMethodReturnValueHandler> handlers = new ArrayList<>(adapter.getReturnValueHandlers());
                    // the handler Spring itself uses for a returned ResponseEntity
                    HandlerMethodReturnValueHandler entities = handlers.stream()
                            .filter(h -> h instanceof ResponseEntityReturnValueHandler || h instanceof HttpEntityMethodProcessor)
                            .findFirst().orElseThrow(() -> new IllegalStateException("no ResponseEntity handler among " + handlers));
                    handlers.add(0, new Handler(entities));
                    adapter.setReturnValueHandlers(handlers);
                }
                return bean;
            }
        };
    }

    /**
     * Claims only {@link Ready} values: Spring picks a handler by the returned value's class, so a plain
     * {@link DeferredResult} (a call that parked) goes on to Spring's own asynchronous handling.
     */
    private record Handler(HandlerMethodReturnValueHandler entities, Map<Executable, Type> held)
            implements HandlerMethodReturnValueHandler {

        Handler(HandlerMethodReturnValueHandler entities) {
            this(entities, new ConcurrentHashMap<>());
        }

        @Override
        public boolean supportsReturnType(MethodParameter returnType) {
            return Ready.class.isAssignableFrom(returnType.getParameterType());
        }

        @Override
        public void handleReturnValue(Object value, MethodParameter returnType, ModelAndViewContainer mav,
                                      NativeWebRequest request) throws Exception {
            Object result = ((Ready<?>) value).getResult();
            // the ResponseEntity<V> the handler method declares it holds: resolved once per method (the generic
            // resolution was 2-3 % of an fcntl's CPU, issue 16); Spring passes a new MethodParameter each request
            Type generic = held.computeIfAbsent(returnType.getExecutable(),
                    method -> ResolvableType.forMethodParameter(returnType).getGeneric().getType());
            HttpServletResponse response = request.getNativeResponse(HttpServletResponse.class);
            NativeWebRequest unflushed = response == null ? request : new ServletWebRequest(
                    request.getNativeRequest(HttpServletRequest.class), new Unflushed(response));
            entities.handleReturnValue(result, new ResultParameter(returnType, result, generic), mav, unflushed);
        }
    }

    /**
     * Spring's {@link HttpEntityMethodProcessor} flushes the response once it has written a {@code ResponseEntity}.
     * A flushed servlet response is committed before its length is known, so Tomcat sent every system call's answer
     * chunked, in two writes to the socket (the headers and body, then the last chunk when the request ended) where
     * a {@code @ResponseBody} answer such as the ping or an injection goes out once, with its {@code Content-Length}.
     * Here the flush is left to the container, which sends the whole answer when the request ends (or as soon as it
     * outgrows the response buffer); the status, headers and bytes of the body are the same.
     */
    private static final class Unflushed extends HttpServletResponseWrapper {
        Unflushed(HttpServletResponse response) {
            super(response);
        }

        @Override
        public void flushBuffer() {
            // the container flushes the whole answer when the request ends
        }
    }

    /** The declared {@code DeferredResult<ResponseEntity<V>>} seen as the {@code ResponseEntity<V>} it holds. */
    private static final class ResultParameter extends MethodParameter {
        private final Class<?> type;
        private final Type generic;

        ResultParameter(MethodParameter declared, Object result, Type generic) {
            super(declared);
            this.type = result.getClass();
            this.generic = generic;
        }

        private ResultParameter(ResultParameter original) {
            super(original);
            this.type = original.type;
            this.generic = original.generic;
        }

        @Override
        public Class<?> getParameterType() {
            return type;
        }

        @Override
        public Type getGenericParameterType() {
            return generic;
        }

        @Override
        public ResultParameter clone() {
            return new ResultParameter(this);
        }
    }
}
