package io.vkernel.bench;

import com.zaxxer.hikari.HikariDataSource;
import io.vkernel.journal.KernelJournal;
import io.vkernel.journal.SqliteFile;
import io.vkernel.kernel.Kernel;
import io.vkernel.sandbox.KernelRegistry;
import io.vkernel.sandbox.SandboxLimits;
import org.flywaydb.core.Flyway;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

/**
 * The journal's CPU per journaled request, without HTTP: {@code clients} threads each loop over what
 * JournalDurabilityFilter does around one {@code fcntl(F_GETFL)} (a {@code composing()} scope, the syscall under the
 * kernel's lock, which queues its entry, then {@code flush()}), against the embedded SQLite database the service uses
 * (WAL, {@code synchronous=NORMAL}, Hikari, Flyway's schema), or with {@code -Dbench.db=h2} the H2 database it used
 * before (file mode, {@code WRITE_DELAY=0}). Prints, per round, requests, commits (the journal's count; with H2, H2's
 * store version), requests and bytes written per commit (H2 only), and CPU microseconds per request for the whole process and for the journal's writer
 * thread (thread CPU time, so a busy machine changes it less than wall-clock rates). With {@code off} the kernel is
 * not journaled, which gives the syscall's own CPU.
 *
 * <p>{@code java -cp target/classes:target/test-classes:<test classpath> io.vkernel.bench.JournalCpu 32 5 4 [on|off]
 * [outside-us [inside-us]]} (clients, seconds per round, rounds; CPU microseconds each client burns per request outside
 * the composing scope and inside it, standing for the HTTP work around the syscall: 0 by default).
 */
public final class JournalCpu {

    private JournalCpu() {
    }

    public static void main(String[] args) throws Exception {
        int clients = args.length > 0 ? Integer.parseInt(args[0]) : 32;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        boolean journaled = args.length <= 3 || !args[3].equals("off");
        long outsideNanos = args.length > 4 ? Long.parseLong(args[4]) * 1000 : 0;
        long insideNanos = args.length > 5 ? Long.parseLong(args[5]) * 1000 : 0;
        Path dir = Files.createTempDirectory("vkernel-journal-cpu");
        HikariDataSource data = new HikariDataSource();
        boolean sqlite = System.getProperty("bench.db", "sqlite").equals("sqlite");
        if (sqlite) {
            // as JournalConfig opens it
            data.setJdbcUrl(SqliteFile.url(dir.resolve(SqliteFile.NAME)));
        } else {
            data.setJdbcUrl("jdbc:h2:file:" + dir.resolve("vkernel") + ";WRITE_DELAY=0" + System.getProperty("bench.h2", ""));
            data.setUsername("sa");
            data.setPassword("");
        }
        data.setMaximumPoolSize(4);
        Flyway.configure().dataSource(data).locations(sqlite ? "classpath:db/sqlite" : "classpath:db/migration").load().migrate();
        JdbcTemplate jdbc = new JdbcTemplate(data);
        KernelJournal journal = new KernelJournal(jdbc, new TransactionTemplate(new DataSourceTransactionManager(data)), 0);
        KernelRegistry registry = new KernelRegistry(SandboxLimits.defaults());
        if (journaled) {
            journal.restoreAndAttach(registry, k -> { });
        }
        Kernel kernel = registry.create("bench", null, 1L, 64, null);
        int pid = kernel.spawn("server").pid();
        kernel.socket(pid);
        journal.flush();

        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        Thread writer = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("vkernel-journal-writer"))
                .findFirst().orElseThrow();
        System.out.println("round requests commits req/commit bytes/commit cpu_us/req writer_cpu_us/req switches/req req/s load");
        for (int round = 1; round <= rounds; round++) {
            AtomicBoolean stop = new AtomicBoolean();
            LongAdder done = new LongAdder();
            List<Thread> running = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                Thread t = new Thread(() -> {
                    while (!stop.get()) {
                        work(outsideNanos);
                        try (KernelJournal.Composing ignored = journal.composing()) {
                            work(insideNanos);
                            kernel.fcntl(pid, 3, "F_GETFL", 0);
                        }
                        journal.flush();
                        done.increment();
                    }
                }, "client");
                running.add(t);
            }
            long[] before = sqlite ? new long[] {journal.commits(), 0} : store(jdbc);
            long switches = contextSwitches();
            long cpu = os.getProcessCpuTime();
            long writerCpu = threads.getThreadCpuTime(writer.getId());
            long start = System.nanoTime();
            running.forEach(Thread::start);
            Thread.sleep(seconds * 1000L);
            stop.set(true);
            for (Thread t : running) {
                t.join();
            }
            long wall = System.nanoTime() - start;
            long n = done.sum();
            long[] after = sqlite ? new long[] {journal.commits(), 0} : store(jdbc);
            double switchesPerReq = (contextSwitches() - switches) / (double) done.sum();
            long commits = after[0] - before[0];
            double cpuPerReq = (os.getProcessCpuTime() - cpu) / 1000.0 / n;
            double writerPerReq = (threads.getThreadCpuTime(writer.getId()) - writerCpu) / 1000.0 / n;
            System.out.printf("%d %d %d %.1f %d %.1f %.1f %.2f %.0f %.1f%n", round, n, commits, commits > 0 ? (double) n / commits : 0,
                    commits > 0 ? (after[1] - before[1]) / commits : 0,
                    cpuPerReq, writerPerReq, switchesPerReq, n * 1e9 / wall, os.getSystemLoadAverage());
        }
        journal.close();
        data.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /**
     * Burns about {@code nanos} of this thread's CPU time: the HTTP request's own work around the syscall (parsing,
     * handler, writing the answer, and the client's side), outside or inside the durability filter's composing scope.
     */
    private static void work(long nanos) {
        if (nanos <= 0) {
            return;
        }
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long until = threads.getCurrentThreadCpuTime() + nanos;
        long sink = 0;
        while (threads.getCurrentThreadCpuTime() < until) {
            for (int i = 0; i < 200; i++) {
                sink += i * 31L ^ sink;
            }
        }
        if (sink == 42) {
            System.out.print("");
        }
    }

    /** Context switches (voluntary and not) of every thread of this process so far, from Linux's /proc; 0 elsewhere. */
    private static long contextSwitches() {
        long total = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    for (String line : Files.readAllLines(task.resolve("status"))) {
                        if (line.startsWith("voluntary_ctxt_switches:") || line.startsWith("nonvoluntary_ctxt_switches:")) {
                            total += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                        }
                    }
                } catch (java.io.IOException gone) {
                    // the thread ended meanwhile
                }
            }
        } catch (java.io.IOException noProc) {
            return 0;
        }
        return total;
    }

    /** H2's store: {@code [0]} its version (one more per commit that changed something), {@code [1]} bytes written. */
    private static long[] store(JdbcTemplate jdbc) {
        long[] found = new long[2];
        jdbc.query("SELECT SETTING_NAME, SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS"
                + " WHERE SETTING_NAME IN ('info.CURRENT_VERSION', 'info.FILE_WRITE_BYTES')", row -> {
            found[row.getString(1).equals("info.CURRENT_VERSION") ? 0 : 1] = Long.parseLong(row.getString(2));
        });
        return found;
    }
}
