package io.vkernel.api;

import io.vkernel.VkernelApplication;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * One service per data directory: SQLite would let two processes journal into the same rows, so the second service
 * on a {@code vkernel.data-dir} refuses to start and says why, and a service that died (even by {@code kill -9})
 * leaves nothing that stops the next one.
 */
class DataDirLockTest {

    @TempDir
    Path dir;

    @Test
    void aDirectoryLockedByAnotherProcess_isRefused_untilThatProcessDies() throws Exception {
        // another process holding a POSIX lock on vkernel.lock, as a running service does (python3's lockf is fcntl's)
        Process other = new ProcessBuilder("python3", "-c", "import fcntl, sys, time\n"
                + "f = open(sys.argv[1], 'w'); fcntl.lockf(f, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(60)",
                dir.resolve("vkernel.lock").toString()).redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(other.getInputStream(), StandardCharsets.UTF_8))) {
            assertThat(out.readLine()).isEqualTo("locked");
            assertThatThrownBy(() -> DataDirLock.take(dir)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("vkernel.data-dir " + dir + " is in use by another vkernel service")
                    .hasMessageContaining("--vkernel.data-dir");
        } finally {
            other.destroyForcibly().waitFor();
        }
        try (DataDirLock lock = DataDirLock.take(dir)) {
            assertThat(lock).isNotNull();
        }
    }

    @Test
    void aSecondServiceOnTheSameDirectory_failsToStart_andTheFirstGoesOn() {
        String[] args = {"--server.port=0", "--spring.main.banner-mode=off", "--vkernel.data-dir=" + dir};
        try (ConfigurableApplicationContext first = new SpringApplicationBuilder(VkernelApplication.class).run(args)) {
            assertThatThrownBy(() -> new SpringApplicationBuilder(VkernelApplication.class).run(args).close())
                    .rootCause().hasMessageContaining("is in use by another vkernel service");
            assertThat(first.isRunning()).isTrue();
            assertThat(first.getBean(io.vkernel.sandbox.KernelRegistry.class).find("default")).isPresent();
        }
        // closed: the directory is free again
        try (ConfigurableApplicationContext again = new SpringApplicationBuilder(VkernelApplication.class).run(args)) {
            assertThat(again.isRunning()).isTrue();
        }
    }
}
