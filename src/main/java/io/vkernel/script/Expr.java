package io.vkernel.script;

import java.util.List;

/**
 * A system-call argument or result as packetdrill writes it: {@code ...}, a number, a symbol ({@code SOL_SOCKET}),
 * a string, {@code A|B}, a list {@code [1]}, a struct {@code {onoff=1, linger=0}} or a call such as
 * {@code htons(8080)}. The parser turns these into the typed {@link Call} the runner makes.
 */
sealed interface Expr {

    record Ellipsis() implements Expr {
        @Override
        public String toString() {
            return "...";
        }
    }

    record Num(long value) implements Expr {
        @Override
        public String toString() {
            return Long.toString(value);
        }
    }

    record Word(String name) implements Expr {
        @Override
        public String toString() {
            return name;
        }
    }

    record Str(String value) implements Expr {
        @Override
        public String toString() {
            return "\"" + value + "\"";
        }
    }

    record Or(List<Expr> parts) implements Expr {
    }

    record ListOf(List<Expr> items) implements Expr {
    }

    /** {@code {name=value, ...}}; a field without a name has {@code name} null. */
    record Struct(List<Field> fields) implements Expr {
        Expr get(String... names) {
            for (Field field : fields) {
                for (String name : names) {
                    if (name.equals(field.name())) {
                        return field.value();
                    }
                }
            }
            return null;
        }
    }

    record Field(String name, Expr value) {
    }

    record Apply(String function, List<Expr> args) implements Expr {
    }
}
