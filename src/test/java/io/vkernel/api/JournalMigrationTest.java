package io.vkernel.api;

import io.vkernel.journal.KernelJournal;
import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.link.LinkSettings;
import io.vkernel.kernel.link.Network;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Ipv4;
import io.vkernel.sandbox.KernelRegistry;
import io.vkernel.sandbox.NetworkRegistry;
import io.vkernel.sandbox.SandboxLimits;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;
import org.springframework.transaction.support.TransactionTemplate;

import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * V5 gives the journal's rows one numeric key (a kernel's number times 2^40 plus the step). A database V4 wrote, with
 * journals, a snapshot, an owner and a network's link entries, migrates, and the service restores from it the same
 * kernels and reads the same journals; kernels created and deleted afterwards keep to their own rows. Runs against
 * PostgreSQL too (in a schema of its own) when {@code spring.datasource.url} names one ({@code .ci/journal-postgres}).
 */
class JournalMigrationTest {

    private static final String SCHEMA = "journal_v4_migration";
    private final List<KernelJournal> journals = new ArrayList<>();
    private final List<SingleConnectionDataSource> sources = new ArrayList<>();

    @AfterEach
    void close() {
        journals.forEach(KernelJournal::close);
        sources.forEach(SingleConnectionDataSource::destroy);
    }

    /** What the service holds after a start on a database: its kernels and networks, restored, and the journal. */
    record Service(KernelRegistry kernels, NetworkRegistry networks, KernelJournal journal) {
    }

    private Service start(DataSource db) {
        return start(db, journals);
    }

    /** Starts on {@code db} as the service does (restore, then journal), adding the journal to {@code opened}. */
    static Service start(DataSource db, List<KernelJournal> opened) {
        KernelRegistry kernels = new KernelRegistry(SandboxLimits.defaults());
        NetworkRegistry networks = new NetworkRegistry(kernels);
        KernelJournal journal = new KernelJournal(new JdbcTemplate(db), new TransactionTemplate(new DataSourceTransactionManager(db)), 0);
        opened.add(journal);
        journal.restoreAndAttach(kernels, k -> { });
        journal.restoreNetworks(kernels, networks, (n, realtime) -> { });
        return new Service(kernels, networks, journal);
    }

    private SingleConnectionDataSource h2(String name) {
        SingleConnectionDataSource db = new SingleConnectionDataSource("jdbc:h2:mem:" + name + "-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1",
                "sa", "", true);
        sources.add(db);
        return db;
    }

    /** The database the V4 layout is written to: PostgreSQL's when the journal tests run against one, else H2. */
    private SingleConnectionDataSource v4Database() {
        String url = System.getProperty("spring.datasource.url");
        if (url == null || !url.startsWith("jdbc:postgresql:")) {
            return h2("v4");
        }
        SingleConnectionDataSource db = new SingleConnectionDataSource(url, System.getProperty("spring.datasource.username", "vkernel"),
                System.getProperty("spring.datasource.password", ""), true);
        sources.add(db);
        JdbcTemplate jdbc = new JdbcTemplate(db);
        jdbc.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
        jdbc.execute("CREATE SCHEMA " + SCHEMA);
        jdbc.execute("SET search_path TO " + SCHEMA);
        return db;
    }

