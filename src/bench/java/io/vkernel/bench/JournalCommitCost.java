package io.vkernel.bench;

import io.vkernel.journal.SqliteFile;
import org.flywaydb.core.Flyway;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * What one group commit of the journal costs the writer thread, by storage layout, on one thread and without the
 * service around it (issue 15 item 5): {@code commits} times, {@code group} journal entries inserted with one JDBC
 * batch and committed, in a file H2 with {@code WRITE_DELAY=0} as the service opens it. Prints per round the thread's
 * CPU microseconds per commit and H2's bytes written per commit ({@code info.FILE_WRITE_BYTES} over
 * {@code info.CURRENT_VERSION}).
 *
 * <p>Layouts: {@code flyway} (the service's schema, migrations applied: one {@code BIGINT} key, a kernel's number
 * times 2^40 plus the step, since V5), {@code v4} (the schema before V5, key {@code (kernel_id, step)}), {@code varchar} ({@code entry} as
 * {@code VARCHAR} instead of {@code TEXT}), {@code steppk} (a single {@code BIGINT} primary key, which H2 keeps as the
 * table's own B-tree with no separate index: not usable for several kernels, only the floor of a one-tree layout),
 * {@code sqlite} (the embedded default since the fifteenth session: SQLite in WAL mode with {@code synchronous=NORMAL}, as
 * JournalConfig opens it, Flyway's db/sqlite schema; bytes are what the process passed to {@code write()}),
 * and {@code log} (no database: the group's lines appended to a plain file with one {@code write}, what a commit
 * would cost if durability against {@code kill -9} came from an append-only log instead).
 *
 * <p>{@code java -cp target/classes:target/test-classes:<test classpath> io.vkernel.bench.JournalCommitCost
 * sqlite|flyway|v4|varchar|steppk|log [group] [commits] [rounds] [entry-bytes] [h2-url-suffix]}.
 */
public final class JournalCommitCost {

    private JournalCommitCost() {
    }

    public static void main(String[] args) throws Exception {
        String layout = args.length > 0 ? args[0] : "flyway";
        int group = args.length > 1 ? Integer.parseInt(args[1]) : 12;
        int commits = args.length > 2 ? Integer.parseInt(args[2]) : 3000;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 4;
        int entryBytes = args.length > 4 ? Integer.parseInt(args[4]) : 70;
        String suffix = args.length > 5 ? args[5] : "";
        // an fcntl entry as JournalCodec writes it, padded to the size asked for
        String entry = "{\"step\":12345,\"op\":\"fcntl\",\"pid\":12345,\"fd\":3,\"cmd\":\"F_GETFL\",\"arg\":0}";
        entry = entry.length() >= entryBytes ? entry : entry + " ".repeat(entryBytes - entry.length());
        Path dir = Files.createTempDirectory("vkernel-commit-cost");
        try {
            if (layout.equals("log")) {
                log(dir, entry, group, commits, rounds);
            } else {
                database(dir, layout, entry, group, commits, rounds, suffix);
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void database(Path dir, String layout, String entry, int group, int commits, int rounds, String suffix)
            throws SQLException {
        boolean sqlite = layout.equals("sqlite");
        String url = sqlite ? SqliteFile.url(dir.resolve(SqliteFile.NAME)) + suffix
                : "jdbc:h2:file:" + dir.resolve("vkernel") + ";WRITE_DELAY=0" + suffix;
        if (sqlite) {
            Flyway.configure().dataSource(url, null, null).locations("classpath:db/sqlite").load().migrate();
        } else if (layout.equals("flyway") || layout.equals("v4")) {
            Flyway.configure().dataSource(url, "sa", "").target(layout.equals("v4") ? "4" : "latest").load().migrate();
        }
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        try (Connection c = sqlite ? DriverManager.getConnection(url) : DriverManager.getConnection(url, "sa", "")) {
            String type = layout.equals("varchar") ? "VARCHAR(1048576)" : "TEXT";
            String key = layout.equals("steppk") ? "" : ", PRIMARY KEY (kernel_id, step)";
            if (!layout.equals("flyway") && !layout.equals("v4") && !sqlite) {
                try (Statement s = c.createStatement()) {
                    s.execute("CREATE TABLE journal_entries (kernel_id VARCHAR(32) NOT NULL, step BIGINT NOT NULL"
                            + (layout.equals("steppk") ? " PRIMARY KEY" : "") + ", entry " + type + " NOT NULL" + key + ")");
                }
            }
            c.setAutoCommit(false);
            System.out.println("round layout group writer_cpu_us/commit bytes/commit");
            long step = 1;
            boolean numbered = layout.equals("flyway") || sqlite;
            try (PreparedStatement insert = c.prepareStatement(numbered ? "INSERT INTO journal_entries (id, entry) VALUES (?, ?)"
                    : "INSERT INTO journal_entries (kernel_id, step, entry) VALUES (?, ?, ?)")) {
                for (int round = 1; round <= rounds; round++) {
                    long[] before = sqlite ? written(0) : store(c);
                    long cpu = threads.getCurrentThreadCpuTime();
                    for (int i = 0; i < commits; i++) {
                        for (int j = 0; j < group; j++) {
                            if (numbered) {
                                insert.setLong(1, (1L << 40) + step++); // kernel number 1, as the first kernel stored
                                insert.setString(2, entry);
                            } else {
                                insert.setString(1, "default");
                                insert.setLong(2, step++);
                                insert.setString(3, entry);
                            }
                            insert.addBatch();
                        }
                        insert.executeBatch();
                        c.commit();
                    }
                    long used = threads.getCurrentThreadCpuTime() - cpu;
                    long[] after = sqlite ? written(commits) : store(c);
                    long versions = Math.max(1, after[0] - before[0]);
                    System.out.printf("%d %s %d %.1f %d%n", round, layout, group, used / 1000.0 / commits, (after[1] - before[1]) / versions);
                }
            }
        }
    }

    private static void log(Path dir, String entry, int group, int commits, int rounds) throws IOException {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
        long step = 1;
        System.out.println("round layout group writer_cpu_us/commit bytes/commit");
        try (FileChannel file = FileChannel.open(dir.resolve("journal.log"), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            for (int round = 1; round <= rounds; round++) {
                long cpu = threads.getCurrentThreadCpuTime();
                long bytes = 0;
                for (int i = 0; i < commits; i++) {
                    buffer.clear();
                    for (int j = 0; j < group; j++) {
                        buffer.put(("default\t" + step++ + "\t" + entry + "\n").getBytes(StandardCharsets.UTF_8));
                    }
                    buffer.flip();
                    bytes += buffer.remaining();
                    while (buffer.hasRemaining()) {
                        file.write(buffer);
                    }
                }
                long used = threads.getCurrentThreadCpuTime() - cpu;
                System.out.printf("%d log %d %.1f %d%n", round, group, used / 1000.0 / commits, bytes / commits);
            }
        }
    }

    /** H2's store: {@code [0]} its version (one more per commit that changed something), {@code [1]} bytes written. */
    /** For SQLite: {@code [0]} the commits given, {@code [1]} the bytes this process passed to write() so far. */
    private static long[] written(long commits) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/io"))) {
                if (line.startsWith("wchar:")) {
                    return new long[] {commits, Long.parseLong(line.substring(6).trim())};
                }
            }
        } catch (IOException noProc) {
            // not Linux
        }
        return new long[] {commits, 0};
    }

    private static long[] store(Connection c) throws SQLException {
        long[] found = new long[2];
        try (Statement s = c.createStatement(); ResultSet row = s.executeQuery("SELECT SETTING_NAME, SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS"
                + " WHERE SETTING_NAME IN ('info.CURRENT_VERSION', 'info.FILE_WRITE_BYTES')")) {
            while (row.next()) {
                found[row.getString(1).equals("info.CURRENT_VERSION") ? 0 : 1] = Long.parseLong(row.getString(2));
            }
        }
        return found;
    }
}
