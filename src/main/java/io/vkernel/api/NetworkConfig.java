package io.vkernel.api;

import io.vkernel.sandbox.KernelRegistry;
import io.vkernel.sandbox.NetworkRegistry;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.AsyncHandlerInterceptor;
import org.springframework.web.servlet.ModelAndView;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * The networks registry, and the step that makes a link without delay behave like loopback: once a request's
 * handler has returned (no kernel lock held any more), every packet due now crosses its link, so the handshake a
 * {@code connect} started completes before its answer is written.
 */
@Configuration
class NetworkConfig {

    @Bean
    NetworkRegistry networkRegistry(KernelRegistry kernels) {
        return new NetworkRegistry(kernels);
    }

    @Bean
    WebMvcConfigurer networkSettling(NetworkRegistry networks) {
        AsyncHandlerInterceptor settle = new AsyncHandlerInterceptor() {
            @Override
            public void postHandle(HttpServletRequest request, HttpServletResponse response, Object handler, ModelAndView view) {
                networks.settleAll();
            }

            @Override
            public void afterConcurrentHandlingStarted(HttpServletRequest request, HttpServletResponse response, Object handler) {
                networks.settleAll();
            }

            @Override
            public void afterCompletion(HttpServletRequest request, HttpServletResponse response, Object handler, Exception ex) {
                networks.settleAll();
            }
        };
        return new WebMvcConfigurer() {
            @Override
            public void addInterceptors(InterceptorRegistry registry) {
                registry.addInterceptor(settle).addPathPatterns("/api/**");
            }
        };
    }
}
