package io.vkernel.kernel;

import io.vkernel.kernel.proc.Task;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.wire.Endpoint;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Blocking calls park threads within bounds, and the invariant check stays sound with many of them asleep. */
class ParkedCallsTest {

    private final Kernel kernel = new Kernel(KernelConfig.defaults("parked", 42));

    private int listeningProcess() {
        int pid = kernel.spawn("server").pid();
        int fd = (int) ((Syscalls.Done) kernel.socket(pid)).result().ret();
        kernel.bind(pid, fd, Endpoint.parse("0.0.0.0:8080"));
        kernel.listen(pid, fd, 128);
        return pid;
    }

    @Test
    void accept_beyondTheProcessBound_isRefused_andNothingElseChanges() {
        kernel.limitParkedCalls(3, 100);
        int pid = listeningProcess();
        for (int i = 0; i < 3; i++) {
            assertThat(kernel.accept(pid, 3)).isInstanceOf(Syscalls.Pending.class);
        }
        assertThatThrownBy(() -> kernel.accept(pid, 3)).isInstanceOf(KernelLimitException.class)
                .hasMessageContaining("already has 3 threads asleep").hasMessageContaining("parked-calls-per-process");
        assertThat(kernel.pendingCallCount()).isEqualTo(3);
        assertThat(kernel.process(pid).threads()).hasSize(3).allMatch(t -> t.state() == Task.State.SLEEPING);
        assertThat(kernel.inspect(KernelCheck::run).ok()).isTrue();
    }

    @Test
    void accept_beyondTheKernelBound_isRefused_whateverTheProcess() {
        kernel.limitParkedCalls(100, 4);
        int first = listeningProcess();
        for (int i = 0; i < 4; i++) {
            kernel.accept(first, 3);
        }
        int second = kernel.spawn("other").pid();
        int fd = (int) ((Syscalls.Done) kernel.socket(second)).result().ret();
        kernel.bind(second, fd, Endpoint.parse("0.0.0.0:9090"));
        kernel.listen(second, fd, 8);
        assertThatThrownBy(() -> kernel.accept(second, fd)).isInstanceOf(KernelLimitException.class)
                .hasMessageContaining("already has 4 calls asleep").hasMessageContaining("parked-calls-per-kernel");
        kernel.exit(first);
        assertThat(kernel.accept(second, fd)).as("the exited process's sleepers made room").isInstanceOf(Syscalls.Pending.class);
    }

    @Test
    void check_countsTwentyThousandSleepers_andFindsTheKernelSound() {
        int pid = listeningProcess();
        for (int i = 0; i < 20_000; i++) {
            kernel.accept(pid, 3);
        }
        KernelCheck.Result result = kernel.inspect(KernelCheck::run);
        assertThat(result.violations()).isEmpty();
        assertThat(result.checked()).containsEntry("sleepingCalls", 20_000);
        assertThat(kernel.process(pid).sleepingCount()).isEqualTo(20_000);
        kernel.exit(pid);
        assertThat(kernel.pendingCallCount()).isZero();
        assertThat(kernel.inspect(KernelCheck::run).checked()).containsEntry("sleepingCalls", 0);
    }
}
