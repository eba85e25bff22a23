package io.vkernel.sandbox;

import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.KernelLimitException;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Workshop attendees: who owns which kernel, and the bearer token each attendee proves themselves with.
 *
 * <p>A token is {@code <attendee id>.<secret>}: the id says where to look, the secret (256 bits from
 * {@link SecureRandom}, base64url) is kept only as its SHA-256 digest and compared with
 * {@link MessageDigest#isEqual}, which takes the same time wherever the digests differ. The token itself is
 * returned once, when the attendee's first kernel is created, and never stored or logged.
 *
 * <p>An attendee whose last kernel is gone is forgotten (their token stops working), so the table stays as small
 * as the kernels it describes.
 */
public final class Attendees {

    /** A kernel created on behalf of an attendee; {@code token} is set only when the attendee is new. */
    public record Created(Kernel kernel, String attendee, String token) {
    }

    /** Where owners and token digests are kept across restarts (the journal's database); nothing by default. */
    @FunctionalInterface
    public interface Store {
        /** Kernel {@code kernelId} now belongs to {@code attendee}, whose token's secret has SHA-256 {@code digest}. */
        void owned(String kernelId, String attendee, byte[] digest);
    }

    private static final int SECRET_BYTES = 32;
    private volatile Store store = (kernelId, attendee, digest) -> { };

    private final SecureRandom random = new SecureRandom();
    private final int kernelsPerAttendee;
    /** attendee id → SHA-256 of the token's secret. */
    private final Map<String, byte[]> digests = new HashMap<>();
    /** attendee id → their kernels' ids, in creation order. */
    private final Map<String, Set<String>> kernels = new HashMap<>();
    /** kernel id → owning attendee id; kernels the instructor made have no entry. */
    private final Map<String, String> owners = new HashMap<>();
    /** attendee id → kernels being created for them right now. */
    private final Map<String, Integer> pending = new HashMap<>();

    public Attendees(int kernelsPerAttendee) {
        if (kernelsPerAttendee < 1) {
            throw new IllegalArgumentException("kernels-per-attendee must be at least 1, got " + kernelsPerAttendee);
        }
        this.kernelsPerAttendee = kernelsPerAttendee;
    }

    public int kernelsPerAttendee() {
        return kernelsPerAttendee;
    }

    /**
     * Creates a kernel for {@code attendee} (null: a new attendee, who gets a token) with {@code create}, after
     * checking the attendee's quota. Throws {@link KernelLimitException} when the attendee has all the kernels
     * they may have; whatever {@code create} throws leaves nothing behind (no attendee, no token).
     */
    public Created create(String attendee, Supplier<Kernel> create) {
        // The kernel is made outside this object's lock: the registry calls removed() under its own lock, so holding
        // ours while asking for the registry's could deadlock. A reservation keeps the quota exact meanwhile.
        synchronized (this) {
            if (attendee != null) {
                Set<String> owned = kernels.getOrDefault(attendee, Set.of());
                int pending = this.pending.getOrDefault(attendee, 0);
                if (owned.size() + pending >= kernelsPerAttendee) {
                    throw new KernelLimitException("you already have " + owned.size() + " kernels (" + String.join(", ", owned)
                            + "; limit " + kernelsPerAttendee + " per attendee, vkernel.workshop.kernels-per-attendee); "
                            + "delete one with DELETE /api/v1/kernels/{id}");
                }
                this.pending.merge(attendee, 1, Integer::sum);
            }
        }
        Kernel kernel;
        try {
            kernel = create.get();
        } finally {
            if (attendee != null) {
                synchronized (this) {
                    pending.computeIfPresent(attendee, (a, n) -> n > 1 ? n - 1 : null);
                }
            }
        }
        synchronized (this) {
            String token = null;
            String owner = attendee;
            if (owner == null) {
                do {
                    owner = "a-" + Long.toHexString(random.nextLong() & 0xffffffffffL);
                } while (digests.containsKey(owner));
                byte[] secret = new byte[SECRET_BYTES];
                random.nextBytes(secret);
                String encoded = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
                digests.put(owner, sha256(encoded));
                token = owner + "." + encoded;
            }
            kernels.computeIfAbsent(owner, a -> new LinkedHashSet<>()).add(kernel.id());
            owners.put(kernel.id(), owner);
            store.owned(kernel.id(), owner, digests.get(owner));
            return new Created(kernel, owner, token);
        }
    }

    /** Keeps each new owner and token digest in {@code store} from now on. */
    public void persistTo(Store store) {
        this.store = store;
    }

    /**
     * A kernel restored after a restart belongs to {@code attendee} again, whose token (its digest as stored) works
     * again; the kernel must be in the registry already.
     */
    public synchronized void restore(String kernelId, String attendee, byte[] digest) {
        digests.putIfAbsent(attendee, digest.clone());
        kernels.computeIfAbsent(attendee, a -> new LinkedHashSet<>()).add(kernelId);
        owners.put(kernelId, attendee);
    }

    /** The attendee a token belongs to, if it is one of ours. */
    public synchronized Optional<String> authenticate(String token) {
        int dot = token.indexOf('.');
        if (dot <= 0) {
            return Optional.empty();
        }
        String attendee = token.substring(0, dot);
        byte[] expected = digests.get(attendee);
        if (expected == null || !MessageDigest.isEqual(expected, sha256(token.substring(dot + 1)))) {
            return Optional.empty();
        }
        return Optional.of(attendee);
    }

    /** The attendee who owns kernel {@code id}; empty for kernels no attendee owns ({@code default}, the instructor's). */
    public synchronized Optional<String> owner(String kernelId) {
        return Optional.ofNullable(owners.get(kernelId));
    }

    public synchronized List<String> kernelsOf(String attendee) {
        return new ArrayList<>(kernels.getOrDefault(attendee, Set.of()));
    }

    public synchronized int count() {
        return digests.size();
    }

    /** A kernel went away: its owner loses it, and an owner with no kernel left is forgotten with their token. */
    public synchronized void removed(String kernelId) {
        String owner = owners.remove(kernelId);
        if (owner == null) {
            return;
        }
        Set<String> owned = kernels.get(owner);
        if (owned != null) {
            owned.remove(kernelId);
            if (owned.isEmpty() && !pending.containsKey(owner)) {
                kernels.remove(owner);
                digests.remove(owner);
            }
        }
    }

    public synchronized boolean known(String attendee) {
        return digests.containsKey(attendee);
    }

    /** SHA-256 of a token's text: what is kept and compared instead of the token. */
    public static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
