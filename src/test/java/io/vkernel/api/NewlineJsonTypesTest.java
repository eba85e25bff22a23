package io.vkernel.api;

import org.junit.jupiter.api.Test;
import org.springframework.core.MethodParameter;
import org.springframework.core.ResolvableType;
import org.springframework.http.converter.json.JacksonJsonHttpMessageConverter;
import org.springframework.http.ResponseEntity;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.json.JsonMapper;

import java.lang.reflect.Type;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The JSON converter keeps the Jackson type it built for each declared type: asked again, for the same or another
 * request, it answers the type Spring's own converter builds, whether the declared type is a class, a parameterized
 * type, a type variable resolved against the class that declares it, or Spring's serializable wrapper of a body type.
 */
class NewlineJsonTypesTest {

    /** Spring's converter, unchanged: what the kept types must equal. */
    static final class Plain extends JacksonJsonHttpMessageConverter {
        Plain(JsonMapper mapper) {
            super(mapper);
        }

        JavaType type(Type type, Class<?> contextClass) {
            return getJavaType(type, contextClass);
        }
    }

    abstract static class Generic<T> {
        @SuppressWarnings("unused")
        abstract T body(T in);
    }

    static final class Strings extends Generic<List<String>> {
        @Override
        List<String> body(List<String> in) {
            return in;
        }
    }

    static final class Numbers extends Generic<Map<String, Integer>> {
        @Override
        Map<String, Integer> body(Map<String, Integer> in) {
            return in;
        }
    }

    @SuppressWarnings("unused")
    static ResponseEntity<Map<String, Boolean>> declared(List<Views.SyscallView> calls) {
        return null;
    }

    @Test
    void eachDeclaredTypeGetsSpringsJavaType_askedOnceOrManyTimes() throws Exception {
        JsonMapper mapper = JsonMapper.builder().build();
        SurfaceConfig.NewlineJson kept = new SurfaceConfig.NewlineJson(mapper);
        Plain plain = new Plain(mapper);
        Type variable = Generic.class.getDeclaredMethod("body", Object.class).getGenericReturnType();
        MethodParameter parameter = new MethodParameter(NewlineJsonTypesTest.class.getDeclaredMethod("declared", List.class), 0);
        Type wrapped = ResolvableType.forMethodParameter(parameter).getType();
        Type returned = NewlineJsonTypesTest.class.getDeclaredMethod("declared", List.class).getGenericReturnType();
        List<Object[]> asks = List.of(
                new Object[] {String.class, null},
                new Object[] {Views.SyscallView.class, null},
                new Object[] {returned, null},
                new Object[] {wrapped, NewlineJsonTypesTest.class},
                new Object[] {variable, Strings.class},
                new Object[] {variable, Numbers.class},
                new Object[] {variable, null});
        for (int round = 0; round < 3; round++) {
            for (Object[] ask : asks) {
                Type type = (Type) ask[0];
                Class<?> context = (Class<?>) ask[1];
                assertThat(kept.getJavaType(type, context)).as("%s in %s, round %d", type, context, round)
                        .isEqualTo(plain.type(type, context));
            }
        }
        // the same type variable in two declaring classes is two entries, with two different answers
        assertThat(kept.getJavaType(variable, Strings.class)).isNotEqualTo(kept.getJavaType(variable, Numbers.class));
        assertThat(kept.getJavaType(variable, Strings.class).getRawClass()).isEqualTo(List.class);
        assertThat(kept.typesKept()).isEqualTo(asks.size());
    }

    @Test
    void pastItsBoundItStillAnswers_butKeepsNoMore() {
        JsonMapper mapper = JsonMapper.builder().build();
        SurfaceConfig.NewlineJson kept = new SurfaceConfig.NewlineJson(mapper);
        Plain plain = new Plain(mapper);
        Class<?>[] classes = {String.class, Integer.class, Long.class};
        for (int i = 0; i < SurfaceConfig.NewlineJson.TYPES_KEPT + 20; i++) {
            // distinct parameterized types: List<List<...<String>>>, nested i / 3 deep
            Type type = classes[i % 3];
            for (int depth = 0; depth < i / 3; depth++) {
                type = ResolvableType.forClassWithGenerics(List.class, ResolvableType.forType(type)).getType();
            }
            assertThat(kept.getJavaType(type, null)).isEqualTo(plain.type(type, null));
        }
        assertThat(kept.typesKept()).isEqualTo(SurfaceConfig.NewlineJson.TYPES_KEPT);
    }
}
