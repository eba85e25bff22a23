package io.vkernel.journal;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.KernelConfig;
import io.vkernel.kernel.KernelInput;
import io.vkernel.sandbox.KernelRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Every registered kernel's journal, kept in a database. Each input a kernel executes is encoded under the kernel's
 * lock and queued; one writer thread commits what is queued in one transaction (group commit) and then counts it
 * durable. A request is answered only after {@link #awaitDurable} saw everything queued before its answer committed,
 * so an answered request survives a crash of the process.
 *
 * <p>A kernel joined to a network stays journaled as any other: what the link delivers to it and the clock steps the
 * network gives it are its inputs, so it replays alone. The network itself (members, link settings, clock mode, and
 * what its link did) is journaled by {@link NetworkJournal} through the same writer.
 */
public final class KernelJournal implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KernelJournal.class);
    private static final int MAX_BATCH = 20_000;
    /** The longest a commit waits for requests still executing (see {@link #gather}). */
    private static final long GATHER_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

    private sealed interface Op permits Create, Append, Rewrite, Delete, Own, Snap, NetHeader, NetAppend, NetDrop {
    }

    /** A network's header: {@code fresh} for a new network (its old rows, if any, go), else a change of it. */
    private record NetHeader(String networkId, String header, boolean fresh) implements Op {
    }

    private record NetAppend(String networkId, long seq, String entry) implements Op {
    }

    private record NetDrop(String networkId) implements Op {
    }

    /** The kernel's state after step {@code step}, replacing its previous snapshot. */
    private record Snap(String kernelId, long step, Snapshots.Snapshot snapshot) implements Op {
    }

    /** A workshop attendee owns the kernel: its row names them, and their token's digest (hex) is kept. */
    private record Own(String kernelId, String attendee, String digest) implements Op {
    }

    private record Create(String kernelId, String owner, String header) implements Op {
    }

    private record Append(String kernelId, long step, String entry) implements Op {
    }

    /** Step {@code step}, already appended, now reads {@code entry} (a realtime clock's advances coalesced). */
    private record Rewrite(String kernelId, long step, String entry) implements Op {
    }

    private record Delete(String kernelId) implements Op {
    }

    private record Restored(Kernel kernel, long steps) {
    }

    /** A thread in {@link #awaitDurable}, waiting until {@code target} operations are committed (compared by identity). */
    private static final class Waiter {
        private final Thread thread;
        private final long target;

        private Waiter(Thread thread, long target) {
            this.thread = thread;
            this.target = target;
        }
    }

    /** A snapshot as stored: taken after step {@code step}. */
    private record Stored(long step, Snapshots.Snapshot snapshot) {
    }

    /** Default of {@code vkernel.journal.snapshot-every}: a snapshot per this many entries of a kernel's journal. */
    public static final int SNAPSHOT_EVERY = 1000;
    /** A snapshot larger than this is not stored (a kernel's memory budget keeps its state far below it). */
    public static final int MAX_SNAPSHOT_BYTES = 64 << 20;

    /**
     * Per journaled kernel (by identity: a deleted and recreated id is a new kernel): {@code [0]} its next step number,
     * {@code [1]} the milliseconds of its last entry while that is an advance of a realtime clock, else -1, {@code [2]}
     * when (by {@link #nanoClock}) its last snapshot was asked for.
     */
    private final Map<Kernel, long[]> steps = new ConcurrentHashMap<>();
    private final BlockingQueue<Op> queue = new LinkedBlockingQueue<>();
    private final AtomicLong queued = new AtomicLong();
    /** Operations committed so far; written by the writer thread only. */
    private volatile long durable;
    /** Commits (groups) written so far; written by the writer thread only. */
    private volatile long commits;
    /**
     * Threads waiting in {@link #awaitDurable}, each with the count it waits for: a commit unparks only those it
     * satisfied, so a request queued after the group was taken is not woken to find it must wait again.
     */
    private final Queue<Waiter> waiters = new ConcurrentLinkedQueue<>();
    /**
     * Requests that may still queue an operation (entered {@link #composing()}, not yet done): while there are some,
     * the writer gathers a little longer before it commits, so one commit serves every request of a burst.
     */
    private final AtomicInteger composing = new AtomicInteger();
    /** The writer is in {@link #gather}: the last request to stop composing wakes it. */
    private volatile boolean gathering;
    private volatile RuntimeException failure;
    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final Thread writer;
    private volatile boolean running = true;
    private final KernelInput.Recorder recorder = this::record;
    /** After a restart: each restored kernel's owner (kernels with one), and the stored digests of those owners' tokens. */
    private final Map<String, String> restoredOwners = new java.util.TreeMap<>();
    private final Map<String, byte[]> ownerDigests = new java.util.HashMap<>();
    /** Snapshots: taken every {@link #snapshotEvery} entries by their own thread, off the request path. */
    private final int snapshotEvery;
    /** ... but at most one per kernel per this many nanoseconds (see {@link #record}). */
    private final long snapshotIntervalNanos;
    private final java.util.function.LongSupplier nanoClock;
    private final AtomicLong snapshotsRequested = new AtomicLong();
    private final BlockingQueue<Kernel> snapshotRequests = new LinkedBlockingQueue<>();
    private final java.util.Set<Kernel> snapshotRequested = ConcurrentHashMap.newKeySet();
    private final Thread snapshotter;
    private final AtomicLong snapshotsWritten = new AtomicLong();
    private volatile KernelRegistry registry;

    public KernelJournal(JdbcTemplate jdbc, TransactionTemplate tx) {
        this(jdbc, tx, SNAPSHOT_EVERY);
    }

    /** {@code snapshotEvery}: a snapshot per that many entries of a kernel's journal; 0 takes none. */
    public KernelJournal(JdbcTemplate jdbc, TransactionTemplate tx, int snapshotEvery) {
        this(jdbc, tx, snapshotEvery, java.time.Duration.ZERO, System::nanoTime);
    }

    /**
     * As above, and a kernel gets at most one snapshot per {@code snapshotInterval} as told by {@code nanoClock}
     * (in nanoseconds, {@link System#nanoTime} in the service).
     */
    public KernelJournal(JdbcTemplate jdbc, TransactionTemplate tx, int snapshotEvery, java.time.Duration snapshotInterval,
                         java.util.function.LongSupplier nanoClock) {
        this.jdbc = jdbc;
        this.tx = tx;
        this.snapshotEvery = Math.max(0, snapshotEvery);
        this.snapshotIntervalNanos = Math.max(0, snapshotInterval.toNanos());
        this.nanoClock = nanoClock;
        this.writer = new Thread(this::writeLoop, "vkernel-journal-writer");
        this.writer.setDaemon(true);
        this.writer.start();
        this.snapshotter = new Thread(this::snapshotLoop, "vkernel-journal-snapshots");
        this.snapshotter.setDaemon(true);
        this.snapshotter.setPriority(Thread.MIN_PRIORITY);
        this.snapshotter.start();
    }

    // ---------------------------------------------------------------- recording

    /**
     * Restores every stored kernel into {@code registry} (replacing the fresh {@code default}), then journals every
     * kernel the registry holds or will create. {@code restored} hears of each kernel rebuilt.
     */
    public int restoreAndAttach(KernelRegistry registry, Consumer<Kernel> restored) {
        this.registry = registry;
        List<String> ids = jdbc.queryForList("SELECT id FROM kernels ORDER BY id", String.class);
        // Kernels are independent: read and replay them on every core, then register them in id order.
        int threads = Math.max(1, Math.min(ids.size(), Runtime.getRuntime().availableProcessors()));
        List<Future<Restored>> replays = new ArrayList<>(ids.size());
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "vkernel-journal-restore");
            t.setDaemon(true);
            return t;
        });
        try {
            for (String id : ids) {
                replays.add(pool.submit(() -> rebuild(id, false)));
            }
            int count = 0;
            for (int i = 0; i < ids.size(); i++) {
                String id = ids.get(i);
                try {
                    Restored replayed = replays.get(i).get();
                    Kernel kernel = replayed.kernel();
                    steps.put(kernel, new long[] {replayed.steps() + 1L, -1, neverSnapshot()});
                    if (snapshotEvery > 0 && replayed.steps() - storedSnapshotStep(id) >= snapshotEvery) {
                        requestSnapshot(kernel); // restored past its snapshot (taken with another setting, or refused)
                    }
                    kernel.recordInputs(recorder);
                    registry.adopt(kernel, KernelRegistry.DEFAULT_ID.equals(id));
                    restored.accept(kernel);
                    count++;
                } catch (ExecutionException | RuntimeException e) {
                    // the journal stays as it is, so nothing is lost; the service starts without this kernel
                    Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
                    log.error("kernel '{}' was not restored from its journal: {}", id, cause.getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while restoring kernels", e);
                }
            }
            registry.onCreated(this::begin);
            registry.onRemoved(this::end);
            readOwners(registry);
            return count;
        } finally {
            pool.shutdownNow();
        }
    }

    private void readOwners(KernelRegistry registry) {
        jdbc.query("SELECT id, owner FROM kernels WHERE owner IS NOT NULL", row -> {
            String id = row.getString(1);
            if (registry.find(id).isPresent()) {
                restoredOwners.put(id, row.getString(2));
            }
        });
        jdbc.query("SELECT id, digest FROM attendees", row -> {
            ownerDigests.put(row.getString(1), java.util.HexFormat.of().parseHex(row.getString(2)));
        });
    }

    /** The owners of the kernels restored at start (kernel id to attendee id, by id), for workshop mode to re-link. */
    public Map<String, String> restoredOwners() {
        // in kernel id order, so an attendee's kernels come back listed as they were created; Map.copyOf's order
        // changes from one JVM to the next
        return java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(restoredOwners));
    }

    /** The stored SHA-256 digest of an attendee's token secret, if kept. */
    public java.util.Optional<byte[]> ownerDigest(String attendee) {
        return java.util.Optional.ofNullable(ownerDigests.get(attendee)).map(byte[]::clone);
    }

    /**
     * Records that {@code attendee} owns kernel {@code kernelId}, with their token's digest; committed in order with
     * the kernel's own journal, so an answered kernel creation is durable with its owner.
     */
    public void own(String kernelId, String attendee, byte[] digest) {
        enqueue(new Own(kernelId, attendee, java.util.HexFormat.of().formatHex(digest)));
    }

    /**
     * Registers a kernel replayed from a journal (an import, a fork) under its new id, journaling its header and the
     * inputs it was given. Throws what {@link KernelRegistry#adopt} throws; nothing is stored then.
     */
    public void adopt(KernelRegistry registry, Kernel kernel, JournalCodec.Header header, List<KernelInput> inputs) {
        long[] next = {1, -1, neverSnapshot()};
        steps.put(kernel, next);
        try {
            registry.adopt(kernel, false);
        } catch (RuntimeException e) {
            steps.remove(kernel);
            kernel.releaseBudget();
            throw e;
        }
        synchronized (kernel) {
            enqueue(new Create(kernel.id(), header.owner(), JournalCodec.header(withId(header, kernel.id()))));
            for (KernelInput input : inputs) {
                enqueue(new Append(kernel.id(), next[0], JournalCodec.entry(next[0], input)));
                next[0]++;
            }
            kernel.recordInputs(recorder);
        }
    }

    private static JournalCodec.Header withId(JournalCodec.Header h, String id) {
        KernelConfig c = h.config();
        return new JournalCodec.Header(new KernelConfig(id, c.address(), c.seed(), c.buckets(), c.hash(), c.eventCapacity(),
                c.wireCapacity(), c.maxProcesses(), c.maxConnections()), h.parkedPerProcess(), h.parkedPerKernel(), h.owner(), h.settings());
    }

    private void begin(Kernel kernel) {
        if (steps.containsKey(kernel)) {
            return; // restored or adopted: journaled already
        }
        synchronized (kernel) {
            steps.put(kernel, new long[] {1, -1, neverSnapshot()});
            enqueue(new Create(kernel.id(), null, JournalCodec.header(headerOf(kernel))));
            kernel.recordInputs(recorder);
        }
    }

    private void end(Kernel kernel) {
        // under the kernel's lock, as a snapshot of it is queued (snapshotLoop): a snapshot of a deleted kernel is
        // either queued before its Delete (which drops it) or not at all, never after a new kernel of the same id
        synchronized (kernel) {
            if (steps.remove(kernel) != null) {
                kernel.recordInputs(null);
                enqueue(new Delete(kernel.id()));
            }
        }
    }

    /** Stops journaling a kernel and drops its journal (a kernel joined to a network is not journaled). */
    public void forget(Kernel kernel) {
        end(kernel);
    }

    public static JournalCodec.Header headerOf(Kernel kernel) {
        return new JournalCodec.Header(kernel.config(), kernel.parkedPerProcessLimit(), kernel.parkedPerKernelLimit(), null, Map.of());
    }

    public boolean isJournaled(Kernel kernel) {
        return steps.containsKey(kernel);
    }

    /** Called under the kernel lock by {@link Kernel} for each input it executed. */
    private void record(Kernel kernel, KernelInput input) {
        long[] next = steps.get(kernel);
        if (next == null) {
            return;
        }
        if (input instanceof KernelInput.Advance a && kernel.realtimeClock()) {
            // A realtime clock advances every 10 ms; consecutive advances are one longer advance (Kernel.advance fires
            // the timers due one deadline at a time either way), so they share one entry instead of adding 100 a second.
            if (next[1] >= 0) {
                next[1] += a.ms();
                long step = next[0] - 1;
                enqueue(new Rewrite(kernel.id(), step, JournalCodec.entry(step, new KernelInput.Advance(next[1]))));
                return;
            }
            next[1] = a.ms();
        } else {
            next[1] = -1;
        }
        enqueue(new Append(kernel.id(), next[0], JournalCodec.entry(next[0], input)));
        next[0]++;
        if (snapshotEvery > 0 && next[0] % snapshotEvery == 0) {
            // A kernel driven hard (thousands of requests a second) would otherwise be rebuilt, serialised and stored
            // several times a second, which cost more CPU than the requests themselves (BENCHMARKS.md); a restart
            // replays at most snapshotEvery entries or one interval's worth, whichever is more.
            long now = nanoClock.getAsLong();
            if (now - next[2] >= snapshotIntervalNanos) {
                next[2] = now;
                requestSnapshot(kernel);
            }
        }
    }

    private void enqueue(Op op) {
        queued.incrementAndGet();
        queue.add(op);
    }

    // ---------------------------------------------------------------- durability

    /** How many operations were queued so far; {@link #awaitDurable} with this number waits for all of them. */
    public long queued() {
        return queued.get();
    }

    /** Waits until the first {@code target} queued operations are committed. */
    public void awaitDurable(long target) {
        if (durable >= target) {
            return;
        }
        Thread me = Thread.currentThread();
        Waiter waiter = new Waiter(me, target);
        waiters.add(waiter);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (durable < target) {
                if (failure != null && System.nanoTime() > deadline) {
                    throw new IllegalStateException("the journal database does not accept writes: " + failure.getMessage(), failure);
                }
                LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(100));
                if (Thread.interrupted()) {
                    me.interrupt();
                    throw new IllegalStateException("interrupted while waiting for the journal");
                }
            }
        } finally {
            waiters.remove(waiter);
        }
    }

    /**
     * A request that may queue operations begins: until {@link Composing#close} the writer, when it finds operations
     * queued, gathers up to {@link #GATHER_NANOS} more for it before committing (not at all when no other request is
     * under way, so a lone client waits for its own commit only).
     */
    public Composing composing() {
        composing.incrementAndGet();
        return new Composing();
    }

    /** Closing it more than once counts once. */
    public final class Composing implements AutoCloseable {
        private boolean closed;

        private Composing() {
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                if (composing.decrementAndGet() == 0 && gathering) {
                    LockSupport.unpark(writer);
                }
            }
        }
    }

    /** How many commits (groups of operations, one transaction each) the writer has made since start. */
    public long commits() {
        return commits;
    }

    /** How many operations are committed: {@code durable() / commits()} is the mean group size. */
    public long durable() {
        return durable;
    }

    /** Everything queued so far is committed. */
    public void flush() {
        awaitDurable(queued());
    }

    private void writeLoop() {
        List<Op> batch = new ArrayList<>();
        while (running || !queue.isEmpty()) {
            try {
                Op first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, MAX_BATCH);
                gather(batch);
                while (true) {
                    try {
                        write(batch);
                        failure = null;
                        break;
                    } catch (RuntimeException e) {
                        failure = e;
                        log.error("journal write of {} operations failed; retrying: {}", batch.size(), e.getMessage());
                        Thread.sleep(500);
                    }
                }
                long now = durable + batch.size();
                durable = now;
                commits++;
                for (Waiter waiter : waiters) {
                    if (waiter.target <= now) {
                        LockSupport.unpark(waiter.thread);
                    }
                }
                batch.clear();
            } catch (InterruptedException e) {
                if (!running) {
                    break;
                }
            }
        }
    }

    /**
     * Group commit under load: while other requests are still being executed (and will queue their operations in
     * a moment), wait for them, up to {@link #GATHER_NANOS}, so that one commit covers them all. A commit costs about
     * the same for 1 entry as for 30 (H2 writes a chunk of the changed B-tree pages either way), and the requests
     * it answers wait for it together instead of each for its own.
     */
    private void gather(List<Op> batch) throws InterruptedException {
        // The writer sleeps through the window instead of waking for each operation queued meanwhile; the last
        // request to stop composing wakes it early (see Composing#close). Both sides read the other's volatile after
        // writing their own, so either the request sees the writer gathering or the writer sees no one composing.
        long until = System.nanoTime() + GATHER_NANOS;
        gathering = true;
        try {
            while (composing.get() > 0 && batch.size() + queue.size() < MAX_BATCH) {
                long left = until - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                LockSupport.parkNanos(this, left);
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
            }
        } finally {
            gathering = false;
        }
        queue.drainTo(batch, MAX_BATCH - batch.size());
    }

    private void write(List<Op> batch) {
        tx.executeWithoutResult(status -> {
            List<Object[]> appends = new ArrayList<>();
            List<Object[]> netAppends = new ArrayList<>();
            for (Op op : batch) {
                if (op instanceof Append a) {
                    appends.add(new Object[] {a.kernelId(), a.step(), a.entry()});
                    continue;
                }
                flushAppends(appends);
                if (op instanceof NetAppend na) {
                    netAppends.add(new Object[] {na.networkId(), na.seq(), na.entry()});
                    continue;
                }
                flushNetAppends(netAppends);
                if (op instanceof NetHeader h) {
                    if (h.fresh()) {
                        jdbc.update("DELETE FROM network_entries WHERE network_id = ?", h.networkId());
                        jdbc.update("DELETE FROM networks WHERE id = ?", h.networkId());
                        jdbc.update("INSERT INTO networks (id, header) VALUES (?, ?)", h.networkId(), h.header());
                    } else {
                        jdbc.update("UPDATE networks SET header = ? WHERE id = ?", h.header(), h.networkId());
                    }
                } else if (op instanceof NetDrop d) {
                    jdbc.update("DELETE FROM network_entries WHERE network_id = ?", d.networkId());
                    jdbc.update("DELETE FROM networks WHERE id = ?", d.networkId());
                }
                if (op instanceof Create c) {
                    jdbc.update("DELETE FROM kernel_snapshots WHERE kernel_id = ?", c.kernelId());
                    jdbc.update("DELETE FROM journal_entries WHERE kernel_id = ?", c.kernelId());
                    jdbc.update("DELETE FROM kernels WHERE id = ?", c.kernelId());
                    jdbc.update("INSERT INTO kernels (id, owner) VALUES (?, ?)", c.kernelId(), c.owner());
                    jdbc.update("INSERT INTO journal_entries (kernel_id, step, entry) VALUES (?, 0, ?)", c.kernelId(), c.header());
                } else if (op instanceof Rewrite r) {
                    jdbc.update("UPDATE journal_entries SET entry = ? WHERE kernel_id = ? AND step = ?", r.entry(), r.kernelId(), r.step());
                } else if (op instanceof Delete d) {
                    jdbc.update("DELETE FROM kernel_snapshots WHERE kernel_id = ?", d.kernelId());
                    jdbc.update("DELETE FROM journal_entries WHERE kernel_id = ?", d.kernelId());
                    jdbc.update("DELETE FROM kernels WHERE id = ?", d.kernelId());
                    // an attendee whose last kernel is gone is forgotten with their token, as Attendees forgets them
                    jdbc.update("DELETE FROM attendees WHERE id NOT IN (SELECT owner FROM kernels WHERE owner IS NOT NULL)");
                } else if (op instanceof Snap n) {
                    Snapshots.Snapshot x = n.snapshot();
                    jdbc.update("DELETE FROM kernel_snapshots WHERE kernel_id = ?", n.kernelId());
                    jdbc.update("INSERT INTO kernel_snapshots (kernel_id, step, format, fingerprint, classes, data) VALUES (?, ?, ?, ?, ?, ?)",
                            n.kernelId(), n.step(), x.format(), x.fingerprint(), x.classes(), x.data());
                } else if (op instanceof Own o) {
                    jdbc.update("UPDATE kernels SET owner = ? WHERE id = ?", o.attendee(), o.kernelId());
                    if (jdbc.update("UPDATE attendees SET digest = ? WHERE id = ?", o.digest(), o.attendee()) == 0) {
                        jdbc.update("INSERT INTO attendees (id, digest) VALUES (?, ?)", o.attendee(), o.digest());
                    }
                }
            }
            flushAppends(appends);
            flushNetAppends(netAppends);
        });
    }

    private void flushNetAppends(List<Object[]> appends) {
        if (!appends.isEmpty()) {
            jdbc.batchUpdate("INSERT INTO network_entries (network_id, seq, entry) VALUES (?, ?, ?)", appends);
            appends.clear();
        }
    }

    private void flushAppends(List<Object[]> appends) {
        if (!appends.isEmpty()) {
            jdbc.batchUpdate("INSERT INTO journal_entries (kernel_id, step, entry) VALUES (?, ?, ?)", appends);
            appends.clear();
        }
    }

    // ---------------------------------------------------------------- networks

    /**
     * Restores every stored network (call after {@link #restoreAndAttach}, so its members are back), then journals
     * every network {@code networks} holds or will create (see {@link NetworkJournal}). {@code clockMode} hears of
     * each network restored with a realtime clock. Returns how many networks were restored.
     */
    public int restoreNetworks(KernelRegistry kernels, io.vkernel.sandbox.NetworkRegistry networks,
                               java.util.function.BiConsumer<io.vkernel.kernel.link.Network, Boolean> clockMode) {
        return new NetworkJournal(this).restoreAndAttach(kernels, networks, clockMode);
    }

    /** Stored networks: id to header line, by id. */
    Map<String, String> storedNetworks() {
        Map<String, String> found = new java.util.TreeMap<>();
        jdbc.query("SELECT id, header FROM networks", row -> {
            found.put(row.getString(1), row.getString(2));
        });
        return found;
    }

    /** A network's link entries, oldest first (call {@link #flush} first to see the latest). */
    public List<String> networkEntries(String networkId) {
        return jdbc.queryForList("SELECT entry FROM network_entries WHERE network_id = ? ORDER BY seq", String.class, networkId);
    }

    /** A network's header line as stored, if it is journaled (call {@link #flush} first). */
    public java.util.Optional<String> networkHeader(String networkId) {
        return jdbc.queryForList("SELECT header FROM networks WHERE id = ?", String.class, networkId).stream().findFirst();
    }

    void createNetwork(String networkId, String header) {
        enqueue(new NetHeader(networkId, header, true));
    }

    void updateNetwork(String networkId, String header) {
        enqueue(new NetHeader(networkId, header, false));
    }

    void appendNetwork(String networkId, long seq, String entry) {
        enqueue(new NetAppend(networkId, seq, entry));
    }

    void dropNetwork(String networkId) {
        enqueue(new NetDrop(networkId));
    }

    // ---------------------------------------------------------------- reading

    /** A kernel's journal lines as stored (header first); call {@link #flush} first to see the latest inputs. */
    public List<String> lines(String kernelId) {
        return jdbc.queryForList("SELECT entry FROM journal_entries WHERE kernel_id = ? ORDER BY step", String.class, kernelId);
    }

    /** The first {@code limit} lines (header included). */
    public List<String> lines(String kernelId, long limit) {
        return jdbc.queryForList("SELECT entry FROM journal_entries WHERE kernel_id = ? AND step < ? ORDER BY step", String.class,
                kernelId, limit);
    }

    // ---------------------------------------------------------------- snapshots

    /**
     * Rebuilds kernel {@code id} from the database: its latest snapshot read back plus the entries after it, or, with
     * no snapshot or one this vkernel cannot read (corrupt, newer format, other code: logged), its whole journal.
     * With {@code leaveLast} the last stored entry is not applied (a realtime clock's last advance may still grow).
     */
    private Restored rebuild(String id, boolean leaveLast) {
        KernelRegistry into = registry;
        Stored stored = readSnapshot(id);
        if (stored != null) {
            Kernel kernel = null;
            try {
                kernel = Snapshots.read(stored.snapshot(), into.budget());
                String header = jdbc.queryForObject("SELECT entry FROM journal_entries WHERE kernel_id = ? AND step = 0", String.class, id);
                JournalCodec.parseHeader(header);
                List<String> tail = jdbc.queryForList("SELECT entry FROM journal_entries WHERE kernel_id = ? AND step > ? ORDER BY step",
                        String.class, id, stored.step());
                int n = tail.size() - (leaveLast && !tail.isEmpty() ? 1 : 0);
                for (int i = 0; i < n; i++) {
                    long step = stored.step() + 1 + i;
                    KernelInput input = JournalCodec.parseEntry((int) step + 1, tail.get(i));
                    try {
                        input.applyTo(kernel);
                    } catch (RuntimeException e) {
                        throw new JournalException((int) step + 1, "step " + step + " (" + input.op() + ") failed on replay: " + e.getMessage());
                    }
                }
                return new Restored(kernel, stored.step() + n);
            } catch (Snapshots.Unreadable | RuntimeException e) {
                if (kernel != null) {
                    kernel.releaseBudget();
                }
                log.warn("kernel '{}': its snapshot at step {} cannot be used ({}); replaying its whole journal instead", id,
                        stored.step(), e.getMessage());
            }
        }
        List<String> lines = lines(id);
        if (leaveLast && lines.size() > 1) {
            lines = lines.subList(0, lines.size() - 1);
        }
        Replay.Rebuilt rebuilt = Replay.stream(lines, into::build); // read and executed line by line: see Replay.stream
        return new Restored(rebuilt.kernel(), rebuilt.steps());
    }

    private Stored readSnapshot(String id) {
        List<Stored> found = jdbc.query("SELECT step, format, fingerprint, classes, data FROM kernel_snapshots WHERE kernel_id = ?",
                (row, i) -> new Stored(row.getLong(1), new Snapshots.Snapshot(row.getInt(2), row.getString(3), row.getString(4),
                        row.getBytes(5))), id);
        return found.isEmpty() ? null : found.get(0);
    }

    private long storedSnapshotStep(String id) {
        List<Long> step = jdbc.queryForList("SELECT step FROM kernel_snapshots WHERE kernel_id = ?", Long.class, id);
        return step.isEmpty() ? 0 : step.get(0);
    }

    /** A kernel new to the journal may have its first snapshot at once. */
    private long neverSnapshot() {
        return nanoClock.getAsLong() - snapshotIntervalNanos;
    }

    /** How many times a kernel's snapshot was asked for since start (for tests: a request may be for one already queued). */
    public long snapshotsRequested() {
        return snapshotsRequested.get();
    }

    private void requestSnapshot(Kernel kernel) {
        snapshotsRequested.incrementAndGet();
        if (snapshotRequested.add(kernel)) {
            snapshotRequests.add(kernel);
        }
    }

    /** Snapshots written since start (for tests and the bench). */
    public long snapshotsWritten() {
        return snapshotsWritten.get();
    }

    /**
     * Takes a snapshot of {@code kernel} now, from what its journal holds committed (all but its last entry), and
     * waits until it is stored. Returns the step it was taken after, or -1 when there was nothing new to take.
     */
    public long snapshot(Kernel kernel) {
        flush();
        long step = takeSnapshot(kernel);
        flush();
        return step;
    }

    private void snapshotLoop() {
        while (running) {
            try {
                Kernel kernel = snapshotRequests.poll(100, TimeUnit.MILLISECONDS);
                if (kernel == null) {
                    continue;
                }
                snapshotRequested.remove(kernel);
                try {
                    // the snapshot is rebuilt from committed entries: wait for the ones that asked for it, else a
                    // request handled before the group commit finds nothing new and is lost (as snapshot() does)
                    flush();
                    takeSnapshot(kernel);
                } catch (RuntimeException e) {
                    // the journal is whole without it: a restart replays more entries, nothing else
                    log.warn("snapshot of kernel '{}' not taken: {}", kernel.id(), e.getMessage());
                }
            } catch (InterruptedException e) {
                if (!running) {
                    break;
                }
            }
        }
    }

    /**
     * The snapshot is made off the live kernel, by rebuilding it from the database (the previous snapshot plus the
     * entries after it): such a kernel has no listeners, egress or recorder attached, and what is written is exactly
     * what a restart would have replayed. The live kernel is only locked to queue the result.
     */
    private long takeSnapshot(Kernel live) {
        if (registry == null || !steps.containsKey(live)) {
            return -1;
        }
        String id = live.id();
        if (jdbc.queryForList("SELECT id FROM kernels WHERE id = ?", String.class, id).isEmpty()) {
            return -1;
        }
        long before = storedSnapshotStep(id);
        Restored rebuilt = rebuild(id, true);
        Kernel shadow = rebuilt.kernel();
        try {
            if (rebuilt.steps() <= before) {
                return -1;
            }
            Snapshots.Snapshot snapshot = Snapshots.write(shadow);
            if (snapshot.data().length > MAX_SNAPSHOT_BYTES) {
                log.warn("snapshot of kernel '{}' at step {} not stored: {} bytes, past {}", id, rebuilt.steps(), snapshot.data().length,
                        MAX_SNAPSHOT_BYTES);
                return -1;
            }
            synchronized (live) {
                if (!steps.containsKey(live)) {
                    return -1; // deleted meanwhile: its Delete is queued already
                }
                enqueue(new Snap(id, rebuilt.steps(), snapshot));
            }
            snapshotsWritten.incrementAndGet();
            return rebuilt.steps();
        } finally {
            shadow.releaseBudget();
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            snapshotter.join(10_000); // a snapshot being taken is queued before the writer drains the queue
            writer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
