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

    /**
     * A row's key is its kernel's (network's) number times 2^40 plus its step (V5__journal_numeric_keys.sql): one
     * B-tree per table instead of rows plus a unique index on (id, step). 2^40 steps is 35 years of 1 000 a second.
     */
    static final long STEPS = 1L << 40;
    /** Numbers are below this, so a key cannot overflow: 2^23 - 1. */
    static final long NUMBERS = Long.MAX_VALUE / STEPS;
    /** The numbers ({@code kernels.num}) of kernels the writer has written, committed: read and written by the writer only. */
    private final Map<String, Long> kernelNumbers = new java.util.HashMap<>();
    /** ... and of networks ({@code networks.num}). */
    private final Map<String, Long> networkNumbers = new java.util.HashMap<>();
    /** Numbers given or dropped by the transaction being written (null: dropped), applied to the maps above on commit. */
    private final Map<String, Long> kernelNumbersChanged = new java.util.HashMap<>();
    private final Map<String, Long> networkNumbersChanged = new java.util.HashMap<>();

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
     * a moment), wait for them, up to {@link #GATHER_NANOS}, so that one commit covers them all. A commit's fixed
     * cost is many rows' worth (SQLite: about 12 us for 1 entry, 36 us for 32; PostgreSQL adds an fsync), and the
     * requests it answers wait for it together instead of each for its own.
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
        kernelNumbersChanged.clear();
        networkNumbersChanged.clear();
        tx.executeWithoutResult(status -> {
            List<Object[]> appends = new ArrayList<>();
            List<Object[]> netAppends = new ArrayList<>();
            for (Op op : batch) {
                if (op instanceof Append a) {
                    Long num = stored(a.kernelId(), kernelNumber(a.kernelId()));
                    if (num != null) {
                        appends.add(new Object[] {num * STEPS + a.step(), a.entry()});
                    }
                    continue;
                }
                flushAppends(appends);
                if (op instanceof NetAppend na) {
                    Long num = stored(na.networkId(), networkNumber(na.networkId()));
                    if (num != null) {
                        netAppends.add(new Object[] {num * STEPS + na.seq(), na.entry()});
                    }
                    continue;
                }
                flushNetAppends(netAppends);
                if (op instanceof NetHeader h) {
                    if (h.fresh()) {
                        dropNetworkRows(h.networkId());
                        long num = nextNumber("networks");
                        jdbc.update("INSERT INTO networks (id, header, num) VALUES (?, ?, ?)", h.networkId(), h.header(), num);
                        networkNumbersChanged.put(h.networkId(), num);
                    } else {
                        jdbc.update("UPDATE networks SET header = ? WHERE id = ?", h.header(), h.networkId());
                    }
                } else if (op instanceof NetDrop d) {
                    dropNetworkRows(d.networkId());
                }
                if (op instanceof Create c) {
                    dropKernelRows(c.kernelId());
                    long num = nextNumber("kernels");
                    jdbc.update("INSERT INTO kernels (id, owner, num) VALUES (?, ?, ?)", c.kernelId(), c.owner(), num);
                    jdbc.update("INSERT INTO journal_entries (id, entry) VALUES (?, ?)", num * STEPS, c.header());
                    kernelNumbersChanged.put(c.kernelId(), num);
                } else if (op instanceof Rewrite r) {
                    Long num = stored(r.kernelId(), kernelNumber(r.kernelId()));
                    if (num != null) {
                        jdbc.update("UPDATE journal_entries SET entry = ? WHERE id = ?", r.entry(), num * STEPS + r.step());
                    }
                } else if (op instanceof Delete d) {
                    dropKernelRows(d.kernelId());
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
        // committed: the numbers this transaction gave and dropped are now the database's (a failed one left none)
        apply(kernelNumbersChanged, kernelNumbers);
        apply(networkNumbersChanged, networkNumbers);
    }

    /**
     * A number for a new kernel (network): one past the highest stored, or once those are spent (2^23 creations while
     * a later one stayed), the lowest free one; the kernels stored at once are far fewer than {@link #NUMBERS}.
     */
    private long nextNumber(String table) {
        long next = jdbc.queryForObject("SELECT COALESCE(MAX(num), 0) + 1 FROM " + table, Long.class);
        if (next < NUMBERS) {
            return next;
        }
        if (jdbc.queryForObject("SELECT COUNT(*) FROM " + table + " WHERE num = 1", Long.class) == 0) {
            return 1;
        }
        return jdbc.queryForObject("SELECT MIN(num) + 1 FROM " + table + " t WHERE NOT EXISTS (SELECT 1 FROM " + table
                + " u WHERE u.num = t.num + 1)", Long.class);
    }

    private static void apply(Map<String, Long> changed, Map<String, Long> numbers) {
        changed.forEach((id, num) -> {
            if (num == null) {
                numbers.remove(id);
            } else {
                numbers.put(id, num);
            }
        });
        changed.clear();
    }

    /** The kernel's snapshot, journal and row go (a kernel of that id created later gets a number of its own). */
    private void dropKernelRows(String kernelId) {
        jdbc.update("DELETE FROM kernel_snapshots WHERE kernel_id = ?", kernelId);
        Long num = kernelNumber(kernelId);
        if (num != null) {
            jdbc.update("DELETE FROM journal_entries WHERE id >= ? AND id < ?", num * STEPS, (num + 1) * STEPS);
            jdbc.update("DELETE FROM kernels WHERE id = ?", kernelId);
        }
        kernelNumbersChanged.put(kernelId, null);
    }

    private void dropNetworkRows(String networkId) {
        Long num = networkNumber(networkId);
        if (num != null) {
            jdbc.update("DELETE FROM network_entries WHERE id >= ? AND id < ?", num * STEPS, (num + 1) * STEPS);
            jdbc.update("DELETE FROM networks WHERE id = ?", networkId);
        }
        networkNumbersChanged.put(networkId, null);
    }

    /** The writer's view of a kernel's number within the transaction being written; null if it has no row. */
    private Long kernelNumber(String kernelId) {
        return number(kernelId, kernelNumbersChanged, kernelNumbers, "SELECT num FROM kernels WHERE id = ?");
    }

    private Long networkNumber(String networkId) {
        return number(networkId, networkNumbersChanged, networkNumbers, "SELECT num FROM networks WHERE id = ?");
    }

    private Long number(String id, Map<String, Long> changed, Map<String, Long> numbers, String query) {
        if (changed.containsKey(id)) {
            return changed.get(id);
        }
        Long num = numbers.get(id);
        if (num == null) {
            // not written by this writer yet (restored, or stored before a restart): the database says
            num = jdbc.queryForList(query, Long.class, id).stream().findFirst().orElse(null);
            if (num == null) {
                return null;
            }
            changed.put(id, num);
        }
        return num;
    }

    /** {@code num}; null, logged, when there is none (an entry of a kernel with no row: never queued, see begin/end). */
    private static Long stored(String id, Long num) {
        if (num == null) {
            log.warn("journal entry of '{}' not written: no kernel or network of that id is stored", id);
        }
        return num;
    }

    private void flushNetAppends(List<Object[]> appends) {
        if (!appends.isEmpty()) {
            jdbc.batchUpdate("INSERT INTO network_entries (id, entry) VALUES (?, ?)", appends);
            appends.clear();
        }
    }

    private void flushAppends(List<Object[]> appends) {
        if (!appends.isEmpty()) {
            jdbc.batchUpdate("INSERT INTO journal_entries (id, entry) VALUES (?, ?)", appends);
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
        return rows("network_entries", storedNumber("SELECT num FROM networks WHERE id = ?", networkId), 0, STEPS);
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
        return lines(kernelId, STEPS);
    }

    /** The first {@code limit} lines (header included). */
    public List<String> lines(String kernelId, long limit) {
        return rows("journal_entries", storedNumber("SELECT num FROM kernels WHERE id = ?", kernelId), 0, Math.min(limit, STEPS));
    }

    /** A kernel's (network's) number as stored, or null (see {@link #STEPS}). */
    private Long storedNumber(String query, String id) {
        return jdbc.queryForList(query, Long.class, id).stream().findFirst().orElse(null);
    }

    /** The entries of steps {@code from} (included) to {@code to} (excluded) of the journal numbered {@code num}, in order. */
    private List<String> rows(String table, Long num, long from, long to) {
        if (num == null || from >= to) {
            return new ArrayList<>();
        }
        return jdbc.queryForList("SELECT entry FROM " + table + " WHERE id >= ? AND id < ? ORDER BY id", String.class,
                num * STEPS + from, num * STEPS + to);
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
                Long num = storedNumber("SELECT num FROM kernels WHERE id = ?", id);
                List<String> header = rows("journal_entries", num, 0, 1);
                if (header.isEmpty()) {
                    throw new IllegalStateException("no journal header stored");
                }
                JournalCodec.parseHeader(header.get(0));
                List<String> tail = rows("journal_entries", num, stored.step() + 1, STEPS);
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
