package io.vkernel.journal;

import java.nio.file.Path;

/**
 * How the embedded journal database is opened, in one place for the service, the H2 carry-over and the benchmarks:
 * WAL mode, so restores and exports read while the writer commits; {@code synchronous=NORMAL}, so a commit is written
 * to the log before it returns and fsynced only at checkpoints; a writer waits up to 10 s for another's lock.
 */
public final class SqliteFile {

    /** The database's file name in {@code vkernel.data-dir}. */
    public static final String NAME = "vkernel.sqlite";

    private SqliteFile() {
    }

    public static String url(Path file) {
        return "jdbc:sqlite:" + file + "?journal_mode=WAL&synchronous=NORMAL&busy_timeout=10000";
    }
}
