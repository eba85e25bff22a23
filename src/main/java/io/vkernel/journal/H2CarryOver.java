package io.vkernel.journal;

import org.flywaydb.core.Flyway;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Up to the fifteenth session the embedded journal database was H2 ({@code vkernel.mv.db} in the data directory); it
 * is SQLite now. A data directory that holds an H2 database and no SQLite one is carried over once, on start: H2's
 * schema is brought to V5 by Flyway, every row of the six tables is copied into a new SQLite file in one transaction,
 * and only then is the file renamed into place (a crash before that leaves the H2 database as it was, and the next
 * start tries again). The H2 file is kept beside it, renamed {@code vkernel.mv.db.carried}, not deleted.
 */
public final class H2CarryOver {

    /** Each table with its columns, in an order that copies every value as it is (both sides have them all). */
    private static final String[][] TABLES = {
            {"kernels", "id, owner, num"},
            {"journal_entries", "id, entry"},
            {"attendees", "id, digest"},
            {"kernel_snapshots", "kernel_id, step, format, fingerprint, classes, data"},
            {"networks", "id, header, num"},
            {"network_entries", "id, entry"},
    };

    private static final int BATCH = 1000;

    private H2CarryOver() {
    }

    /**
     * Carries {@code dir/vkernel.mv.db} into {@code sqlite} if the first exists and the second does not; returns the
     * rows copied, or -1 when there was nothing to carry.
     */
    public static long carry(Path dir, Path sqlite) {
        Path h2 = dir.resolve("vkernel.mv.db");
        if (!Files.exists(h2) || Files.exists(sqlite)) {
            return -1;
        }
        Path partial = sqlite.resolveSibling(sqlite.getFileName() + ".carrying");
        try {
            Files.deleteIfExists(partial);
            String h2Url = "jdbc:h2:file:" + dir.resolve("vkernel");
            Flyway.configure().dataSource(h2Url, "sa", "").load().migrate();
            String partialUrl = SqliteFile.url(partial);
            Flyway.configure().dataSource(partialUrl, null, null).locations("classpath:db/sqlite").load().migrate();
            long rows = 0;
            try (Connection from = DriverManager.getConnection(h2Url, "sa", "");
                 Connection to = DriverManager.getConnection(partialUrl)) {
                to.setAutoCommit(false);
                for (String[] table : TABLES) {
                    rows += copy(from, to, table[0], table[1]);
                }
                to.commit();
            }
            Files.move(partial, sqlite, StandardCopyOption.ATOMIC_MOVE);
            Files.move(h2, h2.resolveSibling("vkernel.mv.db.carried"), StandardCopyOption.REPLACE_EXISTING);
            return rows;
        } catch (SQLException e) {
            throw new IllegalStateException("carrying the H2 journal database " + h2 + " into SQLite failed: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("carrying the H2 journal database " + h2 + " into SQLite failed", e);
        }
    }

    private static long copy(Connection from, Connection to, String table, String columns) throws SQLException {
        int width = columns.split(",").length;
        String marks = "?" + ", ?".repeat(width - 1);
        long rows = 0;
        try (Statement read = from.createStatement();
             ResultSet found = read.executeQuery("SELECT " + columns + " FROM " + table);
             PreparedStatement write = to.prepareStatement("INSERT INTO " + table + " (" + columns + ") VALUES (" + marks + ")")) {
            while (found.next()) {
                for (int i = 1; i <= width; i++) {
                    write.setObject(i, found.getObject(i));
                }
                write.addBatch();
                if (++rows % BATCH == 0) {
                    write.executeBatch();
                }
            }
            write.executeBatch();
        }
        return rows;
    }
}
