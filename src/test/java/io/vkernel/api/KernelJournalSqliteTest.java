package io.vkernel.api;

import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.io.TempDir;

import javax.sql.DataSource;
import java.nio.file.Path;

/**
 * Every journal test of KernelJournalTest again, on the embedded database the service opens by default: SQLite in a
 * data directory, through JournalConfig's pool and URL (WAL mode), with the db/sqlite schema Boot's Flyway gives it.
 */
class KernelJournalSqliteTest extends KernelJournalTest {

    @TempDir
    Path dataDir;

    @Override
    DataSource openDatabase() {
        DataSource sqlite = new JournalConfig().journalDataSource(dataDir.toString());
        Flyway.configure().dataSource(sqlite).locations("classpath:db/sqlite").load().migrate();
        return sqlite;
    }
}
