package io.vkernel.script;

/**
 * When an event happens, as packetdrill writes it: {@code 0.100} (absolute), {@code +0.1} (after the previous
 * event), {@code *} (any time), {@code 0.1~0.2} or {@code +0.1~+0.2} (a range). Times are microseconds.
 */
record EventTime(Type type, long startUs, long endUs) {

    enum Type { ABSOLUTE, RELATIVE, ANY, ABSOLUTE_RANGE, RELATIVE_RANGE }

    boolean isRelative() {
        return type == Type.RELATIVE || type == Type.RELATIVE_RANGE;
    }

    boolean isRange() {
        return type == Type.ABSOLUTE_RANGE || type == Type.RELATIVE_RANGE;
    }

    boolean isAny() {
        return type == Type.ANY;
    }
}
