package io.vkernel.api;

import io.vkernel.journal.KernelJournal;
import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.KernelCheck;
import io.vkernel.kernel.link.LinkSettings;
import io.vkernel.kernel.link.Network;
import io.vkernel.kernel.nic.Nic;
import io.vkernel.kernel.trace.PacketReport;
import io.vkernel.kernel.wire.Endpoint;
import io.vkernel.kernel.wire.Ipv4;
import io.vkernel.kernel.wire.Segment;
import io.vkernel.kernel.wire.TcpFlags;
import io.vkernel.sandbox.KernelRegistry;
import io.vkernel.sandbox.NetworkRegistry;
import io.vkernel.sandbox.SandboxLimits;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;
import org.springframework.transaction.support.TransactionTemplate;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

/**
 * A network survives a restart: three kernels joined by a link with random impairments (delay, jitter, loss,
 * duplication, reordering, rate, seed) live through a random history (members' system calls, packets injected from
 * outside, network clock advances, settles, the clock switched, a member deleted), all journaled; a second journal
 * on the same database restores the kernels and the network, and every member's views (connections, FD tables,
 * events, wire log, ss text, the invariant check, ...) and the link's settings, counters, memory, clock and capture
 * (pcap bytes) are the same as the original's, byte for byte. Then both are driven on by the same further steps and
 * stay the same: the packets in flight at the restart arrive, and new traffic crosses the link as before.
 */
class NetworkJournalPropertiesTest {

    private static final String[] IDS = {"na", "nb", "nc"};

    @Test
    void restoringANetworkFromItsJournal_givesTheSameMembersAndLink_andTheyKeepBehavingTheSame() {
        JournalReplayPropertiesTest.qt(20).forAll(longs().all(), steps()).checkAssert(NetworkJournalPropertiesTest::restoresIdentically);
    }

    /** One step: {@code kind} picks what, the numbers pick who and how much. */
    record Step(int kind, int a, int b, int c) {
    }

    static Gen<List<Step>> steps() {
        Gen<Step> step = integers().between(0, 13).zip(integers().between(0, 1000), integers().between(0, 1000),
                integers().between(0, 100_000), Step::new);
        return lists().of(step).ofSizeBetween(1, 60);
    }

    /** The two kinds of kernels and the network, in one service's registries. */
    private record Service(KernelRegistry kernels, NetworkRegistry networks, KernelJournal journal) {
        Network lab() {
            return networks.find("lab").orElseThrow();
        }
    }

    private static Service start(JdbcTemplate jdbc, TransactionTemplate tx) {
        KernelRegistry kernels = new KernelRegistry(SandboxLimits.defaults());
        NetworkRegistry networks = new NetworkRegistry(kernels);
        KernelJournal journal = new KernelJournal(jdbc, tx, 0);
        journal.restoreAndAttach(kernels, k -> { });
        journal.restoreNetworks(kernels, networks, (n, realtime) -> { });
        return new Service(kernels, networks, journal);
    }

    /** One database for every example (migrating one per example cost a second each), emptied before each. */
    private static SingleConnectionDataSource db;

    private static synchronized SingleConnectionDataSource database() {
        if (db == null) {
            db = new SingleConnectionDataSource("jdbc:h2:mem:net-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1", "sa", "", true);
            Flyway.configure().dataSource(db).load().migrate();
        }
        JdbcTemplate jdbc = new JdbcTemplate(db);
        for (String table : List.of("network_entries", "networks", "kernel_snapshots", "journal_entries", "kernels", "attendees")) {
            jdbc.update("DELETE FROM " + table);
        }
        return db;
    }

    static void restoresIdentically(long seed, List<Step> steps) {
        SingleConnectionDataSource db = database();
        JdbcTemplate jdbc = new JdbcTemplate(db);
        TransactionTemplate tx = new TransactionTemplate(new DataSourceTransactionManager(db));
        Service before = start(jdbc, tx);
        Service after = null;
        try {
            build(before, seed);
            for (Step step : steps) {
                apply(before, step);
            }
            before.journal().flush();
            before.journal().close();

            after = start(jdbc, tx);
            assertSame(before, after);
            // both go on: what was in flight arrives, and new traffic crosses the link as before
            List<Step> more = List.of(new Step(6, 0, 0, 3000), new Step(3, 0, 1, 5), new Step(3, 1, 2, 7), new Step(2, 0, 0, 0),
                    new Step(7, 0, 0, 0), new Step(3, 2, 3, 11), new Step(6, 0, 0, 60_000), new Step(4, 1, 4, 0));
            for (Step step : more) {
                apply(before, step);
                apply(after, step);
            }
            assertSame(before, after);
        } finally {
            if (after != null) {
                after.journal().close();
            }
        }
    }

