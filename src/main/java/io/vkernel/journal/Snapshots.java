package io.vkernel.journal;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Registration;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.serializers.ClosureSerializer;
import com.esotericsoftware.kryo.serializers.EnumMapSerializer;
import com.esotericsoftware.kryo.serializers.FieldSerializer;
import com.esotericsoftware.kryo.serializers.ImmutableCollectionsSerializers;
import com.esotericsoftware.kryo.util.DefaultClassResolver;
import com.esotericsoftware.kryo.util.DefaultInstantiatorStrategy;
import com.esotericsoftware.kryo.util.MapReferenceResolver;
import io.vkernel.kernel.Kernel;
import io.vkernel.kernel.KernelBudget;
import io.vkernel.kernel.MemoryBudget;
import io.vkernel.kernel.nic.Nic;
import io.vkernel.kernel.trace.DropReason;
import org.objenesis.strategy.StdInstantiatorStrategy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A kernel's whole state at one step of its journal, as bytes: the object graph under {@link Kernel} (sockets, TCBs,
 * buffers, the timer queue with its closures, parked calls, the event and wire logs) written by Kryo with references
 * kept, so objects shared inside the kernel are shared again when it is read back. Timers' and parked calls' lambdas
 * are serializable ({@code VirtualClock.Action}, {@code PendingCall.Attempt}) and are written as the method they call
 * and what they captured.
 *
 * <p>Only kernels built by replaying a journal are written (see {@link KernelJournal}): such a kernel has no live
 * listeners, no egress and no recorder attached. The service's memory budget is not written: a kernel read back is
 * charged against the budget of the process reading it, and a snapshot written under other per-kernel budgets is
 * refused, since those budgets shape what the event and wire logs keep.
 *
 * <p>A snapshot is only as good as the code that reads it matches the code that wrote it. Each snapshot carries the
 * names of the classes it holds and a digest of their bytecode (and of the format, the JVM's feature version and the
 * budgets); {@link #read} refuses it with {@link Unreadable} when any of these changed (an upgrade), so the caller
 * replays the journal from the start instead.
 */
public final class Snapshots {

    /** The layout of {@link #write}'s bytes; a stored snapshot with a larger number is from a newer vkernel. */
    public static final int FORMAT = 1;

    /** What is stored: the bytes, and what must match for them to be read. */
    public record Snapshot(int format, String fingerprint, String classes, byte[] data) {
    }

    /** A snapshot that cannot be used here: the caller replays the whole journal. */
    public static final class Unreadable extends Exception {
        public Unreadable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static final String BUDGET = "vkernel.budget";
    private static final Map<String, String> BYTECODE_DIGESTS = new ConcurrentHashMap<>();
    private static final ThreadLocal<Kryo> KRYO = ThreadLocal.withInitial(Snapshots::kryo);

    static {
        // Kryo's closure serializer warns on Java 17 that it resolves lambdas through their capturing class, which is
        // what it should do here; keep that line out of the service's log
        com.esotericsoftware.minlog.Log.set(com.esotericsoftware.minlog.Log.LEVEL_ERROR);
    }

    private Snapshots() {
    }

    /** Writes {@code kernel}'s state; the caller holds the only reference to it (a kernel being replayed). */
    public static Snapshot write(Kernel kernel) {
        Kryo kryo = KRYO.get();
        Recording resolver = (Recording) kryo.getClassResolver();
        resolver.written.clear();
        Output output = new Output(64 * 1024, -1);
        synchronized (kernel) {
            kryo.writeObject(output, kernel);
        }
        kryo.reset();
        TreeSet<String> names = new TreeSet<>();
        for (Class<?> type : resolver.written) {
            names.add(type.getName());
        }
        String classes = String.join(",", names);
        return new Snapshot(FORMAT, fingerprint(FORMAT, classes, kernel.budget()), classes, output.toBytes());
    }

    /**
     * Reads a kernel back and charges it against {@code budget}; {@link Unreadable} when the snapshot is of another
     * format, was written by other code or under other budgets, or its bytes do not read.
     */
    public static Kernel read(Snapshot snapshot, KernelBudget budget) throws Unreadable {
        if (snapshot.format() != FORMAT) {
            throw new Unreadable("format " + snapshot.format() + (snapshot.format() > FORMAT ? " is newer than" : " is not")
                    + " this vkernel's " + FORMAT, null);
        }
        String expected;
        try {
            expected = fingerprint(snapshot.format(), snapshot.classes(), budget);
        } catch (RuntimeException e) {
            throw new Unreadable("its classes are not this vkernel's: " + e.getMessage(), e);
        }
        if (!expected.equals(snapshot.fingerprint())) {
            throw new Unreadable("it was written by other code or under other memory budgets (fingerprint "
                    + abbreviate(snapshot.fingerprint()) + ", here " + abbreviate(expected) + ")", null);
        }
        Kryo kryo = KRYO.get();
        kryo.getContext().put(BUDGET, budget);
        try {
            Kernel kernel = kryo.readObject(new Input(snapshot.data()), Kernel.class);
            kernel.chargeRestored();
            return kernel;
        } catch (KryoException | ClassCastException | IllegalStateException | IllegalArgumentException | IndexOutOfBoundsException
                 | NullPointerException e) {
            throw new Unreadable("its bytes do not read: " + e.getMessage(), e);
        } finally {
            kryo.reset();
            kryo.getContext().remove(BUDGET);
        }
    }

    private static String abbreviate(String digest) {
        return digest.length() > 12 ? digest.substring(0, 12) : digest;
    }

    /**
     * The digest of everything that must be the same for a snapshot to be read as it was written: the format, the
     * JVM's feature version, the kernel's budgets, and the bytecode of every class whose objects (or lambdas) it holds.
     */
    static String fingerprint(int format, String classes, KernelBudget budget) {
        MessageDigest sha = sha256();
        sha.update(("format " + format + "; java " + Runtime.version().feature() + "; budget " + budget.limitBytes() + " "
                + budget.wireLogBytes() + " " + budget.eventLogBytes() + "\n").getBytes(StandardCharsets.UTF_8));
        if (!classes.isEmpty()) {
            for (String name : classes.split(",")) {
                sha.update((name + " " + bytecodeDigest(name) + "\n").getBytes(StandardCharsets.UTF_8));
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static String bytecodeDigest(String name) {
        return BYTECODE_DIGESTS.computeIfAbsent(name, n -> {
            if (n.startsWith("java.") || n.startsWith("[")) {
                return "jdk"; // the JDK's own collections are written by Kryo's serializers for their interfaces
            }
            ClassLoader loader = Snapshots.class.getClassLoader();
            try (InputStream in = loader.getResourceAsStream(n.replace('.', '/') + ".class")) {
                if (in == null) {
                    throw new IllegalStateException("class " + n + " is not here");
                }
                return HexFormat.of().formatHex(sha256().digest(in.readAllBytes()));
            } catch (IOException e) {
                throw new IllegalStateException("class " + n + " cannot be read: " + e.getMessage(), e);
            }
        });
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Kryo kryo() {
        Kryo kryo = new Kryo(new Recording(), new MapReferenceResolver());
        kryo.setRegistrationRequired(false);
        kryo.setReferences(true);
        kryo.setWarnUnregisteredClasses(false);
        // classes with a no-argument constructor are made with it (so maps and deques start in a working state);
        // the kernel's own classes without one are made without running a constructor, their fields then read
        kryo.setInstantiatorStrategy(new DefaultInstantiatorStrategy(new StdInstantiatorStrategy()));
        kryo.register(Object[].class);
        kryo.register(Class.class);
        kryo.register(ClosureSerializer.Closure.class, new ClosureSerializer());
        kryo.addDefaultSerializer(KernelBudget.class, new BudgetSerializer());
        kryo.addDefaultSerializer(MemoryBudget.class, new ServiceBudgetSerializer());
        // an EnumMap built without its constructor has no key type, and an empty one cannot tell it: name it
        FieldSerializer<Nic> nic = new FieldSerializer<>(kryo, Nic.class);
        nic.getField("drops").setValueClass(EnumMap.class, new EnumMapSerializer(DropReason.class));
        kryo.addDefaultSerializer(Nic.class, nic);
        // List.of(), Stream.toList(), Map.of(): rebuilt through their factories; Collections.unmodifiable*: the
        // contents in a plain collection, wrapped again
        ImmutableCollectionsSerializers.addDefaultSerializers(kryo);
        kryo.addDefaultSerializer(Collections.unmodifiableList(new ArrayList<>()).getClass(),
                new Unmodifiable<>(c -> Collections.unmodifiableList(new ArrayList<>(c))));
        kryo.addDefaultSerializer(Collections.unmodifiableList(new java.util.LinkedList<>()).getClass(),
                new Unmodifiable<>(c -> Collections.unmodifiableList(new java.util.LinkedList<>(c))));
        kryo.addDefaultSerializer(Collections.unmodifiableSet(new java.util.HashSet<>()).getClass(),
                new Unmodifiable<>(c -> Collections.unmodifiableSet(new java.util.LinkedHashSet<>(c))));
        kryo.addDefaultSerializer(Collections.unmodifiableCollection(new ArrayList<>()).getClass(),
                new Unmodifiable<>(c -> Collections.unmodifiableCollection(new ArrayList<>(c))));
        kryo.addDefaultSerializer(Collections.unmodifiableMap(new java.util.HashMap<>()).getClass(), new UnmodifiableMap());
        kryo.addDefaultSerializer(Collections.nCopies(1, 0).getClass(),
                new Unmodifiable<>(c -> Collections.nCopies(c.size(), c.isEmpty() ? null : c.get(0))));
        kryo.addDefaultSerializer(Collections.newSetFromMap(new IdentityHashMap<>()).getClass(), new IdentitySetSerializer());
        return kryo;
    }

    /** Notes every class written, for the fingerprint. */
    private static final class Recording extends DefaultClassResolver {
        final Set<Class<?>> written = Collections.newSetFromMap(new IdentityHashMap<>());

        @Override
        public Registration writeClass(Output output, Class type) {
            if (type != null && !type.isHidden()) { // a lambda's own class: its capturing class is written instead
                written.add(type);
            }
            return super.writeClass(output, type);
        }
    }

    /** The kernel's budgets are the reading process's (the fingerprint saw they are the same numbers). */
    private static final class BudgetSerializer extends Serializer<KernelBudget> {
        @Override
        public void write(Kryo kryo, Output output, KernelBudget budget) {
        }

        @Override
        public KernelBudget read(Kryo kryo, Input input, Class<? extends KernelBudget> type) {
            return (KernelBudget) kryo.getContext().get(BUDGET);
        }
    }

    /** The service budget is shared by every kernel of a process: the reading process's. */
    private static final class ServiceBudgetSerializer extends Serializer<MemoryBudget> {
        @Override
        public void write(Kryo kryo, Output output, MemoryBudget budget) {
        }

        @Override
        public MemoryBudget read(Kryo kryo, Input input, Class<? extends MemoryBudget> type) {
            return ((KernelBudget) kryo.getContext().get(BUDGET)).service();
        }
    }

    /** A read-only view of a collection: its elements in order, read back into a new collection and wrapped again. */
    @SuppressWarnings({"rawtypes", "unchecked"})
    private static final class Unmodifiable<T extends Collection> extends Serializer<T> {
        private final java.util.function.Function<List<Object>, T> wrap;

        Unmodifiable(java.util.function.Function<List<Object>, T> wrap) {
            this.wrap = wrap;
        }

        @Override
        public void write(Kryo kryo, Output output, T collection) {
            output.writeVarInt(collection.size(), true);
            for (Object element : collection) {
                kryo.writeClassAndObject(output, element);
            }
        }

        @Override
        public T read(Kryo kryo, Input input, Class<? extends T> type) {
            int size = input.readVarInt(true);
            List<Object> elements = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                elements.add(kryo.readClassAndObject(input));
            }
            return wrap.apply(elements);
        }
    }

    /** A read-only view of a map: its entries in order, read back into a LinkedHashMap and wrapped again. */
    @SuppressWarnings({"rawtypes", "unchecked"})
    private static final class UnmodifiableMap extends Serializer<Map> {
        @Override
        public void write(Kryo kryo, Output output, Map map) {
            output.writeVarInt(map.size(), true);
            for (Object o : map.entrySet()) {
                Map.Entry e = (Map.Entry) o;
                kryo.writeClassAndObject(output, e.getKey());
                kryo.writeClassAndObject(output, e.getValue());
            }
        }

        @Override
        public Map read(Kryo kryo, Input input, Class<? extends Map> type) {
            int size = input.readVarInt(true);
            Map map = new java.util.LinkedHashMap(size * 2);
            for (int i = 0; i < size; i++) {
                Object key = kryo.readClassAndObject(input);
                map.put(key, kryo.readClassAndObject(input));
            }
            return Collections.unmodifiableMap(map);
        }
    }

    /** {@code Collections.newSetFromMap(new IdentityHashMap<>())}: its elements, read into a new such set. */
    @SuppressWarnings({"rawtypes", "unchecked"})
    private static final class IdentitySetSerializer extends Serializer<Set> {
        @Override
        public void write(Kryo kryo, Output output, Set set) {
            output.writeVarInt(set.size(), true);
            for (Object element : (Collection<?>) set) {
                kryo.writeClassAndObject(output, element);
            }
        }

        @Override
        public Set read(Kryo kryo, Input input, Class<? extends Set> type) {
            Set set = Collections.newSetFromMap(new IdentityHashMap<>());
            kryo.reference(set);
            int size = input.readVarInt(true);
            for (int i = 0; i < size; i++) {
                set.add(kryo.readClassAndObject(input));
            }
            return set;
        }
    }
}
