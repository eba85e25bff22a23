package io.vkernel.kernel;

import io.vkernel.kernel.fd.OpenFile;
import io.vkernel.kernel.socket.Errno;
import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.wire.Endpoint;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.vkernel.kernel.TcpFixture.done;
import static org.assertj.core.api.Assertions.assertThat;

/** socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK, 0): the file starts O_NONBLOCK, as __sys_socket() opens it. */
class SocketNonBlockTest {

    private final Kernel kernel = new Kernel(KernelConfig.defaults("sock-nonblock", 7));
    private final int pid = kernel.spawn("server").pid();

    private int flagsOf(int fd) {
        return (int) done(kernel.fcntl(pid, fd, "F_GETFL", 0)).ret();
    }

    @Test
    void sockNonBlock_listenerAcceptAnswersEagainAtOnce_andStraceNamesTheFlag() {
        SyscallResult socket = done(kernel.socket(pid, "IPPROTO_TCP", true));
        int fd = (int) socket.ret();
        assertThat(socket.strace()).isEqualTo("socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK, IPPROTO_TCP) = " + fd);
        assertThat(flagsOf(fd) & OpenFile.O_NONBLOCK).isEqualTo(OpenFile.O_NONBLOCK);
        done(kernel.bind(pid, fd, Endpoint.parse("0.0.0.0:8080")));
        done(kernel.listen(pid, fd, 16));

        SyscallResult accept = done(kernel.accept(pid, fd));
        assertThat(accept.errno()).isEqualTo(Errno.EAGAIN);
    }

    @Test
    void plainSocket_staysBlocking() {
        int fd = (int) done(kernel.socket(pid, "IPPROTO_TCP", false)).ret();
        assertThat(flagsOf(fd) & OpenFile.O_NONBLOCK).isZero();
    }

    @Test
    void overHttp_theJournalKeepsTheType_soAReplayOpensTheSameNonBlockingFile() {
        List<KernelInput> inputs = new ArrayList<>();
        kernel.recordInputs((k, input) -> inputs.add(input));
        int fd = (int) done(kernel.socketNonBlocking(pid)).ret();
        kernel.recordInputs(null);

        assertThat(inputs).hasSize(1);
        String line = io.vkernel.journal.JournalCodec.entry(0, inputs.get(0)); // step 0 is line 1
        assertThat(line).contains("\"type\":\"SOCK_STREAM|SOCK_NONBLOCK\"");
        Kernel replayed = new Kernel(KernelConfig.defaults("sock-nonblock-replay", 7));
        replayed.spawn("server");
        io.vkernel.journal.JournalCodec.parseEntry(1, line).applyTo(replayed);
        int replayedFlags = (int) done(replayed.fcntl(pid, fd, "F_GETFL", 0)).ret();
        assertThat(replayedFlags).isEqualTo(flagsOf(fd));
        assertThat(replayedFlags & OpenFile.O_NONBLOCK).isEqualTo(OpenFile.O_NONBLOCK);
    }
}
