package io.vkernel.scenario;

import java.util.List;

/**
 * What one step did to the kernel: a packet injected ({@code packet-in}, its tcpdump line), a system call
 * ({@code syscall}, {@code syscall-blocked}, {@code syscall-resumed}, its strace line), time moved ({@code clock}),
 * a tunable set ({@code sysctl}) or many of these at once ({@code batch}). {@code kernelPath} is the kernel's own
 * account: the receive path's steps for a packet, the events for a call or a timer.
 */
public record ScenarioAction(String kind, String text, String verdict, List<String> kernelPath) {
}
