package io.vkernel.kernel;

import io.vkernel.kernel.syscall.PendingCall;
import io.vkernel.kernel.trace.PacketReport;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static io.vkernel.kernel.TcpFixture.pending;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The event log of a short shell session, line by line: each FD handed out, each syscall's strace line (a blocked
 * call's when it completes), the autobind of a listener without bind(), the sleep and wake-up of a blocked pipe read,
 * and what a write to the terminal printed (from the Syscalls survivors that only removed an event).
 */
class SyscallEventLogTest {

    private final Kernel kernel = new Kernel(KernelConfig.defaults("events", 42));
    private final int pid = kernel.spawn("shell").pid();

    private List<String> events() {
        return kernel.inspect(k -> k.events().after(0, 10_000)).stream().map(e -> e.type() + " | " + e.subject() + " | " + e.detail()).toList();
    }

    @Test
    void aListenerAPipeReadThatSleepsAndATerminalWrite_eachLeaveTheirEvents() {
        int fd = (int) done(kernel.socket(pid)).ret();
        done(kernel.listen(pid, fd, 4));
        var p = done(kernel.pipe(pid, 0));
        PendingCall read = pending(kernel.read(pid, p.revents().get(0), 100));
        done(kernel.write(pid, p.revents().get(1), "hi".getBytes(StandardCharsets.UTF_8), new PacketReport(null)));
        assertThat(read.isDone()).isTrue();
        done(kernel.write(pid, 1, "out".getBytes(StandardCharsets.UTF_8), new PacketReport(null)));
        assertThat(events()).containsExactly(
                "PROCESS | pid 12345 | process 'shell' started with fds 0, 1, 2 on the terminal",
                "FD_ALLOC | pid 12345 | fd 3 -> socket:[40000] (lowest free number)",
                "SYSCALL | syscall | socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 3",
                "STATE_CHANGE | 0.0.0.0:35135 | autobind: ephemeral port 35135 (inet_csk_find_open_port() prefers odd ports; "
                        + "connect() takes even ones first)",
                "STATE_CHANGE | 0.0.0.0:35135 | CLOSED -> LISTEN (backlog 4)",
                "SYSCALL | syscall | listen(3, 4) = 0",
                "FD_ALLOC | pid 12345 | fd 4 -> pipe:[40001] (lowest free number)",
                "FD_ALLOC | pid 12345 | fd 5 -> pipe:[40001] (lowest free number)",
                "SYSCALL | syscall | pipe([4, 5]) = 0",
                "THREAD_SLEEP | pid 12345 tid 12345 | read(4, ..., 100) blocks: thread SLEEPING in pipe_read on socket:[40001]'s wait queue",
                "SYSCALL | syscall | read(4, \"hi\", 100) = 2",
                "THREAD_WAKE | socket:[40001] | pid 12345 tid 12345 read(4, ..., 100) woken: RUNNABLE",
                "SYSCALL | syscall | write(5, \"hi\", 2) = 2",
                "SYSCALL | pid 12345 | fd 1 (the terminal) printed \"out\"",
                "SYSCALL | syscall | write(1, \"out\", 3) = 3");
    }
}
