package io.vkernel.script;

/**
 * A system-call line: the call, the expected return value and errno ({@code = -1 EAGAIN (...)}), and for a call
 * written {@code 0.1...0.2 read(...)} the time it is expected to return ({@code endUs}, null when not annotated).
 */
record SyscallLine(Call call, long expectedRet, String expectedErrno, Long endUs) implements ScriptEvent.Action {

    String expected() {
        return "= " + expectedRet + (expectedErrno == null ? "" : " " + expectedErrno);
    }
}
