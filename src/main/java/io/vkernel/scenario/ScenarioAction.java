package io.vkernel.scenario;

import java.util.List;

/**
 * What one step did to the kernel: a packet injected ({@code packet-in}, its tcpdump line), a system call
 * ({@code syscall}, {@code syscall-blocked}, {@code syscall-resumed}, its strace line), time moved ({@code clock}),
 * the server process started ({@code process}) or many calls and packets at once ({@code batch}). {@code kernelPath}
 * is the kernel's own account: the receive path's steps for a packet, the events of a call or of the timers fired.
 */
public record ScenarioAction(String kind, String text, String verdict, List<String> kernelPath, List<String> sent) {

    /**
     * {@code sent}: what the kernel sent in answer to this action, tcpdump-style, in the order it went out (a long
     * list keeps its first and last packets around a "... N more" line). Null when it sent nothing.
     */
    public ScenarioAction(String kind, String text, String verdict, List<String> kernelPath) {
        this(kind, text, verdict, kernelPath, null);
    }

    ScenarioAction withSent(List<String> packets) {
        return new ScenarioAction(kind, text, verdict, kernelPath, packets.isEmpty() ? null : List.copyOf(packets));
    }
}
