package io.vkernel.script;

/** One event of a script: its line, its text (comments removed), when it happens and what it is. */
record ScriptEvent(int line, String text, EventTime time, Action action) {

    /** A packet, a system call, setup settings (a backquoted command) or assertions (a %{ }% block). */
    sealed interface Action permits PacketLine, SyscallLine, SetupCommands.Setup, CodeBlock, IcmpLine, Nstat, ProcGrep {
    }
}