    /** b (10.0.0.2) listens on port 80; a and c have a client process; joined by a link with seeded random impairments. */
    private static void build(Service s, long seed) {
        for (int i = 0; i < IDS.length; i++) {
            Kernel kernel = s.kernels().create(IDS[i], Ipv4.parse("10.0.0." + (i + 1)), seed + i, 64, null);
            kernel.spawn(i == 1 ? "server" : "client");
        }
        Kernel b = s.kernels().find("nb").orElseThrow();
        b.socket(12345);
        b.bind(12345, 3, Endpoint.parse("0.0.0.0:80"));
        b.listen(12345, 3, 8);
        s.kernels().find("na").orElseThrow().advance(Math.floorMod(seed, 500)); // joining brings the others to its time
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        long delay = r.nextInt(4) == 0 ? 0 : r.nextInt(60);
        long jitter = delay == 0 ? 0 : r.nextInt((int) delay + 1);
        LinkSettings settings = new LinkSettings(delay, jitter, r.nextInt(3) == 0 ? 0 : r.nextInt(25), r.nextInt(3) == 0 ? 0 : r.nextInt(10),
                delay == 0 || r.nextBoolean() ? 0 : r.nextInt(40), r.nextInt(3) == 0 ? 10_000 + r.nextInt(1_000_000) : 0, r.nextLong());
        Network lab = s.networks().create("lab", List.of(IDS), settings);
        // a connection from a to b across the link to start with, so every history has traffic to lose or delay
        Kernel a = s.kernels().find("na").orElseThrow();
        a.socket(12345);
        a.connect(12345, 3, Endpoint.parse("10.0.0.2:80"), new PacketReport(null));
        lab.settle();
        lab.advance(300);
        b.accept(12345, 3);
    }

    private static void apply(Service s, Step step) {
        Network lab = s.lab();
        List<Kernel> members = lab.members();
        Kernel k = members.get(step.a() % members.size());
        int pid = 12345;
        int fd = 3 + step.b() % 4;
        PacketReport report = new PacketReport(null);
        try {
            switch (step.kind()) {
                case 0 -> k.socket(pid);
                case 1 -> k.connect(pid, fd, Endpoint.parse("10.0.0.2:80"), report);
                case 2 -> k.accept(pid, 3);
                case 3 -> k.write(pid, fd, new byte[1 + step.c() % 3000], report);
                case 4 -> k.read(pid, fd, 1 + step.c() % 5000);
                case 5 -> k.close(pid, fd, report);
                case 6 -> lab.advance(step.c() % 2000 == 0 ? step.c() : step.c() % 2000);
                case 7 -> lab.settle();
                // from outside the network: its replies leave the member but not on the link
                case 8 -> k.receive(new Segment(Endpoint.parse("192.168.1.9:4000"), new Endpoint(k.address(), 80), TcpFlags.SYN,
                        step.c(), 0, 65535, 1460, new byte[0]));
                case 9 -> k.shutdown(pid, fd, step.c() % 3, report);
                case 10 -> k.setsockopt(pid, fd, "SO_RCVBUF", 2048 + step.c() % 20_000, true);
                case 11 -> k.fcntl(pid, fd, "F_SETFL", step.c() % 2 == 0 ? 04000 : 0);
                case 12 -> s.networks().clockModeChanged(lab, step.c() % 2 == 0);
                default -> {
                    if (step.c() % 4 == 0 && s.kernels().find("nc").isPresent()) {
                        s.kernels().delete("nc"); // the network goes on with two members; packets for nc are undeliverable
                    } else {
                        lab.advance(step.c() % 50);
                    }
                }
            }
        } catch (RuntimeException refused) {
            // refused before it changed anything (no such fd, a limit): as over HTTP
        }
        if (step.kind() != 7 && step.kind() != 6 && step.b() % 2 == 0) {
            lab.settle(); // as the service settles after each request; sometimes not, so due packets wait for the clock
        }
    }

    private static void assertSame(Service before, Service after) {
        Network was = before.lab();
        Network is = after.lab();
        assertThat(is.members().stream().map(Kernel::id).toList()).isEqualTo(was.members().stream().map(Kernel::id).toList());
        for (Kernel member : was.members()) {
            Kernel restored = after.kernels().find(member.id()).orElseThrow();
            assertThat(JournalReplayPropertiesTest.fingerprint(restored)).as("member " + member.id())
                    .isEqualTo(JournalReplayPropertiesTest.fingerprint(member));
            assertThat(restored.inspect(KernelCheck::run).violations()).isEmpty();
        }
        assertThat(link(is)).isEqualTo(link(was));
        assertThat(pcap(is)).as("the link's capture").isEqualTo(pcap(was));
    }

    private static Map<String, Object> link(Network network) {
        Map<String, Object> view = new TreeMap<>();
        view.put("settings", network.link().settings());
        view.put("counters", network.link().counters());
        view.put("memory", network.link().memory());
        view.put("now", network.now());
        view.put("nextDue", network.link().nextDue());
        return view;
    }

    private static byte[] pcap(Network network) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            Nic.writePcap(network.link().capture(), out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
