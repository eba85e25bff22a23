package io.vkernel.journal;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.KernelBudget;
import io.vkernel.kernel.KernelConfig;
import io.vkernel.kernel.KernelInput;
import io.vkernel.kernel.syscall.SyscallResult;
import io.vkernel.kernel.syscall.Syscalls;
import io.vkernel.kernel.trace.PacketReport;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Files and pipes survive the journal (each input through its NDJSON line, replayed) and a snapshot. */
class FileJournalTest {

    private static SyscallResult done(Syscalls.Outcome outcome) {
        assertThat(outcome).isInstanceOf(Syscalls.Done.class);
        return ((Syscalls.Done) outcome).result();
    }

    /** A shell that makes a file, writes it, pipes part of it and leaves bytes in the pipe. */
    private static int[] history(Kernel kernel) {
        int pid = kernel.spawn("shell").pid();
        kernel.makeFile("/tmp/a", 4);
        kernel.removeFile("/tmp/gone");
        int f = (int) done(kernel.open(pid, "/tmp/b", 0102)).ret(); // O_RDWR|O_CREAT
        done(kernel.write(pid, f, "journal".getBytes(StandardCharsets.UTF_8), new PacketReport(null)));
        done(kernel.lseek(pid, f, 1, 0));
        SyscallResult pipe = done(kernel.pipe(pid, 0));
        done(kernel.splice(pid, f, pipe.revents().get(1), 3, 0, new PacketReport(null)));
        done(kernel.sendfile(pid, pipe.revents().get(1), f, 5L, 10, new PacketReport(null)));
        return new int[] {pid, f, pipe.revents().get(0)};
    }

    private static String readAll(Kernel kernel, int pid, int fd) {
        return new String(done(kernel.read(pid, fd, 100)).data(), StandardCharsets.UTF_8);
    }

    @Test
    void aReplayedJournal_rebuildsTheFilesAndThePipe() {
        Kernel original = new Kernel(KernelConfig.defaults("files-journal", 42));
        List<KernelInput> inputs = new ArrayList<>();
        original.recordInputs((k, input) -> inputs.add(input));
        int[] ids = history(original);
        assertThat(inputs).extracting(KernelInput::op).contains("mkfile", "unlink", "open", "lseek", "pipe", "splice", "sendfile");

        Kernel replayed = new Kernel(KernelConfig.defaults("files-journal", 42));
        for (int i = 0; i < inputs.size(); i++) {
            KernelInput parsed = JournalCodec.parseEntry(i + 2, JournalCodec.entry(i + 1, inputs.get(i)));
            parsed.applyTo(replayed);
        }
        assertThat(readAll(replayed, ids[0], ids[2])).isEqualTo("our" + "al");
        assertThat(readAll(original, ids[0], ids[2])).isEqualTo("our" + "al");
        java.util.Set<String> names = replayed.inspect(k -> java.util.Set.copyOf(k.files().files().keySet()));
        assertThat(names).containsExactlyInAnyOrder("/tmp/a", "/tmp/b");
        long position = replayed.inspect(k -> k.process(ids[0]).fds().get(ids[1]).position());
        assertThat(position).as("splice moved the file position past the 3 bytes").isEqualTo(4L);
    }

    @Test
    void aSnapshot_keepsTheFilesAndThePipesBytes() throws Exception {
        Kernel original = new Kernel(KernelConfig.defaults("files-snapshot", 42));
        int[] ids = history(original);
        Kernel restored = Snapshots.read(Snapshots.write(original), KernelBudget.unlimited());
        assertThat(readAll(restored, ids[0], ids[2])).isEqualTo("oural");
        byte[] contents = restored.inspect(k -> k.files().lookup("/tmp/b").read(0, 100));
        assertThat(new String(contents, StandardCharsets.UTF_8)).isEqualTo("journal");
    }
}
