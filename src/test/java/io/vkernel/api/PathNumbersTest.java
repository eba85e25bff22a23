package io.vkernel.api;

import org.junit.jupiter.api.Test;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ApplicationContext;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.stereotype.Controller;
import org.springframework.util.ReflectionUtils;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.bind.annotation.InitBinder;
import org.springframework.core.DefaultParameterNameDiscoverer;
import org.springframework.core.MethodParameter;
import org.springframework.core.annotation.SynthesizingMethodParameter;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.support.WebDataBinderFactory;
import org.springframework.web.context.request.ServletWebRequest;
import org.springframework.web.method.support.HandlerMethodArgumentResolver;
import org.springframework.web.method.support.ModelAndViewContainer;
import org.springframework.web.servlet.HandlerMapping;
import org.springframework.web.servlet.View;
import org.springframework.web.servlet.mvc.method.annotation.PathVariableMethodArgumentResolver;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerAdapter;
import org.springframework.web.servlet.mvc.method.annotation.ServletRequestDataBinderFactory;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A process's pid in the path ({@code /processes/{pid}/fcntl}) is read by vkernel's short cut when it is plain
 * digits and by Spring otherwise; either way the handler gets what Spring's own resolver gives, and a pid that is
 * not a number fails the same way (the 400 problem that names it).
 */
@SpringBootTest
class PathNumbersTest {

    @Autowired
    RequestMappingHandlerAdapter adapter;

    @Autowired
    ApplicationContext context;

    @SuppressWarnings("unused")
    void call(@PathVariable int pid, @PathVariable("k") int named) {
    }

    @SuppressWarnings("unused")
    void kernel(@PathVariable String k, @PathVariable("id") String named) {
    }

    @Test
    void anIntPathVariableIsWhatSpringReadsForEveryText() throws Exception {
        List<HandlerMethodArgumentResolver> resolvers = adapter.getArgumentResolvers();
        assertThat(resolvers.get(0)).isInstanceOf(PathNumbers.IntPathVariable.class);
        HandlerMethodArgumentResolver spring = resolvers.stream().filter(PathVariableMethodArgumentResolver.class::isInstance)
                .findFirst().orElseThrow();
        WebDataBinderFactory binders = new ServletRequestDataBinderFactory(null, adapter.getWebBindingInitializer());
        for (int index = 0; index < 2; index++) {
            // as a HandlerMethod sees it: annotations synthesized, so @PathVariable("k") names "k"
            MethodParameter parameter = new SynthesizingMethodParameter(getClass().getDeclaredMethod("call", int.class, int.class), index);
            parameter.initParameterNameDiscovery(new DefaultParameterNameDiscoverer());
            String name = index == 0 ? "pid" : "k";
            assertThat(resolvers.get(0).supportsParameter(parameter)).isTrue();
            for (String text : List.of("0", "1", "12345", "999999999", "1000000000", "2147483647", "2147483648", "-1", "-0",
                    "-2147483648", "-2147483649", "007", "+5", " 5", "5 ", "0x10", "#10", "-0x10", "1e3", "1.0", "", "-",
                    "abc", "12a", "\u0663", "١٢")) {
                assertThat(outcome(resolvers.get(0), parameter, name, text, binders)).as("'%s'", text)
                        .isEqualTo(outcome(spring, parameter, name, text, binders));
            }
        }
        MethodParameter pid = new SynthesizingMethodParameter(getClass().getDeclaredMethod("call", int.class, int.class), 0);
        pid.initParameterNameDiscovery(new DefaultParameterNameDiscoverer());
        assertThat(outcome(resolvers.get(0), pid, "pid", "12345", binders)).isEqualTo("12345 Integer {pid=12345}");
    }

    @Test
    void aStringPathVariableIsWhatSpringReadsForEveryText() throws Exception {
        List<HandlerMethodArgumentResolver> resolvers = adapter.getArgumentResolvers();
        assertThat(resolvers.get(1)).isInstanceOf(PathNumbers.StringPathVariable.class);
        HandlerMethodArgumentResolver spring = resolvers.stream().filter(PathVariableMethodArgumentResolver.class::isInstance)
                .findFirst().orElseThrow();
        WebDataBinderFactory binders = new ServletRequestDataBinderFactory(null, adapter.getWebBindingInitializer());
        for (int index = 0; index < 2; index++) {
            MethodParameter parameter = new SynthesizingMethodParameter(getClass().getDeclaredMethod("kernel", String.class, String.class), index);
            parameter.initParameterNameDiscovery(new DefaultParameterNameDiscoverer());
            String name = index == 0 ? "k" : "id";
            assertThat(resolvers.get(0).supportsParameter(parameter)).isFalse();
            assertThat(resolvers.get(1).supportsParameter(parameter)).isTrue();
            for (String text : List.of("default", "k1", " spaced ", "a/b", "%2F", "ünï", "", "${vkernel.data-dir}", "#{1+1}", "12345")) {
                assertThat(outcome(resolvers.get(1), parameter, name, text, binders)).as("'%s'", text)
                        .isEqualTo(outcome(spring, parameter, name, text, binders));
            }
            // no variable recorded under that name: Spring's MissingPathVariableException
            assertThat(outcome(resolvers.get(1), parameter, name + "x", "default", binders))
                    .isEqualTo(outcome(spring, parameter, name + "x", "default", binders)).contains("MissingPathVariable");
        }
        MethodParameter k = new SynthesizingMethodParameter(getClass().getDeclaredMethod("kernel", String.class, String.class), 0);
        k.initParameterNameDiscovery(new DefaultParameterNameDiscoverer());
        assertThat(outcome(resolvers.get(1), k, "k", "default", binders)).isEqualTo("default String {k=default}");
    }

    /**
     * The String short cut skips the data binder, which only an {@code @InitBinder} method could make do something to a
     * string (an editor that trims it, say): there must be none in vkernel's controllers and advice.
     */
    @Test
    void noControllerOrAdviceHasAnInitBinderMethod() {
        Map<String, Object> beans = new java.util.HashMap<>(context.getBeansWithAnnotation(Controller.class));
        beans.putAll(context.getBeansWithAnnotation(ControllerAdvice.class));
        assertThat(beans).isNotEmpty();
        List<String> binders = new java.util.ArrayList<>();
        beans.forEach((name, bean) -> ReflectionUtils.doWithMethods(AopUtils.getTargetClass(bean), method -> {
            if (AnnotatedElementUtils.hasAnnotation(method, InitBinder.class)) {
                binders.add(name + "." + method.getName());
            }
        }));
        assertThat(binders).isEmpty();
    }

    private static String outcome(HandlerMethodArgumentResolver resolver, MethodParameter parameter, String name, String text,
                                  WebDataBinderFactory binders) {
        MockHttpServletRequest request = new MockHttpServletRequest();
        request.setAttribute(HandlerMapping.URI_TEMPLATE_VARIABLES_ATTRIBUTE, Map.of(name, text));
        try {
            Object value = resolver.resolveArgument(parameter, new ModelAndViewContainer(), new ServletWebRequest(request), binders);
            return value + " " + value.getClass().getSimpleName() + " " + request.getAttribute(View.PATH_VARIABLES);
        } catch (Exception e) {
            return e.getClass().getName() + ": " + e.getMessage();
        }
    }
}