    @Test
    void aV4Database_migrates_andTheServiceRestoresTheSameKernelsAndJournals() {
        // the histories, journaled by today's code in a database of its own
        SingleConnectionDataSource source = h2("source");
        Flyway.configure().dataSource(source).load().migrate();
        Service before = start(source);
        Kernel k1 = KernelJournalTest.drive(before.kernels(), "k1", 3);
        Kernel k2 = KernelJournalTest.drive(before.kernels(), "k2", 2);
        before.journal().own("k1", "alice", new byte[] {1, 2, 3});
        before.journal().snapshot(k2);
        k2.advance(5);
        Network lab = network(before.kernels(), before.networks());
        before.journal().flush();

        // the same rows as V4 stored them: key (kernel_id, step), (network_id, seq)
        SingleConnectionDataSource v4 = v4Database();
        Flyway.configure().dataSource(v4).target("4").load().migrate();
        JdbcTemplate from = new JdbcTemplate(source);
        JdbcTemplate to = new JdbcTemplate(v4);
        from.query("SELECT id, owner FROM kernels", row -> {
            to.update("INSERT INTO kernels (id, owner) VALUES (?, ?)", row.getString(1), row.getString(2));
        });
        from.query("SELECT k.id, e.id - k.num * 1099511627776, e.entry FROM journal_entries e JOIN kernels k"
                + " ON e.id >= k.num * 1099511627776 AND e.id < (k.num + 1) * 1099511627776", row -> {
            to.update("INSERT INTO journal_entries (kernel_id, step, entry) VALUES (?, ?, ?)", row.getString(1), row.getLong(2), row.getString(3));
        });
        from.query("SELECT kernel_id, step, format, fingerprint, classes, data FROM kernel_snapshots", row -> {
            to.update("INSERT INTO kernel_snapshots (kernel_id, step, format, fingerprint, classes, data) VALUES (?, ?, ?, ?, ?, ?)",
                    row.getString(1), row.getLong(2), row.getInt(3), row.getString(4), row.getString(5), row.getBytes(6));
        });
        from.query("SELECT id, digest FROM attendees", row -> {
            to.update("INSERT INTO attendees (id, digest) VALUES (?, ?)", row.getString(1), row.getString(2));
        });
        from.query("SELECT id, header FROM networks", row -> {
            to.update("INSERT INTO networks (id, header) VALUES (?, ?)", row.getString(1), row.getString(2));
        });
        from.query("SELECT n.id, e.id - n.num * 1099511627776, e.entry FROM network_entries e JOIN networks n"
                + " ON e.id >= n.num * 1099511627776 AND e.id < (n.num + 1) * 1099511627776", row -> {
            to.update("INSERT INTO network_entries (network_id, seq, entry) VALUES (?, ?, ?)", row.getString(1), row.getLong(2), row.getString(3));
        });
        assertThat(to.queryForObject("SELECT COUNT(*) FROM journal_entries", Long.class)).as("every kernel's journal")
                .isEqualTo(from.queryForObject("SELECT COUNT(*) FROM journal_entries", Long.class)).isGreaterThan(40);
        assertThat(to.queryForObject("SELECT COUNT(*) FROM network_entries", Long.class)).as("the link's entries")
                .isEqualTo(before.journal().networkEntries("lab").size()).isGreaterThan(3);
        assertThat(to.queryForObject("SELECT COUNT(*) FROM kernel_snapshots", Long.class)).isEqualTo(1);

        Flyway.configure().dataSource(v4).load().migrate();
        Service after = start(v4);
        Map<String, String> ids = new TreeMap<>();
        before.kernels().all().forEach(k -> ids.put(k.id(), JournalReplayPropertiesTest.fingerprint(k)));
        assertThat(ids.keySet()).contains("default", "k1", "k2", "na", "nb");
        for (Map.Entry<String, String> kernel : ids.entrySet()) {
            assertThat(after.journal().lines(kernel.getKey())).as(kernel.getKey()).isEqualTo(before.journal().lines(kernel.getKey()));
            assertThat(JournalReplayPropertiesTest.fingerprint(after.kernels().find(kernel.getKey()).orElseThrow())).as(kernel.getKey())
                    .isEqualTo(kernel.getValue());
        }
        assertThat(after.journal().networkEntries("lab")).isEqualTo(before.journal().networkEntries("lab"));
        assertThat(after.networks().find("lab").orElseThrow().link().counters()).isEqualTo(lab.link().counters());
        assertThat(after.journal().restoredOwners()).isEqualTo(Map.of("k1", "alice"));
        Kernel restored = after.kernels().find("k1").orElseThrow();
        assertThat(((io.vkernel.kernel.syscall.Syscalls.Done) restored.read(12345, 4, 100)).result().data())
                .isEqualTo("hello".getBytes(StandardCharsets.US_ASCII));

        // the migrated database goes on: an input to a migrated kernel, a kernel deleted, a new one, another restart
        restored.advance(9);
        after.kernels().delete("k2");
        KernelJournalTest.drive(after.kernels(), "k3", 1);
        after.journal().flush();
        List<String> k1Lines = after.journal().lines("k1");
        assertThat(k1Lines).hasSize(before.journal().lines("k1").size() + 2).last().asString().contains("\"op\":\"advance\",\"ms\":9");
        assertThat(after.journal().lines("k2")).isEmpty();
        List<String> k3Lines = after.journal().lines("k3");
        assertThat(k3Lines.get(0)).contains("\"k3\"");
        assertThat(k3Lines).hasSize(before.journal().lines("k1").size() - 2 * 5); // two rounds fewer than k1's, 5 inputs each
        after.journal().close();
        Service again = start(v4);
        assertThat(again.kernels().find("k2")).isEmpty();
        assertThat(again.journal().lines("k1")).isEqualTo(k1Lines);
        assertThat(again.journal().lines("k3")).isEqualTo(k3Lines);
        assertThat(((io.vkernel.kernel.syscall.Syscalls.Done) again.kernels().find("k3").orElseThrow().read(12345, 4, 100)).result().data())
                .as("k3's unread bytes, after a restart on the migrated database").isEqualTo("hello".getBytes(StandardCharsets.US_ASCII));
        assertThat(again.journal().networkEntries("lab")).isEqualTo(before.journal().networkEntries("lab"));
    }

    /** na connects to nb across a link with a 5 ms delay and sends 5 bytes nb does not read. */
    static Network network(KernelRegistry kernels, NetworkRegistry networks) {
        Kernel a = kernels.create("na", Ipv4.parse("10.0.0.1"), 3L, 64, null);
        Kernel b = kernels.create("nb", Ipv4.parse("10.0.0.2"), 4L, 64, null);
        a.spawn("client");
        b.spawn("server");
        b.socket(12345);
        b.bind(12345, 3, Endpoint.parse("0.0.0.0:80"));
        b.listen(12345, 3, 8);
        Network lab = networks.create("lab", List.of("na", "nb"), new LinkSettings(5, 0, 0, 0, 0, 0, 7L));
        a.socket(12345);
        a.connect(12345, 3, Endpoint.parse("10.0.0.2:80"), new PacketReport(null));
        lab.settle();
        lab.advance(300);
        b.accept(12345, 3);
        a.write(12345, 3, "hello".getBytes(StandardCharsets.US_ASCII), new PacketReport(null));
        lab.settle();
        lab.advance(50);
        return lab;
    }
}
