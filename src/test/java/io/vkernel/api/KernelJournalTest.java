package io.vkernel.api;

import io.vkernel.journal.JournalCodec;
import io.vkernel.journal.KernelJournal;
import io.vkernel.journal.Replay;
import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.KernelInput;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.sandbox.KernelRegistry;
import io.vkernel.sandbox.SandboxLimits;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The journal itself, on a real database migrated by Flyway (in-memory H2 here; KernelJournalSqliteTest runs the same
 * tests on the service's default SQLite): a realtime clock's 10 ms ticks become one
 * entry that replays to the same kernel, and a restart restores every kernel (replayed in parallel) with its journal.
 */
class KernelJournalTest {

    private DataSource dataSource;
    private JdbcTemplate jdbc;
    private TransactionTemplate tx;
    private final List<KernelJournal> journals = new ArrayList<>();

    @BeforeEach
    void database() {
        dataSource = openDatabase();
        jdbc = new JdbcTemplate(dataSource);
        tx = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
    }

    /** The database every test here runs on, its schema migrated: in-memory H2 (KernelJournalSqliteTest: SQLite). */
    DataSource openDatabase() {
        SingleConnectionDataSource h2 = new SingleConnectionDataSource("jdbc:h2:mem:journal-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1",
                "sa", "", true);
        Flyway.configure().dataSource(h2).load().migrate();
        return h2;
    }

    @AfterEach
    void close() throws Exception {
        journals.forEach(KernelJournal::close);
        if (dataSource instanceof SingleConnectionDataSource single) {
            single.destroy();
        } else if (dataSource instanceof AutoCloseable pool) {
            pool.close();
        }
    }

    private KernelJournal journal() {
        KernelJournal journal = new KernelJournal(jdbc, tx);
        journals.add(journal);
        return journal;
    }

    @Test
    void aRealtimeClocksTicks_areOneEntry_thatReplaysToTheSameKernel() {
        KernelJournal journal = journal();
        KernelRegistry registry = new KernelRegistry(SandboxLimits.defaults());
        journal.restoreAndAttach(registry, k -> { });
        Kernel kernel = registry.create("rt", null, 3L, 64, null);
        int pid = kernel.spawn("server").pid();
        kernel.socket(pid);
        kernel.bind(pid, 3, Endpoint.parse("0.0.0.0:8080"));
        kernel.listen(pid, 3, 8);
        // a SYN whose SYN-ACK is never acknowledged: its retransmission timer fires during the ticks
        Endpoint client = Endpoint.parse("192.168.1.100:40000");
        kernel.receive(new Segment(client, Endpoint.parse("10.0.0.50:8080"), TcpFlags.SYN, 1000, 0, 65535, 1460, null));
        kernel.clockMode(true);
        for (int i = 0; i < 700; i++) {
            kernel.advance(10);
        }
        kernel.clockMode(false);
        kernel.advance(10);
        kernel.receive(new Segment(client, Endpoint.parse("10.0.0.50:8080"), TcpFlags.ACK | TcpFlags.PSH, 1001, 1, 65535, 0,
                "late".getBytes(StandardCharsets.US_ASCII)));
        kernel.advance(10);
        journal.flush();

        List<String> lines = journal.lines("rt");
        assertThat(lines.subList(5, lines.size())).as("the 700 ticks are one advance; manual advances stay apart").containsExactly(
                lines.get(5), "{\"step\":6,\"op\":\"clock\",\"mode\":\"realtime\"}", "{\"step\":7,\"op\":\"advance\",\"ms\":7000}",
                "{\"step\":8,\"op\":\"clock\",\"mode\":\"manual\"}", "{\"step\":9,\"op\":\"advance\",\"ms\":10}", lines.get(10),
                "{\"step\":11,\"op\":\"advance\",\"ms\":10}");
        assertThat((boolean) kernel.inspect(k -> k.events().after(0, Integer.MAX_VALUE).stream().anyMatch(e -> e.detail().startsWith("SYN-ACK retransmission"))))
                .as("the SYN-ACK was retransmitted during the ticks").isTrue();

        Replay.Parsed parsed = Replay.parse(lines);
        // replayed in a registry like the original's, so the service budget (the default kernel's tables) is the same
        Kernel replayed = Replay.run(parsed, parsed.header().config(), parsed.inputs().size(),
                new KernelRegistry(SandboxLimits.defaults())::build);
        assertThat(JournalReplayPropertiesTest.fingerprint(replayed)).isEqualTo(JournalReplayPropertiesTest.fingerprint(kernel));
    }

    @Test
    void eachCommitIsCounted_withTheOperationsItMadeDurable() {
        KernelJournal journal = journal();
        KernelRegistry registry = new KernelRegistry(SandboxLimits.defaults());
        journal.restoreAndAttach(registry, k -> { });
        Kernel kernel = registry.create("k", null, 1L, 64, null);
        int pid = kernel.spawn("p").pid();
        journal.flush();
        long commits = journal.commits();
        long durable = journal.durable();
        assertThat(durable).as("the kernel's header and the spawn, and the default kernel's header").isEqualTo(journal.queued());

        for (int i = 0; i < 5; i++) {
            kernel.socket(pid);
            journal.flush(); // one request at a time: each waits for its own commit
        }
        assertThat(journal.commits() - commits).as("one commit per lone request").isEqualTo(5);
        assertThat(journal.durable() - durable).as("one entry each").isEqualTo(5);

        kernel.socket(pid);
        kernel.socket(pid);
        kernel.socket(pid);
        journal.flush();
        assertThat(journal.durable()).isEqualTo(journal.queued());
        assertThat(journal.commits() - commits).as("three entries queued together, committed in one or more groups").isBetween(6L, 8L);
        assertThat(journal.lines("k")).as("the header, the spawn and 8 sockets").hasSize(1 + 1 + 8);
    }

    @Test
    void concurrentRequests_eachReturnOnlyOnceItsOwnEntryIsCommitted_andShareCommits() throws InterruptedException {
        KernelJournal journal = journal();
        KernelRegistry registry = new KernelRegistry(SandboxLimits.defaults());
        journal.restoreAndAttach(registry, k -> { });
        Kernel kernel = registry.create("k", null, 1L, 64, null);
        int pid = kernel.spawn("p").pid();
        kernel.socket(pid);
        journal.flush();
        long commits = journal.commits();
        int threads = 8;
        int each = 40;
        List<String> early = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> clients = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            clients.add(new Thread(() -> {
                for (int i = 0; i < each; i++) {
                    long mine;
                    try (KernelJournal.Composing ignored = journal.composing()) {
                        synchronized (kernel) { // as a request: its input, and the count that includes it, under the kernel lock
                            kernel.fcntl(pid, 3, "F_GETFL", 0);
                            mine = journal.queued();
                        }
                    }
                    journal.flush();
                    if (journal.durable() < mine) {
                        early.add(Thread.currentThread().getName() + " #" + i);
                    }
                }
            }, "client-" + t));
        }
        clients.forEach(Thread::start);
        for (Thread client : clients) {
            client.join();
        }
        assertThat(early).as("requests answered before their entry was committed").isEmpty();
        assertThat(journal.durable()).isEqualTo(journal.queued());
        assertThat(journal.commits() - commits).as("at most one commit per request").isBetween(1L, (long) threads * each);
        assertThat(journal.lines("k")).as("header, spawn, socket and every fcntl, each once").hasSize(3 + threads * each);
    }

    @Test
    void aNameIsWrittenAsJacksonWritesIt_andReadsBack() {
        String name = "a\"b\\c\nd\te\u0001f\u001fg/h\u00e9\u20ac";
        String line = JournalCodec.entry(3, new KernelInput.Spawn(name));
        assertThat(line).isEqualTo("{\"step\":3,\"op\":\"spawn\",\"name\":" + JsonMapper.builder().build().writeValueAsString(name) + "}");
        assertThat(JournalCodec.parseEntry(4, line)).isEqualTo(new KernelInput.Spawn(name));
    }

    @Test
    void aRestart_restoresEveryKernel_andKeepsJournalingEachFromItsNextStep() {
        KernelJournal first = journal();
        KernelRegistry before = new KernelRegistry(SandboxLimits.defaults());
        first.restoreAndAttach(before, k -> { });
        for (int i = 0; i < 12; i++) {
            Kernel kernel = before.create("k" + i, null, (long) i, 64, null);
            int pid = kernel.spawn("p" + i).pid();
            kernel.socket(pid);
            kernel.write(pid, 3, new byte[] {1}, new PacketReport(null));
            kernel.advance(i);
        }
        first.flush();
        first.close();

        KernelJournal second = journal();
        KernelRegistry after = new KernelRegistry(SandboxLimits.defaults());
        List<String> restored = new ArrayList<>();
        assertThat(second.restoreAndAttach(after, k -> restored.add(k.id()))).as("the 12 and the default kernel").isEqualTo(13);
        assertThat(restored).as("registered in id order").isSorted().hasSize(13).contains("default", "k0", "k11");
        for (int i = 0; i < 12; i++) {
            assertThat(JournalReplayPropertiesTest.fingerprint(after.find("k" + i).orElseThrow()))
                    .isEqualTo(JournalReplayPropertiesTest.fingerprint(before.find("k" + i).orElseThrow()));
        }
        after.find("k5").orElseThrow().advance(1);
        second.flush();
        assertThat(second.lines("k5")).hasSize(6).last().isEqualTo("{\"step\":5,\"op\":\"advance\",\"ms\":1}");
    }

    /** Waits (up to 120 s, the snapshot thread's pace, not a clock) until the journal has written {@code n} snapshots. */
    private static void awaitSnapshots(KernelJournal journal, long n) {
        for (int i = 0; i < 2400 && journal.snapshotsWritten() < n; i++) {
            java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L);
        }
    }

    /**
     * A kernel with a server that accepted {@code rounds} loopback connections, each with 5 unread bytes, and a client
     * whose connect() to an absent peer is blocked while its SYN is retransmitted (a parked call, a pending timer).
     */
    static Kernel drive(KernelRegistry registry, String id, int rounds) {
        Kernel kernel = registry.create(id, null, 11L, 64, null);
        int server = kernel.spawn("server").pid();
        kernel.socket(server);
        kernel.bind(server, 3, Endpoint.parse("0.0.0.0:8080"));
        kernel.listen(server, 3, 8);
        int client = kernel.spawn("client").pid();
        for (int i = 0; i < rounds; i++) {
            kernel.socket(client);
            kernel.connect(client, 3 + i, Endpoint.parse("10.0.0.50:8080"), new PacketReport(null));
            kernel.accept(server, 3);
            kernel.write(client, 3 + i, "hello".getBytes(StandardCharsets.US_ASCII), new PacketReport(null));
            kernel.advance(7);
        }
        kernel.socket(client);
        kernel.connect(client, 3 + rounds, Endpoint.parse("192.0.2.1:80"), new PacketReport(null));
        kernel.advance(1);
        return kernel;
    }

    /**
     * A row's key is its kernel's number times 2^40 plus its step (V5). When the numbers are spent (a kernel stored
     * under the last one), a new kernel takes the lowest free number, and every journal still reads as its own.
     */
    @Test
    void onceNumbersAreSpent_aNewKernelTakesTheLowestFree_andEveryJournalStaysApart() {
        KernelJournal first = journal();
        KernelRegistry before = new KernelRegistry(SandboxLimits.defaults());
        first.restoreAndAttach(before, k -> { });
        drive(before, "a", 1);
        drive(before, "top", 1);
        first.flush();
        List<String> a = first.lines("a");
        List<String> top = first.lines("top");
        first.close();
        long num = jdbc.queryForObject("SELECT num FROM kernels WHERE id = 'top'", Long.class);
        long last = Long.MAX_VALUE / (1L << 40) - 1;
        assertThat(jdbc.update("UPDATE journal_entries SET id = id + ? WHERE id >= ? AND id < ?", (last - num) << 40, num << 40,
                (num + 1) << 40)).isEqualTo(top.size());
        jdbc.update("UPDATE kernels SET num = ? WHERE id = 'top'", last);

        KernelJournal second = journal();
        KernelRegistry after = new KernelRegistry(SandboxLimits.defaults());
        second.restoreAndAttach(after, k -> { });
        drive(after, "b", 2);
        after.find("top").orElseThrow().advance(1);
        second.flush();
        assertThat(jdbc.queryForObject("SELECT num FROM kernels WHERE id = 'b'", Long.class)).as("the lowest free number").isEqualTo(num);
        List<String> b = second.lines("b");
        assertThat(b).hasSize(a.size() + 5).first().asString().contains("\"id\":\"b\"");
        assertThat(second.lines("top")).hasSize(top.size() + 1).startsWith(top.toArray(String[]::new));
        assertThat(second.lines("a")).isEqualTo(a);
        List<String> topNow = second.lines("top");
        second.close();

        KernelJournal third = journal();
        KernelRegistry again = new KernelRegistry(SandboxLimits.defaults());
        third.restoreAndAttach(again, k -> { });
        assertThat(third.lines("b")).isEqualTo(b);
        assertThat(third.lines("top")).isEqualTo(topNow);
        assertThat(((io.vkernel.kernel.syscall.Syscalls.Done) again.find("top").orElseThrow().read(12345, 4, 100)).result().data())
                .isEqualTo("hello".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void aRestart_readsTheSnapshot_andReplaysOnlyTheEntriesAfterIt() {
        KernelJournal first = new KernelJournal(jdbc, tx, 0);
        journals.add(first);
        KernelRegistry before = new KernelRegistry(SandboxLimits.defaults());
        first.restoreAndAttach(before, k -> { });
        Kernel kernel = drive(before, "snap", 8);
        long at = first.snapshot(kernel);
        kernel.advance(3);
        first.flush();
        long entries = first.lines("snap").size() - 1L;
        assertThat(at).as("all but the last entry").isEqualTo(entries - 2);
        assertThat(jdbc.queryForObject("SELECT step FROM kernel_snapshots WHERE kernel_id = 'snap'", Long.class)).isEqualTo(at);
        first.close();
        // the entries the snapshot covers are damaged: a restart that replayed them would fail
        assertThat(jdbc.update("UPDATE journal_entries SET entry = '{\"step\":3,\"op\":\"exit\",\"pid\":99}' WHERE id = "
                + "(SELECT num FROM kernels WHERE id = 'snap') * 1099511627776 + 3")).isEqualTo(1);

        KernelJournal second = journal();
        KernelRegistry after = new KernelRegistry(SandboxLimits.defaults());
        second.restoreAndAttach(after, k -> { });
        Kernel restored = after.find("snap").orElseThrow();
        assertThat(JournalReplayPropertiesTest.fingerprint(restored)).isEqualTo(JournalReplayPropertiesTest.fingerprint(kernel));
        assertThat(((io.vkernel.kernel.syscall.Syscalls.Done) restored.read(12345, 4, 100)).result().data())
                .isEqualTo("hello".getBytes(StandardCharsets.US_ASCII));
        assertThat(restored.pendingCalls()).as("the blocked connect() is still blocked").hasSize(1);
        restored.advance(1);
        second.flush();
        assertThat(second.lines("snap")).as("header, entries, the read and the advance").hasSize((int) entries + 3);
    }

    @Test
    void aSnapshotThatCannotBeRead_isIgnored_andTheWholeJournalReplayed() {
        KernelJournal first = new KernelJournal(jdbc, tx, 0);
        journals.add(first);
        KernelRegistry before = new KernelRegistry(SandboxLimits.defaults());
        first.restoreAndAttach(before, k -> { });
        Kernel kernel = drive(before, "bad", 4);
        first.snapshot(kernel);
        first.close();
        jdbc.update("UPDATE kernel_snapshots SET data = ? WHERE kernel_id = 'bad'", (Object) new byte[] {1, 2, 3});

        KernelJournal second = journal();
        KernelRegistry after = new KernelRegistry(SandboxLimits.defaults());
        assertThat(second.restoreAndAttach(after, k -> { })).isEqualTo(2);
        assertThat(JournalReplayPropertiesTest.fingerprint(after.find("bad").orElseThrow()))
                .isEqualTo(JournalReplayPropertiesTest.fingerprint(kernel));

        jdbc.update("UPDATE kernel_snapshots SET format = 99 WHERE kernel_id = 'bad'");
        KernelJournal third = journal();
        KernelRegistry again = new KernelRegistry(SandboxLimits.defaults());
        third.restoreAndAttach(again, k -> { });
        assertThat(JournalReplayPropertiesTest.fingerprint(again.find("bad").orElseThrow()))
                .isEqualTo(JournalReplayPropertiesTest.fingerprint(kernel));
        again.delete("bad");
        third.flush();
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM kernel_snapshots", Integer.class)).as("dropped with its kernel").isZero();
    }

    @Test
    void snapshotsAreTakenInTheBackground_everyKEntries() throws InterruptedException {
        KernelJournal journal = new KernelJournal(jdbc, tx, 10);
        journals.add(journal);
        KernelRegistry registry = new KernelRegistry(SandboxLimits.defaults());
        journal.restoreAndAttach(registry, k -> { });
        Kernel kernel = drive(registry, "bg", 6);
        journal.flush();
        awaitSnapshots(journal, 1);
        // requests that come while one is still queued are one snapshot of the latest state (requestSnapshot()), so
        // a second snapshot is only certain for entries made after the first was taken: ten more processes
        for (int i = 0; i < 10; i++) {
            kernel.spawn("more");
        }
        journal.flush();
        awaitSnapshots(journal, 2);
        journal.flush();
        assertThat(journal.snapshotsWritten()).isGreaterThanOrEqualTo(2);
        assertThat(jdbc.queryForObject("SELECT step FROM kernel_snapshots WHERE kernel_id = 'bg'", Long.class)).isGreaterThanOrEqualTo(10);
    }

    @Test
    void aKernelDrivenFasterThanTheSnapshotInterval_getsOneSnapshotPerInterval_notOnePerKEntries() {
        java.util.concurrent.atomic.AtomicLong nanos = new java.util.concurrent.atomic.AtomicLong();
        KernelJournal journal = new KernelJournal(jdbc, tx, 10, java.time.Duration.ofSeconds(1), nanos::get);
        journals.add(journal);
        KernelRegistry registry = new KernelRegistry(SandboxLimits.defaults());
        journal.restoreAndAttach(registry, k -> { });
        Kernel kernel = drive(registry, "hot", 6); // 38 entries with the clock standing still
        assertThat(kernel.id()).isEqualTo("hot");
        assertThat(journal.snapshotsRequested()).as("the first at step 10; steps 20 and 30 came within the same second").isEqualTo(1);
        journal.flush();
        awaitSnapshots(journal, 1);
        long first = jdbc.queryForObject("SELECT step FROM kernel_snapshots WHERE kernel_id = 'hot'", Long.class);

        nanos.addAndGet(999_999_999L);
        for (int i = 0; i < 10; i++) {
            kernel.spawn("more");
        }
        assertThat(journal.snapshotsRequested()).as("a nanosecond short of the interval").isEqualTo(1);
        nanos.addAndGet(1);
        for (int i = 0; i < 10; i++) {
            kernel.spawn("more");
        }
        assertThat(journal.snapshotsRequested()).as("the interval has passed: the next multiple of 10 asks").isEqualTo(2);
        journal.flush();
        awaitSnapshots(journal, 2);
        assertThat(jdbc.queryForObject("SELECT step FROM kernel_snapshots WHERE kernel_id = 'hot'", Long.class))
                .isGreaterThan(first);
    }

    @Test
    void anAttendeesKernelsAndToken_surviveARestart_andAreForgottenWithTheirLastKernel() {
        KernelJournal first = journal();
        KernelRegistry before = new KernelRegistry(SandboxLimits.defaults());
        first.restoreAndAttach(before, k -> { });
        io.vkernel.sandbox.Attendees attendees = new io.vkernel.sandbox.Attendees(3);
        before.onRemoved(k -> attendees.removed(k.id()));
        attendees.persistTo(first::own);
        io.vkernel.sandbox.Attendees.Created alice = attendees.create(null, () -> before.create("alice-1", null, 1L, 64, null));
        attendees.create(alice.attendee(), () -> before.create("alice-2", null, 2L, 64, null));
        io.vkernel.sandbox.Attendees.Created bob = attendees.create(null, () -> before.create("bob-1", null, 3L, 64, null));
        before.delete("bob-1");
        first.flush();
        assertThat(jdbc.queryForList("SELECT digest FROM attendees", String.class)).as("digests only, never a token")
                .hasSize(1).noneMatch(d -> alice.token().contains(d));
        first.close();

        KernelJournal second = journal();
        KernelRegistry after = new KernelRegistry(SandboxLimits.defaults());
        second.restoreAndAttach(after, k -> { });
        io.vkernel.sandbox.Attendees restored = new io.vkernel.sandbox.Attendees(3);
        second.restoredOwners().forEach((kernel, attendee) ->
                second.ownerDigest(attendee).ifPresent(digest -> restored.restore(kernel, attendee, digest)));
        assertThat(restored.authenticate(alice.token())).contains(alice.attendee());
        assertThat(restored.kernelsOf(alice.attendee())).containsExactly("alice-1", "alice-2");
        assertThat(restored.owner("alice-2")).contains(alice.attendee());
        assertThat(restored.authenticate(bob.token())).as("bob's last kernel was deleted: his token went with it").isEmpty();
        assertThat(restored.authenticate(alice.attendee() + ".not-the-secret")).isEmpty();
    }
}
