package io.vkernel.api;

import com.zaxxer.hikari.HikariDataSource;
import io.vkernel.journal.KernelJournal;
import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.link.Network;
import io.vkernel.kernel.syscall.Syscalls;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;

import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The embedded journal database moved from H2 to SQLite. A data directory the H2 default wrote (journals, a snapshot,
 * an owner, a network's link entries) is carried over on the first start: the service then restores the same kernels
 * with the same journals and unread bytes from SQLite, keeps journaling there, and keeps the H2 file aside.
 */
class H2CarryOverTest {

    @TempDir
    Path dir;

    private final List<KernelJournal> journals = new ArrayList<>();
    private final List<AutoCloseable> sources = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        journals.forEach(KernelJournal::close);
        for (AutoCloseable source : sources) {
            source.close();
        }
    }

    private JournalMigrationTest.Service start(DataSource db) {
        return JournalMigrationTest.start(db, journals);
    }

    /** The data source the service builds for {@code vkernel.data-dir}, with the schema Boot's Flyway gives it. */
    private DataSource serviceDatabase() {
        HikariDataSource db = (HikariDataSource) new JournalConfig().journalDataSource(dir.toString());
        sources.add(db);
        Flyway.configure().dataSource(db).locations("classpath:db/sqlite").load().migrate();
        return db;
    }

    @Test
    void anH2DataDirectory_isCarriedIntoSqlite_andTheServiceRestoresTheSameKernels() throws Exception {
        // what the H2 default wrote in this data directory
        SingleConnectionDataSource h2 = new SingleConnectionDataSource("jdbc:h2:file:" + dir.resolve("vkernel"), "sa", "", true);
        Flyway.configure().dataSource(h2).load().migrate();
        JournalMigrationTest.Service before = start(h2);
        KernelJournalTest.drive(before.kernels(), "k1", 3);
        Kernel k2 = KernelJournalTest.drive(before.kernels(), "k2", 2);
        before.journal().own("k1", "alice", new byte[] {1, 2, 3});
        before.journal().snapshot(k2);
        k2.advance(5);
        Network lab = JournalMigrationTest.network(before.kernels(), before.networks());
        before.journal().flush();
        Map<String, String> fingerprints = new TreeMap<>();
        Map<String, List<String>> lines = new TreeMap<>();
        before.kernels().all().forEach(k -> {
            fingerprints.put(k.id(), JournalReplayPropertiesTest.fingerprint(k));
            lines.put(k.id(), before.journal().lines(k.id()));
        });
        List<String> link = before.journal().networkEntries("lab");
        before.journal().close();
        h2.destroy();
        assertThat(fingerprints.keySet()).contains("default", "k1", "k2", "na", "nb");
        assertThat(link).hasSizeGreaterThan(3);

        JournalMigrationTest.Service after = start(serviceDatabase());
        assertThat(dir.resolve("vkernel.sqlite")).exists();
        assertThat(dir.resolve("vkernel.mv.db")).as("the H2 file is set aside, not deleted").doesNotExist();
        assertThat(dir.resolve("vkernel.mv.db.carried")).exists();
        assertThat(after.kernels().all().stream().map(Kernel::id).sorted().toList()).isEqualTo(List.copyOf(fingerprints.keySet()));
        for (String id : fingerprints.keySet()) {
            assertThat(after.journal().lines(id)).as(id).isEqualTo(lines.get(id));
            assertThat(JournalReplayPropertiesTest.fingerprint(after.kernels().find(id).orElseThrow())).as(id).isEqualTo(fingerprints.get(id));
        }
        assertThat(after.journal().networkEntries("lab")).isEqualTo(link);
        assertThat(after.networks().find("lab").orElseThrow().link().counters()).isEqualTo(lab.link().counters());
        assertThat(after.journal().restoredOwners()).isEqualTo(Map.of("k1", "alice"));
        Kernel k1 = after.kernels().find("k1").orElseThrow();
        assertThat(((Syscalls.Done) k1.read(12345, 4, 100)).result().data()).isEqualTo("hello".getBytes(StandardCharsets.US_ASCII));

        // journaling goes on in SQLite, and a second start carries nothing again
        k1.advance(9);
        after.kernels().delete("k2");
        after.journal().flush();
        List<String> k1Lines = after.journal().lines("k1");
        assertThat(k1Lines).hasSize(lines.get("k1").size() + 2).last().asString().contains("\"op\":\"advance\",\"ms\":9");
        after.journal().close();
        byte[] carried = Files.readAllBytes(dir.resolve("vkernel.mv.db.carried"));
        JournalMigrationTest.Service again = start(serviceDatabase());
        assertThat(again.journal().lines("k1")).isEqualTo(k1Lines);
        assertThat(again.kernels().find("k2")).isEmpty();
        assertThat(again.journal().networkEntries("lab")).isEqualTo(link);
        assertThat(Files.readAllBytes(dir.resolve("vkernel.mv.db.carried"))).isEqualTo(carried);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(name -> name.endsWith(".carrying"));
        }
    }

    @Test
    void aFreshDataDirectory_getsSqliteAndNothingIsCarried() {
        DataSource db = serviceDatabase();
        JournalMigrationTest.Service service = start(db);
        KernelJournalTest.drive(service.kernels(), "k1", 1);
        service.journal().flush();
        assertThat(dir.resolve("vkernel.sqlite")).exists();
        assertThat(dir.resolve("vkernel.mv.db")).doesNotExist();
        assertThat(dir.resolve("vkernel.mv.db.carried")).doesNotExist();
        assertThat(new JdbcTemplate(db).queryForObject("SELECT COUNT(*) FROM journal_entries", Long.class))
                .isEqualTo(service.journal().lines("k1").size() + service.journal().lines("default").size());
    }
}
