package io.vkernel.sandbox;

import io.vkernel.kernel.BudgetExceededException;
import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.KernelBudget;
import io.vkernel.kernel.KernelConfig;
import io.vkernel.kernel.KernelLimitException;
import io.vkernel.kernel.KernelMemory;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The sandboxes: every kernel the service runs, by id. The {@code default} kernel always exists (10.0.0.50, a
 * fixed seed so its ISNs and hash buckets are the same on every start). Each kernel guards itself with its own
 * lock; the registry only finds, creates and removes them, within a bound on their number.
 */
public final class KernelRegistry {

    public static final String DEFAULT_ID = "default";
    public static final long DEFAULT_SEED = 1;
    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,31}");

    private final Map<String, Kernel> kernels = new ConcurrentHashMap<>();
    private final List<Consumer<Kernel>> createdListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<Kernel>> removedListeners = new CopyOnWriteArrayList<>();
    private final SecureRandom random = new SecureRandom();
    private final SandboxLimits limits;
    private final KernelBudget budget;

    public KernelRegistry(SandboxLimits limits) {
        this(limits, KernelBudget.unlimited());
    }

    /** Kernels whose retained memory is charged against {@code budget} (each) and its service budget (all together). */
    public KernelRegistry(SandboxLimits limits, KernelBudget budget) {
        this.limits = limits;
        this.budget = budget;
        kernels.put(DEFAULT_ID, bounded(new Kernel(config(DEFAULT_ID, null, DEFAULT_SEED, null, null), budget)));
    }

    public SandboxLimits limits() {
        return limits;
    }

    public KernelBudget budget() {
        return budget;
    }

    public void onCreated(Consumer<Kernel> listener) {
        createdListeners.add(listener);
        kernels.values().forEach(listener);
    }

    public void onRemoved(Consumer<Kernel> listener) {
        removedListeners.add(listener);
    }

    public Optional<Kernel> find(String id) {
        return Optional.ofNullable(kernels.get(id));
    }

    public Collection<Kernel> all() {
        List<Kernel> all = new ArrayList<>(kernels.values());
        all.sort((a, b) -> a.id().equals(DEFAULT_ID) ? -1 : b.id().equals(DEFAULT_ID) ? 1 : a.id().compareTo(b.id()));
        return all;
    }

    /**
     * Creates a kernel; {@code id}, {@code address}, {@code seed}, {@code buckets} and {@code hash} may be null for
     * defaults. Throws {@link IllegalArgumentException} for a bad value, {@link KernelLimitException} when full,
     * {@link IllegalStateException} when the id is taken.
     */
    public synchronized Kernel create(String id, Integer address, Long seed, Integer buckets, String hash) {
        if (kernels.size() >= limits.maxKernels()) {
            throw new KernelLimitException("the service already runs " + kernels.size() + " kernels (limit "
                    + limits.maxKernels() + "); delete one with DELETE /api/v1/kernels/{id}");
        }
        String kernelId = id != null ? id : newId();
        if (!ID.matcher(kernelId).matches()) {
            throw new IllegalArgumentException("id '" + kernelId + "' must be 1-32 characters: lowercase letters, digits and '-', starting with a letter or digit");
        }
        if (kernels.containsKey(kernelId)) {
            throw new IllegalStateException("a kernel with id '" + kernelId + "' already exists");
        }
        KernelConfig config = config(kernelId, address, seed != null ? seed : random.nextLong(), buckets, hash);
        admitNewKernel(config.buckets());
        Kernel kernel = bounded(new Kernel(config, budget));
        kernels.put(kernelId, kernel);
        createdListeners.forEach(listener -> listener.accept(kernel));
        return kernel;
    }

    /**
     * A kernel with {@code config}, charged against this registry's budgets and bounded as its own kernels are, but not
     * registered: a journal is replayed into it, then {@link #adopt} registers it (or it is dropped with
     * {@link Kernel#releaseBudget()}).
     */
    public Kernel build(KernelConfig config) {
        admitNewKernel(config.buckets());
        return bounded(new Kernel(config, budget));
    }

    /** The settings {@link #create} would give a kernel with this id and seed and no other choices. */
    public KernelConfig defaultConfig(String id, long seed) {
        return config(id, null, seed, null, null);
    }

    /** Checks an id for a new kernel: its form, that it is free, and that there is room for one more kernel. */
    public synchronized void checkNewId(String id) {
        if (!ID.matcher(id).matches()) {
            throw new IllegalArgumentException("id '" + id + "' must be 1-32 characters: lowercase letters, digits and '-', starting with a letter or digit");
        }
        if (kernels.containsKey(id)) {
            throw new IllegalStateException("a kernel with id '" + id + "' already exists");
        }
        if (kernels.size() >= limits.maxKernels()) {
            throw new KernelLimitException("the service already runs " + kernels.size() + " kernels (limit "
                    + limits.maxKernels() + "); delete one with DELETE /api/v1/kernels/{id}");
        }
    }

    /** A fresh id for a kernel nobody named. */
    public String newId() {
        return "k-" + Long.toHexString(random.nextLong() & 0xffffffffffL);
    }

    /**
     * Registers a kernel made by {@link #build} (a replayed journal). With {@code replace} a kernel of the same id is
     * replaced (a restart restoring {@code default}); otherwise the id must be free.
     */
    public synchronized void adopt(Kernel kernel, boolean replace) {
        Kernel existing = kernels.get(kernel.id());
        if (existing != null) {
            if (!replace) {
                throw new IllegalStateException("a kernel with id '" + kernel.id() + "' already exists");
            }
            kernels.remove(kernel.id());
            existing.releaseBudget();
            removedListeners.forEach(listener -> listener.accept(existing));
        } else if (kernels.size() >= limits.maxKernels()) {
            throw new KernelLimitException("the service already runs " + kernels.size() + " kernels (limit "
                    + limits.maxKernels() + "); delete one with DELETE /api/v1/kernels/{id}");
        }
        kernels.put(kernel.id(), kernel);
        createdListeners.forEach(listener -> listener.accept(kernel));
    }

    /** A new kernel's tables (its hash buckets above all) must fit its own budget and the service's. */
    private void admitNewKernel(int buckets) {
        long base = KernelMemory.baseBytes(buckets);
        if (base > budget.limitBytes()) {
            throw new BudgetExceededException(BudgetExceededException.Budget.KERNEL, "a kernel with " + buckets
                    + " buckets retains " + base + " bytes before its first packet, past the kernel budget of "
                    + budget.limitBytes() + " bytes (vkernel.budget.kernel-bytes); ask for at most "
                    + Integer.highestOneBit((int) Math.min(1 << 22, Math.max(1, (budget.limitBytes() - KernelMemory.KERNEL_BASE) / 2 / KernelMemory.BUCKET)))
                    + " buckets", base, base, budget.limitBytes());
        }
        if (!budget.service().fits(base)) {
            throw new BudgetExceededException(BudgetExceededException.Budget.SERVICE, "a kernel with " + buckets
                    + " buckets retains " + base + " bytes; all kernels together already retain " + budget.service().usedBytes()
                    + " of the service budget of " + budget.service().limitBytes() + " bytes (vkernel.budget.service-bytes); "
                    + "delete kernels that are no longer used, or ask for fewer buckets", budget.service().usedBytes(), base,
                    budget.service().limitBytes());
        }
    }

    /** Removes a kernel; the default kernel is replaced by a fresh one, so it always exists. */
    public synchronized boolean delete(String id) {
        Kernel removed = kernels.remove(id);
        if (removed == null) {
            return false;
        }
        removed.releaseBudget();
        removedListeners.forEach(listener -> listener.accept(removed));
        if (DEFAULT_ID.equals(id)) {
            Kernel fresh = bounded(new Kernel(config(DEFAULT_ID, null, DEFAULT_SEED, null, null), budget));
            kernels.put(DEFAULT_ID, fresh);
            createdListeners.forEach(listener -> listener.accept(fresh));
        }
        return true;
    }

    /** Counts each kernel's memory again where something changed, so the service budget sees what was freed. */
    public void settleBudgets() {
        for (Kernel kernel : kernels.values()) {
            kernel.settleBudget();
        }
    }

    private Kernel bounded(Kernel kernel) {
        kernel.limitParkedCalls(limits.parkedCallsPerProcess(), limits.parkedCallsPerKernel());
        return kernel;
    }

    private KernelConfig config(String id, Integer address, long seed, Integer buckets, String hash) {
        KernelConfig base = KernelConfig.defaults(id, seed);
        return new KernelConfig(id, address != null ? address : base.address(), seed,
                buckets != null ? buckets : limits.defaultBuckets(), hash != null ? hash : base.hash(),
                limits.eventsPerKernel(), limits.packetsLoggedPerKernel(), limits.processesPerKernel(), limits.connectionsPerKernel());
    }
}
